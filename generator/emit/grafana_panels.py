"""The catalogue of the LLM overview dashboard: one function per row, every panel built from the Bundle.

Panels read recording rules where the catalogue has one (``generator.recording``) and raw samples with
``$__rate_interval`` otherwise; thresholds come from ``bundle.thresholds``.
"""

from __future__ import annotations

from ..alerting import BURN_RATES
from ..model import Bundle, Metric
from ..promql import number
from ..units import format_duration, format_number
from .grafana_layout import Limits, Panel, Query, Row, State, above, below
from .grafana_queries import Queries, legend, sum_by

__all__ = ["ALERTS", "GRAFANA_CURRENCIES", "currency_unit", "overview_rows"]

# Alerts of generator.alerting that panels link to (the builder checks each name against that catalogue).
ALERTS: dict[str, tuple[str, ...]] = {
    "cost": ("LLMDailyCostProjectionOverBudget",),
    "breaker": ("LLMCircuitBreakerOpen",),
    "latency": tuple(burn.name for burn in BURN_RATES),
    "errors": ("LLMErrorRatioHigh",),
    "backlog": ("LLMQueueBacklogHigh",),
    "wait": ("LLMQueueWaitP95High",),
    "expiry": ("LLMQueueItemsExpiring",),
    "bundles": ("LLMBundlesUnderfilled",),
    "unpriced": ("LLMUnpricedTokens",),
}

# Currencies Grafana has a unit for (valueFormats/categories.ts); others use the `currency:` custom unit.
GRAFANA_CURRENCIES = frozenset(
    {"USD", "GBP", "EUR", "JPY", "RUB", "UAH", "BRL", "DKK", "ISK", "NOK", "SEK", "CZK", "CHF", "PLN", "INR", "KRW"}
)
SECONDS = "s"
RATIO = "percentunit"
CALLS_PER_SECOND = "reqps"
TOKENS_PER_SECOND = "suffix:tokens/s"
ITEMS_PER_SECOND = "suffix:items/s"
COUNT = "short"
STATE = "none"
INSTANCE = "instance"  # the target label Prometheus adds to every scraped series
SECONDS_PER_HOUR = 3600
TTFT_QUANTILES = (("p50", 0.5), ("p95", 0.95))
# Pattern metrics the designed rows below show; any other pattern metric gets a generic panel.
DESIGNED = frozenset(
    {"response_duration", "response_duration_fine", "time_to_first_token", "tokens", "cost", "unpriced_tokens",
     "requests", "in_flight", "queue_depth", "queue_wait", "processing", "queue_expiry", "queue_expiry_age",
     "bundle_items", "circuit_breaker"}
)
# Colours of the circuit-breaker states; a state the spec adds beyond these is drawn blue.
STATE_COLOURS = {"closed": "green", "half_open": "yellow", "open": "red"}


def currency_unit(currency: str) -> str:
    """Grafana's unit id for a currency code."""
    return f"currency{currency}" if currency in GRAFANA_CURRENCIES else f"currency:{currency}"


def _percent(fraction: float) -> str:
    """``0.99`` -> ``99%`` without float noise."""
    return f"{format_number(round(fraction * 100, 9))}%"


def _reads(q: Queries, rule_id: str) -> str:
    """The closing sentence of a description: which recorded series the panel reads."""
    return f" Reads the recording rule {q.rule(rule_id).record}."


def _traffic(b: Bundle, q: Queries) -> Row:
    """Request rate, errors, latency quantiles, the latency objective and the latency distribution."""
    pm = q.labels("provider", "model")
    t = b.thresholds
    target = format_duration(t.latency_target)
    requests = b.metric("requests")
    quantiles = tuple(
        Query(q.recorded(f"latency_{name}"), f"{name} {legend(*pm)}") for name in ("p50", "p95", "p99")
    )
    burn = tuple(
        Query(f"{q.record(r)} / (1 - {number(t.latency_objective)})", f"over {r.id.split(':', 1)[1]}")
        for r in q.rules_with_prefix("latency_over_target:")
    )
    ttft = b.metric("time_to_first_token")
    return Row("Traffic and latency", (
        Panel("timeseries", "Request rate", q.rule("request_rate").meaning + _reads(q, "request_rate"),
              CALLS_PER_SECOND, (Query(q.sum_recorded("request_rate", "provider", "model"), legend(*pm)),)),
        Panel("timeseries", "Error ratio",
              f"{q.rule('error_ratio').meaning} The alert fires above {_percent(t.error_ratio_max)}."
              + _reads(q, "error_ratio"),
              RATIO, (Query(q.recorded("error_ratio"), legend(*pm)),),
              limits=above(t.error_ratio_max), alerts=ALERTS["errors"], min=0),
        Panel("timeseries", "Failed calls by error type",
              f"Calls per second that failed, by {q.label('error_type')} (successful and cancelled calls have "
              f"{q.label('error_type')}=\"{b.no_error}\" and are not drawn).",
              CALLS_PER_SECOND,
              (Query(q.sum_rate(requests, q.labels("outcome", "error_type"),
                                extra=((q.label("error_type"), "!=", b.no_error),)),
                     legend(*q.labels("outcome", "error_type"))),)),
        Panel("timeseries", "Response time p50 / p95 / p99",
              f"Response-time quantiles by provider and model, from the broad histogram; the dashed line is the "
              f"{target} latency target." + _reads(q, "latency_p99"),
              SECONDS, quantiles, limits=above(t.latency_target)),
        Panel("timeseries", "Calls faster than the latency target",
              f"{q.rule('latency_under_target').meaning} The objective is {_percent(t.latency_objective)}: "
              "below the line the error budget is being spent." + _reads(q, "latency_under_target"),
              RATIO, (Query(q.recorded("latency_under_target"), legend(*pm)),),
              limits=below(t.latency_objective), alerts=ALERTS["latency"], max=1),
        Panel("timeseries", "Latency error-budget burn rate",
              f"How fast each window spends the error budget of the {_percent(t.latency_objective)} objective "
              f"(1 = exactly on budget): the fraction of calls slower than {target}, divided by "
              f"1 - {number(t.latency_objective)}. Reads the latency_over_target recording rules.",
              COUNT, burn, alerts=ALERTS["latency"]),
        Panel("heatmap", "Response time distribution",
              "Calls per second in each bucket of the broad response-time histogram "
              f"({b.metric('response_duration').name}), pre-bucketed by the service.",
              CALLS_PER_SECOND,
              (Query(q.bucket_rates(b.metric("response_duration")), "{{le}}", "heatmap"),),
              width=12, y_unit=SECONDS),
        Panel("timeseries", "Time to first token p50 / p95",
              f"Time from request start to the first streamed token ({ttft.name}), by provider and model.",
              SECONDS,
              tuple(Query(q.quantile(v, ttft, pm), f"{name} {legend(*pm)}") for name, v in TTFT_QUANTILES),
              width=12),
    ))


def _cost(b: Bundle, q: Queries) -> Row:
    """Tokens, spend, the daily projection against the budget, cost per model and unpriced tokens."""
    t = b.thresholds
    cur = currency_unit(b.currency)
    pm = q.labels("provider", "model")
    budget = f"{format_number(t.daily_cost_budget)} {b.currency}"
    critical = t.daily_cost_critical_budget
    critical_text = "" if critical is None else f", critical at {format_number(critical)} {b.currency}"
    projection = "cost_daily_projection:provider_model"
    per_hour = f"{q.sum_recorded('cost_rate:provider_model', 'provider', 'model')} * {SECONDS_PER_HOUR}"
    per_call = (f"{q.sum_recorded('cost_rate:provider_model', 'provider', 'model')} / "
                f"{q.sum_recorded('request_rate', 'provider', 'model')}")
    panels = [
        Panel("stat", "Projected daily spend",
              f"Spend per day if the last hour's rate went on, for the selected providers and models. "
              f"Budget {budget} per day{critical_text}." + _reads(q, projection),
              cur, (Query(q.sum_recorded(projection), "projected per day"),), width=6,
              limits=_budget_limits(b), alerts=ALERTS["cost"]),
        Panel("timeseries", "Spend per hour by model",
              f"Spend in {b.currency} per hour at the last 5 minutes' rate, by provider and model."
              + _reads(q, "cost_rate:provider_model"),
              cur, (Query(per_hour, legend(*pm)),), width=9),
        Panel("timeseries", "Tokens per second by type",
              "Tokens per second by token type, over the selected providers and models."
              + _reads(q, "tokens_rate"),
              TOKENS_PER_SECOND,
              (Query(q.sum_recorded("tokens_rate", "token_type"), legend(q.label("token_type"))),), width=9),
        Panel("table", "Cost by model",
              f"Per provider and model: the projected spend per day (last hour's rate) and the mean cost of a "
              f"call (last 5 minutes), in {b.currency}.",
              cur,
              (Query(q.sum_recorded(projection, "provider", "model"), "Projected per day", "table", True),
               Query(per_call, "Cost per call", "table", True)),
              width=12, sort_by="Projected per day"),
    ]
    for attribution in b.attribution:
        name = attribution.domain.name
        expr = f"{q.sum_rate(b.metric('cost'), (name,))} * {SECONDS_PER_HOUR}"
        panels.append(Panel(
            "timeseries", f"Spend per hour by {name}",
            f"Spend in {b.currency} per hour by the {name} attribution label "
            f"({', '.join(attribution.domain.values)}; anything else is {attribution.domain.fallback}).",
            cur, (Query(expr, legend(name)),), width=12,
        ))
    panels.append(Panel(
        "timeseries", "Unpriced tokens",
        q.rule("unpriced_tokens_rate").meaning + " Add the model to the spec's price table."
        + _reads(q, "unpriced_tokens_rate"),
        TOKENS_PER_SECOND,
        (Query(q.sum_recorded("unpriced_tokens_rate", "provider", "token_type"),
               legend(*q.labels("provider", "token_type"))),),
        width=12, alerts=ALERTS["unpriced"],
    ))
    return Row("Tokens and cost", tuple(panels))


def _budget_limits(b: Bundle) -> Limits:
    """The daily budget (and the critical budget, when set) as stat colours."""
    t = b.thresholds
    if t.daily_cost_critical_budget is None:
        return above(t.daily_cost_budget)
    return above(t.daily_cost_critical_budget, warning=t.daily_cost_budget)


def _concurrency(b: Bundle, q: Queries) -> Row:
    """Calls in flight by provider."""
    return Row("Concurrency", (
        Panel("timeseries", "Calls in flight", q.rule("in_flight").meaning + _reads(q, "in_flight"), COUNT,
              (Query(q.sum_recorded("in_flight", "provider"), legend(q.label("provider"))),), width=24),
    ))


def _queues(b: Bundle, q: Queries) -> Row:
    """Queue depth, wait beside processing time, expiries and the age of expired items."""
    t = b.thresholds
    qt = legend(q.label("queue_type"))
    return Row("Queues", (
        Panel("timeseries", "Queue depth",
              f"{q.rule('queue_depth').meaning} The alert fires above {format_number(t.queue_depth_max)} items."
              + _reads(q, "queue_depth"),
              COUNT, (Query(q.sum_recorded("queue_depth", "queue_type"), qt),),
              limits=above(t.queue_depth_max), alerts=ALERTS["backlog"]),
        Panel("timeseries", "Queue wait p95",
              f"{q.rule('queue_wait_p95').meaning} The alert fires above {format_duration(t.queue_wait_p95_max)}."
              + _reads(q, "queue_wait_p95"),
              SECONDS, (Query(q.recorded("queue_wait_p95"), qt),),
              limits=above(t.queue_wait_p95_max), alerts=ALERTS["wait"]),
        Panel("timeseries", "Processing time p95",
              q.rule("processing_p95").meaning + " Compare with the queue wait beside it."
              + _reads(q, "processing_p95"),
              SECONDS, (Query(q.recorded("processing_p95"), qt),)),
        Panel("timeseries", "Expired items",
              f"{q.rule('queue_expiry_rate').meaning} The alert fires above "
              f"{format_number(t.queue_expiry_rate_max)} per second." + _reads(q, "queue_expiry_rate"),
              ITEMS_PER_SECOND, (Query(q.sum_recorded("queue_expiry_rate", "queue_type"), qt),),
              width=12, limits=above(t.queue_expiry_rate_max), alerts=ALERTS["expiry"]),
        Panel("timeseries", "Age at expiry p95",
              q.rule("queue_expiry_age_p95").meaning + _reads(q, "queue_expiry_age_p95"),
              SECONDS, (Query(q.recorded("queue_expiry_age_p95"), qt),), width=12),
    ))


def _bundling(b: Bundle, q: Queries) -> Row:
    """Mean items per bundled call against the minimum, and the items-per-call distribution."""
    t = b.thresholds
    items = b.metric("bundle_items")
    return Row("Bundling", (
        Panel("timeseries", "Items per bundled call",
              f"{q.rule('bundle_items_mean').meaning} The alert fires below "
              f"{format_number(t.bundle_items_mean_min)}." + _reads(q, "bundle_items_mean"),
              COUNT, (Query(q.recorded("bundle_items_mean"), "mean items per call"),),
              width=12, limits=below(t.bundle_items_mean_min), alerts=ALERTS["bundles"]),
        Panel("heatmap", "Items per call distribution",
              f"Bundled calls per second in each bucket of {items.name}: how full the bundles are.",
              CALLS_PER_SECOND, (Query(q.bucket_rates(items), "{{le}}", "heatmap"),), width=12, y_unit=COUNT),
    ))


def _breakers(b: Bundle, q: Queries) -> Row:
    """Circuit-breaker state per circuit and instance, and the number of open circuits."""
    breaker = b.metric("circuit_breaker")
    states = tuple(State(v, name, STATE_COLOURS.get(name, "blue")) for name, v in b.breaker_states)
    names = ", ".join(f"{name} {v}" for name, v in b.breaker_states)
    circuit = q.label("circuit_name")
    return Row("Circuit breakers", (
        Panel("state-timeline", "Circuit breaker state",
              f"State of each circuit of {b.breaker_service} on each instance ({names}). The alert fires when "
              f"a circuit stays open for {format_duration(b.thresholds.circuit_breaker_open_for)}.",
              STATE, (Query(q.raw(breaker), legend(circuit, INSTANCE)),),
              width=18, states=states, alerts=ALERTS["breaker"]),
        Panel("stat", "Open circuits",
              "Circuits open on at least one instance now." + _reads(q, "breaker_open"),
              COUNT, (Query(q.sum_recorded("breaker_open"), "open circuits"),), width=6, alerts=ALERTS["breaker"]),
    ))


def _generic(q: Queries, metric: Metric) -> Panel:
    """A panel for a metric without a designed one: rate of a counter, sum of a gauge, p95 of a histogram."""
    labels = metric.labels
    shown = legend(*labels) if labels else metric.name
    if metric.kind == "counter":
        return Panel("timeseries", metric.name, f"{metric.help} Per second, by {', '.join(labels) or 'service'}.",
                     "cps", (Query(q.sum_rate(metric, labels), shown),), width=12)
    if metric.kind == "gauge":
        return Panel("timeseries", metric.name, f"{metric.help} Summed over instances.", COUNT,
                     (Query(sum_by(labels, q.raw(metric)), shown),), width=12)
    unit = SECONDS if metric.name.endswith("_seconds") else COUNT
    return Panel("timeseries", f"{metric.name} p95", f"{metric.help} 95th percentile.", unit,
                 (Query(q.quantile(0.95, metric, labels), shown),), width=12)


def _others(b: Bundle, q: Queries) -> Row | None:
    """Pattern metrics without a designed panel, then the service's own metrics."""
    metrics = [m for key, m in b.metrics if key not in DESIGNED] + list(b.custom_metrics)
    if not metrics:
        return None
    return Row("Instrumentation and service metrics", tuple(_generic(q, m) for m in metrics))


def overview_rows(bundle: Bundle) -> tuple[Row, ...]:
    """Every row of the LLM overview dashboard, top to bottom."""
    q = Queries(bundle)
    rows = [part(bundle, q) for part in (_traffic, _cost, _concurrency, _queues, _bundling, _breakers)]
    others = _others(bundle, q)
    return tuple(rows + ([others] if others else []))
