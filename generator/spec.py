"""The user's spec (``version: 1``) as typed, strict pydantic models: what the user wrote, nothing derived."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .units import parse_duration

__all__ = ["Spec"]


def _duration(value: object) -> float:
    """Accept ``5m`` style strings (or plain seconds) and return positive seconds."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected a duration such as 30s or 5m, got {type(value).__name__}")
    try:
        seconds = parse_duration(value) if isinstance(value, str) else float(value)
    except OverflowError:
        raise ValueError("duration too large") from None
    if not seconds > 0:
        raise ValueError("must be a positive duration")
    if seconds < 0.001 or seconds > _LONGEST:
        raise ValueError("must be between 1ms and 1 year")
    return seconds


_LONGEST = 365 * 86400.0

Duration = Annotated[float, BeforeValidator(_duration)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, lt=1)]
NonEmptyStr = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Service(_Strict):
    name: NonEmptyStr
    team: NonEmptyStr
    runbook_base_url: NonEmptyStr
    selector: dict[NonEmptyStr, NonEmptyStr] = Field(min_length=1)
    scrape_interval: Duration = 15.0
    # Labels that identify where a series came from (kept by every aggregation, for Thanos/Mimir).
    source_labels: list[str] = Field(default_factory=list)


class ModelPrice(_Strict):
    prompt: NonNegative
    completion: NonNegative
    cached_prompt: NonNegative | None = None
    reasoning: NonNegative | None = None


class Provider(_Strict):
    models: dict[NonEmptyStr, ModelPrice] = Field(min_length=1)


class Pricing(_Strict):
    currency: NonEmptyStr = "USD"
    unit: Literal["per_1k_tokens", "per_1m_tokens"]
    providers: dict[NonEmptyStr, Provider] = Field(min_length=1)


class UnknownModels(_Strict):
    label_value: NonEmptyStr = "other"


class AttributionLabel(_Strict):
    values: list[NonEmptyStr] = Field(min_length=1)
    fallback: NonEmptyStr = "other"


class Requests(_Strict):
    request_types: list[NonEmptyStr] = Field(default_factory=lambda: ["chat", "completion", "embedding"], min_length=1)
    error_types: dict[NonEmptyStr, list[NonEmptyStr]] = Field(default_factory=dict)


class Queues(_Strict):
    types: list[NonEmptyStr] = Field(default_factory=lambda: ["comparison"], min_length=1)
    expiry_reasons: list[NonEmptyStr] = Field(default_factory=lambda: ["timeout"], min_length=1)


class CircuitBreakers(_Strict):
    service: NonEmptyStr = "llm_provider"
    circuits: list[NonEmptyStr] = Field(default_factory=lambda: ["default"], min_length=1)
    states: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=lambda: {"closed": 0, "open": 1, "half_open": 2}
    )


class MetricOverride(_Strict):
    name: NonEmptyStr | None = None
    help: NonEmptyStr | None = None
    buckets: list[float] | None = None


class Metrics(_Strict):
    response_duration: MetricOverride = MetricOverride()
    response_duration_fine: MetricOverride = MetricOverride()
    time_to_first_token: MetricOverride = MetricOverride()
    tokens: MetricOverride = MetricOverride()
    cost: MetricOverride = MetricOverride()
    unpriced_tokens: MetricOverride = MetricOverride()
    requests: MetricOverride = MetricOverride()
    in_flight: MetricOverride = MetricOverride()
    queue_depth: MetricOverride = MetricOverride()
    queue_wait: MetricOverride = MetricOverride()
    processing: MetricOverride = MetricOverride()
    queue_expiry: MetricOverride = MetricOverride()
    queue_expiry_age: MetricOverride = MetricOverride()
    bundle_items: MetricOverride = MetricOverride()
    circuit_breaker: MetricOverride = MetricOverride()
    invalid_values: MetricOverride = MetricOverride()


class LatencyThreshold(_Strict):
    target: Duration
    objective: Fraction


class Thresholds(_Strict):
    daily_cost_budget: Positive
    daily_cost_critical_budget: Positive | None = None
    latency: LatencyThreshold
    error_ratio_max: Fraction = 0.05
    circuit_breaker_open_for: Duration = 300.0
    queue_depth_max: Positive = 100
    queue_wait_p95_max: Duration = 60.0
    queue_expiry_rate_max: NonNegative = 0
    bundle_items_mean_min: Positive = 2


class CustomMetric(_Strict):
    name: NonEmptyStr
    type: Literal["counter", "gauge", "histogram"]
    help: NonEmptyStr
    labels: list[str] = Field(default_factory=list)
    buckets: list[float] | None = None
    # Gauges only: how worker processes' values merge under PROMETHEUS_MULTIPROC_DIR.
    multiprocess_mode: (
        Literal["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent", "livemostrecent"]
        | None
    ) = None


class Kubernetes(_Strict):
    # metadata of the generated PrometheusRule; the name defaults to one derived from service.name
    name: NonEmptyStr | None = None
    namespace: NonEmptyStr = "monitoring"
    # e.g. release: prometheus, so the operator's ruleSelector picks the object up
    labels: dict[str, str] = Field(default_factory=dict)


class Thanos(_Strict):
    # Set it to also write thanos/rules/*.yaml, whose groups carry it (Thanos Ruler only; promtool rejects the key).
    partial_response_strategy: Literal["warn", "abort"] | None = None


class Spec(_Strict):
    """A whole ``specs/llm.yaml``."""

    version: Literal[1]
    service: Service
    pricing: Pricing
    unknown_models: UnknownModels = UnknownModels()
    attribution: dict[str, AttributionLabel] = Field(default_factory=dict)
    label_names: dict[str, str] = Field(default_factory=dict)
    requests: Requests = Requests()
    queues: Queues = Queues()
    circuit_breakers: CircuitBreakers = CircuitBreakers()
    metrics: Metrics = Metrics()
    thresholds: Thresholds
    custom_metrics: list[CustomMetric] = Field(default_factory=list)
    # Optional budget on the estimated number of time series; generation fails above it.
    max_series: Annotated[int, Field(gt=0)] | None = None
    kubernetes: Kubernetes = Kubernetes()
    thanos: Thanos = Thanos()
