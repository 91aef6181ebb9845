"""Rules for Thanos, Mimir and Cortex rulers: every aggregation keeps the spec's source labels, the absence alert
also fires per source, and the Thanos Ruler variant of the rule files carries ``partial_response_strategy`` while
the plain files stay promtool-clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import promql_parser
import pytest

from generator.alerting import alerts, heartbeat_sample, source_labels, source_memory
from generator.emit import rules, thanos
from generator.model import Bundle
from generator.pipeline import load_bundle, render
from generator.promql import selector
from generator.promtool import Failure, PassedFile, Promtool, PromtoolFailed, find_promtool
from generator.recording import recording_rules
from generator.rulefiles import areas, rules_path, thanos_rules_path, unit_tests_path
from generator.rulegroups import PARTIAL_RESPONSE_KEY
from generator.ruletests.humanize import render as render_template

from .rules_support import ROOT, load, nodes, prometheus_files, rule_entries, spec_variant, unit_tests_in, write

CUSTOMISED = ROOT / "tests" / "golden" / "customised" / "spec.yaml"


@pytest.fixture(scope="module")
def tool() -> Promtool:
    """The promtool on PATH; a missing one fails with the install hint (never a skip)."""
    return find_promtool()


@pytest.fixture(scope="module")
def customised() -> Bundle:
    """The golden spec with ``thanos.partial_response_strategy: warn`` and ``source_labels: [cluster]``."""
    return load_bundle(CUSTOMISED)


@pytest.fixture(scope="module")
def clustered(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """The shipped spec with ``service.source_labels: [cluster]``."""
    return spec_variant(tmp_path_factory.mktemp("clustered"), "clustered", {"service.source_labels": ["cluster"]})


# Thanos Ruler


def test_promtool_rejects_the_thanos_key_so_it_stays_out_of_the_plain_files(
    customised: Bundle, tool: Promtool, tmp_path: Path
) -> None:
    path = tmp_path / "cost.yaml"
    path.write_text(thanos.emit(customised)[thanos_rules_path("cost")], encoding="utf-8")
    with pytest.raises(PromtoolFailed) as failed:
        tool.check_rules([path])
    unknown = "field partial_response_strategy not found in type rulefmt.RuleGroup"
    assert failed.value.failures == (
        Failure(str(path), (), f"{path}: yaml: unmarshal errors:\n  line 5: {unknown}\n  line 26: {unknown}"),
    )
    plain = rules.emit(customised)
    assert [g for text in plain.values() for g in load(text)["groups"] if PARTIAL_RESPONSE_KEY in g] == []
    checked = tool.check_rules(sorted(write(plain, tmp_path / "plain").glob("rules/*.yaml")))
    assert sum(c.rules for c in checked) == len(recording_rules(customised)) + len(alerts(customised))


def test_thanos_files_are_the_rule_files_with_the_strategy(customised: Bundle) -> None:
    plain, variant = rules.emit(customised), thanos.emit(customised)
    assert sorted(variant) == sorted(thanos_rules_path(a) for a in areas(customised))
    for area in areas(customised):
        expected = [
            {"name": g["name"], PARTIAL_RESPONSE_KEY: "warn", "rules": g["rules"]}
            for g in load(plain[rules_path(area)])["groups"]
        ]
        groups = load(variant[thanos_rules_path(area)])["groups"]
        assert groups == expected
        assert [list(g) for g in groups] == [["name", PARTIAL_RESPONSE_KEY, "rules"]] * len(groups)
    assert set(render(customised)) >= set(variant)


def test_abort_is_written_as_given(tmp_path: Path) -> None:
    bundle = spec_variant(tmp_path, "abort", {"thanos": {"partial_response_strategy": "abort"}})
    strategies = [g[PARTIAL_RESPONSE_KEY] for text in thanos.emit(bundle).values() for g in load(text)["groups"]]
    assert strategies == ["abort"] * (2 * len(areas(bundle)) - 1)


def test_no_thanos_files_without_the_strategy(bundle: Bundle, rendered: dict[str, str], tmp_path: Path) -> None:
    assert bundle.thanos.partial_response_strategy is None
    assert thanos.emit(bundle) == {}
    assert [p for p in rendered if p.startswith("thanos/")] == []
    empty = spec_variant(tmp_path, "empty-thanos", {"thanos": {}})
    assert thanos.emit(empty) == {}


# Source labels (Thanos, Mimir, Cortex: one query layer over several Prometheus servers)


def _aggregations(expr: str) -> list[Any]:
    return [n for n in nodes(expr) if isinstance(n, promql_parser.AggregateExpr)]


def test_every_aggregation_of_every_rule_keeps_the_source_label(clustered: Bundle) -> None:
    entries = list(rule_entries(rules.emit(clustered)))
    assert len(entries) == len(recording_rules(clustered)) + len(alerts(clustered))
    kept = []
    for path, entry in entries:
        for agg in _aggregations(entry["expr"]):
            assert agg.modifier is not None and agg.modifier.type == promql_parser.AggModifierType.By, entry
            kept.append("cluster" in agg.modifier.labels)
        for node in nodes(entry["expr"]):
            if isinstance(node, promql_parser.BinaryExpr) and node.modifier and node.modifier.matching:
                pytest.fail(f"{path}: vector matching with on/ignoring could drop a source label: {entry['expr']}")
    # 27 recording rules, 8 of them ratios of two aggregations; the absence alert's two group by (per source)
    assert kept == [True] * 37
    assert all(r.by[: 2] == ("job", "cluster") for r in recording_rules(clustered))


def _branches(bundle: Bundle, node: Any) -> list[tuple[str, frozenset[str]]]:
    """(branch, the labels its results keep) for each branch of an alert's ``or``: a recorded series' ``by``,
    an aggregation's ``by``, or absent()'s equality matchers. ``and``, ``unless`` and comparisons keep the labels
    of their left side (no on/ignoring: the test above forbids them)."""
    if isinstance(node, promql_parser.ParenExpr):
        return _branches(bundle, node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        if str(node.op) == "or":
            return _branches(bundle, node.lhs) + _branches(bundle, node.rhs)
        kept = _branches(bundle, node.rhs if isinstance(node.lhs, promql_parser.NumberLiteral) else node.lhs)
        return [(str(node), labels) for _, labels in kept]
    if isinstance(node, promql_parser.AggregateExpr):
        return [(str(node), frozenset(node.modifier.labels))]
    if isinstance(node, promql_parser.Call) and node.func.name == "absent":
        equal = promql_parser.MatchOp.Equal
        return [(str(node), frozenset(m.name for m in node.args[0].matchers.matchers if m.op == equal))]
    if isinstance(node, promql_parser.VectorSelector):
        by_record = {r.record: frozenset(r.by) for r in recording_rules(bundle)}
        assert node.name in by_record, f"an alert reads the raw series {node.name} outside an aggregation"
        return [(str(node), by_record[node.name])]
    raise AssertionError(f"unexpected node at the top of an alert: {node}")


def test_alerts_keep_the_source_label_except_the_absent_branch(clustered: Bundle) -> None:
    dropped = [(a.name, branch, labels) for a in alerts(clustered)
               for branch, labels in _branches(clustered, promql_parser.parse(a.expr)) if "cluster" not in labels]
    # absent() returns one series built from its selector's equality matchers: it cannot say which cluster is
    # missing, and fires only when the service's metrics are missing from every source. The other branch of
    # the same alert covers each cluster that stopped (docs/scale-out.md).
    sample = selector(heartbeat_sample(clustered), [("job", "=", "llm-gateway")])
    assert dropped == [("LLMMetricsAbsent", f"absent({sample}) == 1", frozenset({"job"}))]


def test_the_absence_alert_also_fires_per_source(clustered: Bundle, bundle: Bundle) -> None:
    sample = selector(heartbeat_sample(bundle), [("job", "=", "llm-gateway")])
    (plain,) = [a for a in alerts(bundle) if a.name == "LLMMetricsAbsent"]
    assert plain.expr == f"absent({sample}) == 1"  # no source labels: the alert is as it always was
    (clustered_alert,) = [a for a in alerts(clustered) if a.name == "LLMMetricsAbsent"]
    assert clustered_alert.expr == (
        f"absent({sample}) == 1 or (group by (job, cluster) (present_over_time({sample}[1h]))"
        f" unless group by (job, cluster) ({sample}))"
    )
    assert [labels for _, labels in _branches(clustered, promql_parser.parse(clustered_alert.expr))] == [
        frozenset({"job"}), frozenset({"job", "cluster"})
    ]


@pytest.mark.parametrize("interval", ["15s", "2m"])  # 2m: the slowest scrape interval a spec may set
def test_the_source_memory_outlasts_the_alert_and_four_scrape_intervals(tmp_path: Path, interval: str) -> None:
    changes = {"service.scrape_interval": interval, "service.source_labels": ["cluster"]}
    variant = spec_variant(tmp_path, "memory", changes)
    (absent,) = [a for a in alerts(variant) if a.name == "LLMMetricsAbsent"]
    assert "[1h]" in absent.expr and source_memory(variant) == 3600
    assert source_memory(variant) >= 4 * variant.service.scrape_interval
    assert source_memory(variant) > absent.for_seconds + 300  # for + the lookback of a source without stale markers


def test_source_labels_fixed_by_the_selector_add_no_branch(tmp_path: Path, bundle: Bundle) -> None:
    variant = spec_variant(tmp_path, "fixed", {"service.source_labels": ["job"]})
    assert source_labels(variant) == ()
    assert [a.expr for a in alerts(variant)] == [a.expr for a in alerts(bundle)]


def test_the_absence_description_reads_well_in_both_branches(tmp_path: Path) -> None:
    variant = spec_variant(tmp_path, "two", {"service.source_labels": ["cluster", "replica"]})
    (absent,) = [a for a in alerts(variant) if a.name == "LLMMetricsAbsent"]
    text = dict(absent.annotations)["description"]
    assert "{{ if or $labels.cluster $labels.replica }}" in text
    everywhere = render_template(text, 1.0, {"job": "llm-gateway"})
    one = render_template(text, 1.0, {"job": "llm-gateway", "cluster": "eu", "replica": "a"})
    sample = heartbeat_sample(variant)
    assert everywhere == (
        f'No {sample} series match job="llm-gateway" from any cluster/replica for 10m: the service is down, not '
        "scraped, or does not load its metrics module. Every other LLM alert is blind meanwhile."
    )
    assert one == (
        f'No {sample} series match job="llm-gateway" from cluster="eu", replica="a" for 10m, though that '
        "cluster/replica sent them within the last 1h: that cluster/replica no longer reaches this query layer, or "
        "there the service is down, not scraped, or does not load its metrics module. Every other LLM alert is "
        "blind to that cluster/replica meanwhile."
    )


@pytest.mark.parametrize("case", ["clustered", "two-sources", "customised"])
def test_generated_unit_tests_pass_with_source_labels(
    case: str, tool: Promtool, tmp_path: Path, clustered: Bundle, customised: Bundle
) -> None:
    """Every area's cases, written with source labels on every input series; availability adds the per-source
    cases of the absence alert (one source stops while another keeps reporting, ...)."""
    two = {"service.source_labels": ["cluster", "replica"]}
    bundle = {"clustered": clustered, "customised": customised}.get(case) or spec_variant(tmp_path, case, two)
    files = prometheus_files(bundle)
    names = [t["name"] for path, t in unit_tests_in(files) if path == unit_tests_path("availability")]
    assert len(names) == 3 and "keeps reporting" in names[1], names
    root = write(files, tmp_path / "out")
    tests = [root.parent / unit_tests_path(a) for a in areas(bundle)]
    assert tool.test_rules(tests) == tuple(PassedFile(str(t)) for t in tests)
