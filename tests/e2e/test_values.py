"""What Prometheus scraped and recorded agrees with what the workload did, computed from first principles.

Two facts make exact comparisons possible. The workload serves /metrics under its own lock, so every
scrape sees whole calls (a call's tokens and its cost together). And every series is created at zero
before the first scrape, so over a run shorter than every window a rate is ``increase x c`` with one
factor ``c`` shared by all series of an evaluation: ratios and quantiles of rates equal those of the
raw counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import pytest

from generator.model import Bundle
from generator.promql import range_seconds
from generator.recording import PROJECTION, SECONDS_PER_DAY, SHORT, rule
from tests.e2e import expected
from tests.e2e.prometheus_api import Series
from tests.e2e.scenario import OPENED_CIRCUIT, ScenarioRun
from tests.e2e.stack import Stack
from tests.e2e.traffic import HELD

pytestmark = pytest.mark.e2e

REL = 1e-9
Key = tuple[str, ...]


def close(a: float, b: float) -> bool:
    """Equal but for float rounding."""
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


def raw(stack: Stack, metric: str, labels: Sequence[str]) -> dict[Key, float]:
    """Latest non-zero values of a scraped series, keyed by the given labels."""
    samples = stack.api.query(f"{metric}{{{stack.job_selector}}}")
    return {tuple(s.labels.get(n, "") for n in labels): s.value for s in samples if s.value != 0}


def recorded(stack: Stack, record: str, labels: Sequence[str]) -> dict[Key, dict[float, float]]:
    """Every sample of a recorded series over the run: labels -> {evaluation timestamp: value}."""
    series: list[Series] = stack.api.query_series(f"{record}{{{stack.job_selector}}}[10m]")
    return {tuple(s.labels.get(n, "") for n in labels): dict(s.points) for s in series}


def latest(stack: Stack, record: str, labels: Sequence[str]) -> dict[Key, float]:
    """The current value of a recorded series, keyed by the given labels."""
    return {tuple(s.labels.get(n, "") for n in labels): s.value for s in stack.api.query(record)}


def names(bundle: Bundle, *semantic: str) -> tuple[str, ...]:
    """Final label names; ``feature`` (the attribution label) passes through."""
    return tuple(s if s == "feature" else bundle.label(s) for s in semantic)


def test_the_run_is_shorter_than_every_window(run: ScenarioRun) -> None:
    # The exactness arguments below need every sample inside the shortest range (5m).
    assert run.marks["end"] - run.marks["steady"] < SHORT - 10


def test_tokens_match_the_ledger(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    got = raw(stack, b.metric("tokens").name, names(b, "provider", "model", "token_type", "feature"))
    assert got == dict(expected.tokens_by_series(b, run.ledger))


def test_unpriced_tokens_are_the_unknown_models_tokens(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    got = raw(stack, b.metric("unpriced_tokens").name, names(b, "provider", "token_type"))
    want = dict(expected.unpriced_by_series(b, run.ledger))
    assert got == want
    assert set(want) == {("openai", "prompt"), ("openai", "completion")}


def test_cost_is_tokens_times_the_spec_price(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    got = raw(stack, b.metric("cost").name, names(b, "provider", "model", "feature"))
    want = expected.cost_by_series(b, run.ledger)
    assert set(got) == set(want)
    assert all(close(got[k], want[k]) for k in want), (got, want)


def test_requests_match_the_ledger_by_outcome_and_error_type(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    got = raw(stack, b.metric("requests").name, names(b, "provider", "model", "outcome", "error_type", "feature"))
    want = dict(expected.requests_by_series(b, run.ledger))
    assert got == want
    kinds = {k[3] for k in want}
    assert kinds == {b.no_error, "rate_limit", "timeout", "server_error", "connection", b.fallback}
    assert {k[2] for k in want} == {"success", "error", "cancelled"}


def test_queue_bundle_cache_and_invalid_counts_match_the_ledger(stack: Stack, run: ScenarioRun) -> None:
    b, ledger = stack.prepared.bundle, run.ledger
    bundles = b.metric("bundle_items").name
    assert raw(stack, f"{bundles}_count", ()) == {(): len(ledger["bundles"])}
    assert raw(stack, f"{bundles}_sum", ()) == {(): sum(ledger["bundles"])}
    assert raw(stack, b.metric("queue_expiry").name, ()) == {(): ledger["expired"]}
    assert raw(stack, f"{b.metric('processing').name}_count", ()) == {(): ledger["processed"]}
    depth = ledger["queue_depth"]
    assert raw(stack, b.metric("queue_depth").name, ()) == ({(): depth} if depth else {})
    hits = b.custom_metrics[0].name
    assert raw(stack, hits, ("feature",)) == {(f,): n for f, n in ledger["cache_hits"].items()}
    assert raw(stack, b.metric("invalid_values").name, ("helper",)) == {(h,): n for h, n in ledger["invalid"].items()}
    assert ledger["expired"] > 0 and ledger["invalid"]


def test_spend_rate_is_the_token_rate_times_the_price_at_every_evaluation(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    pm = names(b, "provider", "model")
    cost = recorded(stack, rule(b, "cost_rate:provider_model").record, pm)
    tokens = recorded(stack, rule(b, "tokens_rate").record, names(b, "provider", "model", "token_type"))
    prices: dict[Key, dict[str, float]] = {(p.provider, p.model): dict(p.per_token_type()) for p in b.prices}
    compared = 0
    for key, points in cost.items():
        price = prices.get(key)
        for at, value in points.items():
            if price is None:
                assert value == 0, key
                continue
            want = sum(tokens.get((*key, t), {}).get(at, 0.0) * p / b.price_unit_tokens for t, p in price.items())
            assert close(value, want), (key, at, value, want)
            compared += 1
    assert set(cost) >= set(prices) and compared > 10 * len(prices)


@pytest.mark.parametrize("level", ["provider_model", "provider", "total"])
def test_daily_projection_is_the_hourly_rate_times_a_day(stack: Stack, run: ScenarioRun, level: str) -> None:
    # With every sample inside both windows, rate[1h] x 3600 == rate[5m] x 300 (same increase, same
    # extrapolation), so the projection is rate5m x 300 x 86400 / 3600 at every shared evaluation.
    b = stack.prepared.bundle
    by = rule(b, f"cost_rate:{level}").by
    rate = recorded(stack, rule(b, f"cost_rate:{level}").record, by)
    projection = recorded(stack, rule(b, f"cost_daily_projection:{level}").record, by)
    assert set(rate) == set(projection)
    factor = SHORT * SECONDS_PER_DAY / PROJECTION
    pairs = [(projection[k][t], rate[k][t] * factor) for k in rate for t in rate[k] if t in projection[k]]
    assert len(pairs) > 10
    assert all(close(got, want) for got, want in pairs)


def test_daily_projection_is_the_raw_counters_hourly_rate_times_a_day(stack: Stack, run: ScenarioRun) -> None:
    # Prometheus's rate() recomputed from the raw cost samples, at each evaluation of the projection. An
    # evaluation may run before the scrape just ahead of it is stored, so that one scrape may be missing.
    b = stack.prepared.bundle
    (projection,) = recorded(stack, rule(b, "cost_daily_projection:total").record, ()).values()
    counters = [s.points for s in stack.api.query_series(f"{b.metric('cost').name}{{{stack.job_selector}}}[10m]")]
    window = range_seconds(PROJECTION, b.service.scrape_interval)
    mismatched = []
    for at, value in projection.items():
        candidates = []
        for last in (0, 1):  # every scrape up to `at`, or all but the last one
            kept = [[p for p in points if p[0] <= at] for points in counters]
            kept = [points[: len(points) - last] if points and at - points[-1][0] < 1.0 else points for points in kept]
            rates = [expected.extrapolated_rate(points, at, window) for points in kept]
            candidates.append(sum(r for r in rates if r is not None) * SECONDS_PER_DAY)
        if not any(close(value, c) for c in candidates):
            mismatched.append((at, value, candidates))
    assert len(projection) > 10
    assert mismatched == []


@pytest.mark.parametrize(("rule_id", "q"), [("latency_p50", 0.5), ("latency_p95", 0.95), ("latency_p99", 0.99)])
def test_latency_quantiles_come_from_the_simulated_latencies(
    stack: Stack, run: ScenarioRun, rule_id: str, q: float
) -> None:
    b = stack.prepared.bundle
    got = latest(stack, rule(b, rule_id).record, names(b, "provider", "model"))
    buckets = expected.latency_buckets(b, run.ledger, b.metric("response_duration").buckets)
    want = {key: expected.histogram_quantile(q, counts) for key, counts in buckets.items()}
    assert set(got) == set(want)
    assert all(close(got[k], want[k]) for k in want), (got, want)


def test_calls_in_flight_are_the_held_calls(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    record = rule(b, "in_flight").record
    peak = latest(stack, f"max_over_time({record}[10m])", names(b, "provider"))
    assert peak == {(p,): float(n) for p, n in Counter(h.provider for h in HELD).items()}
    assert set(latest(stack, record, names(b, "provider")).values()) == {0.0}


def test_queue_depth_backs_up_and_drains(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    record = rule(b, "queue_depth").record
    (peak,) = latest(stack, f"max_over_time({record}[10m])", ()).values()
    assert peak > b.thresholds.queue_depth_max
    assert latest(stack, record, ()) == {(): float(run.ledger["queue_depth"])}


def test_bundle_mean_is_items_over_calls(stack: Stack, run: ScenarioRun) -> None:
    b, sizes = stack.prepared.bundle, run.ledger["bundles"]
    (mean,) = latest(stack, rule(b, "bundle_items_mean").record, ()).values()
    assert close(mean, sum(sizes) / len(sizes))


def test_breaker_record_is_one_only_while_open(stack: Stack, run: ScenarioRun) -> None:
    b = stack.prepared.bundle
    states = recorded(stack, rule(b, "breaker_open").record, names(b, "circuit_name"))
    assert set(states) == {(c,) for c in b.circuits}
    open_at = [t for t, v in states[(OPENED_CIRCUIT,)].items() if v == 1]
    assert open_at and run.marks["breaker open"] <= min(open_at) and max(open_at) <= run.marks["breaker closed"] + 2
    assert {v for (c,), points in states.items() if c != OPENED_CIRCUIT for v in points.values()} == {0.0}
