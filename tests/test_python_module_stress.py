"""The generated module under stress: many threads, cancellations and floods give exact totals."""

from __future__ import annotations

import asyncio
import threading
from types import ModuleType
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tests.module_loader import import_generated, samples, value

THREADS = 16
ROUNDS = 300


@pytest.fixture(scope="module")
def module(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return import_generated(rendered, tmp_path_factory.mktemp("stress"))


def hammer(metrics: Any, module: ModuleType, worker: int) -> None:
    """Every helper, good and bad values, ROUNDS times."""
    for i in range(ROUNDS):
        with metrics.track_call("openai", "gpt-4o", "chat", feature="chat") as call:
            call.first_token()
            call.record_usage({"prompt_tokens": 7, "completion_tokens": 3})
        try:
            with metrics.track_call("anthropic", "claude-sonnet-4", "completion"):
                raise TimeoutError
        except TimeoutError:
            pass
        metrics.record_usage("openai", f"mystery-{worker}-{i}", prompt_tokens=2)
        metrics.record_usage("openai", "gpt-4o", prompt_tokens=-1)
        with metrics.track_queue_item("comparison", 10.0, now=12.0):
            pass
        metrics.record_expiry("comparison", 60.0)
        metrics.observe_bundle(4)
        metrics.set_breaker_state("openai_circuit", module.BreakerState.OPEN if i % 2 else "closed")
        metrics.set_queue_depth("unknown-queue", 1)


def test_sixteen_threads_give_exact_totals(module: ModuleType) -> None:
    registry = CollectorRegistry()
    metrics = module.LLMMetrics(registry=registry)
    threads = [threading.Thread(target=hammer, args=(metrics, module, n)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    n = THREADS * ROUNDS
    assert (
        value(
            registry,
            "llm_provider_tokens_total",
            provider="openai",
            model="gpt-4o",
            token_type="prompt",
            feature="chat",
        )
        == 7 * n
    )
    assert (
        abs(
            value(registry, "llm_provider_cost_dollars_total", provider="openai", model="gpt-4o", feature="chat")
            - n * (7 * 2.5 + 3 * 10.0) / 1e6
        )
        < 1e-9
    )
    assert (
        value(
            registry,
            "llm_provider_requests_total",
            provider="anthropic",
            model="claude-sonnet-4",
            outcome="error",
            error_type="timeout",
            feature="other",
        )
        == n
    )
    assert value(registry, "llm_provider_unpriced_tokens_total", provider="openai", token_type="prompt") == 2 * n
    assert value(registry, "llm_provider_requests_in_flight", provider="openai") == 0
    assert value(registry, "llm_provider_requests_in_flight", provider="anthropic") == 0
    assert value(registry, "llm_provider_time_to_first_token_seconds_count", provider="openai", model="gpt-4o") == n
    assert value(registry, "llm_queue_wait_time_seconds_sum", queue_type="comparison") == 2.0 * n
    assert value(registry, "llm_queue_expiry_total", queue_type="comparison", reason="timeout") == n
    assert value(registry, "llm_serial_bundle_items_per_call_sum") == 4 * n
    assert value(registry, "llm_metrics_invalid_values_total", helper="record_usage") == n
    assert value(registry, "llm_metrics_invalid_values_total", helper="set_queue_depth") == n
    assert value(registry, "circuit_breaker_state", service="llm_provider", circuit_name="openai_circuit") in (0, 1)


def test_cancellation_inside_a_tracked_call_is_reraised_unchanged(module: ModuleType) -> None:
    registry = CollectorRegistry()
    metrics = module.LLMMetrics(registry=registry)
    entered = asyncio.Event()

    async def call() -> None:
        async with metrics.track_call("openai", "gpt-4o"):
            entered.set()
            await asyncio.sleep(3600)

    async def scenario() -> BaseException | None:
        task = asyncio.create_task(call())
        await entered.wait()
        assert value(registry, "llm_provider_requests_in_flight", provider="openai") == 1
        task.cancel()
        results = await asyncio.gather(task, return_exceptions=True)
        return results[0]

    outcome = asyncio.run(scenario())
    assert isinstance(outcome, asyncio.CancelledError)
    assert value(registry, "llm_provider_requests_in_flight", provider="openai") == 0
    assert (
        value(
            registry,
            "llm_provider_requests_total",
            provider="openai",
            model="gpt-4o",
            outcome="cancelled",
            error_type="none",
            feature="other",
        )
        == 1
    )


def test_a_flood_of_bad_label_values_does_not_grow_series(module: ModuleType) -> None:
    registry = CollectorRegistry()
    metrics = module.LLMMetrics(registry=registry)
    for i in range(3):
        metrics.set_queue_depth(f"queue-{i}", 1)
        metrics.set_breaker_state(f"circuit-{i}", "open")
        with metrics.track_call(f"provider-{i}", f"model-{i}", f"type-{i}", feature=f"feature-{i}"):
            pass
    before = set(samples(registry))
    for i in range(3, 3000):
        metrics.set_queue_depth(f"queue-{i}", 1)
        metrics.set_breaker_state(f"circuit-{i}", "open")
        with metrics.track_call(f"provider-{i}", f"model-{i}", f"type-{i}", feature=f"feature-{i}"):
            pass
    assert set(samples(registry)) == before
