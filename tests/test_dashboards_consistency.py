"""Dashboards draw only what the bundle produces, every metric it produces, and the spec's own numbers."""

from __future__ import annotations

import re
from typing import Any

import promql_parser as pp
import pytest

from generator.alerting import BURN_RATES, alerts
from generator.model import Bundle
from generator.recording import recording_rules, rule
from generator.units import format_number
from tests.test_dashboards_lint import CASES, dashboards, load_case, panels, parse_uses, uses, variable_selector

STATE_COLOURS = {"closed": "green", "half_open": "yellow", "open": "red"}


def exposed(bundle: Bundle) -> set[str]:
    """Every sample name the generated module exposes."""
    return {name for metric in bundle.all_metrics for name in metric.sample_names}


def records(bundle: Bundle) -> dict[str, str]:
    """Recorded series name -> the rule's expression."""
    return {r.record: r.expr for r in recording_rules(bundle)}


def read_by(panel: dict[str, Any]) -> frozenset[str]:
    """Names of every series a panel's queries select."""
    return frozenset(use.selector.name or "" for t in panel["targets"] for use in parse_uses(t["expr"]))


def record(bundle: Bundle, *rule_ids: str) -> frozenset[str]:
    """Recorded names of catalogue rules."""
    return frozenset(rule(bundle, i).record for i in rule_ids)


def steps(base: str, *values: tuple[str, float]) -> list[dict[str, Any]]:
    """Threshold steps as the JSON has them."""
    return [{"color": base, "value": None}] + [{"color": c, "value": v} for c, v in values]


@pytest.mark.parametrize("case", CASES)
def test_every_queried_series_is_exposed_by_the_module_or_recorded(case: str) -> None:
    bundle = load_case(case)
    known = exposed(bundle) | set(records(bundle))
    for dashboard in dashboards(case):
        for panel in panels(dashboard):
            assert read_by(panel) <= known, (panel["title"], read_by(panel) - known)
        for variable in dashboard["templating"]["list"][1:]:
            assert {u.selector.name for u in parse_uses(variable_selector(variable["query"]))} <= known


@pytest.mark.parametrize("case", CASES)
def test_every_metric_of_the_bundle_is_drawn_directly_or_through_a_rule(case: str) -> None:
    bundle = load_case(case)
    recorded = records(bundle)
    read: set[str] = set()
    for dashboard in dashboards(case):
        for panel in panels(dashboard):
            for name in read_by(panel):
                read |= {u.selector.name or "" for u in uses(pp.parse(recorded[name]))} if name in recorded else {name}
    drawn = {m.name for m in bundle.all_metrics if read & set(m.sample_names)}
    assert drawn == {m.name for m in bundle.all_metrics}


@pytest.mark.parametrize("case", CASES)
def test_raw_samples_are_read_only_where_no_recording_rule_fits(case: str) -> None:
    bundle = load_case(case)
    raw = {name for d in dashboards(case) for p in panels(d) for name in read_by(p)} & exposed(bundle)
    m = bundle.metric
    assert raw == {
        m("requests").name,  # failed calls by outcome and error type
        m("response_duration").name + "_bucket",  # latency heatmap
        m("time_to_first_token").name + "_bucket",
        m("cost").name,  # spend by attribution label
        m("bundle_items").name + "_bucket",  # items-per-call heatmap
        m("circuit_breaker").name,  # state timeline, per instance
        m("invalid_values").name,
        *(c.name + ("_bucket" if c.kind == "histogram" else "") for c in bundle.custom_metrics),
    }


def _expected_thresholds(bundle: Bundle) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Panel (by the ids of the rules it reads) -> threshold steps, from the spec's values."""
    t = bundle.thresholds
    critical = t.daily_cost_critical_budget
    budget = (
        steps("green", ("red", t.daily_cost_budget)) if critical is None
        else steps("green", ("orange", t.daily_cost_budget), ("red", critical))
    )
    return {
        ("cost_daily_projection:provider_model",): budget,
        ("error_ratio",): steps("green", ("red", t.error_ratio_max)),
        ("latency_p50", "latency_p95", "latency_p99"): steps("green", ("red", t.latency_target)),
        ("latency_under_target",): steps("red", ("green", t.latency_objective)),
        ("queue_depth",): steps("green", ("red", t.queue_depth_max)),
        ("queue_wait_p95",): steps("green", ("red", t.queue_wait_p95_max)),
        ("queue_expiry_rate",): steps("green", ("red", t.queue_expiry_rate_max)),
        ("bundle_items_mean",): steps("red", ("green", t.bundle_items_mean_min)),
    }


@pytest.mark.parametrize("case", CASES)
def test_every_threshold_drawn_is_the_spec_value(case: str) -> None:
    bundle = load_case(case)
    expected = {record(bundle, *ids): drawn for ids, drawn in _expected_thresholds(bundle).items()}
    found = {}
    for dashboard in dashboards(case):
        for panel in panels(dashboard):
            drawn = panel["fieldConfig"]["defaults"]["thresholds"]
            assert drawn["mode"] == "absolute"
            if len(drawn["steps"]) > 1:
                found[read_by(panel)] = drawn["steps"]
            else:
                assert drawn["steps"] == steps("green"), panel["title"]
            if panel["type"] == "timeseries":
                custom = panel["fieldConfig"]["defaults"]["custom"]
                values = [s["value"] for s in drawn["steps"][1:]]
                assert custom["thresholdsStyle"]["mode"] == ("dashed" if values else "off"), panel["title"]
                # The y axis always reaches the spec's lines.
                soft = (custom.get("axisSoftMin"), custom.get("axisSoftMax"))
                assert soft == ((min(values), max(values)) if values else (None, None)), panel["title"]
    assert found == expected


def test_the_variant_changes_every_threshold_so_none_can_be_hard_coded() -> None:
    shipped, variant = (_expected_thresholds(load_case(c)) for c in ("shipped", "variant"))
    assert shipped.keys() == variant.keys()
    for ids, drawn in shipped.items():
        assert drawn != variant[ids], ids


@pytest.mark.parametrize("case", CASES)
def test_burn_rate_divides_by_the_spec_error_budget(case: str) -> None:
    bundle = load_case(case)
    over = [r for r in recording_rules(bundle) if r.id.startswith("latency_over_target:")]
    [panel] = [p for d in dashboards(case) for p in panels(d) if p["title"] == "Latency error-budget burn rate"]
    objective = format_number(bundle.thresholds.latency_objective)
    filters = ", ".join(f'{k}=~"${k}"' for k, _ in bundle.service.selector)
    assert [t["expr"] for t in panel["targets"]] == [f"{r.record}{{{filters}}} / (1 - {objective})" for r in over]


def _expected_alerts(bundle: Bundle) -> dict[frozenset[str], list[str]]:
    """Panel (by the series it reads) -> the alerts whose runbooks it links to."""
    over = [r.id for r in recording_rules(bundle) if r.id.startswith("latency_over_target:")]
    burn = [b.name for b in BURN_RATES]
    return {
        record(bundle, "cost_daily_projection:provider_model"): ["LLMDailyCostProjectionOverBudget"],
        record(bundle, "error_ratio"): ["LLMErrorRatioHigh"],
        record(bundle, "latency_under_target"): burn,
        record(bundle, *over): burn,
        record(bundle, "unpriced_tokens_rate"): ["LLMUnpricedTokens"],
        record(bundle, "queue_depth"): ["LLMQueueBacklogHigh"],
        record(bundle, "queue_wait_p95"): ["LLMQueueWaitP95High"],
        record(bundle, "queue_expiry_rate"): ["LLMQueueItemsExpiring"],
        record(bundle, "bundle_items_mean"): ["LLMBundlesUnderfilled"],
        frozenset({bundle.metric("circuit_breaker").name}): ["LLMCircuitBreakerOpen"],
        record(bundle, "breaker_open"): ["LLMCircuitBreakerOpen"],
    }


@pytest.mark.parametrize("case", CASES)
def test_alert_panels_link_to_their_runbook_from_the_alert_catalogue(case: str) -> None:
    bundle = load_case(case)
    runbooks = {a.name: dict(a.annotations)["runbook_url"] for a in alerts(bundle)}
    found = {}
    for dashboard in dashboards(case):
        assert [(link["title"], link["url"]) for link in dashboard["links"]] == [
            ("Runbooks", bundle.service.runbook_base_url)
        ]
        for panel in panels(dashboard):
            names = [link["title"].removeprefix("Runbook: ") for link in panel["links"]]
            assert [(link["type"], link["url"], link["targetBlank"]) for link in panel["links"]] == [
                ("link", runbooks[name], True) for name in names
            ]
            if names:
                found[read_by(panel)] = names
    assert found == _expected_alerts(bundle)
    # Every alert about something a panel draws has a panel linking to it; the absent-metrics alert has none.
    linked = {name for names in found.values() for name in names}
    assert linked == {a.name for a in alerts(bundle)} - {"LLMMetricsAbsent"}


@pytest.mark.parametrize("case", CASES)
def test_breaker_states_are_value_mappings_from_the_spec(case: str) -> None:
    bundle = load_case(case)
    [panel] = [p for d in dashboards(case) for p in panels(d) if p["type"] == "state-timeline"]
    assert panel["fieldConfig"]["defaults"]["mappings"] == [{
        "type": "value",
        "options": {
            str(value): {"text": name, "color": STATE_COLOURS.get(name, "blue"), "index": i}
            for i, (name, value) in enumerate(bundle.breaker_states)
        },
    }]
    [target] = panel["targets"]
    assert [u.selector.name for u in parse_uses(target["expr"])] == [bundle.metric("circuit_breaker").name]


def test_breaker_colours_are_closed_green_half_open_yellow_open_red() -> None:
    [panel] = [p for d in dashboards("shipped") for p in panels(d) if p["type"] == "state-timeline"]
    assert {o["text"]: (value, o["color"]) for value, o in panel["fieldConfig"]["defaults"]["mappings"][0][
        "options"].items()} == {"closed": ("0", "green"), "open": ("1", "red"), "half_open": ("2", "yellow")}


@pytest.mark.parametrize(("case", "unit"), [("shipped", "currencyUSD"), ("variant", "currency:CAD")])
def test_cost_panels_use_the_spec_currency(case: str, unit: str) -> None:
    bundle = load_case(case)
    cost = {bundle.metric("cost").name} | {r.record for r in recording_rules(bundle) if r.group == "cost"}
    cost -= {r.record for r in recording_rules(bundle) if r.id in ("tokens_rate", "unpriced_tokens_rate")}
    units = {
        p["title"]: p["fieldConfig"]["defaults"]["unit"]
        for d in dashboards(case) for p in panels(d) if read_by(p) & cost
    }
    assert len(units) == 3 + len(bundle.attribution)  # projection, spend per hour, table, one per attribution
    assert set(units.values()) == {unit}


@pytest.mark.parametrize("case", CASES)
def test_spec_label_values_are_escaped_and_safe_from_grafana_interpolation(case: str) -> None:
    bundle = load_case(case)
    [dashboard] = dashboards(case)
    for variable in dashboard["templating"]["list"][1:]:
        query = variable["query"]
        assert re.fullmatch(r"label_values\(.+, " + re.escape(variable["name"]) + r"\)", query)
        [use] = parse_uses(variable_selector(query))
        spec = [(n, op, v) for n, op, v in use.matchers if (op, v) != ("=~", "x")]
        assert [n for n, _, _ in spec] == [k for k, _ in bundle.service.selector]
        for (name, op, value), (_, wanted) in zip(spec, bundle.service.selector, strict=True):
            assert value == wanted if op == "=" else (op == "=~" and re.fullmatch(value, wanted)), (name, value)
        # Grafana interpolates $name, ${name} and [[name]]: only the dashboard's own variables may appear.
        own = {f"${v['name']}" for v in dashboard["templating"]["list"]}
        assert set(re.findall(r"\$\{?\w+\}?|\[\[\w+", query)) <= own, query
