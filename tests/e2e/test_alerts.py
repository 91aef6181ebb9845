"""Alerts fire when the workload causes their condition, resolve when it ends, and the others stay quiet."""

from __future__ import annotations

import pytest

from tests.e2e.prometheus_api import Series
from tests.e2e.scenario import (
    BACKLOG_ALERTS,
    BREAKER_ALERT,
    BUDGET_ALERT,
    OPENED_CIRCUIT,
    STEADY_ALERTS,
    TRIGGERED_ALERTS,
    ScenarioRun,
)
from tests.e2e.stack import Stack

pytestmark = pytest.mark.e2e

LAG = 3.0  # a scrape (1 s) and an evaluation (1 s) after a change, with a margin


def history(stack: Stack, name: str, state: str | None = None) -> list[Series]:
    """Every raw ALERTS sample of one alert over the run (pending and firing, or one state)."""
    matchers = f'alertname="{name}"' + (f', alertstate="{state}"' if state else "")
    return stack.api.query_series(f"ALERTS{{{matchers}}}[10m]")


def first(series: list[Series]) -> float:
    """The earliest sample time of any of the series."""
    return min(s.points[0][0] for s in series)


def last(series: list[Series]) -> float:
    """The latest sample time of any of the series."""
    return max(s.points[-1][0] for s in series)


def active_now(stack: Stack, name: str) -> list[str]:
    """States of the alert's active instances now."""
    return [a.state for a in stack.api.alerts() if a.name == name]


def test_every_alert_the_scenario_triggers_exists(stack: Stack) -> None:
    assert stack.prepared.alert_names >= TRIGGERED_ALERTS


def test_breaker_alert_waits_for_the_spec_duration(stack: Stack) -> None:
    durations = {r.duration for g in stack.api.rule_groups() for r in g.rules if r.name == BREAKER_ALERT}
    assert durations == {stack.prepared.bundle.thresholds.circuit_breaker_open_for} == {2.0}


def test_breaker_alert_fires_while_open_and_resolves_after_close(stack: Stack, run: ScenarioRun) -> None:
    opened, closed = run.marks["breaker open"], run.marks["breaker closed"]
    fired = history(stack, BREAKER_ALERT, "firing")
    assert fired, "never fired"
    assert {s.labels[stack.prepared.bundle.label("circuit_name")] for s in fired} == {OPENED_CIRCUIT}
    assert opened + 2.0 <= first(fired) <= closed
    assert last(fired) <= closed + LAG
    assert first(history(stack, BREAKER_ALERT)) >= opened  # not even pending before the breaker opened
    assert active_now(stack, BREAKER_ALERT) == []


def test_budget_alert_fires_when_spending_fast_and_not_before(stack: Stack, run: ScenarioRun) -> None:
    fired = history(stack, BUDGET_ALERT, "firing")
    assert {s.labels["severity"] for s in fired} == {"warning", "critical"}
    assert first(history(stack, BUDGET_ALERT)) >= run.marks["spend"]
    assert sorted(active_now(stack, BUDGET_ALERT)) == ["firing", "firing"]


def test_queue_alerts_fire_during_the_backlog(stack: Stack, run: ScenarioRun) -> None:
    for name in BACKLOG_ALERTS:
        fired = history(stack, name, "firing")
        assert fired, f"{name} never fired"
        assert first(history(stack, name)) >= run.marks["backlog"], name
        assert first(fired) <= run.marks["drain"] + LAG, name


def test_queue_backlog_alert_resolves_once_drained(stack: Stack, run: ScenarioRun) -> None:
    assert last(history(stack, "LLMQueueBacklogHigh")) <= run.marks["breaker open"]
    assert active_now(stack, "LLMQueueBacklogHigh") == []


def test_unpriced_tokens_alert_names_the_provider_of_the_unknown_model(stack: Stack, run: ScenarioRun) -> None:
    for name in STEADY_ALERTS:
        fired = history(stack, name, "firing")
        providers = {s.labels[stack.prepared.bundle.label("provider")] for s in fired}
        assert providers == {"openai"}, name
        assert first(fired) <= run.marks["backlog"], name


def test_every_other_alert_stays_quiet(stack: Stack, run: ScenarioRun) -> None:
    quiet = sorted(stack.prepared.alert_names - TRIGGERED_ALERTS)
    assert "LLMErrorRatioHigh" in quiet and "LLMLatencyBudgetFastBurn" in quiet
    noisy = {}
    for name in quiet:
        # LLMMetricsAbsent is pending until the first scrape, before the traffic starts.
        after_start = [t for s in history(stack, name) for t, _ in s.points if t > run.marks["steady"] + 1.0]
        if after_start:
            noisy[name] = len(after_start)
    assert noisy == {}
