"""The resolved bundle model: pure data, every name final. Emitters read only this."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .conventions import MetricKind

__all__ = [
    "Attribution",
    "Bundle",
    "Kubernetes",
    "LabelDomain",
    "Metric",
    "Price",
    "Service",
    "Thanos",
    "Thresholds",
]


@dataclass(frozen=True)
class Metric:
    """One metric as the generated module defines it."""

    key: str  # pattern key such as "tokens", or "custom.<name>" for the service's own metrics
    kind: MetricKind
    name: str  # as passed to prometheus_client (counters end in _total)
    help: str
    labels: tuple[str, ...]  # final label names, in call order
    buckets: tuple[float, ...] = ()
    series_estimate: int = 0
    multiprocess_mode: str = ""  # gauges only: how worker processes' values merge

    @property
    def base_name(self) -> str:
        """The name without the ``_total`` prometheus_client adds back on counters."""
        return self.name.removesuffix("_total") if self.kind == "counter" else self.name

    @property
    def sample_names(self) -> tuple[str, ...]:
        """Every sample name this metric exposes, ``_created`` included."""
        if self.kind == "histogram":
            return tuple(f"{self.name}{s}" for s in ("_bucket", "_count", "_sum", "_created"))
        if self.kind == "counter":
            return (self.name, f"{self.base_name}_created")
        return (self.name,)


@dataclass(frozen=True)
class Price:
    """Prices of one model, in the spec's currency per ``Bundle.price_unit_tokens`` tokens."""

    provider: str
    model: str
    prompt: float
    completion: float
    cached_prompt: float
    reasoning: float

    def per_token_type(self) -> tuple[tuple[str, float], ...]:
        """(token_type, price) pairs in TOKEN_TYPES order."""
        return (
            ("prompt", self.prompt),
            ("cached_prompt", self.cached_prompt),
            ("completion", self.completion),
            ("reasoning", self.reasoning),
        )


@dataclass(frozen=True)
class LabelDomain:
    """The values a bounded label may take; anything else is recorded as ``fallback``."""

    name: str
    values: tuple[str, ...]
    fallback: str

    @property
    def size(self) -> int:
        return len(self.values) + (self.fallback not in self.values)


@dataclass(frozen=True)
class Attribution:
    """An extra label on the LLM request metrics (e.g. ``feature``)."""

    domain: LabelDomain


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    runbook_base_url: str
    selector: tuple[tuple[str, str], ...]
    scrape_interval: float
    source_labels: tuple[str, ...]


@dataclass(frozen=True)
class Thresholds:
    daily_cost_budget: float
    daily_cost_critical_budget: float | None
    latency_target: float
    latency_objective: float
    error_ratio_max: float
    circuit_breaker_open_for: float
    queue_depth_max: float
    queue_wait_p95_max: float
    queue_expiry_rate_max: float
    bundle_items_mean_min: float


@dataclass(frozen=True)
class Kubernetes:
    """Metadata of the generated PrometheusRule object."""

    name: str  # a DNS-1123 subdomain
    namespace: str  # a DNS-1123 label
    labels: tuple[tuple[str, str], ...]  # sorted by key


@dataclass(frozen=True)
class Thanos:
    """Thanos Ruler settings; ``None`` means no Thanos variant of the rule files is written."""

    partial_response_strategy: Literal["warn", "abort"] | None


@dataclass(frozen=True)
class Bundle:
    """Everything the emitters need, resolved from one spec."""

    source: str  # the spec path as shown in generated headers, e.g. specs/llm.yaml
    service: Service
    currency: str
    price_unit_tokens: int  # 1_000 or 1_000_000
    prices: tuple[Price, ...]
    fallback: str  # label value for unknown providers/models and other unbounded values
    label_names: tuple[tuple[str, str], ...]  # semantic label -> final label name
    token_types: tuple[str, ...]
    outcomes: tuple[str, ...]
    no_error: str  # error_type on successful calls
    attribution: tuple[Attribution, ...]
    request_types: tuple[str, ...]
    error_types: tuple[tuple[str, tuple[str, ...]], ...]  # error_type -> exception class names
    queue_types: tuple[str, ...]
    expiry_reasons: tuple[str, ...]
    breaker_service: str
    circuits: tuple[str, ...]
    breaker_states: tuple[tuple[str, int], ...]
    metrics: tuple[tuple[str, Metric], ...]  # pattern key -> metric, in DEFAULT_METRICS order
    custom_metrics: tuple[Metric, ...]
    thresholds: Thresholds
    max_series: int | None
    kubernetes: Kubernetes
    thanos: Thanos
    warnings: tuple[str, ...] = ()  # convention lints, printed by the CLI, never fatal

    def metric(self, key: str) -> Metric:
        """The LLM pattern metric for ``key`` (e.g. ``"cost"``)."""
        return dict(self.metrics)[key]

    def label(self, semantic: str) -> str:
        """The final name of a semantic label (e.g. ``"provider"``); ``le`` is never renamed."""
        return "le" if semantic == "le" else dict(self.label_names)[semantic]

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.provider for p in self.prices))

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.model for p in self.prices))

    @property
    def all_metrics(self) -> tuple[Metric, ...]:
        return tuple(m for _, m in self.metrics) + self.custom_metrics

    @property
    def series_estimate(self) -> int:
        return sum(m.series_estimate for m in self.all_metrics)

    @property
    def breaker_open_value(self) -> int:
        return dict(self.breaker_states)["open"]


Severity = Literal["critical", "warning", "info"]
