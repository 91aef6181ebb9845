"""promtool cases for every alert: inputs that fire it and inputs just on the safe side, both driven by the
spec's thresholds, with the exact labels and annotations Prometheus renders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction as F
from itertools import count
from typing import Literal

from ..alerting import BURN_RATES, Alert, heartbeat_sample, source_labels, source_memory
from ..promql import duration, range_seconds
from .common import AlertCheck, Case, Ctx, ExpectedAlert, ExprCheck
from .humanize import HUMANIZERS, VALUE_FORMAT, render, stable
from .series import Labels, Mix, Signal, counter, exact, gauge, histogram, lit, quantile

__all__ = ["alert_cases", "quantile_mix"]

DAY = 24 * 60 * 60
# Values that breach a threshold: comfortably past it first; "+ 1/2" variants dodge integers, where
# humanizeDuration's truncation would make the rendered text depend on float noise.
_PAST = (F(5, 4), F(11, 10), F(101, 100), F(3, 2), F(2), F(4))
_BELOW = (F(3, 4), F(9, 10), F(1, 2))
_PAST_ZERO = (F(1, 10), F(1, 4), F(1), F(10))
_SAFE_UNDER = (F(99, 100), F(98, 100), F(95, 100))
_SAFE_OVER = (F(101, 100), F(102, 100), F(105, 100))
Ok = Callable[[F], bool]


def _shown(alert: Alert, value: F) -> bool:
    """Whether the value's rendered text in the description cannot depend on float noise."""
    found = VALUE_FORMAT.search(dict(alert.annotations)["description"])
    return found is None or stable(HUMANIZERS[found.group(1)], float(value))


def _pick(alert: Alert, candidates: Sequence[F], ok: Ok) -> F | None:
    return next((v for v in candidates if ok(v) and _shown(alert, v)), None)


def _firing(alert: Alert, ok: Ok) -> F | None:
    """A value past the threshold."""
    t = alert.threshold
    if alert.op == "<":
        return _pick(alert, [t * f for f in _BELOW], ok)
    factors = [t * f + extra for f in _PAST for extra in (F(0), F(1, 2))]
    return _pick(alert, factors if t else list(_PAST_ZERO), ok)


def _safe(alert: Alert, ok: Ok, *, exact_ok: bool) -> F | None:
    """A value just on the safe side: the threshold itself where inputs give it exactly, else 1-5% off."""
    t = alert.threshold
    if exact_ok or (alert.op == ">" and t == 0):
        return t
    return _pick(alert, [t * f for f in (_SAFE_UNDER if alert.op == ">" else _SAFE_OVER)], ok)


def _expected(c: Ctx, name: str, out: Labels, value: F,
              held: Callable[[Alert], bool] = lambda a: True) -> tuple[ExpectedAlert, ...]:
    """Every alert called ``name`` that ``value`` breaches (and has ``held`` for its ``for``), labelled and
    annotated as Prometheus renders it."""
    found = []
    for a in c.alerts:
        if a.name == name and a.fires(value) and held(a):
            labels = dict(out) | {k: render(v, float(value), dict(out)) for k, v in a.labels}
            notes = tuple((k, render(v, float(value), dict(out))) for k, v in a.annotations)
            found.append(ExpectedAlert(tuple(labels.items()), notes))
    return tuple(found)


def _out(signal: Signal, rule_id: str, c: Ctx) -> Labels:
    return tuple((k, signal.label(k)) for k in c.rule(rule_id).by)


Onset = Literal["ratio", "ramp", "gauge"]


def _ramp(value: F, t: int, window: F) -> F:
    """A counter's ``rate()`` over ``window`` at ``t``, steady at ``value`` from 0: ``value x t / window`` at first."""
    return value * (window if t > window else F(t)) / window


def _onset(c: Ctx, a: Alert, value: F, onset: Onset, *, early: bool = False) -> int:
    """The first evaluation at which the expression holds for inputs steady at ``value`` from 0: at once for a
    gauge; at the first evaluation with two samples in range for a ratio of counters that start together (exact
    over any window); for a counter's ``rate()`` as it ramps up to ``value``, at the first evaluation where the ramp
    breaches the threshold, or (``early``) reaches it, where float noise may already breach it."""
    if onset == "gauge":
        return 0
    first = c.evals(c.s)
    if onset == "ratio":
        return first
    window = F(a.window)
    return next(t for t in count(first, c.e)
                if a.fires(_ramp(value, t, window)) or (early and _ramp(value, t, window) == a.threshold))


def _held(c: Ctx, a: Alert, out: Labels, value: F, onset: Onset, t: int) -> tuple[ExpectedAlert, ...]:
    """The alerts named like ``a`` firing at ``t`` for inputs ramping or stepping to ``value``: those whose
    expression has held for their ``for`` by then (a same-named warning may fire before its critical), rendered
    with the value at ``t``."""
    window = F(a.window)
    now = _ramp(value, t, window) if onset == "ramp" else value

    def held(o: Alert) -> bool:
        return _onset(c, o, value, onset) + c.evals(o.for_seconds) <= t

    return _expected(c, a.name, out, now, held)


def _cases(c: Ctx, a: Alert, rule_id: str, make: Callable[[F, int], list[Signal]], *, ok: Ok = lambda v: True,
           exact_ok: bool = False, ceiling: F | None = None, onset: Onset = "ratio") -> list[Case]:
    """A firing case and a safe-side case for a threshold alert. The firing case is pinned to ``for``: pending one
    evaluation before the expression has held for ``for`` (see _onset), firing from then on (checked once the
    value has settled, so the rendered value is the steady one); the safe side is checked once the inputs are
    steady. A threshold the inputs cannot breach (past ``ceiling``, e.g. a burn rate over 100%) gets one case
    showing it never fires."""
    at = c.evals(a.window + c.s) + c.evals(a.for_seconds) + c.e
    fire, quiet = _firing(a, ok), _safe(a, ok, exact_ok=exact_ok)
    planned = [("breaches", fire), ("safe side", quiet)] if fire is not None else [("unreachable, even at", ceiling)]
    settled = c.evals(a.window) if onset == "ramp" else 0
    cases = []
    for kind, value in planned:
        if value is None:
            continue  # no input reaches this side of the threshold: nothing to show
        sig = make(value, c.steps(at))
        name = f"{a.name} ({a.severity}), {kind}: {lit(value)} against {a.op} {lit(a.threshold)}"
        out = _out(sig[0], rule_id, c)
        checks: tuple[AlertCheck, ...] = (AlertCheck(a.name, at, _expected(c, a.name, out, value)),)
        if kind == "breaches":
            hold = c.evals(a.for_seconds)
            pending = _onset(c, a, value, onset, early=True) + hold - c.e
            fires = max(_onset(c, a, value, onset) + hold, settled)
            checks = (AlertCheck(a.name, pending, _held(c, a, out, value, onset, pending)),
                      AlertCheck(a.name, fires, _held(c, a, out, value, onset, fires)))
        cases.append(Case(a.group, name, tuple(sig), alerts=checks))
    return cases


def _siblings_quiet(c: Ctx, a: Alert) -> Ok:
    """Values at which no same-named alert with a stricter threshold fires (a warning alone, not its critical)."""
    stricter = [o for o in c.alerts if o.name == a.name and o.key != a.key and o.threshold > a.threshold]
    return lambda v: not any(o.fires(v) for o in stricter)


def _cost(c: Ctx, a: Alert) -> list[Case]:
    p, m = c.pairs[0]
    name = c.b.metric("cost").name

    def make(daily: F, n: int) -> list[Signal]:
        per_second = daily / DAY  # split 1:3 over two instances
        return [counter(name, c.labels("cost", "a", provider=p, model=m), (per_second / 4, n)),
                counter(name, c.labels("cost", "b", provider=p, model=m), (per_second * 3 / 4, n))]

    return _cases(c, a, "cost_daily_projection:total", make, ok=_siblings_quiet(c, a), onset="ramp")


def _unpriced(c: Ctx, a: Alert) -> list[Case]:
    name, labels = c.b.metric("unpriced_tokens").name, c.labels(
        "unpriced_tokens", "a", provider=c.providers[0], token_type=c.b.token_types[0])
    return _cases(c, a, "unpriced_tokens_rate", lambda v, n: [counter(name, labels, (v, n))], onset="ramp")


def _errors(c: Ctx, a: Alert) -> list[Case]:
    b, (p, m) = c.b, c.pairs[0]
    ok_, error = "success", "error"  # outcomes the module records (conventions.OUTCOMES)
    name, calls = b.metric("requests").name, F(4)

    def make(ratio: F, n: int) -> list[Signal]:
        return [
            counter(name, c.labels("requests", "a", provider=p, model=m, outcome=error, error_type=c.error_type),
                    (calls * ratio, n)),
            counter(name, c.labels("requests", "a", provider=p, model=m, outcome=ok_, error_type=b.no_error),
                    (calls * (1 - ratio), n)),
        ]

    return _cases(c, a, "error_ratio", make, ok=lambda v: v < 1)


def _backlog(c: Ctx, a: Alert) -> list[Case]:
    name = c.b.metric("queue_depth").name

    def make(depth: F, n: int) -> list[Signal]:  # half on each instance: halving and summing are exact
        return [gauge(name, c.labels("queue_depth", i, queue_type=c.queues[0]), (depth / 2, n)) for i in "ab"]

    return _cases(c, a, "queue_depth", make, exact_ok=True, onset="gauge")


def quantile_mix(buckets: Sequence[float], q: F, value: F, total: F) -> Mix | None:
    """Observations (``total`` per second) whose histogram q-quantile is exactly ``value``, or None if no
    mix of bucket-boundary observations gives it without the rank sitting on a bucket edge."""
    i = next((i for i, bound in enumerate(buckets) if value <= exact(bound)), None)
    if i is None or value <= 0:
        return None
    lower, upper = (exact(buckets[i - 1]) if i else F(0)), exact(buckets[i])
    r = (value - lower) / (upper - lower)
    if r >= 1:
        return None
    inside = min(F(1), q / r, (1 - q) / (1 - r))
    below, above = q - r * inside, 1 - q - inside * (1 - r)
    if i == 0 and below:
        return None
    over = buckets[i + 1] if i + 1 < len(buckets) else buckets[-1] * 2
    masses = ((buckets[i - 1] if i else 0.0, below), (buckets[i], inside), (over, above))
    mix = tuple((v, total * mass) for v, mass in masses if mass)
    cumulative = {b: sum((r for v, r in mix if v <= b), F(0)) for b in (*buckets, float("inf"))}
    assert quantile(q, cumulative) == value, "quantile_mix must reproduce the quantile it was asked for"
    return mix


def _wait(c: Ctx, a: Alert) -> list[Case]:
    metric = c.b.metric("queue_wait")
    labels = c.labels("queue_wait", "a", queue_type=c.queues[0])

    def mix(v: F) -> Mix | None:
        return quantile_mix(metric.buckets, F(95, 100), v, F(2))

    def make(p95: F, n: int) -> list[Signal]:
        return list(histogram(metric, labels, [(mix(p95) or (), n)], c.le))

    return _cases(c, a, "queue_wait_p95", make, ok=lambda v: mix(v) is not None)


def _expiry(c: Ctx, a: Alert) -> list[Case]:
    name = c.b.metric("queue_expiry").name
    labels = c.labels("queue_expiry", "a", queue_type=c.queues[0], reason=c.reasons[0])
    return _cases(c, a, "queue_expiry_rate", lambda v, n: [counter(name, labels, (v, n))], onset="ramp")


def _bundles(c: Ctx, a: Alert) -> list[Case]:
    metric = c.b.metric("bundle_items")
    labels = c.labels("bundle_items", "a")
    return _cases(c, a, "bundle_items_mean",
                  lambda mean, n: list(histogram(metric, labels, [(((float(mean), F(3)),), n)], c.le)))


def _burn(c: Ctx, a: Alert) -> list[Case]:
    b = c.b
    burn = next(x for x in BURN_RATES if x.name == a.name)
    fine, target = b.metric("response_duration_fine"), b.thresholds.latency_target
    slow = next((x for x in fine.buckets if x > target), target * 2)
    (p, m), calls = c.pairs[0], F(10)
    labels = c.labels("response_duration_fine", "a", provider=p, model=m, request_type=c.request_type)

    def make_phases(phases: Sequence[tuple[F, int]]) -> list[Signal]:
        mixes = [(((target, calls * (1 - f)), (slow, calls * f)), steps) for f, steps in phases]
        return list(histogram(fine, labels, mixes, c.le))

    long, short = (range_seconds(w, b.service.scrape_interval) for w in (burn.long, burn.short))
    long_id = f"latency_over_target:{duration(long)}"
    # Counters that start together: their ratio is steady from the first evaluation, whatever the window.
    steady = replace(a, window=0.0)
    cases = _cases(c, steady, long_id, lambda f, n: make_phases([(f, n)]), ok=lambda v: v <= 1, ceiling=F(1))
    return cases + _recovered(c, a, long, short, make_phases)


def _recovered(c: Ctx, a: Alert, long: float, short: float,
               make_phases: Callable[[Sequence[tuple[F, int]]], list[Signal]]) -> list[Case]:
    """All calls slow, then a clean stretch longer than the short window: the long window still burns, the short
    one does not, so the multi-window alert stays quiet."""
    clean = short + 2 * c.e
    at = c.evals(3 * clean)
    slow_steps = int((at - clean) / c.s)
    seen = min(F(long), F(at))
    if a.threshold >= 1 or (seen - clean - c.s) / seen <= a.threshold * F(11, 10):
        return []
    sig = make_phases([(F(1), slow_steps), (F(0), c.steps(at + c.e) - slow_steps)])
    checks = []
    for window, burning in ((long, 1), (short, 0)):
        r = c.rule(f"latency_over_target:{duration(window)}")
        out = tuple((k, sig[0].label(k)) for k in r.by)
        checks.append(ExprCheck(f"{r.record} > bool {lit(a.threshold)}", at, ((out, F(burning)),)))
    name = f"{a.name} ({a.severity}), recovered: {duration(long)} window burns, {duration(short)} window is clean"
    return [Case(a.group, name, tuple(sig), exprs=tuple(checks), alerts=(AlertCheck(a.name, at, ()),))]


def _breaker(c: Ctx, a: Alert) -> list[Case]:
    b = c.b
    states, name = dict(b.breaker_states), b.metric("circuit_breaker").name

    def labels(instance: str) -> Labels:
        return c.labels("circuit_breaker", instance, service=b.breaker_service, circuit_name=c.circuits[0])

    closed_steps = c.steps(600) - 1  # closed for 10 minutes, then open on instance a
    fires_at = c.evals(closed_steps * c.s) + c.evals(a.for_seconds)
    n = c.steps(fires_at + c.e)
    closed_b = gauge(name, labels("b"), (F(states["closed"]), n))
    opens = gauge(name, labels("a"), (F(states["closed"]), closed_steps), (F(states["open"]), n - closed_steps))
    checks = (AlertCheck(a.name, fires_at - c.e, ()),
              AlertCheck(a.name, fires_at, _expected(c, a.name, _out(opens, "breaker_open", c), F(1))))
    cases = [Case(a.group, f"{a.name}: open on one instance for {duration(a.for_seconds)} fires, an evaluation less "
                  "does not", (opens, closed_b), alerts=checks)]
    for state, value in b.breaker_states:
        if state != "open":
            held = gauge(name, labels("a"), (F(value), n))
            cases.append(Case(a.group, f"{a.name}: {state} never fires", (held, closed_b),
                              alerts=(AlertCheck(a.name, fires_at, ()),)))
    return cases


def _stops(sample: str, labels: Labels, steps: int) -> Signal:
    """A heartbeat exposed for ``steps`` scrapes after 0, then gone (a staleness marker)."""
    return replace(counter(sample, labels, (F(1), steps)), stale_after=True)


def _absent(c: Ctx, a: Alert) -> list[Case]:
    sample = heartbeat_sample(c.b)
    present_steps = c.steps(600) - 1  # exposed for 10 minutes, then gone (a staleness marker)
    fires_at = c.evals((present_steps + 1) * c.s) + c.evals(a.for_seconds)
    if source_labels(c.b):
        return _absent_per_source(c, a, sample, present_steps, fires_at)
    n = c.steps(fires_at + c.e)
    gone = _stops(sample, c.base("a"), present_steps)
    stays = counter(sample, c.base("a"), (F(1), n))
    out = tuple(c.b.service.selector)  # absent() keeps the selector's equality matchers as labels
    checks = (AlertCheck(a.name, fires_at - c.e, ()), AlertCheck(a.name, fires_at, _expected(c, a.name, out, F(1))))
    return [
        Case(a.group, f"{a.name}: gone for {duration(a.for_seconds)} fires, an evaluation less does not "
             "(another service stays)", (gone,), c.decoys([stays]), alerts=checks),
        Case(a.group, f"{a.name}: present never fires", (stays,), alerts=(AlertCheck(a.name, fires_at, ()),)),
    ]


def _absent_per_source(c: Ctx, a: Alert, sample: str, present_steps: int, fires_at: int) -> list[Case]:
    """With source labels the alert also fires for each source that sent the heartbeat within the source memory
    and sends it no more, labelled with that source, until its last sample leaves the window."""
    sources, memory = source_labels(c.b), source_memory(c.b)
    # An evaluation after the last sample is exactly ``memory`` old: out of closed (2.x) and left-open (3.x) ranges.
    forgotten = c.evals(present_steps * c.s + memory) + c.e
    n = c.steps(forgotten + c.e)
    service = tuple(c.b.service.selector)  # absent() keeps the selector's equality matchers as labels

    def source(signal: Signal) -> Labels:
        return tuple((dict(service) | {s: signal.label(s) for s in sources}).items())

    def named(signal: Signal) -> str:
        return ", ".join(f"{s}={signal.label(s)}" for s in sources)

    def expect(*outs: Labels) -> tuple[ExpectedAlert, ...]:
        return tuple(e for out in outs for e in _expected(c, a.name, out, F(1)))

    lasted, window = duration(a.for_seconds), duration(memory)
    gone, other = _stops(sample, c.base("a"), present_steps), counter(sample, c.base("b", 2), (F(1), n))
    everywhere = (AlertCheck(a.name, fires_at - c.e, ()),
                  AlertCheck(a.name, fires_at, expect(service, source(gone))),
                  AlertCheck(a.name, forgotten, expect(service)))
    one = (AlertCheck(a.name, fires_at - c.e, ()),
           AlertCheck(a.name, fires_at, expect(source(gone))),
           AlertCheck(a.name, forgotten - 2 * c.e, expect(source(gone))),  # the last sample is still in range
           AlertCheck(a.name, forgotten, ()))
    instance_goes = _stops(sample, c.base("c"), present_steps)
    quiet = tuple(AlertCheck(a.name, at, ()) for at in (fires_at, forgotten))
    return [
        Case(a.group, f"{a.name}: gone from every source for {lasted}: fires for the service and for {named(gone)}, "
             f"an evaluation less does not; once its last sample has left the {window} window only the service's "
             "alert stays (another service stays)", (gone,), c.decoys([counter(sample, c.base("a"), (F(1), n))]),
             alerts=everywhere),
        Case(a.group, f"{a.name}: {named(gone)} stops while {named(other)} keeps reporting: fires for "
             f"{named(gone)} alone after {lasted}, an evaluation less does not; resolves once its last sample has "
             f"left the {window} window (another service stops in {named(other)})", (gone, other),
             c.decoys([_stops(sample, c.base("b", 2), present_steps)]), alerts=one),
        Case(a.group, f"{a.name}: {named(gone)} and {named(other)} keep reporting: never fires, though an instance "
             f"of {named(gone)} stops", (instance_goes, counter(sample, c.base("a"), (F(1), n)), other),
             alerts=quiet),
    ]


_BUILDERS: dict[str, Callable[[Ctx, Alert], list[Case]]] = {
    "LLMDailyCostProjectionOverBudget": _cost,
    "LLMUnpricedTokens": _unpriced,
    "LLMCircuitBreakerOpen": _breaker,
    "LLMLatencyBudgetFastBurn": _burn,
    "LLMLatencyBudgetSlowBurn": _burn,
    "LLMErrorRatioHigh": _errors,
    "LLMQueueBacklogHigh": _backlog,
    "LLMQueueWaitP95High": _wait,
    "LLMQueueItemsExpiring": _expiry,
    "LLMBundlesUnderfilled": _bundles,
    "LLMMetricsAbsent": _absent,
}


def alert_cases(c: Ctx) -> tuple[Case, ...]:
    """Cases for every alert of ``c.area``; raises KeyError for an alert without a builder."""
    return tuple(case for a in c.alerts if a.group == c.area for case in _BUILDERS[a.name](c, a))
