"""Lints in the spirit of grafana/dashboard-linter, on the shipped spec and on a spec that renames things.

The top of this module is the dashboards' test support (cases, parsing PromQL); the other
test_dashboards_* modules import it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser as pp
import pytest
import yaml

from generator.emit import dashboards as dashboards_emitter
from generator.model import Bundle
from generator.pipeline import load_bundle
from generator.recording import recording_rules

ROOT = Path(__file__).resolve().parent.parent
CASES = ("shipped", "variant", "nasty")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Stands in for $__rate_interval: a range no query would spell by hand, so a raw rate over a literal
# range (even 5m) is told apart from one over Grafana's rate interval.
RATE_INTERVAL_SENTINEL = "7m13s"
DURATION_VARIABLES = {"__rate_interval": RATE_INTERVAL_SENTINEL, "__interval": "1m", "__range": "1h"}
RANGE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
# Grafana unit ids the dashboards may use (grafana-data valueFormats/categories.ts), plus custom units.
KNOWN_UNITS = frozenset({
    "s", "ms", "percentunit", "percent", "reqps", "ops", "cps", "short", "none",
    "currencyUSD", "currencyGBP", "currencyEUR", "currencyJPY", "currencyRUB", "currencyUAH", "currencyBRL",
    "currencyDKK", "currencyISK", "currencyNOK", "currencySEK", "currencyCZK", "currencyCHF", "currencyPLN",
    "currencyINR", "currencyKRW",
})
CUSTOM_UNIT = re.compile(r"^(suffix|prefix|currency|count|si):\S.*$")


def _variant_spec(raw: dict[str, Any]) -> dict[str, Any]:
    """The shipped spec with every name and number the dashboards depend on changed."""
    v = copy.deepcopy(raw)
    v["service"].update(
        name="Payments LLM Service", runbook_base_url="https://wiki.example.org/runbooks/payments#",
        selector={"job": 'pay "llm" \\ gw', "namespace": "prod"}, source_labels=["cluster"], scrape_interval="30s",
    )
    v["label_names"] = {"provider": "llm_provider", "model": "llm_model", "queue_type": "queue",
                        "circuit_name": "circuit"}
    v["pricing"]["currency"] = "CAD"
    v["attribution"]["tenant"] = {"values": ["a", "b"], "fallback": "other"}
    t = v["thresholds"]
    del t["daily_cost_critical_budget"]
    t.update(daily_cost_budget=42.5, error_ratio_max=0.02, queue_depth_max=7, queue_wait_p95_max="90s",
             queue_expiry_rate_max=0.5, bundle_items_mean_min=3, latency={"target": "1s", "objective": 0.995})
    v["circuit_breakers"]["states"]["forced_open"] = 3
    v["custom_metrics"] += [
        {"name": "payments_embed_seconds", "type": "histogram", "help": "Embedding time.", "labels": []},
        {"name": "payments_cache_entries", "type": "gauge", "help": "Entries in the cache.", "labels": ["tier"]},
    ]
    return v


def _nasty_spec(raw: dict[str, Any]) -> dict[str, Any]:
    """The shipped spec with strings Grafana would interpolate or that break naive quoting."""
    v = copy.deepcopy(raw)
    v["service"].update(name="ünïcödé — ✓ ${datasource}", team="{{ $labels.job }}",
                        selector={"job": "${datasource}", "env": '[[job]] "q" \\ $model'})
    return v


@functools.cache
def load_case(case: str) -> Bundle:
    """The bundle of a test case: the shipped spec, a variant renaming everything, or one with nasty strings."""
    shipped = ROOT / "specs" / "llm.yaml"
    if case == "shipped":
        return load_bundle(shipped)
    edit = {"variant": _variant_spec, "nasty": _nasty_spec}[case]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{case}.yaml"
        path.write_text(yaml.safe_dump(edit(yaml.safe_load(shipped.read_text())), allow_unicode=True), encoding="utf-8")
        return load_bundle(path)


@functools.cache
def emitted(case: str) -> dict[str, str]:
    """The dashboards emitter's files for a case."""
    return dashboards_emitter.emit(load_case(case))


def dashboards(case: str) -> list[dict[str, Any]]:
    """Every dashboard JSON of a case, parsed."""
    return [json.loads(text) for path, text in sorted(emitted(case).items()) if path.endswith(".json")]


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """The panels of a dashboard, rows left out."""
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target."""
    return [(p["title"], t["expr"]) for p in panels(dashboard) for t in p["targets"]]


def substitute(expr: str) -> str:
    """Replace Grafana variables: durations by durations, label-value variables by ``x``."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: DURATION_VARIABLES.get(m.group(1) or m.group(2), "x"), expr)


def variable_selector(query: str) -> str:
    """The series selector inside ``label_values(<selector>, label)``."""
    match = re.fullmatch(r"label_values\((.+), (\w+)\)", query)
    assert match, query
    return match.group(1)


@dataclass(frozen=True)
class Use:
    """One vector selector of a query, with the range function and range around it (if any)."""

    selector: pp.VectorSelector
    function: str | None
    range: timedelta | None

    @property
    def matchers(self) -> list[tuple[str, str, str]]:
        """(name, op, value) of the selector's label matchers."""
        ops = ((pp.MatchOp.Equal, "="), (pp.MatchOp.NotEqual, "!="), (pp.MatchOp.Re, "=~"), (pp.MatchOp.NotRe, "!~"))
        return [
            (m.name, next(text for op, text in ops if m.op == op), m.value) for m in self.selector.matchers.matchers
        ]


def _children(node: Any) -> list[Any]:
    """Sub-expressions of a PromQL AST node."""
    if isinstance(node, pp.AggregateExpr):
        return [node.expr] + ([node.param] if isinstance(node.param, pp.Expr) else [])
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return [node.expr]
    return []


def uses(node: Any, function: str | None = None) -> Iterator[Use]:
    """Every vector selector in a parsed expression."""
    if isinstance(node, pp.VectorSelector):
        yield Use(node, None, None)
    elif isinstance(node, pp.MatrixSelector):
        yield Use(node.vector_selector, function, node.range)
    elif isinstance(node, pp.Call):
        for arg in node.args:
            yield from uses(arg, node.func.name)
    else:
        for child in _children(node):
            yield from uses(child)


def parse_uses(expr: str) -> list[Use]:
    """Parse a dashboard query (variables substituted) and list its selectors."""
    return list(uses(pp.parse(substitute(expr))))


def series_labels(bundle: Bundle, name: str) -> frozenset[str]:
    """Labels a queried series carries: a record keeps its rule's ``by``; a sample its metric's labels."""
    for rule in recording_rules(bundle):
        if rule.record == name:
            return frozenset(rule.by)
    for metric in bundle.all_metrics:
        if name in metric.sample_names:
            targets = (*(k for k, _ in bundle.service.selector), *bundle.service.source_labels)
            le = ("le",) if name.endswith("_bucket") else ()
            return frozenset((*targets, *metric.labels, *le))
    raise AssertionError(f"{name} is neither exposed by the module nor recorded")


def filter_variables(bundle: Bundle) -> tuple[str, ...]:
    """The label-filter variables the dashboards must have, in order."""
    return (*(k for k, _ in bundle.service.selector), bundle.label("provider"), bundle.label("model"))


# ---------------------------------------------------------------------------------------------- lints


@pytest.mark.parametrize("case", CASES)
def test_variables_datasource_first_then_filters(case: str) -> None:
    bundle = load_case(case)
    for dashboard in dashboards(case):
        variables = dashboard["templating"]["list"]
        assert [(v["name"], v["type"]) for v in variables] == [("datasource", "datasource")] + [
            (name, "query") for name in filter_variables(bundle)
        ]
        assert variables[0]["query"] == "prometheus"
        for variable in variables[1:]:
            assert variable["datasource"] == DATASOURCE
            assert (variable["multi"], variable["includeAll"]) == (True, True)
            assert variable["current"] == {"selected": True, "text": ["All"], "value": ["$__all"]}


@pytest.mark.parametrize("case", CASES)
def test_all_of_provider_and_model_is_any_value_but_selector_labels_stay_listed(case: str) -> None:
    bundle = load_case(case)
    selector = {k for k, _ in bundle.service.selector}
    for dashboard in dashboards(case):
        all_values = {v["name"]: v.get("allValue") for v in dashboard["templating"]["list"][1:]}
        assert all_values == {name: None if name in selector else ".*" for name in filter_variables(bundle)}


@pytest.mark.parametrize("case", CASES)
def test_every_panel_and_target_uses_the_datasource_variable(case: str) -> None:
    for dashboard in dashboards(case):
        for panel in panels(dashboard):
            assert panel["datasource"] == DATASOURCE, panel["title"]
            assert [t["datasource"] for t in panel["targets"]] == [DATASOURCE] * len(panel["targets"])


@pytest.mark.parametrize("case", CASES)
def test_every_panel_has_title_description_known_unit_and_targets(case: str) -> None:
    for dashboard in dashboards(case):
        titles = [p["title"] for p in panels(dashboard)]
        assert len(titles) == len(set(titles)), "panel titles must be unique"
        for panel in panels(dashboard):
            assert panel["title"].strip() and panel["description"].strip(), panel
            units = [panel["fieldConfig"]["defaults"]["unit"]]
            if panel["type"] == "heatmap":
                units.append(panel["options"]["yAxis"]["unit"])
            for unit in units:
                assert unit in KNOWN_UNITS or CUSTOM_UNIT.match(unit), (panel["title"], unit)
            assert panel["targets"], panel["title"]
            assert [t["refId"] for t in panel["targets"]] == [chr(ord("A") + i) for i in range(len(panel["targets"]))]


@pytest.mark.parametrize("case", CASES)
def test_every_target_and_variable_query_parses_as_promql(case: str) -> None:
    for dashboard in dashboards(case):
        for title, expr in exprs(dashboard):
            try:
                pp.parse(substitute(expr))
            except Exception as exc:  # the parser raises its own error types
                pytest.fail(f"{title}: {expr!r} does not parse: {exc}")
        for variable in dashboard["templating"]["list"][1:]:
            pp.parse(substitute(variable_selector(variable["query"])))


@pytest.mark.parametrize("case", CASES)
def test_raw_range_functions_use_rate_interval(case: str) -> None:
    sentinel = timedelta(minutes=7, seconds=13)
    seen = 0
    for dashboard in dashboards(case):
        for title, expr in exprs(dashboard):
            assert "irate(" not in expr and "increase(" not in expr, title
            for use in parse_uses(expr):
                if use.range is not None:
                    assert use.function in RANGE_FUNCTIONS and use.range == sentinel, (title, expr)
                    seen += 1
    assert seen > 0, "the lint must have looked at raw rates"


@pytest.mark.parametrize("case", CASES)
def test_no_counter_or_histogram_series_drawn_without_a_rate(case: str) -> None:
    bundle = load_case(case)
    cumulative = {m.name for m in bundle.all_metrics if m.kind == "counter"} | {
        m.name + s for m in bundle.all_metrics if m.kind == "histogram" for s in ("_bucket", "_count", "_sum")
    }
    for dashboard in dashboards(case):
        for title, expr in exprs(dashboard):
            for use in parse_uses(expr):
                name = use.selector.name or ""
                if name.endswith("_total") or name in cumulative:
                    assert use.function in RANGE_FUNCTIONS, (title, expr)


@pytest.mark.parametrize("case", CASES)
def test_every_selector_filters_by_each_variable_its_series_carries_and_no_other(case: str) -> None:
    bundle = load_case(case)
    variables = set(filter_variables(bundle))
    for dashboard in dashboards(case):
        for title, expr in exprs(dashboard):
            for use in parse_uses(expr):
                labels = series_labels(bundle, use.selector.name or "")
                by_variable = {(name, value) for name, op, value in use.matchers if op == "=~" and value == "x"}
                assert by_variable == {(name, "x") for name in variables & labels}, (title, expr)
                assert {name for name, _, _ in use.matchers} <= labels, (title, expr)


@pytest.mark.parametrize("case", CASES)
def test_panels_tile_the_grid_without_overlap(case: str) -> None:
    for dashboard in dashboards(case):
        cells: set[tuple[int, int]] = set()
        ids = [p["id"] for p in dashboard["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        for panel in dashboard["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, panel
            mine = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
            assert not cells & mine, f"{panel.get('title')} overlaps another panel"
            cells |= mine


@pytest.mark.parametrize("case", CASES)
def test_rows_are_the_areas_of_the_issue_in_order(case: str) -> None:
    for dashboard in dashboards(case):
        rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
        assert rows == [
            "Traffic and latency", "Tokens and cost", "Concurrency", "Queues", "Bundling", "Circuit breakers",
            "Instrumentation and service metrics",
        ]
