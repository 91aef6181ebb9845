# Generated from tests/golden/customised/spec.yaml by the LLM monitoring bundle generator: do not edit.
# Change the spec and run `make generate` instead.
"""Prometheus metrics and instrumentation helpers for a service that calls LLM APIs.

Create one :class:`LLMMetrics` per process (it registers every metric) and use its helpers::

    metrics = LLMMetrics()
    with metrics.track_call("openai", "gpt-4o", "chat") as call:
        response = client.chat.completions.create(...)
        call.record_usage(response.usage)

The helpers never raise into the caller's request path. A value they cannot record as given (a
negative or non-integer token count, a NaN duration, an unknown queue type, ...) is dropped, or
recorded under the fallback label value, counted on the invalid-values counter under the helper's
name, and logged once per helper at WARNING on the ``llm_metrics`` logger. Unknown providers and
models are not errors: they are recorded under the fallback value and their tokens are counted on
the unpriced-tokens counter, so spend is never silently under-reported.
"""

from __future__ import annotations

import enum
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sized
from types import TracebackType
from typing import Final, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess

__all__ = [
    "BreakerState",
    "CustomMetrics",
    "LLMCall",
    "LLMMetrics",
    "QueueBatch",
    "QueueItem",
    "exposition_registry",
    "get_metrics",
    "usage_tokens",
]

SERVICE: Final = 'search "assist"'
CURRENCY: Final = 'EUR'
FALLBACK: Final = 'unlisted'
PRICE_UNIT_TOKENS: Final = 1000
TOKEN_TYPES: Final = ('prompt', 'cached_prompt', 'completion', 'reasoning')
# (provider, model) -> price per PRICE_UNIT_TOKENS tokens, in TOKEN_TYPES order.
PRICES: Final[Mapping[tuple[str, str], tuple[float, float, float, float]]] = {
    ('azure-openai', 'gpt-4o-2024-08-06'): (0.0025, 0.0025, 0.01, 0.01),
    ('google', 'gemini-1.5-pro'): (0.00125, 0.0003125, 0.005, 0.005),
}
PROVIDERS: Final = frozenset(('azure-openai', 'google'))
REQUEST_TYPES: Final = frozenset(('chat', 'embedding'))
DEFAULT_REQUEST_TYPE: Final = 'chat'
QUEUE_TYPES: Final = frozenset(('batch', 'interactive'))
EXPIRY_REASONS: Final = frozenset(('shed', 'timeout'))
DEFAULT_EXPIRY_REASON: Final = 'timeout'
CIRCUITS: Final = frozenset(('fallback', 'primary'))
BREAKER_SERVICE: Final = 'search'
# Exception class name (matched along the class hierarchy) -> error_type label value.
ERROR_TYPES: Final[Mapping[str, str]] = {
    'TimeoutError': 'timeout',
}
NO_ERROR: Final = 'none'
# Attribution label -> (allowed values, fallback value).
ATTRIBUTION: Final[Mapping[str, tuple[frozenset[str], str]]] = {
    'feature': (frozenset(('answer', 'rerank')), 'other'),
    'tenant_tier': (frozenset(('enterprise', 'free', 'pro')), 'unknown'),
}

_LOG = logging.getLogger("llm_metrics")
# Raw label combinations remembered for the fast path; past this, lookups take the slow path.
_MAX_CACHED_KEYS: Final = 10_000
# Larger counts are bugs, and beyond 2**53 floats (and so counters) lose integer precision.
_MAX_COUNT: Final = 2**53
_T = TypeVar("_T")


class BreakerState(enum.IntEnum):
    """Circuit-breaker states and the gauge value each is exposed as."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


def _count(value: object) -> int | None:
    """A token or item count as an int in [0, 2**53]; ``None`` when it cannot be one."""
    if type(value) is int:
        return value if 0 <= value <= _MAX_COUNT else None
    if value is None:
        return 0  # a field the provider did not send
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value <= _MAX_COUNT:
        return int(value)
    if isinstance(value, float) and value.is_integer() and 0 <= value <= _MAX_COUNT:
        return int(value)
    return None


def _known(value: object, allowed: frozenset[str]) -> bool:
    """True for a string among ``allowed``; never raises, whatever ``value`` is."""
    return isinstance(value, str) and value in allowed


def _seconds(value: object) -> float | None:
    """A duration as finite non-negative seconds; ``None`` when it cannot be one."""
    if type(value) is float:  # the common case, checked first
        return value if 0.0 <= value < math.inf else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _field(container: object, name: str) -> object:
    """``container[name]`` for mappings, ``container.name`` for SDK objects; ``None`` when absent."""
    if container is None:
        return None
    if isinstance(container, Mapping):
        return container.get(name)
    return getattr(container, name, None)


def _without(total: object, part: object) -> object:
    """``total - part`` for valid counts; ``total`` unchanged otherwise (it is validated later)."""
    whole, piece = _count(total), _count(part)
    if whole is None or piece is None:
        return total
    return whole - piece


def usage_tokens(usage: object) -> tuple[object, object, object, object]:
    """Token counts (prompt, cached_prompt, completion, reasoning) from a provider's usage object or dict.

    Each token is counted once: cached prompt tokens are taken out of the prompt count and
    reasoning tokens out of the completion count. Reads OpenAI Chat Completions
    (``prompt_tokens``...), OpenAI Responses (``input_tokens`` with ``input_tokens_details``) and
    Anthropic Messages (``input_tokens``, ``cache_read_input_tokens``; cache writes count as prompt).

    >>> usage_tokens({"prompt_tokens": 1200, "completion_tokens": 300,
    ...               "prompt_tokens_details": {"cached_tokens": 200}})
    (1000, 200, 300, None)
    """
    prompt = _field(usage, "prompt_tokens")
    if prompt is not None:
        cached = _field(_field(usage, "prompt_tokens_details"), "cached_tokens")
        reasoning = _field(_field(usage, "completion_tokens_details"), "reasoning_tokens")
        completion = _without(_field(usage, "completion_tokens"), reasoning)
        return _without(prompt, cached), cached, completion, reasoning
    details = _field(usage, "input_tokens_details")
    if details is not None:
        cached = _field(details, "cached_tokens")
        reasoning = _field(_field(usage, "output_tokens_details"), "reasoning_tokens")
        completion = _without(_field(usage, "output_tokens"), reasoning)
        return _without(_field(usage, "input_tokens"), cached), cached, completion, reasoning
    uncached: object = _field(usage, "input_tokens")
    writes = _field(usage, "cache_creation_input_tokens")
    if writes is not None:
        counted, added = _count(uncached), _count(writes)
        uncached = counted + added if counted is not None and added is not None else writes
    return uncached, _field(usage, "cache_read_input_tokens"), _field(usage, "output_tokens"), None


class _CallChildren:
    """Label children for one (provider, model, request_type, attribution...) combination."""

    __slots__ = (
        "cancelled",
        "cost",
        "duration",
        "error_children",
        "fine",
        "in_flight",
        "labels",
        "metrics",
        "prices",
        "success",
        "tokens",
        "ttft",
        "unpriced",
    )

    def __init__(
        self, metrics: LLMMetrics, provider: str, model: str, request_type: str, attrs: tuple[str, ...]
    ) -> None:
        self.metrics = metrics
        self.labels = (provider, model, attrs)
        self.in_flight = metrics.in_flight.labels(provider)
        self.duration = metrics.response_duration.labels(provider, model, *attrs)
        self.fine = metrics.response_duration_fine.labels(provider, model, request_type)
        self.ttft = metrics.time_to_first_token.labels(provider, model)
        self.success = metrics.requests.labels(provider, model, "success", NO_ERROR, *attrs)
        self.cancelled = metrics.requests.labels(provider, model, "cancelled", NO_ERROR, *attrs)
        self.error_children: dict[str, Counter] = {}
        self.tokens = tuple(metrics.tokens.labels(provider, model, t, *attrs) for t in TOKEN_TYPES)
        self.prices = PRICES.get((provider, model))
        self.cost = metrics.cost.labels(provider, model, *attrs)
        self.unpriced = (
            tuple(metrics.unpriced_tokens.labels(provider, t) for t in TOKEN_TYPES)
            if self.prices is None
            else ()
        )

    def failed(self, exc_type: type[BaseException]) -> Counter:
        """The requests child for a call that raised ``exc_type``."""
        if not issubclass(exc_type, Exception):
            return self.cancelled  # CancelledError, KeyboardInterrupt...: not the provider's fault
        error_type = _error_type(exc_type)
        child = self.error_children.get(error_type)
        if child is None:
            provider, model, attrs = self.labels
            child = self.metrics.requests.labels(provider, model, "error", error_type, *attrs)
            self.error_children[error_type] = child
        return child


_ERROR_TYPE_CACHE: dict[type[BaseException], str] = {}


def _error_type(exc_type: type[BaseException]) -> str:
    """The error_type label of an exception class: the first spec match along its MRO, else FALLBACK."""
    found = _ERROR_TYPE_CACHE.get(exc_type)
    if found is None:
        names = (k.__name__ for k in exc_type.__mro__)
        found = next((ERROR_TYPES[name] for name in names if name in ERROR_TYPES), FALLBACK)
        if len(_ERROR_TYPE_CACHE) < _MAX_CACHED_KEYS:  # classes made on the fly must not pile up
            _ERROR_TYPE_CACHE[exc_type] = found
    return found


class LLMCall:
    """One tracked LLM call: use with ``with`` or ``async with``; exceptions are counted and re-raised."""

    __slots__ = ("_children", "_start", "_waiting_for_token", "cost")

    def __init__(self, children: _CallChildren) -> None:
        self._children = children
        self._waiting_for_token = False  # True from entry until the first token is marked
        self._start = 0.0
        self.cost = 0.0

    def __enter__(self) -> LLMCall:
        self._children.in_flight.inc()
        self._start = time.perf_counter()
        self._waiting_for_token = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        elapsed = time.perf_counter() - self._start
        children = self._children
        try:
            children.in_flight.dec()
            children.duration.observe(elapsed)
            children.fine.observe(elapsed)
            if exc_type is None:
                children.success.inc()
            else:
                children.failed(exc_type).inc()
        except Exception as error:  # the metrics layer must never replace the caller's outcome
            children.metrics._internal_error("track_call", error)

    async def __aenter__(self) -> LLMCall:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def first_token(self) -> None:
        """Mark the first streamed token; later marks of the same call are ignored."""
        if self._waiting_for_token:  # ignored before the call has started, and after the first mark
            self._waiting_for_token = False
            self._children.ttft.observe(time.perf_counter() - self._start)

    def record_usage(
        self,
        usage: object = None,
        *,
        prompt_tokens: object = None,
        completion_tokens: object = None,
        cached_prompt_tokens: object = None,
        reasoning_tokens: object = None,
    ) -> float:
        """Count this call's tokens by type and its cost; return the cost in CURRENCY.

        Pass a provider's usage object or dict, or the counts (prompt_tokens excludes cached ones).
        """
        cost = self._children.metrics._record_tokens(
            self._children, usage, prompt_tokens, cached_prompt_tokens, completion_tokens, reasoning_tokens
        )
        self.cost += cost
        return cost


class QueueItem:
    """Times one queued item: its wait is observed on entry, its processing time on exit."""

    __slots__ = ("_metrics", "_processing", "_start", "wait_seconds")

    def __init__(
        self, metrics: LLMMetrics, wait: Histogram, processing: Histogram, wait_seconds: float
    ) -> None:
        self._metrics = metrics
        self._processing = processing
        self._start = 0.0
        self.wait_seconds = wait_seconds
        wait.observe(wait_seconds)

    def __enter__(self) -> QueueItem:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self._processing.observe(time.perf_counter() - self._start)
        except Exception as error:
            self._metrics._internal_error("track_queue_item", error)

    async def __aenter__(self) -> QueueItem:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


class QueueBatch:
    """Sets the queue depth gauge from ``len(queue)`` on entry and again on exit (what is left)."""

    __slots__ = ("_metrics", "_queue", "_queue_type")

    def __init__(self, metrics: LLMMetrics, queue_type: str, queue: Sized) -> None:
        self._metrics = metrics
        self._queue_type = queue_type
        self._queue = queue

    def __enter__(self) -> QueueBatch:
        self._metrics.set_queue_depth(self._queue_type, self._length())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._metrics.set_queue_depth(self._queue_type, self._length())

    async def __aenter__(self) -> QueueBatch:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _length(self) -> int:
        try:
            return len(self._queue)
        except Exception:
            return -1  # rejected (and counted) by set_queue_depth


class CustomMetrics:
    """The service's own metrics from the spec's ``custom_metrics``."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.search_reranked_documents_total = Counter(
            'search_reranked_documents_total',
            'Documents re-ranked | by *feature*\nand [tier].',
            ('feature',),
            registry=registry,
        )
        self.search_index_age_seconds = Gauge(
            'search_index_age_seconds',
            'Age of the search index.',
            (),
            multiprocess_mode='livemax',
            registry=registry,
        )
        self.search_retrieval_seconds = Histogram(
            'search_retrieval_seconds',
            'Retrieval time.',
            (),
            buckets=(0.01, 0.05, 0.1, 0.5),
            registry=registry,
        )


class LLMMetrics:
    """Every metric of the spec on one registry, and a helper for each instrumentation pattern.

    >>> from prometheus_client import CollectorRegistry
    >>> metrics = LLMMetrics(registry=CollectorRegistry())
    >>> with metrics.track_call('azure-openai', 'gpt-4o-2024-08-06') as call:
    ...     cost = call.record_usage(prompt_tokens=1000, completion_tokens=500)
    """

    def __init__(self, registry: CollectorRegistry | None = REGISTRY) -> None:
        self.response_duration = Histogram(
            'llm_provider_response_duration_seconds',
            (
                'Response time, with "quotes", a back\\slash, a\nnewline and """ triple '
                'quotes {{ $labels }} ${datasource} — ünïcode.'
            ),
            ('llm_provider', 'llm_model', 'feature', 'tenant_tier'),
            buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
            registry=registry,
        )
        self.response_duration_fine = Histogram(
            'llm_provider_response_time_fine_seconds',
            'LLM API response time in fine buckets, for latency objectives.',
            ('llm_provider', 'llm_model', 'request_type'),
            buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
            registry=registry,
        )
        self.time_to_first_token = Histogram(
            'llm_provider_time_to_first_token_seconds',
            'Time from request start to the first streamed token.',
            ('llm_provider', 'llm_model'),
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        self.tokens = Counter(
            'llm_provider_tokens_total',
            'Tokens used by LLM calls, by token type.',
            ('llm_provider', 'llm_model', 'token_type', 'feature', 'tenant_tier'),
            registry=registry,
        )
        self.cost = Counter(
            'llm_provider_cost_euros_total',
            'Estimated spend on LLM calls, from the price table.',
            ('llm_provider', 'llm_model', 'feature', 'tenant_tier'),
            registry=registry,
        )
        self.unpriced_tokens = Counter(
            'llm_provider_unpriced_tokens_total',
            (
                'Tokens used by models with no price in the spec (not included in the '
                'cost).'
            ),
            ('llm_provider', 'token_type'),
            registry=registry,
        )
        self.requests = Counter(
            'llm_provider_requests_total',
            'LLM calls by outcome and error type.',
            ('llm_provider', 'llm_model', 'outcome', 'error_type', 'feature', 'tenant_tier'),
            registry=registry,
        )
        self.in_flight = Gauge(
            'llm_provider_requests_in_flight',
            'LLM calls currently in flight.',
            ('llm_provider',),
            multiprocess_mode='livesum',
            registry=registry,
        )
        self.queue_depth = Gauge(
            'llm_queue_depth',
            'Items waiting in the queue, set at processing boundaries.',
            ('queue_type',),
            multiprocess_mode='livesum',
            registry=registry,
        )
        self.queue_wait = Histogram(
            'llm_queue_wait_time_seconds',
            'Time an item waited in the queue before processing started.',
            ('queue_type',),
            buckets=(0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
            registry=registry,
        )
        self.processing = Histogram(
            'llm_processing_duration_seconds',
            'Time spent processing a queued item.',
            ('queue_type',),
            buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
            registry=registry,
        )
        self.queue_expiry = Counter(
            'llm_queue_expiry_total',
            'Queued items dropped because they expired.',
            ('queue_type', 'reason'),
            registry=registry,
        )
        self.queue_expiry_age = Histogram(
            'llm_queue_expiry_age_seconds',
            'Age of queued items when they expired.',
            ('queue_type',),
            buckets=(30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0),
            registry=registry,
        )
        self.bundle_items = Histogram(
            'llm_serial_bundle_items_per_call',
            'Items processed per bundled LLM call.',
            (),
            buckets=(1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0),
            registry=registry,
        )
        self.circuit_breaker = Gauge(
            'circuit_breaker_state',
            'Circuit breaker state (closed 0, open 1, half_open 2).',
            ('service', 'circuit_name'),
            multiprocess_mode='livemostrecent',
            registry=registry,
        )
        self.invalid_values = Counter(
            'llm_metrics_invalid_values_total',
            (
                'Values the instrumentation helpers could not record as given (dropped,'
                ' or recorded under the fallback label).'
            ),
            ('helper',),
            registry=registry,
        )
        self.custom = CustomMetrics(registry)
        self._calls: dict[tuple[object, ...], _CallChildren] = {}
        self._call_children: dict[tuple[str, ...], _CallChildren] = {}
        # Label children of known queue types, expiry reasons and circuits, cached on first use.
        self._queue_items: dict[object, tuple[Histogram, Histogram]] = {}
        self._expiries: dict[tuple[object, object], tuple[Counter, Histogram]] = {}
        self._breakers: dict[object, Gauge] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    # -- LLM calls -------------------------------------------------------------------------

    def track_call(
        self,
        provider: str,
        model: str,
        request_type: str = DEFAULT_REQUEST_TYPE,
        *,
        feature: str | None = None,
        tenant_tier: str | None = None,
    ) -> LLMCall:
        """Track one LLM call: in flight while open, both latency histograms and the outcome on exit."""
        try:
            children = self._calls[(provider, model, request_type, feature, tenant_tier)]
        except (KeyError, TypeError):
            children = self._children_for("track_call", provider, model, request_type, (feature, tenant_tier, ))
        return LLMCall(children)

    def record_usage(
        self,
        provider: str,
        model: str,
        usage: object = None,
        *,
        prompt_tokens: object = None,
        completion_tokens: object = None,
        cached_prompt_tokens: object = None,
        reasoning_tokens: object = None,
        feature: str | None = None,
        tenant_tier: str | None = None
    ) -> float:
        """Count tokens and cost of a call made outside :meth:`track_call`; return the cost."""
        children = self._children_for("record_usage", provider, model, DEFAULT_REQUEST_TYPE, (feature, tenant_tier, ))
        return self._record_tokens(
            children, usage, prompt_tokens, cached_prompt_tokens, completion_tokens, reasoning_tokens
        )

    def _children_for(
        self, helper: str, provider: object, model: object, request_type: object, attrs: tuple[object, ...]
    ) -> _CallChildren:
        """Slow path: bound every label to its allowed values, then cache the children."""
        raw = (provider, model, request_type, *attrs)
        if _known(provider, PROVIDERS):
            known_model = isinstance(model, str) and (provider, model) in PRICES
            labels = (str(provider), str(model) if known_model else FALLBACK)
        else:
            labels = (FALLBACK, FALLBACK)
        if _known(request_type, REQUEST_TYPES):
            kind = str(request_type)
        else:
            kind = self._invalid(helper, "request_type", request_type)
        bounded = tuple(
            self._attribution(helper, name, value, allowed, fallback)
            for (name, (allowed, fallback)), value in zip(ATTRIBUTION.items(), attrs, strict=True)
        )
        key = (*labels, kind, *bounded)
        children = self._call_children.get(key)
        if children is None:
            with self._lock:
                children = self._call_children.get(key)
                if children is None:
                    children = _CallChildren(self, labels[0], labels[1], kind, bounded)
                    self._call_children[key] = children
        # Only exact, known label values (or an omitted attribution) take the fast path: unknown names
        # never grow the cache.
        omitted = (*raw[:3], *(f if v is None else v for v, (_, f) in zip(attrs, ATTRIBUTION.values(), strict=True)))
        if omitted == key and len(self._calls) < _MAX_CACHED_KEYS:
            self._calls[raw] = children
        return children

    def _attribution(
        self, helper: str, name: str, value: object, allowed: frozenset[str], fallback: str
    ) -> str:
        if _known(value, allowed):
            return str(value)
        return fallback if value is None else self._invalid(helper, name, value, fallback)

    def _record_tokens(
        self,
        children: _CallChildren,
        usage: object,
        prompt: object,
        cached: object,
        completion: object,
        reasoning: object,
    ) -> float:
        try:
            if usage is not None:
                found = usage_tokens(usage)
                prompt = found[0] if prompt is None else prompt
                cached = found[1] if cached is None else cached
                completion = found[2] if completion is None else completion
                reasoning = found[3] if reasoning is None else reasoning
            # Unrolled (hot path): plain non-negative ints pass as they are, None (not sent) counts 0.
            if type(prompt) is not int or not 0 <= prompt <= _MAX_COUNT:
                prompt = 0 if prompt is None else self._token_count(prompt)
            if type(cached) is not int or not 0 <= cached <= _MAX_COUNT:
                cached = 0 if cached is None else self._token_count(cached)
            if type(completion) is not int or not 0 <= completion <= _MAX_COUNT:
                completion = 0 if completion is None else self._token_count(completion)
            if type(reasoning) is not int or not 0 <= reasoning <= _MAX_COUNT:
                reasoning = 0 if reasoning is None else self._token_count(reasoning)
            tokens = children.tokens
            if prompt:
                tokens[0].inc(prompt)
            if cached:
                tokens[1].inc(cached)
            if completion:
                tokens[2].inc(completion)
            if reasoning:
                tokens[3].inc(reasoning)
            prices = children.prices
            if prices is None:
                for child, n in zip(children.unpriced, (prompt, cached, completion, reasoning), strict=True):
                    if n:
                        child.inc(n)
                return 0.0
            cost = (
                prompt * prices[0] + cached * prices[1] + completion * prices[2] + reasoning * prices[3]
            ) / PRICE_UNIT_TOKENS
            if cost:
                children.cost.inc(cost)
            return cost
        except Exception as error:
            self._internal_error("record_usage", error)
            return 0.0

    def _token_count(self, value: object) -> int:
        count = _count(value)
        if count is None:
            self._invalid("record_usage", "token count", value)
            return 0
        return count

    # -- queues ----------------------------------------------------------------------------

    def set_queue_depth(self, queue_type: str, depth: int) -> None:
        """Set the depth of one queue type; call it at processing boundaries."""
        count = _count(depth)
        if count is None or depth is None:
            self._invalid("set_queue_depth", "depth", depth)
            return
        self.queue_depth.labels(self._queue_type("set_queue_depth", queue_type)).set(count)

    def queue_batch(self, queue_type: str, queue: Sized) -> QueueBatch:
        """Context manager setting the depth of ``queue`` before and after a processing pass."""
        return QueueBatch(self, queue_type, queue)

    def track_queue_item(self, queue_type: str, enqueued_at: float, *, now: float | None = None) -> QueueItem:
        """Observe how long an item waited (``enqueued_at``: a ``time.time()`` stamp); time its processing."""
        try:
            children = self._queue_items[queue_type]
        except (KeyError, TypeError):
            children = None
            kind = self._queue_type("track_queue_item", queue_type)
        current = time.time() if now is None else now
        if type(enqueued_at) is float and type(current) is float and 0.0 <= enqueued_at <= current < math.inf:
            waited: float | None = current - enqueued_at  # the common case, checked inline
        else:
            stamp, clock = _seconds(enqueued_at), _seconds(current)
            waited = _seconds(clock - stamp) if stamp is not None and clock is not None else None
        if waited is None:  # a stamp in the future or not a number: observe no wait rather than a wrong one
            self._invalid("track_queue_item", "enqueued_at", enqueued_at)
            waited = 0.0
        if children is None:
            children = (self.queue_wait.labels(kind), self.processing.labels(kind))
            if _known(queue_type, QUEUE_TYPES):
                self._queue_items[queue_type] = children
        return QueueItem(self, children[0], children[1], waited)

    def record_expiry(self, queue_type: str, age_seconds: float, reason: str = DEFAULT_EXPIRY_REASON) -> None:
        """Count one expired item and observe its age."""
        try:
            expired, ages = self._expiries[(queue_type, reason)]
        except (KeyError, TypeError):
            self._record_expiry(queue_type, age_seconds, reason)
            return
        expired.inc()
        age = _seconds(age_seconds)
        if age is None:
            self._invalid("record_expiry", "age_seconds", age_seconds)
            return
        ages.observe(age)

    def _record_expiry(self, queue_type: object, age_seconds: object, reason: object) -> None:
        """Slow path: bound the labels, record, and cache the children once both exist for known values."""
        kind = self._queue_type("record_expiry", queue_type)
        why = str(reason) if _known(reason, EXPIRY_REASONS) else self._invalid("record_expiry", "reason", reason)
        expired = self.queue_expiry.labels(kind, why)
        expired.inc()
        age = _seconds(age_seconds)
        if age is None:
            self._invalid("record_expiry", "age_seconds", age_seconds)
            return
        ages = self.queue_expiry_age.labels(kind)
        ages.observe(age)
        if _known(queue_type, QUEUE_TYPES) and _known(reason, EXPIRY_REASONS):
            self._expiries[(queue_type, reason)] = (expired, ages)

    def expire_stale(
        self,
        queue_type: str,
        queue: list[_T],
        max_age_seconds: float,
        enqueued_at: Callable[[_T], float],
        *,
        now: float | None = None,
        reason: str = DEFAULT_EXPIRY_REASON,
    ) -> list[_T]:
        """Remove items older than ``max_age_seconds`` from ``queue`` in place; record and return them."""
        try:
            current = _seconds(time.time() if now is None else now)
            limit = _seconds(max_age_seconds)
            if current is None or limit is None:
                self._invalid("expire_stale", "now or max_age_seconds", (now, max_age_seconds))
                return []
            kept: list[_T] = []
            expired: list[tuple[_T, float]] = []
            for item in queue:
                stamp = _seconds(enqueued_at(item))
                age = current - stamp if stamp is not None else None
                if age is not None and age > limit:
                    expired.append((item, age))
                else:
                    kept.append(item)  # unreadable stamps are kept: never drop work on a bad value
            queue[:] = kept
        except Exception as error:
            self._internal_error("expire_stale", error)
            return []
        for _, age in expired:
            self.record_expiry(queue_type, age, reason)
        return [item for item, _ in expired]

    def _queue_type(self, helper: str, queue_type: object) -> str:
        if _known(queue_type, QUEUE_TYPES):
            return str(queue_type)
        return self._invalid(helper, "queue_type", queue_type)

    # -- bundles and circuit breakers ------------------------------------------------------

    def observe_bundle(self, items: int) -> None:
        """Observe how many items one bundled LLM call carried."""
        count = _count(items)
        if count is None or items is None:
            self._invalid("observe_bundle", "items", items)
            return
        self.bundle_items.observe(count)

    def set_breaker_state(self, circuit_name: str, state: BreakerState | str | int) -> None:
        """Expose a breaker's state with the spec's encoding (accepts the enum, its name or its value)."""
        value = state._value_ if type(state) is BreakerState else _breaker_value(state)
        if value is None:
            self._invalid("set_breaker_state", "state", state)
            return
        try:
            gauge = self._breakers[circuit_name]
        except (KeyError, TypeError):
            gauge = self._breaker(circuit_name)
        gauge.set(value)

    def _breaker(self, circuit_name: object) -> Gauge:
        """Slow path: the gauge child of a circuit, cached for the spec's circuits."""
        if not _known(circuit_name, CIRCUITS):
            circuit = self._invalid("set_breaker_state", "circuit_name", circuit_name)
            return self.circuit_breaker.labels(BREAKER_SERVICE, circuit)
        gauge = self.circuit_breaker.labels(BREAKER_SERVICE, str(circuit_name))
        self._breakers[circuit_name] = gauge
        return gauge

    # -- rejected values -------------------------------------------------------------------

    def _invalid(self, helper: str, what: str, value: object, fallback: str = FALLBACK) -> str:
        """Count and log (once per helper) a value that cannot be recorded as given; return the fallback."""
        self.invalid_values.labels(helper).inc()
        if helper not in self._warned:
            self._warned.add(helper)
            _LOG.warning(
                "%s: cannot record %s %r as given (recorded under %r, or dropped); "
                "further cases are only counted on %s",
                helper,
                what,
                value,
                fallback,
                'llm_metrics_invalid_values_total',
            )
        return fallback

    def _internal_error(self, helper: str, error: Exception) -> None:
        try:
            self._invalid(helper, "value", error)
        except Exception:  # never let metrics break the request
            _LOG.exception("%s: metrics update failed", helper)


_BREAKER_VALUES: Final = frozenset(int(s) for s in BreakerState)


def _breaker_value(state: object) -> int | None:
    if isinstance(state, BreakerState):
        return int(state)
    if isinstance(state, str) and state.upper() in BreakerState.__members__:
        return int(BreakerState[state.upper()])
    if type(state) is int and state in _BREAKER_VALUES:
        return state
    return None


_default: LLMMetrics | None = None
_default_lock = threading.Lock()


def get_metrics() -> LLMMetrics:
    """The process-wide :class:`LLMMetrics` on prometheus_client's default registry, created once."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LLMMetrics()
        return _default


def exposition_registry() -> CollectorRegistry:
    """The registry to serve: merged over workers under PROMETHEUS_MULTIPROC_DIR, else the default one."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ:  # as prometheus_client
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY
