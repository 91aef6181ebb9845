"""The catalogue of recording rules, derived from the Bundle. Rule emitters serialise it; dashboards,
alerts and docs look rules up by id, so a recorded name is written in exactly one place."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Bundle
from .promql import by, duration, le_matcher, range_seconds, selector
from .units import parse_duration

__all__ = ["RecordingRule", "recording_rules", "rule"]

QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
# Windows of the SRE workbook's multi-window, multi-burn-rate alerts.
SLO_WINDOWS = (300.0, 1800.0, 3600.0, 21600.0)
SHORT = 300.0  # dashboards and most alerts
PROJECTION = 3600.0  # the daily projection extrapolates the last hour of spend
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class RecordingRule:
    """One recording rule: ``record`` name, its expression and what it means."""

    id: str
    group: str
    record: str
    expr: str
    meaning: str
    by: tuple[str, ...]  # labels the result keeps


class _Builder:
    def __init__(self, bundle: Bundle) -> None:
        self.b = bundle
        self.keep = tuple(k for k, _ in bundle.service.selector) + bundle.service.source_labels
        self.sel = tuple((k, "=", v) for k, v in bundle.service.selector)
        self.rules: list[RecordingRule] = []

    def window(self, nominal: float) -> str:
        return duration(range_seconds(nominal, self.b.service.scrape_interval))

    def level(self, *semantic: str) -> str:
        labels = [k for k, _ in self.b.service.selector] + [self.b.label(s) for s in semantic]
        return "_".join(labels)

    def labels(self, *semantic: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.keep + tuple(self.b.label(s) for s in semantic)))

    def metric(self, key: str, suffix: str = "") -> str:
        return self.b.metric(key).name + suffix

    def base(self, key: str) -> str:
        return self.b.metric(key).base_name

    def rate(
        self, key: str, window: float, *semantic: str, suffix: str = "", extra: tuple[tuple[str, str, str], ...] = ()
    ) -> str:
        inner = selector(self.metric(key, suffix), self.sel + extra)
        return f"sum {by(self.labels(*semantic))} (rate({inner}[{self.window(window)}]))"

    def add(self, rule_id: str, group: str, record: str, expr: str, meaning: str, *semantic: str) -> None:
        self.rules.append(RecordingRule(rule_id, group, record, expr, meaning, self.labels(*semantic)))


def _cost(r: _Builder) -> None:
    levels = {"provider_model": ("provider", "model"), "provider": ("provider",), "total": ()}
    cur = r.b.currency
    for name, semantic in levels.items():
        scope = " per " + " and ".join(semantic) if semantic else " in total"
        r.add(
            f"cost_rate:{name}",
            "cost",
            f"{r.level(*semantic)}:{r.base('cost')}:rate{r.window(SHORT)}",
            r.rate("cost", SHORT, *semantic),
            f"Spend in {cur} per second{scope}, over {r.window(SHORT)}.",
            *semantic,
        )
        r.add(
            f"cost_daily_projection:{name}",
            "cost",
            f"{r.level(*semantic)}:{r.base('cost')}:projected_daily_rate{r.window(PROJECTION)}",
            f"{r.rate('cost', PROJECTION, *semantic)} * {SECONDS_PER_DAY}",
            f"Projected spend in {cur} per day{scope}: the last {r.window(PROJECTION)}'s rate x 86400.",
            *semantic,
        )
    r.add(
        "tokens_rate",
        "cost",
        f"{r.level('provider', 'model', 'token_type')}:{r.base('tokens')}:rate{r.window(SHORT)}",
        r.rate("tokens", SHORT, "provider", "model", "token_type"),
        "Tokens per second by provider, model and token type.",
        "provider",
        "model",
        "token_type",
    )
    r.add(
        "cost_per_request",
        "cost",
        f"{r.level('provider', 'model')}:{r.base('cost')}_per_request:ratio_rate{r.window(SHORT)}",
        f"{r.rate('cost', SHORT, 'provider', 'model')} / {r.rate('requests', SHORT, 'provider', 'model')}",
        f"Mean spend in {cur} per LLM call by provider and model.",
        "provider",
        "model",
    )
    r.add(
        "unpriced_tokens_rate",
        "cost",
        f"{r.level('provider', 'token_type')}:{r.base('unpriced_tokens')}:rate{r.window(SHORT)}",
        r.rate("unpriced_tokens", SHORT, "provider", "token_type"),
        "Tokens per second from models with no price in the spec (missing from the cost).",
        "provider",
        "token_type",
    )


def _traffic(r: _Builder) -> None:
    pm = ("provider", "model")
    r.add(
        "request_rate",
        "traffic",
        f"{r.level(*pm)}:{r.base('requests')}:rate{r.window(SHORT)}",
        r.rate("requests", SHORT, *pm),
        "LLM calls per second by provider and model.",
        *pm,
    )
    error = ((r.b.label("outcome"), "=", "error"),)
    r.add(
        "error_ratio",
        "traffic",
        f"{r.level(*pm)}:{r.base('requests')}:error_ratio_rate{r.window(SHORT)}",
        f"{r.rate('requests', SHORT, *pm, extra=error)} / {r.rate('requests', SHORT, *pm)}",
        "Fraction of LLM calls that failed, by provider and model.",
        *pm,
    )
    latency = r.metric("response_duration")
    for name, q in QUANTILES:
        r.add(
            f"latency_{name}",
            "traffic",
            f"{r.level(*pm)}:{latency}:{name}_rate{r.window(SHORT)}",
            f"histogram_quantile({q}, {r.rate('response_duration', SHORT, *pm, 'le', suffix='_bucket')})",
            f"{name} response time in seconds by provider and model, from the broad histogram.",
            *pm,
        )
    r.add(
        "in_flight",
        "traffic",
        f"{r.level('provider')}:{r.metric('in_flight')}:sum",
        f"sum {by(r.labels('provider'))} ({selector(r.metric('in_flight'), r.sel)})",
        "LLM calls in flight by provider, summed over instances.",
        "provider",
    )


def _latency_slo(r: _Builder) -> None:
    fine = r.metric("response_duration_fine")
    target = r.b.thresholds.latency_target
    le = (le_matcher("le", target),)
    pm = ("provider", "model")
    under = f"{r.rate('response_duration_fine', SHORT, *pm, suffix='_bucket', extra=le)}"
    r.add(
        "latency_under_target",
        "latency-slo",
        f"{r.level(*pm)}:{fine}:under_target_ratio_rate{r.window(SHORT)}",
        f"{under} / {r.rate('response_duration_fine', SHORT, *pm, suffix='_count')}",
        f"Fraction of LLM calls faster than the {duration(target)} latency target, by provider and model.",
        *pm,
    )
    for w in dict.fromkeys(r.window(window) for window in SLO_WINDOWS):
        # (a scrape interval over 75s widens the shortest windows; two that become equal are recorded once)
        window = parse_duration(w)
        bucket = r.rate("response_duration_fine", window, suffix="_bucket", extra=le)
        count = r.rate("response_duration_fine", window, suffix="_count")
        r.add(
            f"latency_over_target:{w}",
            "latency-slo",
            f"{r.level()}:{fine}:over_target_ratio_rate{w}",
            f"1 - ({bucket} / {count})",
            f"Fraction of LLM calls slower than the {duration(target)} target over {w} (the SLO's error ratio).",
        )


def _queues(r: _Builder) -> None:
    q = ("queue_type",)
    r.add(
        "queue_depth",
        "queues",
        f"{r.level(*q)}:{r.metric('queue_depth')}:sum",
        f"sum {by(r.labels(*q))} ({selector(r.metric('queue_depth'), r.sel)})",
        "Items waiting per queue type, summed over instances.",
        *q,
    )
    for key, what in (
        ("queue_wait", "Queue wait"),
        ("processing", "Processing time"),
        ("queue_expiry_age", "Age at expiry"),
    ):
        r.add(
            f"{key}_p95",
            "queues",
            f"{r.level(*q)}:{r.metric(key)}:p95_rate{r.window(SHORT)}",
            f"histogram_quantile(0.95, {r.rate(key, SHORT, *q, 'le', suffix='_bucket')})",
            f"{what} p95 in seconds per queue type.",
            *q,
        )
    r.add(
        "queue_expiry_rate",
        "queues",
        f"{r.level(*q)}:{r.base('queue_expiry')}:rate{r.window(SHORT)}",
        r.rate("queue_expiry", SHORT, *q),
        "Queued items expiring per second, per queue type.",
        *q,
    )
    r.add(
        "bundle_items_mean",
        "queues",
        f"{r.level()}:{r.metric('bundle_items')}:mean_rate{r.window(SHORT)}",
        f"{r.rate('bundle_items', SHORT, suffix='_sum')} / {r.rate('bundle_items', SHORT, suffix='_count')}",
        "Mean items per bundled LLM call.",
    )


def _breakers(r: _Builder) -> None:
    sem = ("service", "circuit_name")
    state = selector(r.metric("circuit_breaker"), r.sel)
    r.add(
        "breaker_open",
        "circuit-breakers",
        f"{r.level(*sem)}:{r.metric('circuit_breaker')}:open_max",
        f"max {by(r.labels(*sem))} ({state} == bool {r.b.breaker_open_value})",
        "1 while the circuit breaker is open on any instance, else 0.",
        *sem,
    )


def recording_rules(bundle: Bundle) -> tuple[RecordingRule, ...]:
    """Every recording rule of the bundle, in a stable order."""
    r = _Builder(bundle)
    for part in (_cost, _traffic, _latency_slo, _queues, _breakers):
        part(r)
    return tuple(r.rules)


def rule(bundle: Bundle, rule_id: str) -> RecordingRule:
    """Look one rule up by id (e.g. ``"cost_daily_projection:total"``)."""
    for candidate in recording_rules(bundle):
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)
