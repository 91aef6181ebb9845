"""Style-guide lint of the generated rules (mixtool's rules, kubernetes-mixin's habits), on the parsed PromQL."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser
import pytest

from generator.emit import promtool_tests, rules
from generator.model import Bundle
from generator.promql import le_matcher
from generator.recording import recording_rules

from .rules_support import load, nodes, prometheus_files, rule_entries, spec_variant

SEVERITIES = {"critical", "warning", "info"}
CAMEL_CASE = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")
COUNTER_FUNCTIONS = {"rate", "irate", "increase"}


def _alerts(bundle: Bundle) -> list[dict[str, Any]]:
    return [entry for _, entry in rule_entries(rules.emit(bundle)) if "alert" in entry]


def _exprs(bundle: Bundle) -> list[str]:
    return [entry["expr"] for _, entry in rule_entries(rules.emit(bundle))]


def _compares(expr: str) -> bool:
    """A filtering comparison (not ``== bool``) somewhere in the expression."""
    return any(
        isinstance(n, promql_parser.BinaryExpr)
        and str(n.op) in COMPARISONS
        and not (n.modifier and n.modifier.return_bool)
        for n in nodes(expr)
    )


def _counter_misuse(expr: str, counters: set[str]) -> list[str]:
    """Series that rate()/irate()/increase() read although they are not counters (``_total``, histogram parts)."""
    bad = []
    for n in nodes(expr):
        if isinstance(n, promql_parser.Call) and n.func.name in COUNTER_FUNCTIONS:
            name = n.args[0].vector_selector.name
            if name not in counters or not name.endswith(("_total", "_bucket", "_count", "_sum")):
                bad.append(name)
    return bad


def _ranges(expr: str) -> list[timedelta]:
    return [n.range for n in nodes(expr) if isinstance(n, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr))]


def _counters(bundle: Bundle) -> set[str]:
    names = {m.name for m in bundle.all_metrics if m.kind == "counter"}
    parts = ("_bucket", "_count", "_sum")
    return names | {m.name + s for m in bundle.all_metrics if m.kind == "histogram" for s in parts}


def test_alert_names_are_camel_case_and_at_most_40_characters(bundle: Bundle) -> None:
    names = {a["alert"] for a in _alerts(bundle)}
    assert len(names) == 11
    for name in names:
        assert CAMEL_CASE.match(name) and len(name) <= 40, name


def test_severity_is_allowed_and_team_is_the_specs(bundle: Bundle) -> None:
    for a in _alerts(bundle):
        assert a["labels"] == {"severity": a["labels"]["severity"], "team": "ml-platform"}
        assert a["labels"]["severity"] in SEVERITIES
    keys = [(a["alert"], a["labels"]["severity"]) for a in _alerts(bundle)]
    assert len(keys) == len(set(keys))


def test_summary_is_a_plain_sentence_and_description_is_templated(bundle: Bundle) -> None:
    for a in _alerts(bundle):
        notes = a["annotations"]
        assert list(notes) == ["summary", "description", "runbook_url"]
        assert "{{" not in notes["summary"] and notes["summary"].endswith(".") and notes["summary"][0].isupper()
        assert "{{" in notes["description"] and notes["description"].endswith(".")


def test_descriptions_show_the_value_except_for_state_alerts(bundle: Bundle) -> None:
    shown = "{{ $value | "
    without_value = {a["alert"] for a in _alerts(bundle) if shown not in a["annotations"]["description"]}
    assert without_value == {"LLMCircuitBreakerOpen", "LLMMetricsAbsent"}  # their value is always 1


def test_runbook_url_is_the_base_url_plus_the_alert_name(bundle: Bundle) -> None:
    for a in _alerts(bundle):
        assert a["annotations"]["runbook_url"] == f"https://runbooks.example.com/llm-gateway/{a['alert']}"


def test_every_alert_expression_compares(bundle: Bundle) -> None:
    for a in _alerts(bundle):
        assert _compares(a["expr"]), a["expr"]


@pytest.mark.parametrize(
    ("expr", "compares"),
    [("absent(up) == 1", True), ("x > bool 1", False), ("absent(up)", False), ("a > 1 and b > 1", True)],
)
def test_the_comparison_lint_tells_them_apart(expr: str, compares: bool) -> None:
    assert _compares(expr) is compares


def test_rate_and_increase_only_read_counters(bundle: Bundle) -> None:
    counters = _counters(bundle)
    for expr in _exprs(bundle):
        assert _counter_misuse(expr, counters) == [], expr


def test_the_counter_lint_catches_a_gauge(bundle: Bundle) -> None:
    assert _counter_misuse("rate(llm_queue_depth[5m])", _counters(bundle)) == ["llm_queue_depth"]


@pytest.mark.parametrize(("interval", "shortest"), [("15s", 300), ("45s", 300), ("2m", 480)])
def test_every_range_is_at_least_four_scrape_intervals(tmp_path: Path, interval: str, shortest: int) -> None:
    variant = spec_variant(tmp_path, "scrape", {"service.scrape_interval": interval})
    ranges = [r for expr in _exprs(variant) for r in _ranges(expr)]
    assert len(ranges) == 32
    assert min(ranges) == timedelta(seconds=shortest) >= 4 * timedelta(seconds=variant.service.scrape_interval)


def test_the_slowest_scrape_interval_stretches_short_slo_windows(tmp_path: Path) -> None:
    variant = spec_variant(tmp_path, "scrape", {"service.scrape_interval": "2m"})
    windows = [r.id for r in recording_rules(variant) if r.id.startswith("latency_over_target:")]
    assert windows == [
        "latency_over_target:8m",
        "latency_over_target:30m",
        "latency_over_target:1h",
        "latency_over_target:6h",
    ]


def test_record_names_are_level_metric_operations(bundle: Bundle) -> None:
    for r in recording_rules(bundle):
        assert RECORD_NAME.match(r.record), r.record
        level = r.record.split(":")[0]
        assert level.split("_")[0] == "job", r.record  # the level starts with the selector's labels
        assert tuple(r.by) == tuple(dict.fromkeys(r.by)) and r.by[0] == "job"


def test_record_window_suffix_matches_every_range(bundle: Bundle) -> None:
    for r in recording_rules(bundle):
        suffix = re.search(r"rate(\d\w*)$", r.record)
        ranges = _ranges(r.expr)
        if suffix is None:
            assert ranges == [], r.record
        else:
            assert ranges and all(x == promql_parser.parse_duration(suffix.group(1)) for x in ranges), r.record


def test_group_names_carry_the_service_name_and_are_unique(bundle: Bundle) -> None:
    names = [g["name"] for path, text in rules.emit(bundle).items() for g in load(text)["groups"]]
    assert len(names) == len(set(names)) == 11
    assert all(n.startswith("llm-gateway.") and n.endswith((".recording", ".alerts")) for n in names)


def test_every_yaml_file_opens_with_the_generated_header(bundle: Bundle) -> None:
    header = [
        "# Generated from specs/llm.yaml by the LLM monitoring bundle generator: do not edit.",
        "# Change the spec and run `make generate` instead.",
    ]
    for path, text in prometheus_files(bundle).items():
        assert text.splitlines()[:2] == header, path
        assert not text.splitlines()[2].startswith("#"), path


def test_a_hostile_spec_path_stays_inside_the_header(bundle: Bundle) -> None:
    hostile = dataclasses.replace(bundle, source="specs/x.yaml\ngroups: []\r\n\u2028# \x85 tab\there\x00")
    shipped = rules.emit(bundle)
    for path, text in {**rules.emit(hostile), **promtool_tests.emit(hostile)}.items():
        lines = text.splitlines()
        assert lines[0] == (
            "# Generated from specs/x.yaml\\ngroups: []\\r\\n\\u2028# \\x85 tab\\there\\x00 "
            "by the LLM monitoring bundle generator: do not edit."
        )
        data = load(text)
        if path in shipped:
            assert data == load(shipped[path])
        else:
            assert list(data) == ["rule_files", "evaluation_interval", "group_eval_order", "tests"]


def test_the_le_matcher_accepts_both_spellings_of_a_bucket() -> None:
    assert le_matcher("le", 0.5) == ("le", "=", "0.5")
    name, op, pattern = le_matcher("le", 1.0)
    assert (name, op, pattern) == ("le", "=~", "1|1\\.0")
    assert [s for s in ("1", "1.0", "10", "1x0", "1.00") if re.fullmatch(pattern, s)] == ["1", "1.0"]
    assert le_matcher("le", 2.5) == ("le", "=", "2.5")
