"""Every naming rule and default of the bundle, in one place; nothing else invents a name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ATTRIBUTED_METRICS",
    "DEFAULT_METRICS",
    "LABEL_NAME_RE",
    "METRIC_NAME_RE",
    "RESERVED_LABELS",
    "TOKEN_TYPES",
    "MetricDefault",
    "prometheus_rule_name",
]

MetricKind = Literal["counter", "gauge", "histogram"]

METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Labels Prometheus or prometheus_client give a meaning of their own.
RESERVED_LABELS = frozenset({"le", "quantile"})

# Each token is counted once, under exactly one type, so tokens x price adds up to the bill.
TOKEN_TYPES = ("prompt", "cached_prompt", "completion", "reasoning")
OUTCOMES = ("success", "error", "cancelled")
NO_ERROR = "none"

# Semantic label keys; `label_names` in the spec may rename any of them everywhere at once.
SEMANTIC_LABELS = (
    "provider",
    "model",
    "token_type",
    "request_type",
    "outcome",
    "error_type",
    "queue_type",
    "reason",
    "service",
    "circuit_name",
    "helper",
)

# Public helpers of the generated module; each is a value of the `helper` label of invalid_values.
HELPERS = (
    "track_call",
    "record_usage",
    "set_queue_depth",
    "track_queue_item",
    "record_expiry",
    "expire_stale",
    "observe_bundle",
    "set_breaker_state",
)
# The SRE workbook's page: 2% of a 30-day error budget burnt in one hour (alerting.BURN_RATES uses it).
FAST_BURN_RATE = "14.4"
CANCELLED = "cancelled"  # outcome of calls cancelled by the caller: neither a success nor a provider error
# Alert templates format small rates with plain digits: humanize writes 0.1 as "100m", read as a hundred million.
PLAIN_NUMBER = 'printf "%.4g"'


@dataclass(frozen=True)
class MetricDefault:
    """The shipped default of one LLM pattern metric."""

    kind: MetricKind
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()
    # How prometheus_client merges a gauge across worker processes (PROMETHEUS_MULTIPROC_DIR).
    multiprocess_mode: str = ""


DEFAULT_METRICS: dict[str, MetricDefault] = {
    "response_duration": MetricDefault(
        "histogram",
        "llm_provider_response_duration_seconds",
        "LLM API response time.",
        ("provider", "model"),
        (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    ),
    "response_duration_fine": MetricDefault(
        "histogram",
        "llm_provider_response_time_fine_seconds",
        "LLM API response time in fine buckets, for latency objectives.",
        ("provider", "model", "request_type"),
        (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
    ),
    "time_to_first_token": MetricDefault(
        "histogram",
        "llm_provider_time_to_first_token_seconds",
        "Time from request start to the first streamed token.",
        ("provider", "model"),
        (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    ),
    "tokens": MetricDefault(
        "counter",
        "llm_provider_tokens_total",
        "Tokens used by LLM calls, by token type.",
        ("provider", "model", "token_type"),
    ),
    "cost": MetricDefault(
        "counter",
        "llm_provider_cost_dollars_total",
        "Estimated spend on LLM calls, from the price table.",
        ("provider", "model"),
    ),
    "unpriced_tokens": MetricDefault(
        "counter",
        "llm_provider_unpriced_tokens_total",
        "Tokens used by models with no price in the spec (not included in the cost).",
        ("provider", "token_type"),
    ),
    "requests": MetricDefault(
        "counter",
        "llm_provider_requests_total",
        "LLM calls by outcome and error type.",
        ("provider", "model", "outcome", "error_type"),
    ),
    "in_flight": MetricDefault(
        "gauge",
        "llm_provider_requests_in_flight",
        "LLM calls currently in flight.",
        ("provider",),
        multiprocess_mode="livesum",
    ),
    "queue_depth": MetricDefault(
        "gauge",
        "llm_queue_depth",
        "Items waiting in the queue, set at processing boundaries.",
        ("queue_type",),
        multiprocess_mode="livesum",
    ),
    "queue_wait": MetricDefault(
        "histogram",
        "llm_queue_wait_time_seconds",
        "Time an item waited in the queue before processing started.",
        ("queue_type",),
        (0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600),
    ),
    "processing": MetricDefault(
        "histogram",
        "llm_processing_duration_seconds",
        "Time spent processing a queued item.",
        ("queue_type",),
        (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    ),
    "queue_expiry": MetricDefault(
        "counter",
        "llm_queue_expiry_total",
        "Queued items dropped because they expired.",
        ("queue_type", "reason"),
    ),
    "queue_expiry_age": MetricDefault(
        "histogram",
        "llm_queue_expiry_age_seconds",
        "Age of queued items when they expired.",
        ("queue_type",),
        (30, 60, 120, 300, 600, 1200, 3600),
    ),
    "bundle_items": MetricDefault(
        "histogram",
        "llm_serial_bundle_items_per_call",
        "Items processed per bundled LLM call.",
        (),
        (1, 2, 4, 8, 16, 32, 64),
    ),
    "circuit_breaker": MetricDefault(
        "gauge",
        "circuit_breaker_state",
        "Circuit breaker state (closed 0, open 1, half_open 2).",
        ("service", "circuit_name"),
        multiprocess_mode="livemostrecent",
    ),
    "invalid_values": MetricDefault(
        "counter",
        "llm_metrics_invalid_values_total",
        "Values the instrumentation helpers could not record as given (dropped, or recorded under the fallback label).",
        ("helper",),
    ),
}

# The LLM request metrics that carry the spec's attribution labels (e.g. `feature`).
# The fine histogram and time-to-first-token stay without them to bound their bucket series.
ATTRIBUTED_METRICS = ("requests", "response_duration", "tokens", "cost")



# The generated PrometheusRule is named `<service>-llm-rules` unless the spec's `kubernetes.name` says otherwise.
PROMETHEUS_RULE_SUFFIX = "-llm-rules"
_DNS_SUBDOMAIN_MAX = 253


def prometheus_rule_name(service: str) -> str:
    """A DNS-1123 subdomain derived from the service name: ``search "assist"`` -> ``search-assist-llm-rules``."""
    ascii_name = unicodedata.normalize("NFKD", service).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    slug = slug[: _DNS_SUBDOMAIN_MAX - len(PROMETHEUS_RULE_SUFFIX)].rstrip("-")
    return f"{slug}{PROMETHEUS_RULE_SUFFIX}" if slug else PROMETHEUS_RULE_SUFFIX.lstrip("-")
