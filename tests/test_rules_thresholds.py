"""Changing a threshold in a copy of the spec changes the alert and its generated promtool test together, and
both still pass promtool. All variants are checked in one ``check rules`` and one ``test rules`` run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from generator.model import Bundle
from generator.promtool import Failure, Promtool, PromtoolFailed, find_promtool
from generator.rulefiles import rules_path, unit_tests_path

from .rules_support import load, prometheus_files, spec_variant, write

# variant -> (spec changes, areas whose promtool tests it runs)
VARIANTS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "cost": ({"thresholds.daily_cost_budget": 750, "thresholds.daily_cost_critical_budget": None}, ("cost",)),
    "errors": ({"thresholds.error_ratio_max": 0.2}, ("traffic",)),
    "queues": (
        {
            "thresholds.queue_depth_max": 40,
            "thresholds.queue_wait_p95_max": "2m",
            "thresholds.queue_expiry_rate_max": 0.5,
            "thresholds.bundle_items_mean_min": 3.5,
        },
        ("queues",),
    ),
    "latency": ({"thresholds.latency": {"target": "1s", "objective": 0.999}}, ("latency-slo",)),
    "hostile": (
        {
            "service.team": "ml{{platform}}",
            "service.name": "llm gateway: {{x}}",
            "service.runbook_base_url": "https://runbooks.example.com/{{x}}",
            "service.selector": {"job": 'llm"gate\\way'},
            "pricing.currency": "U{{ $value }}SD",
        },
        ("cost", "availability"),
    ),
    "timing": (
        {"service.scrape_interval": "45s", "thresholds.circuit_breaker_open_for": "90s"},
        ("latency-slo", "circuit-breakers", "availability"),
    ),
}


@dataclass(frozen=True)
class Variant:
    bundle: Bundle
    files: dict[str, str]
    failures: tuple[Failure, ...]  # promtool's, for this variant's files


def _promtool(tool: Promtool, rule_files: list[Path], test_files: list[Path]) -> tuple[Failure, ...]:
    """Every failure of ``check rules --lint-fatal`` and ``test rules`` on the files."""
    failures: list[Failure] = []
    for run, paths in ((tool.check_rules, rule_files), (tool.test_rules, test_files)):
        try:
            run(paths)
        except PromtoolFailed as failed:
            failures += failed.failures
    return tuple(failures)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Variant]:
    """Every variant rendered, written and run through promtool (in the background while the next renders)."""
    tool = find_promtool()
    root = tmp_path_factory.mktemp("variants")
    made, runs = {}, {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for name, (changes, areas) in VARIANTS.items():
            bundle = spec_variant(root, name, changes)
            files = prometheus_files(bundle)
            out = write(files, root / name).parent
            rule_files = [out / path for path in files if path.startswith("prometheus/rules/")]
            runs[name] = pool.submit(_promtool, tool, rule_files, [out / unit_tests_path(a) for a in areas])
            made[name] = (bundle, files)
        return {name: Variant(bundle, files, runs[name].result()) for name, (bundle, files) in made.items()}


@pytest.fixture(scope="module")
def shipped_files(bundle: Bundle) -> dict[str, str]:
    return prometheus_files(bundle)


def _alert(files: dict[str, str], area: str, name: str, severity: str) -> dict[str, Any]:
    groups = load(files[rules_path(area)])["groups"]
    return next(r for g in groups for r in g["rules"] if r.get("alert") == name and r["labels"]["severity"] == severity)


def _tests(files: dict[str, str], area: str) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in load(files[unit_tests_path(area)])["tests"]}


def _description(test: dict[str, Any]) -> list[str]:
    return [a["exp_annotations"]["description"] for c in test["alert_rule_test"] for a in c["exp_alerts"]]


def _slope(values: str, interval: Fraction) -> Fraction:
    """The per-second growth of a counter written as ``0 a+bxN``."""
    step = values.split()[1].split("+")[1].split("x")[0]
    return Fraction(step) / interval


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_passes_promtool(variants: dict[str, Variant], name: str) -> None:
    assert variants[name].failures == ()


def test_daily_budget_drives_alert_and_test(variants: dict[str, Variant], shipped_files: dict[str, str]) -> None:
    files = variants["cost"].files
    watched = 'job:llm_provider_cost_dollars:projected_daily_rate1h{job="llm-gateway"}'
    assert _alert(shipped_files, "cost", "LLMDailyCostProjectionOverBudget", "warning")["expr"] == f"{watched} > 500"
    assert _alert(files, "cost", "LLMDailyCostProjectionOverBudget", "warning")["expr"] == f"{watched} > 750"
    tests = _tests(files, "cost")
    fires = tests["LLMDailyCostProjectionOverBudget (warning), breaches: 937.5 against > 750"]
    assert _description(fires) == [
        "At the last 1h's rate, LLM calls would cost 937.5 USD a day, over the 750 USD daily budget."
    ]
    # The inputs spend 937.5 a day: a quarter on instance a, three quarters on b.
    spend = sum(_slope(s["values"], Fraction(15)) for s in fires["input_series"]) * 86400
    assert abs(spend - Fraction("937.5")) < Fraction(1, 10**9)
    quiet = tests["LLMDailyCostProjectionOverBudget (warning), safe side: 742.5 against > 750"]
    assert quiet["alert_rule_test"][0]["exp_alerts"] == []
    assert "LLMDailyCostProjectionOverBudget (warning), breaches: 625 against > 500" in _tests(shipped_files, "cost")


def test_critical_budget_is_optional(variants: dict[str, Variant]) -> None:
    files = variants["cost"].files
    severities = [r["labels"]["severity"] for g in load(files[rules_path("cost")])["groups"] for r in g["rules"]
                  if r.get("alert") == "LLMDailyCostProjectionOverBudget"]
    assert severities == ["warning"]
    names = [n for n in _tests(files, "cost") if n.startswith("LLMDailyCostProjectionOverBudget")]
    assert names == [
        "LLMDailyCostProjectionOverBudget (warning), breaches: 937.5 against > 750",
        "LLMDailyCostProjectionOverBudget (warning), safe side: 742.5 against > 750",
    ]


def test_shipped_critical_budget_fires_both_severities(shipped_files: dict[str, str]) -> None:
    tests = _tests(shipped_files, "cost")
    both = tests["LLMDailyCostProjectionOverBudget (critical), breaches: 1250 against > 1000"]
    assert [a["exp_labels"]["severity"] for a in both["alert_rule_test"][-1]["exp_alerts"]] == ["warning", "critical"]
    warning_only = tests["LLMDailyCostProjectionOverBudget (critical), safe side: 990 against > 1000"]
    assert [a["exp_labels"]["severity"] for a in warning_only["alert_rule_test"][0]["exp_alerts"]] == ["warning"]


def test_error_ratio_limit_drives_alert_and_test(variants: dict[str, Variant]) -> None:
    files = variants["errors"].files
    expr = _alert(files, "traffic", "LLMErrorRatioHigh", "warning")["expr"]
    assert expr == 'job_provider_model:llm_provider_requests:error_ratio_rate5m{job="llm-gateway"} > 0.2'
    tests = _tests(files, "traffic")
    fires = tests["LLMErrorRatioHigh (warning), breaches: 0.25 against > 0.2"]
    assert _description(fires) == ["25% of LLM calls to openai/gpt-4o failed over the last 5m, over the 20% limit."]
    assert fires["alert_rule_test"][-1]["exp_alerts"][0]["exp_labels"] == {
        "job": "llm-gateway", "provider": "openai", "model": "gpt-4o", "severity": "warning", "team": "ml-platform"}
    quiet = tests["LLMErrorRatioHigh (warning), safe side: 0.198 against > 0.2"]
    assert quiet["alert_rule_test"][0]["exp_alerts"] == []


def test_queue_thresholds_drive_alerts_and_tests(variants: dict[str, Variant]) -> None:
    files = variants["queues"].files
    exprs = {n: _alert(files, "queues", n, s)["expr"].rsplit(" ", 2)[1:] for n, s in (
        ("LLMQueueBacklogHigh", "warning"), ("LLMQueueWaitP95High", "warning"),
        ("LLMQueueItemsExpiring", "warning"), ("LLMBundlesUnderfilled", "info"))}
    assert exprs == {"LLMQueueBacklogHigh": [">", "40"], "LLMQueueWaitP95High": [">", "120"],
                     "LLMQueueItemsExpiring": [">", "0.5"], "LLMBundlesUnderfilled": ["<", "3.5"]}
    tests = _tests(files, "queues")
    assert _description(tests["LLMQueueWaitP95High (warning), breaches: 150.5 against > 120"]) == [
        "Items in the comparison queue waited 2m 30s at p95 over the last 5m, over the 2m limit."]
    assert _description(tests["LLMQueueBacklogHigh (warning), breaches: 50 against > 40"]) == [
        "50 items are waiting in the comparison queue, over the limit of 40."]
    assert _description(tests["LLMQueueItemsExpiring (warning), breaches: 0.625 against > 0.5"]) == [
        "0.625 items per second expired from the comparison queue over the last 5m, over the limit of 0.5 per second."]
    assert _description(tests["LLMBundlesUnderfilled (info), breaches: 2.625 against < 3.5"]) == [
        "Bundled LLM calls carried 2.625 items on average over the last 5m, under the minimum of 3.5."]
    for quiet in ("LLMQueueBacklogHigh (warning), safe side: 40 against > 40",
                  "LLMQueueWaitP95High (warning), safe side: 118.8 against > 120",
                  "LLMQueueItemsExpiring (warning), safe side: 0.495 against > 0.5",
                  "LLMBundlesUnderfilled (info), safe side: 3.535 against < 3.5"):
        assert tests[quiet]["alert_rule_test"][0]["exp_alerts"] == []


def test_breaker_open_for_drives_for_and_timing(variants: dict[str, Variant], shipped_files: dict[str, str]) -> None:
    # 45s scrapes: the first open sample is at 10m30s, recorded at 11m; 90s later rounds up to two evaluations.
    cases = ((shipped_files, "5m", "14m", "15m"), (variants["timing"].files, "1m30s", "12m", "13m"))
    for files, held, pending, fires in cases:
        assert _alert(files, "circuit-breakers", "LLMCircuitBreakerOpen", "critical")["for"] == held
        test = next(t for n, t in _tests(files, "circuit-breakers").items() if "open on one instance" in n)
        checks = test["alert_rule_test"]
        assert [(c["eval_time"], len(c["exp_alerts"])) for c in checks] == [(pending, 0), (fires, 1)]


def test_latency_target_and_objective_drive_burn_alerts(variants: dict[str, Variant]) -> None:
    files = variants["latency"].files
    fast = _alert(files, "latency-slo", "LLMLatencyBudgetFastBurn", "critical")
    assert fast["expr"] == (
        'job:llm_provider_response_time_fine_seconds:over_target_ratio_rate1h{job="llm-gateway"} > 0.0144 and '
        'job:llm_provider_response_time_fine_seconds:over_target_ratio_rate5m{job="llm-gateway"} > 0.0144'
    )
    assert fast["annotations"]["description"] == (
        "{{ $value | humanizePercentage }} of LLM calls took longer than 1s over the last 1h (and over 5m), "
        "over 14.4x the 0.1% error budget of the 99.9% objective."
    )
    assert 'le=~"1|1\\\\.0"' in files[rules_path("latency-slo")]
    tests = _tests(files, "latency-slo")
    spellings = {}
    for name in ("latency-slo recording rules: fine histogram, le as prometheus_client writes it",
                 "latency-slo recording rules: fine histogram, le as Prometheus 3 stores it"):
        spellings[name] = {s["series"].split('le="')[1].rstrip('"}') for s in tests[name]["input_series"]
                           if "_bucket" in s["series"] and ('le="1"' in s["series"] or 'le="1.0"' in s["series"])}
    assert list(spellings.values()) == [{"1.0"}, {"1"}]


def test_scrape_interval_drives_ranges_and_test_interval(variants: dict[str, Variant]) -> None:
    files = variants["timing"].files
    intervals = {t["interval"] for path in files if path.startswith("prometheus/tests/")
                 for t in load(files[path])["tests"]}
    assert intervals == {"45s"}
    assert "[3m]" not in files[rules_path("traffic")] and "[5m]" in files[rules_path("traffic")]


def test_spec_text_cannot_inject_templates_or_break_quoting(variants: dict[str, Variant]) -> None:
    files = variants["hostile"].files
    warning = _alert(files, "cost", "LLMDailyCostProjectionOverBudget", "warning")
    assert warning["labels"]["team"] == 'ml{{ "{{" }}platform}}'
    url = warning["annotations"]["runbook_url"]
    assert url == 'https://runbooks.example.com/{{ "{{" }}x}}/LLMDailyCostProjectionOverBudget'
    assert warning["expr"] == 'job:llm_provider_cost_dollars:projected_daily_rate1h{job="llm\\"gate\\\\way"} > 500'
    fires = _tests(files, "cost")["LLMDailyCostProjectionOverBudget (warning), breaches: 625 against > 500"]
    (alert,) = fires["alert_rule_test"][-1]["exp_alerts"]
    assert alert["exp_labels"] == {"job": 'llm"gate\\way', "severity": "warning", "team": "ml{{platform}}"}
    assert alert["exp_annotations"]["description"] == (
        "At the last 1h's rate, LLM calls would cost 625 U{{ $value }}SD a day, "
        "over the 500 U{{ $value }}SD daily budget."
    )
    assert alert["exp_annotations"]["runbook_url"] == "https://runbooks.example.com/{{x}}/LLMDailyCostProjectionOverBudget"
    groups = [g["name"] for g in load(files[rules_path("cost")])["groups"]]
    assert groups == ["llm gateway: {{x}}.cost.recording", "llm gateway: {{x}}.cost.alerts"]
