"""Every name a rule or a generated test uses is one the bundle defines: metrics the module exposes, their
labels, recording rules of the same rule file; the rule files and docs match the catalogues."""

from __future__ import annotations

from typing import Any

import promql_parser
from prometheus_client.utils import floatToGoString

from generator.alerting import alerts, alerts_markdown
from generator.emit import rules
from generator.model import Bundle, Metric
from generator.promql import duration
from generator.recording import recording_rules
from generator.rulefiles import rules_path
from generator.units import format_number

from .rules_support import ROOT, load, nodes, prometheus_files, rule_entries, unit_tests_in


def _samples(bundle: Bundle) -> dict[str, Metric]:
    """Every sample name the generated module exposes, with its metric."""
    return {s: m for m in bundle.all_metrics for s in m.sample_names}


def _target_labels(bundle: Bundle) -> set[str]:
    return {k for k, _ in bundle.service.selector} | set(bundle.service.source_labels)


def _selectors(expr: str) -> list[Any]:
    return [n for n in nodes(expr) if isinstance(n, promql_parser.VectorSelector)]


def test_every_series_a_rule_reads_is_exposed_or_recorded(bundle: Bundle) -> None:
    known = set(_samples(bundle)) | {r.record for r in recording_rules(bundle)}
    used = {s.name for _, entry in rule_entries(rules.emit(bundle)) for s in _selectors(entry["expr"])}
    assert used <= known, used - known
    raw = {u for u in used if ":" not in u}
    assert len(raw) == 16 and len(used - raw) == 12  # 12 records are watched by alerts


def test_alerts_read_records_of_their_own_rule_file(bundle: Bundle) -> None:
    """Each area's file is self-contained, so its promtool tests can load it alone."""
    files = rules.emit(bundle)
    for path, text in files.items():
        groups = load(text)["groups"]
        records = {r["record"] for g in groups for r in g["rules"] if "record" in r}
        for alert in (r for g in groups for r in g["rules"] if "alert" in r):
            for s in _selectors(alert["expr"]):
                assert s.name in records or s.name in _samples(bundle), (path, alert["alert"], s.name)


def test_matchers_and_groupings_use_the_labels_of_the_metric(bundle: Bundle) -> None:
    samples, target = _samples(bundle), _target_labels(bundle)
    for r in recording_rules(bundle):
        read = [s for s in _selectors(r.expr) if s.name in samples]
        allowed = target | {"le"} | {label for s in read for label in samples[s.name].labels}
        for s in read:
            names = {m.name for m in s.matchers.matchers}
            assert names <= target | set(samples[s.name].labels) | ({"le"} if s.name.endswith("_bucket") else set())
        for n in nodes(r.expr):
            if isinstance(n, promql_parser.AggregateExpr) and n.modifier is not None:
                assert set(n.modifier.labels) <= allowed, (r.id, n.modifier.labels)


def test_unit_test_inputs_are_series_the_module_exposes(bundle: Bundle) -> None:
    samples, target = _samples(bundle), _target_labels(bundle) | {"instance"}
    for path, test in unit_tests_in(prometheus_files(bundle)):
        normalised = "as Prometheus 3 stores it" in test["name"]
        for entry in test["input_series"]:
            series = promql_parser.parse(entry["series"])
            metric = samples[series.name]
            labels = {m.name: m.value for m in series.matchers.matchers}
            assert not series.name.endswith("_created"), entry
            bucket = {"le"} if series.name.endswith("_bucket") else set()
            assert set(labels) == target | set(metric.labels) | bucket, (path, entry["series"])
            if bucket:
                spell = format_number if normalised else floatToGoString
                assert labels["le"] in {spell(b) for b in metric.buckets} | {"+Inf"}, entry["series"]
            assert labels["job"] in ("llm-gateway", "llm-gateway-decoy")


def test_le_spelling_follows_prometheus_client(bundle: Bundle) -> None:
    fine = [e["series"] for _, t in unit_tests_in(prometheus_files(bundle)) for e in t["input_series"]
            if "response_time_fine_seconds_bucket" in e["series"]]
    spellings = {promql_parser.parse(s).matchers.matchers[-1].value for s in fine}
    assert spellings == {"0.05", "0.1", "0.2", "0.5", "1.0", "2.0", "5.0", "10.0", "30.0", "+Inf"}


def test_rule_files_serialise_the_catalogues(bundle: Bundle) -> None:
    entries = [entry for _, entry in rule_entries(rules.emit(bundle))]
    records = [e for e in entries if "record" in e]
    catalogue = sorted((r.record, r.expr) for r in recording_rules(bundle))
    assert sorted((e["record"], e["expr"]) for e in records) == catalogue
    assert len(records) == len(recording_rules(bundle)) == 27
    found = {(e["alert"], e["labels"]["severity"]): e for e in entries if "alert" in e}
    for a in alerts(bundle):
        assert found[(a.name, a.severity)] == {
            "alert": a.name,
            "expr": a.expr,
            "for": duration(a.for_seconds),
            "labels": dict(a.labels),
            "annotations": dict(a.annotations),
        }
    assert len(found) == len(alerts(bundle)) == 12


def test_each_area_file_holds_its_recording_group_then_its_alerts(bundle: Bundle) -> None:
    files = rules.emit(bundle)
    shapes = {path: [g["name"] for g in load(text)["groups"]] for path, text in files.items()}
    assert shapes == {
        rules_path("cost"): ["llm-gateway.cost.recording", "llm-gateway.cost.alerts"],
        rules_path("traffic"): ["llm-gateway.traffic.recording", "llm-gateway.traffic.alerts"],
        rules_path("latency-slo"): ["llm-gateway.latency-slo.recording", "llm-gateway.latency-slo.alerts"],
        rules_path("queues"): ["llm-gateway.queues.recording", "llm-gateway.queues.alerts"],
        rules_path("circuit-breakers"): [
            "llm-gateway.circuit-breakers.recording",
            "llm-gateway.circuit-breakers.alerts",
        ],
        rules_path("availability"): ["llm-gateway.availability.alerts"],
    }


def test_readme_alert_table_matches_the_catalogue(bundle: Bundle) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = alerts_markdown(bundle)
    assert "\n\n" + table in readme
    assert len(table.splitlines()) == 2 + len(alerts(bundle))
    assert table.splitlines()[2] == (
        "| `LLMDailyCostProjectionOverBudget` | warning | Spend projected from the last 1h is over the daily budget. "
        "| `thresholds.daily_cost_budget` (500 USD a day) | 15m |"
    )

