"""promtool cases for every recording rule: chosen inputs, and the values they must give from first principles."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from fractions import Fraction as F

from ..recording import RecordingRule
from ..units import parse_duration
from .common import Case, Ctx, ExprCheck
from .series import Labels, Mix, Signal, counter, gauge, group, histogram, quantile, rounded

__all__ = ["recording_cases"]

DAY = 24 * 60 * 60  # a daily projection is a per-second rate times the seconds of a day
QUANTILES = {"latency_p50": F(1, 2), "latency_p95": F(95, 100), "latency_p99": F(99, 100)}
Expected = dict[Labels, F]


def _slope(signal: Signal) -> F:
    return signal.phases[-1].rate


def _at(values: Sequence[float], index: int) -> float:
    return values[min(index, len(values) - 1)]


def _requests(c: Ctx, n: int) -> list[Signal]:
    b = c.b
    ok, error = "success", "error"  # outcomes the module records (conventions.OUTCOMES)
    name, out = b.metric("requests").name, []
    for i, (p, m) in enumerate(c.pairs):
        pm = {"provider": p, "model": m}
        out.append(counter(name, c.labels("requests", "a", outcome=ok, error_type=b.no_error, **pm), (F(i + 1), n)))
        out.append(counter(name, c.labels("requests", "a", outcome=error, error_type=c.error_type, **pm),
                           (F(int(i == 0)), n)))
    p, m = c.pairs[0]
    out.append(counter(name, c.labels("requests", "b", provider=p, model=m, outcome=ok, error_type=b.no_error),
                       (F(1), n)))
    return out


def _cost(c: Ctx, n: int) -> list[Signal]:
    b = c.b
    cost, tokens, unpriced = (b.metric(k).name for k in ("cost", "tokens", "unpriced_tokens"))
    out = _requests(c, n)
    for i, (p, m) in enumerate(c.pairs):
        pm = {"provider": p, "model": m}
        out.append(counter(cost, c.labels("cost", "a", **pm), (F(2 * i + 1, 1000), n)))
        for j, t in enumerate(b.token_types):
            out.append(counter(tokens, c.labels("tokens", "a", token_type=t, **pm), (F(10 * (j + 1) * (i + 1)), n)))
    p, m = c.pairs[0]
    out.append(counter(cost, c.labels("cost", "b", provider=p, model=m), (F(3, 1000), n)))
    for j, t in enumerate(b.token_types):
        out.append(counter(unpriced, c.labels("unpriced_tokens", "a", provider=p, token_type=t), (F(3 * (j + 1)), n)))
    out.append(counter(unpriced, c.labels("unpriced_tokens", "b", provider=p, token_type=b.token_types[0]), (F(2), n)))
    return out


def _traffic(c: Ctx, n: int) -> list[Signal]:
    b = c.b
    broad = b.metric("response_duration")
    out = _requests(c, n)
    for i, (p, m) in enumerate(c.pairs):
        mix: Mix = ((_at(broad.buckets, 0), F(3)), (_at(broad.buckets, 2), F(1))) if i == 0 else (
            (_at(broad.buckets, 1), F(2)), (broad.buckets[-1] * 2, F(1, 2)))
        out += histogram(broad, c.labels("response_duration", "a", provider=p, model=m), [(mix, n)], c.le)
    p, m = c.pairs[0]
    out += histogram(broad, c.labels("response_duration", "b", provider=p, model=m),
                     [(((_at(broad.buckets, 4), F(1)),), n)], c.le)
    for k, provider in enumerate(c.providers):
        out.append(gauge(b.metric("in_flight").name, c.labels("in_flight", "a", provider=provider), (F(3 + k), n)))
    out.append(gauge(b.metric("in_flight").name, c.labels("in_flight", "b", provider=p), (F(4), n)))
    return out


def _queues(c: Ctx, n: int) -> list[Signal]:
    b = c.b
    out: list[Signal] = []
    wait, work, age, items = (b.metric(k) for k in ("queue_wait", "processing", "queue_expiry_age", "bundle_items"))
    depth = b.metric("queue_depth").name
    for q, queue in enumerate(c.queues):
        out.append(gauge(depth, c.labels("queue_depth", "a", queue_type=queue), (F(10 * (q + 1)), n)))
    q0 = c.queues[0]
    out.append(gauge(depth, c.labels("queue_depth", "b", queue_type=q0), (F(5), n)))
    out += histogram(wait, c.labels("queue_wait", "a", queue_type=q0),
                     [(((_at(wait.buckets, 1), F(4)), (_at(wait.buckets, 3), F(1))), n)], c.le)
    out += histogram(wait, c.labels("queue_wait", "b", queue_type=q0), [(((_at(wait.buckets, 5), F(1, 2)),), n)], c.le)
    out += histogram(work, c.labels("processing", "a", queue_type=q0),
                     [(((_at(work.buckets, 0), F(1)), (_at(work.buckets, 2), F(1))), n)], c.le)
    out += histogram(age, c.labels("queue_expiry_age", "a", queue_type=q0),
                     [(((_at(age.buckets, 0), F(1, 10)), (_at(age.buckets, 2), F(3, 10))), n)], c.le)
    for r, reason in enumerate(c.reasons):
        out.append(counter(b.metric("queue_expiry").name, c.labels("queue_expiry", "a", queue_type=q0, reason=reason),
                           (F(1, 10 * (r + 1)), n)))
    out.append(counter(b.metric("queue_expiry").name, c.labels("queue_expiry", "b", queue_type=q0, reason=c.reasons[0]),
                       (F(1, 10), n)))
    out += histogram(items, c.labels("bundle_items", "a"), [(((_at(items.buckets, 2), F(3)),
                                                              (_at(items.buckets, 3), F(1))), n)], c.le)
    out += histogram(items, c.labels("bundle_items", "b"), [(((_at(items.buckets, 0), F(1)),), n)], c.le)
    return out


def _breakers(c: Ctx, n: int) -> list[Signal]:
    b = c.b
    states = dict(b.breaker_states)
    name, svc = b.metric("circuit_breaker").name, b.breaker_service
    other = states.get("half_open", states["closed"])
    first, last = c.circuits[0], c.circuits[-1]
    return [
        gauge(name, c.labels("circuit_breaker", "a", service=svc, circuit_name=first), (F(states["open"]), n)),
        gauge(name, c.labels("circuit_breaker", "b", service=svc, circuit_name=first), (F(states["closed"]), n)),
        gauge(name, c.labels("circuit_breaker", "a", service=svc, circuit_name=last), (F(other), n)),
    ]


def _quantiles(signals: Sequence[Signal], name: str, by: Sequence[str], q: F) -> Expected:
    """histogram_quantile over the buckets summed by (by, le)."""
    hists: dict[Labels, dict[float, F]] = {}
    for key, value in group(signals, f"{name}_bucket", (*by, "le"), _slope).items():
        hists.setdefault(key[:-1], {})[float(key[-1][1])] = value
    return {key: quantile(q, hist) for key, hist in hists.items()}


def _ratio(top: Expected, bottom: Expected) -> Expected:
    return {k: v / bottom[k] for k, v in top.items()}


def _steady_expected(c: Ctx, sig: Sequence[Signal], rules: dict[str, RecordingRule]) -> dict[str, Expected]:
    b = c.b

    def rate(rule_id: str, key: str, suffix: str = "", keep: Callable[[Signal], bool] = lambda s: True) -> Expected:
        return group([s for s in sig if keep(s)], b.metric(key).name + suffix, rules[rule_id].by, _slope)

    out: dict[str, Expected] = {}
    for level in ("provider_model", "provider", "total"):
        out[f"cost_rate:{level}"] = rate(f"cost_rate:{level}", "cost")
        daily = rate(f"cost_daily_projection:{level}", "cost")
        out[f"cost_daily_projection:{level}"] = {k: v * DAY for k, v in daily.items()}
    out["tokens_rate"] = rate("tokens_rate", "tokens")
    out["cost_per_request"] = _ratio(rate("cost_per_request", "cost"), rate("cost_per_request", "requests"))
    out["unpriced_tokens_rate"] = rate("unpriced_tokens_rate", "unpriced_tokens")
    out["request_rate"] = rate("request_rate", "requests")
    failed = rate("error_ratio", "requests", keep=lambda s: dict(s.labels).get(b.label("outcome")) == "error")
    out["error_ratio"] = _ratio(failed, rate("error_ratio", "requests"))
    for rule_id, q in QUANTILES.items():
        out[rule_id] = _quantiles(sig, b.metric("response_duration").name, rules[rule_id].by, q)
    for rule_id, key in (("in_flight", "in_flight"), ("queue_depth", "queue_depth")):
        out[rule_id] = rate(rule_id, key)  # a gauge's single phase holds its value
    for key in ("queue_wait", "processing", "queue_expiry_age"):
        out[f"{key}_p95"] = _quantiles(sig, b.metric(key).name, rules[f"{key}_p95"].by, F(95, 100))
    out["queue_expiry_rate"] = rate("queue_expiry_rate", "queue_expiry")
    out["bundle_items_mean"] = _ratio(rate("bundle_items_mean", "bundle_items", "_sum"),
                                      rate("bundle_items_mean", "bundle_items", "_count"))
    open_value = dict(b.breaker_states)["open"]
    opened: Expected = {}
    for s in sig:
        if s.name == b.metric("circuit_breaker").name:  # open on any instance
            where = tuple((k, s.label(k)) for k in rules["breaker_open"].by)
            opened[where] = max(opened.get(where, F(0)), F(int(_slope(s) == open_value)))
    out["breaker_open"] = opened
    return out


def _checks(rules: Sequence[RecordingRule], expected: dict[str, Expected], at: int) -> list[ExprCheck]:
    checks = []
    for r in rules:
        samples = sorted(expected[r.id].items())
        g, values = rounded([v for _, v in samples])
        labelled = tuple(zip((k for k, _ in samples), values, strict=True))
        checks.append(ExprCheck(f"round({r.record}, {g})", at, labelled))
    return checks


_INPUTS: dict[str, Callable[[Ctx, int], list[Signal]]] = {
    "cost": _cost,
    "traffic": _traffic,
    "queues": _queues,
    "circuit-breakers": _breakers,
}


def _widest(rules: Sequence[RecordingRule]) -> float:
    """The widest range any of ``rules`` reads, in seconds (the inputs must be steady over it)."""
    return max((parse_duration(w) for r in rules for w in re.findall(r"\[(\w+)\]", r.expr)), default=0.0)


def _steady_case(c: Ctx) -> Case:
    everything = c.rules
    rules = [r for r in everything.values() if r.group == c.area]
    at = c.steady(_widest(rules))
    signals = _INPUTS[c.area](c, c.steps(at + c.e))
    expected = _steady_expected(c, signals, everything)
    return Case(c.area, f"{c.area} recording rules: steady inputs on two instances", tuple(signals),
                c.decoys(signals), exprs=tuple(_checks(rules, expected, at)))


def _slo_plan(c: Ctx, windows: Sequence[float]) -> tuple[int, int, int]:
    """(k, T, A): windows[:k] lie inside phase B at T, windows[k:] reach back before the first sample;
    phase A lasts A scrape intervals. Both hold on Prometheus 2 and 3 range semantics."""
    for k in sorted(range(1, len(windows) + 1), key=lambda k: (abs(k - len(windows) / 2), k)):
        at = (math.ceil(F(windows[k]) / c.e) - 1) * c.e if k < len(windows) else c.evals(windows[-1] * 2)
        a = math.floor((at - F(windows[k - 1]) - c.s) / c.s)
        if a >= 2:
            return k, at, a
    raise ValueError(f"no test plan separates the latency windows {windows}")


def _slo_case(c: Ctx) -> Case:
    b = c.b
    fine = b.metric("response_duration_fine")
    target = b.thresholds.latency_target
    slow = next((x for x in fine.buckets if x > target), target * 2)
    rules = [r for r in c.rules.values() if r.group == "latency-slo"]
    windows = sorted({parse_duration(r.id.split(":", 1)[1]) for r in rules if r.id.startswith("latency_over_target:")})
    k, at, a = _slo_plan(c, windows)
    rest = c.steps(at + c.e) - a
    fast_only: Mix = ((target, F(2)),)
    mixes: list[tuple[Mix, Mix]] = [(((slow, F(4)),), ((target, F(3)), (slow, F(1)))), (fast_only, fast_only)]
    signals: list[Signal] = []
    for (p, m), (mix_a, mix_b) in zip(c.pairs, mixes, strict=False):
        labels = c.labels("response_duration_fine", "a", provider=p, model=m, request_type=c.request_type)
        signals += histogram(fine, labels, [(mix_a, a), (mix_b, rest)], c.le)
    under = [s for s in signals if s.name == f"{fine.name}_bucket" and s.label("le") == c.le(target)]
    counts = [s for s in signals if s.name == f"{fine.name}_count"]
    seen = math.floor(at / c.s)  # increments up to the last sample at or before T

    def fast(by: Sequence[str], value: Callable[[Signal], F]) -> Expected:
        return _ratio(group(under, under[0].name, by, value), group(counts, counts[0].name, by, value))

    expected: dict[str, Expected] = {}
    for r in rules:
        if r.id == "latency_under_target":
            expected[r.id] = fast(r.by, _slope)
            continue
        inside_b = parse_duration(r.id.split(":", 1)[1]) <= windows[k - 1]
        since_start = fast(r.by, lambda s: s.counted(seen, c.s))  # the window reaches back before the first sample
        expected[r.id] = {key: 1 - v for key, v in (fast(r.by, _slope) if inside_b else since_start).items()}
    style = "as prometheus_client writes it" if c.le_style == "client" else "as Prometheus 3 stores it"
    return Case("latency-slo", f"latency-slo recording rules: fine histogram, le {style}", tuple(signals),
                c.decoys(signals),
                exprs=tuple(_checks(rules, expected, at)))


def recording_cases(c: Ctx) -> tuple[Case, ...]:
    """Cases that pin the value of every recording rule of ``c.area``; the SLO case runs again with Prometheus 3's
    ``le`` spelling when it differs. Raises KeyError if a rule has no expectation."""
    if c.area in _INPUTS:
        return (_steady_case(c),)
    if c.area != "latency-slo":
        return ()
    target = c.b.thresholds.latency_target
    prom3 = Ctx(c.b, c.area, "normalised")
    return (_slo_case(c),) if c.le(target) == prom3.le(target) else (_slo_case(c), _slo_case(prom3))
