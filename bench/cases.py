"""The hot-path cases, each in three variants: the generated helper, the seed's style, and the floor.

Every variant of a case does the same metric operations and the same clock calls; they differ only in
how they reach the label children: the generated helper, ``.labels(...)`` with keyword arguments on
every call (as the seed's hand-written examples do), or children looked up once beforehand (the floor).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .timing import Loop

__all__ = ["CASES", "breaker_state", "expiry", "llm_call", "queue_item"]

PROVIDER, MODEL, REQUEST_TYPE, FEATURE = "openai", "gpt-4o", "chat", "chat"
PROMPT, COMPLETION = 1000, 500
QUEUE, AGE, CIRCUIT = "comparison", 90.0, "openai_circuit"
Variants = dict[str, Loop]


def llm_call(module: ModuleType, metrics: Any) -> Variants:
    """One LLM call: in flight up/down, both latency histograms, two token counters, cost, requests."""
    perf_counter = time.perf_counter
    unit = module.PRICE_UNIT_TOKENS
    prompt_price, _, completion_price, _ = module.PRICES[(PROVIDER, MODEL)]
    track_call = metrics.track_call

    def generated(n: int) -> None:
        for _ in range(n):
            with track_call(PROVIDER, MODEL, REQUEST_TYPE, feature=FEATURE) as call:
                call.record_usage(prompt_tokens=PROMPT, completion_tokens=COMPLETION)

    m = metrics
    ok, no_error = "success", module.NO_ERROR

    def seed_style(n: int) -> None:
        for _ in range(n):
            provider, model = PROVIDER, MODEL
            m.in_flight.labels(provider=provider).inc()
            start = perf_counter()
            try:
                m.tokens.labels(provider=provider, model=model, token_type="prompt", feature=FEATURE).inc(PROMPT)
                m.tokens.labels(provider=provider, model=model, token_type="completion", feature=FEATURE).inc(
                    COMPLETION
                )
                cost = (PROMPT / unit) * prompt_price + (COMPLETION / unit) * completion_price
                m.cost.labels(provider=provider, model=model, feature=FEATURE).inc(cost)
            finally:
                elapsed = perf_counter() - start
                m.in_flight.labels(provider=provider).dec()
                m.response_duration.labels(provider=provider, model=model, feature=FEATURE).observe(elapsed)
                m.response_duration_fine.labels(provider=provider, model=model, request_type=REQUEST_TYPE).observe(
                    elapsed
                )
            m.requests.labels(provider=provider, model=model, outcome=ok, error_type=no_error, feature=FEATURE).inc()

    in_flight = m.in_flight.labels(PROVIDER)
    prompt = m.tokens.labels(PROVIDER, MODEL, "prompt", FEATURE)
    completion = m.tokens.labels(PROVIDER, MODEL, "completion", FEATURE)
    cost_child = m.cost.labels(PROVIDER, MODEL, FEATURE)
    duration = m.response_duration.labels(PROVIDER, MODEL, FEATURE)
    fine = m.response_duration_fine.labels(PROVIDER, MODEL, REQUEST_TYPE)
    success = m.requests.labels(PROVIDER, MODEL, ok, no_error, FEATURE)

    def floor(n: int) -> None:
        for _ in range(n):
            in_flight.inc()
            start = perf_counter()
            try:
                prompt.inc(PROMPT)
                completion.inc(COMPLETION)
                cost_child.inc((PROMPT * prompt_price + COMPLETION * completion_price) / unit)
            finally:
                elapsed = perf_counter() - start
                in_flight.dec()
                duration.observe(elapsed)
                fine.observe(elapsed)
            success.inc()

    return {"generated": generated, "seed_style": seed_style, "floor": floor}


def queue_item(module: ModuleType, metrics: Any) -> Variants:
    """One queued item: its wait (from a ``time.time()`` stamp) and its processing time."""
    perf_counter, wall = time.perf_counter, time.time
    enqueued_at = wall() - 12.0  # waits stay in one bucket, (10, 30], for the whole run
    track_queue_item = metrics.track_queue_item

    def generated(n: int) -> None:
        for _ in range(n):
            with track_queue_item(QUEUE, enqueued_at):
                pass

    m = metrics

    def seed_style(n: int) -> None:
        for _ in range(n):
            m.queue_wait.labels(queue_type=QUEUE).observe(wall() - enqueued_at)
            start = perf_counter()
            m.processing.labels(queue_type=QUEUE).observe(perf_counter() - start)

    wait, processing = m.queue_wait.labels(QUEUE), m.processing.labels(QUEUE)

    def floor(n: int) -> None:
        for _ in range(n):
            wait.observe(wall() - enqueued_at)
            start = perf_counter()
            processing.observe(perf_counter() - start)

    return {"generated": generated, "seed_style": seed_style, "floor": floor}


def expiry(module: ModuleType, metrics: Any) -> Variants:
    """One expired item: the expiry counter and the age histogram."""
    record_expiry = metrics.record_expiry

    def generated(n: int) -> None:
        for _ in range(n):
            record_expiry(QUEUE, AGE)

    m = metrics

    def seed_style(n: int) -> None:
        for _ in range(n):
            m.queue_expiry.labels(queue_type=QUEUE, reason="timeout").inc()
            m.queue_expiry_age.labels(queue_type=QUEUE).observe(AGE)

    expired, age = m.queue_expiry.labels(QUEUE, "timeout"), m.queue_expiry_age.labels(QUEUE)

    def floor(n: int) -> None:
        for _ in range(n):
            expired.inc()
            age.observe(AGE)

    return {"generated": generated, "seed_style": seed_style, "floor": floor}


def breaker_state(module: ModuleType, metrics: Any) -> Variants:
    """One circuit-breaker state change, exposed with the spec's encoding."""
    set_breaker_state, opened = metrics.set_breaker_state, module.BreakerState.OPEN

    def generated(n: int) -> None:
        for _ in range(n):
            set_breaker_state(CIRCUIT, opened)

    m = metrics
    state_map = {"closed": 0, "open": 1, "half_open": 2}
    service = module.BREAKER_SERVICE

    def seed_style(n: int) -> None:
        for _ in range(n):
            m.circuit_breaker.labels(service=service, circuit_name=CIRCUIT).set(state_map["open"])

    gauge, value = m.circuit_breaker.labels(service, CIRCUIT), int(opened)

    def floor(n: int) -> None:
        for _ in range(n):
            gauge.set(value)

    return {"generated": generated, "seed_style": seed_style, "floor": floor}


CASES: dict[str, Callable[[ModuleType, Any], Variants]] = {
    "llm_call": llm_call,
    "queue_item": queue_item,
    "expiry": expiry,
    "breaker_state": breaker_state,
}
