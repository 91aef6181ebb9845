"""What Prometheus should hold, computed from first principles: the workload's ledger mapped with the spec."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from generator.model import Bundle

__all__ = [
    "call_labels",
    "cost_by_series",
    "error_type",
    "extrapolated_rate",
    "histogram_quantile",
    "latency_buckets",
    "requests_by_series",
    "tokens_by_series",
    "unpriced_by_series",
]

Key = tuple[str, ...]


def call_labels(bundle: Bundle, provider: str, model: str) -> tuple[str, str]:
    """(provider, model) label values of a call: unknown models and providers become the fallback."""
    if provider not in bundle.providers:
        return bundle.fallback, bundle.fallback
    priced = any(p.provider == provider and p.model == model for p in bundle.prices)
    return provider, model if priced else bundle.fallback


def error_type(bundle: Bundle, mro: Sequence[str]) -> str:
    """The error_type of an exception: the first class along its MRO that the spec maps, else the fallback."""
    mapping = {name: kind for kind, names in bundle.error_types for name in names}
    return next((mapping[name] for name in mro if name in mapping), bundle.fallback)


def _price(bundle: Bundle, provider: str, model: str) -> dict[str, float] | None:
    """The spec's price per token type of a model; None for a model without one."""
    for price in bundle.prices:
        if (price.provider, price.model) == (provider, model):
            return dict(price.per_token_type())
    return None


def tokens_by_series(bundle: Bundle, ledger: dict[str, Any]) -> Counter[Key]:
    """Token counter values by (provider, model, token_type, feature)."""
    out: Counter[Key] = Counter()
    for provider, model, feature, token_type, n in ledger["tokens"]:
        out[(*call_labels(bundle, provider, model), token_type, feature)] += n
    return out


def unpriced_by_series(bundle: Bundle, ledger: dict[str, Any]) -> Counter[Key]:
    """Unpriced-token counter values by (provider, token_type)."""
    out: Counter[Key] = Counter()
    for provider, model, _feature, token_type, n in ledger["tokens"]:
        if _price(bundle, provider, model) is None:
            out[(call_labels(bundle, provider, model)[0], token_type)] += n
    return out


def cost_by_series(bundle: Bundle, ledger: dict[str, Any]) -> dict[Key, float]:
    """Cost counter values by (provider, model, feature): tokens x the spec's price per token."""
    out: dict[Key, float] = {}
    for provider, model, feature, token_type, n in ledger["tokens"]:
        price = _price(bundle, provider, model)
        if price is not None:
            key = (*call_labels(bundle, provider, model), feature)
            out[key] = out.get(key, 0.0) + n * price[token_type] / bundle.price_unit_tokens
    return out


def requests_by_series(bundle: Bundle, ledger: dict[str, Any]) -> Counter[Key]:
    """Request counter values by (provider, model, outcome, error_type, feature)."""
    out: Counter[Key] = Counter()
    for provider, model, _request_type, feature, outcome, mro, n in ledger["calls"]:
        kind = error_type(bundle, mro) if outcome == "error" else bundle.no_error
        out[(*call_labels(bundle, provider, model), outcome, kind, feature)] += n
    return out


def latency_buckets(
    bundle: Bundle, ledger: dict[str, Any], bounds: Iterable[float]
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Cumulative (upper bound, count) buckets per (provider, model), +Inf last, from every observed latency."""
    edges = [*sorted(bounds), math.inf]
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for provider, model, latency, n in ledger["latencies"]:
        key = call_labels(bundle, provider, model)
        counts = out.setdefault(key, [(edge, 0.0) for edge in edges])
        out[key] = [(edge, c + (n if latency <= edge else 0)) for edge, c in counts]
    return out


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """Prometheus's ``histogram_quantile`` over cumulative (upper bound, count) buckets, +Inf last."""
    observations = buckets[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i, (_, count) in enumerate(buckets[:-1]) if count >= rank), len(buckets) - 1)
    if b == len(buckets) - 1:
        return buckets[-2][0]
    start, below = (0.0, 0.0) if b == 0 else buckets[b - 1]
    end, count = buckets[b]
    return start + (end - start) * ((rank - below) / (count - below))


def extrapolated_rate(points: Sequence[tuple[float, float]], at: float, range_seconds: float) -> float | None:
    """Prometheus 2's ``rate(counter[range])`` at ``at`` from raw (timestamp, value) samples; None below 2 samples."""
    end = round(at * 1000)
    start = end - round(range_seconds * 1000)
    inside = [(round(t * 1000), v) for t, v in points if start <= round(t * 1000) <= end]
    if len(inside) < 2:
        return None
    increase = inside[-1][1] - inside[0][1]
    previous = 0.0
    for _, value in inside:
        if value < previous:  # a counter reset
            increase += previous
        previous = value
    to_start = (inside[0][0] - start) / 1000
    to_end = (end - inside[-1][0]) / 1000
    sampled = (inside[-1][0] - inside[0][0]) / 1000
    average = sampled / (len(inside) - 1)
    if increase > 0 and inside[0][1] >= 0:
        to_start = min(to_start, sampled * (inside[0][1] / increase))
    threshold = average * 1.1
    interval = sampled + (to_start if to_start < threshold else average / 2)
    interval += to_end if to_end < threshold else average / 2
    return increase * (interval / sampled) / range_seconds
