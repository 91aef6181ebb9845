"""Rules for Thanos, Mimir and Cortex rulers: every aggregation keeps the spec's source labels, and the Thanos Ruler
variant of the rule files carries ``partial_response_strategy`` while the plain files stay promtool-clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import promql_parser
import pytest

from generator.alerting import alerts
from generator.emit import rules, thanos
from generator.model import Bundle
from generator.pipeline import load_bundle, render
from generator.promtool import Failure, Promtool, PromtoolFailed, find_promtool
from generator.recording import recording_rules
from generator.rulefiles import areas, rules_path, thanos_rules_path
from generator.rulegroups import PARTIAL_RESPONSE_KEY

from .rules_support import ROOT, load, nodes, rule_entries, spec_variant, write

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
    assert kept == [True] * 35  # 27 recording rules, 8 of them ratios of two aggregations; alerts aggregate nothing
    assert all(r.by[: 2] == ("job", "cluster") for r in recording_rules(clustered))


def _output_labels(bundle: Bundle, expr: str) -> set[str]:
    """The labels an alert's result keeps: its recorded series' ``by``, or absent()'s equality matchers."""
    by_record = {r.record: set(r.by) for r in recording_rules(bundle)}
    equal = promql_parser.MatchOp.Equal
    found: set[str] = set()
    for node in nodes(expr):
        if isinstance(node, promql_parser.VectorSelector):
            found |= by_record.get(node.name or "", {m.name for m in node.matchers.matchers if m.op == equal})
    return found


def test_alerts_keep_the_source_label_except_the_absence_alert(clustered: Bundle) -> None:
    dropped = {a.name for a in alerts(clustered) if "cluster" not in _output_labels(clustered, a.expr)}
    # absent() returns one series built from its selector's equality matchers: it cannot say which cluster is
    # missing, and fires only when the service's metrics are missing from every source (docs/scale-out.md).
    assert dropped == {"LLMMetricsAbsent"}
    assert _output_labels(clustered, next(a.expr for a in alerts(clustered) if a.name == "LLMMetricsAbsent")) == {
        "job"
    }
