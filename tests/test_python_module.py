"""Drive every helper of the generated module and read the exposition back, value by value."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from generator.model import Bundle
from tests.module_loader import import_generated, samples, value

COST = "llm_provider_cost_dollars_total"
TOKENS = "llm_provider_tokens_total"
UNPRICED = "llm_provider_unpriced_tokens_total"
REQUESTS = "llm_provider_requests_total"
IN_FLIGHT = "llm_provider_requests_in_flight"
INVALID = "llm_metrics_invalid_values_total"


@pytest.fixture(scope="module")
def module(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return import_generated(rendered, tmp_path_factory.mktemp("module"))


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(module: ModuleType, registry: CollectorRegistry) -> Any:
    return module.LLMMetrics(registry=registry)


def tokens(registry: CollectorRegistry, provider: str, model: str, token_type: str, feature: str = "other") -> float:
    return value(registry, TOKENS, provider=provider, model=model, token_type=token_type, feature=feature)


def test_cost_of_a_priced_call_matches_the_price_table(metrics: Any, registry: CollectorRegistry) -> None:
    with metrics.track_call("openai", "gpt-4o", "chat", feature="chat") as call:
        returned = call.record_usage(prompt_tokens=1000, completion_tokens=500)
    by_hand = (1000 * 2.50 + 500 * 10.00) / 1_000_000
    assert abs(returned - by_hand) < 1e-9
    assert abs(call.cost - by_hand) < 1e-9
    assert abs(value(registry, COST, provider="openai", model="gpt-4o", feature="chat") - by_hand) < 1e-9
    assert tokens(registry, "openai", "gpt-4o", "prompt", "chat") == 1000
    assert tokens(registry, "openai", "gpt-4o", "completion", "chat") == 500
    assert tokens(registry, "openai", "gpt-4o", "cached_prompt", "chat") == 0
    assert (
        value(
            registry, REQUESTS, provider="openai", model="gpt-4o", outcome="success", error_type="none", feature="chat"
        )
        == 1
    )


def test_openai_chat_usage_splits_cached_and_reasoning_tokens(metrics: Any, registry: CollectorRegistry) -> None:
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 800,
        "prompt_tokens_details": {"cached_tokens": 200},
        "completion_tokens_details": {"reasoning_tokens": 500},
    }
    cost = metrics.record_usage("openai", "o3-mini", usage)
    assert [
        tokens(registry, "openai", "o3-mini", t) for t in ("prompt", "cached_prompt", "completion", "reasoning")
    ] == [1000, 200, 300, 500]
    assert abs(cost - (1000 * 1.10 + 200 * 0.55 + 300 * 4.40 + 500 * 4.40) / 1e6) < 1e-9


def test_openai_responses_usage_object(metrics: Any, registry: CollectorRegistry) -> None:
    usage = SimpleNamespace(
        input_tokens=300,
        output_tokens=100,
        input_tokens_details=SimpleNamespace(cached_tokens=100),
        output_tokens_details=SimpleNamespace(reasoning_tokens=0),
    )
    cost = metrics.record_usage("openai", "gpt-4o-mini", usage)
    assert [tokens(registry, "openai", "gpt-4o-mini", t) for t in ("prompt", "cached_prompt", "completion")] == [
        200,
        100,
        100,
    ]
    assert abs(cost - (200 * 0.15 + 100 * 0.075 + 100 * 0.60) / 1e6) < 1e-9


def test_anthropic_usage_counts_cache_reads_and_writes(metrics: Any, registry: CollectorRegistry) -> None:
    usage = {
        "input_tokens": 100,
        "output_tokens": 10,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 50,
    }
    cost = metrics.record_usage("anthropic", "claude-sonnet-4", usage)
    assert tokens(registry, "anthropic", "claude-sonnet-4", "prompt") == 150
    assert tokens(registry, "anthropic", "claude-sonnet-4", "cached_prompt") == 1000
    assert tokens(registry, "anthropic", "claude-sonnet-4", "completion") == 10
    assert abs(cost - (150 * 3.00 + 1000 * 0.30 + 10 * 15.00) / 1e6) < 1e-9


def test_explicit_counts_override_the_usage_object(metrics: Any, registry: CollectorRegistry) -> None:
    metrics.record_usage("openai", "gpt-4o", {"prompt_tokens": 10, "completion_tokens": 10}, completion_tokens=7)
    assert tokens(registry, "openai", "gpt-4o", "completion") == 7
    assert tokens(registry, "openai", "gpt-4o", "prompt") == 10


def test_unknown_model_goes_to_fallback_and_unpriced_counter(metrics: Any, registry: CollectorRegistry) -> None:
    cost = metrics.record_usage("openai", "gpt-99-preview", prompt_tokens=40, completion_tokens=2)
    assert cost == 0.0
    assert tokens(registry, "openai", "other", "prompt") == 40
    assert value(registry, UNPRICED, provider="openai", token_type="prompt") == 40
    assert value(registry, UNPRICED, provider="openai", token_type="completion") == 2
    assert value(registry, COST, provider="openai", model="other", feature="other") == 0
    assert value(registry, INVALID, helper="record_usage") == 0  # an unknown model is not an invalid value


def test_unknown_provider_uses_fallback_for_both_labels(metrics: Any, registry: CollectorRegistry) -> None:
    metrics.record_usage("mistral", "large", prompt_tokens=5)
    assert tokens(registry, "other", "other", "prompt") == 5
    assert value(registry, UNPRICED, provider="other", token_type="prompt") == 5


def test_a_flood_of_unknown_model_names_adds_no_series(metrics: Any, registry: CollectorRegistry) -> None:
    metrics.record_usage("openai", "unknown-0", prompt_tokens=1)
    with metrics.track_call("openai", "unknown-0"):
        pass
    before = set(samples(registry))
    for i in range(2000):
        metrics.record_usage("openai", f"unknown-{i}", prompt_tokens=1)
        with metrics.track_call("openai", f"unknown-{i}"):
            pass
    assert set(samples(registry)) == before
    assert len(metrics._calls) <= 2
    assert tokens(registry, "openai", "other", "prompt") == 2001


def test_track_call_counts_outcomes_and_reraises_unchanged(
    module: ModuleType, metrics: Any, registry: CollectorRegistry
) -> None:
    class RateLimitError(Exception):
        pass

    class SlowTimeout(TimeoutError):
        pass

    raised = [TimeoutError("t"), SlowTimeout("s"), RateLimitError("r"), ValueError("v")]
    for error in raised:
        with pytest.raises(type(error)) as caught, metrics.track_call("anthropic", "claude-haiku-3-5", "completion"):
            raise error
        assert caught.value is error

    def count(error_type: str) -> float:
        return value(
            registry,
            REQUESTS,
            provider="anthropic",
            model="claude-haiku-3-5",
            outcome="error",
            error_type=error_type,
            feature="other",
        )

    assert (count("timeout"), count("rate_limit"), count("other")) == (2, 1, 1)
    assert value(registry, IN_FLIGHT, provider="anthropic") == 0
    fine = "llm_provider_response_time_fine_seconds_count"
    assert value(registry, fine, provider="anthropic", model="claude-haiku-3-5", request_type="completion") == 4


def test_in_flight_rises_inside_the_call_and_falls_after(metrics: Any, registry: CollectorRegistry) -> None:
    with metrics.track_call("openai", "gpt-4o"), metrics.track_call("openai", "gpt-4o-mini"):
        assert value(registry, IN_FLIGHT, provider="openai") == 2
    assert value(registry, IN_FLIGHT, provider="openai") == 0


def test_both_latency_histograms_observe_each_call(metrics: Any, registry: CollectorRegistry) -> None:
    with metrics.track_call("openai", "gpt-4o", "embedding", feature="search"):
        pass
    broad = "llm_provider_response_duration_seconds_bucket"
    fine = "llm_provider_response_time_fine_seconds_bucket"
    assert value(registry, broad, provider="openai", model="gpt-4o", feature="search", le="0.1") == 1
    assert value(registry, fine, provider="openai", model="gpt-4o", request_type="embedding", le="0.05") == 1
    assert value(registry, fine, provider="openai", model="gpt-4o", request_type="embedding", le="+Inf") == 1


def test_async_call_and_cancellation(metrics: Any, registry: CollectorRegistry) -> None:
    async def scenario() -> None:
        async with metrics.track_call("openai", "gpt-4o") as call:
            call.first_token()
            await asyncio.sleep(0)
            call.first_token()
        async with metrics.track_call("openai", "gpt-4o"):
            assert value(registry, IN_FLIGHT, provider="openai") == 1
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())
    assert value(registry, IN_FLIGHT, provider="openai") == 0
    labels = {"provider": "openai", "model": "gpt-4o", "feature": "other"}
    assert value(registry, REQUESTS, outcome="success", error_type="none", **labels) == 1
    assert value(registry, REQUESTS, outcome="cancelled", error_type="none", **labels) == 1
    assert value(registry, REQUESTS, outcome="error", error_type="other", **labels) == 0
    assert value(registry, "llm_provider_time_to_first_token_seconds_count", provider="openai", model="gpt-4o") == 1


def test_queue_helpers(metrics: Any, registry: CollectorRegistry) -> None:
    queue = [{"at": 100.0}, {"at": 40.0}, {"at": 10.0}]
    with metrics.queue_batch("comparison", queue):
        assert value(registry, "llm_queue_depth", queue_type="comparison") == 3
        queue.pop()
    assert value(registry, "llm_queue_depth", queue_type="comparison") == 2
    with metrics.track_queue_item("comparison", 100.0, now=103.5) as item:
        assert item.wait_seconds == 3.5
    assert value(registry, "llm_queue_wait_time_seconds_sum", queue_type="comparison") == 3.5
    assert value(registry, "llm_queue_wait_time_seconds_bucket", queue_type="comparison", le="5.0") == 1
    assert value(registry, "llm_processing_duration_seconds_count", queue_type="comparison") == 1
    expired = metrics.expire_stale("comparison", queue, 50, lambda entry: entry["at"], now=130.0)
    assert expired == [{"at": 40.0}] and queue == [{"at": 100.0}]
    assert value(registry, "llm_queue_expiry_total", queue_type="comparison", reason="timeout") == 1
    assert value(registry, "llm_queue_expiry_age_seconds_sum", queue_type="comparison") == 90
    metrics.set_queue_depth("comparison", 0)
    assert value(registry, "llm_queue_depth", queue_type="comparison") == 0


def test_bundle_sizes_fill_power_of_two_buckets(metrics: Any, registry: CollectorRegistry) -> None:
    for size in (1, 3, 8, 64, 65):
        metrics.observe_bundle(size)
    bucket = "llm_serial_bundle_items_per_call_bucket"
    assert [value(registry, bucket, le=le) for le in ("1.0", "2.0", "4.0", "8.0", "64.0", "+Inf")] == [1, 1, 2, 3, 4, 5]
    assert value(registry, "llm_serial_bundle_items_per_call_sum") == 141


def test_breaker_state_uses_the_spec_encoding(module: ModuleType, metrics: Any, registry: CollectorRegistry) -> None:
    labels = {"service": "llm_provider", "circuit_name": "openai_circuit"}
    metrics.set_breaker_state("openai_circuit", module.BreakerState.OPEN)
    assert value(registry, "circuit_breaker_state", **labels) == 1
    metrics.set_breaker_state("openai_circuit", "half_open")
    assert value(registry, "circuit_breaker_state", **labels) == 2
    metrics.set_breaker_state("openai_circuit", 0)
    assert value(registry, "circuit_breaker_state", **labels) == 0
    metrics.set_breaker_state("openai_circuit", "melting")
    assert value(registry, "circuit_breaker_state", **labels) == 0
    assert value(registry, INVALID, helper="set_breaker_state") == 1
    assert [(s.name, int(s)) for s in module.BreakerState] == [("CLOSED", 0), ("OPEN", 1), ("HALF_OPEN", 2)]


@pytest.mark.parametrize(
    ("kwargs", "recorded_prompt"),
    [
        ({"prompt_tokens": -5}, 0),
        ({"prompt_tokens": "12"}, 0),
        ({"prompt_tokens": math.nan}, 0),
        ({"prompt_tokens": True}, 0),
        ({"prompt_tokens": 3.0}, 3),
    ],
)
def test_bad_token_counts_are_dropped_and_counted(
    metrics: Any, registry: CollectorRegistry, kwargs: dict[str, Any], recorded_prompt: int
) -> None:
    cost = metrics.record_usage("openai", "gpt-4o", completion_tokens=1, **kwargs)
    assert tokens(registry, "openai", "gpt-4o", "prompt") == recorded_prompt
    assert tokens(registry, "openai", "gpt-4o", "completion") == 1
    assert value(registry, INVALID, helper="record_usage") == (0 if recorded_prompt else 1)
    assert abs(cost - (recorded_prompt * 2.5 + 10.0) / 1e6) < 1e-12


def test_missing_usage_fields_are_zero_not_invalid(metrics: Any, registry: CollectorRegistry) -> None:
    assert metrics.record_usage("openai", "gpt-4o", {"prompt_tokens": None}) == 0.0
    assert metrics.record_usage("openai", "gpt-4o", object()) == 0.0
    assert value(registry, INVALID, helper="record_usage") == 0


def test_bad_values_never_raise(metrics: Any, registry: CollectorRegistry, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="llm_metrics"):
        metrics.set_queue_depth("no-such-queue", 4)
        metrics.set_queue_depth("comparison", -1)
        metrics.set_queue_depth("comparison", None)
        metrics.record_expiry("comparison", math.nan, reason="cosmic-ray")
        metrics.observe_bundle(-3)
        with metrics.track_queue_item(["unhashable"], "yesterday"):
            pass
        with metrics.track_queue_item("comparison", 1.0, now="tomorrow"):
            pass
        with metrics.track_call(["unhashable"], {"a": 1}, 42, feature=object()):
            pass
    assert value(registry, "llm_queue_depth", queue_type="other") == 4
    assert value(registry, INVALID, helper="set_queue_depth") == 3
    assert value(registry, INVALID, helper="record_expiry") == 2
    assert value(registry, INVALID, helper="observe_bundle") == 1
    assert value(registry, INVALID, helper="track_queue_item") == 3
    assert value(registry, INVALID, helper="track_call") == 2
    assert value(registry, "llm_queue_expiry_total", queue_type="comparison", reason="other") == 1
    assert (
        value(
            registry, REQUESTS, provider="other", model="other", outcome="success", error_type="none", feature="other"
        )
        == 1
    )
    warned = [r.getMessage() for r in caplog.records]
    assert warned[0] == (
        "set_queue_depth: cannot record queue_type 'no-such-queue' as given (recorded under 'other', or dropped); "
        "further cases are only counted on llm_metrics_invalid_values_total"
    )
    assert len([m for m in warned if m.startswith("set_queue_depth:")]) == 1  # once per helper


def test_threads_give_exact_totals(metrics: Any, registry: CollectorRegistry) -> None:
    def work() -> None:
        for _ in range(500):
            with metrics.track_call("openai", "gpt-4o", feature="chat") as call:
                call.record_usage(prompt_tokens=3, completion_tokens=2)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens(registry, "openai", "gpt-4o", "prompt", "chat") == 8 * 500 * 3
    assert (
        value(
            registry, REQUESTS, provider="openai", model="gpt-4o", outcome="success", error_type="none", feature="chat"
        )
        == 4000
    )
    assert (
        abs(
            value(registry, COST, provider="openai", model="gpt-4o", feature="chat") - 4000 * (3 * 2.5 + 2 * 10.0) / 1e6
        )
        < 1e-9
    )
    assert value(registry, IN_FLIGHT, provider="openai") == 0


def test_custom_metrics_are_defined(metrics: Any, registry: CollectorRegistry) -> None:
    metrics.custom.llm_gateway_cache_hits_total.labels(feature="chat").inc(2)
    assert value(registry, "llm_gateway_cache_hits_total", feature="chat") == 2


def test_every_metric_of_the_bundle_is_exposed(bundle: Bundle, metrics: Any, registry: CollectorRegistry) -> None:
    text_names = {name for name, _ in samples(registry)}
    for metric in bundle.all_metrics:
        if not metric.labels:
            assert set(metric.sample_names) - {f"{metric.name}_bucket"} <= text_names
    families = {m.name for m in registry.collect()}
    assert {m.base_name for m in bundle.all_metrics} == families


def test_metrics_can_live_on_separate_registries(module: ModuleType) -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    module.LLMMetrics(registry=first).observe_bundle(2)
    module.LLMMetrics(registry=second)
    assert value(first, "llm_serial_bundle_items_per_call_count") == 1
    assert value(second, "llm_serial_bundle_items_per_call_count") == 0


def test_module_imports_nothing_but_stdlib_and_prometheus_client(rendered: dict[str, str]) -> None:
    import ast
    import sys as _sys

    tree = ast.parse(rendered["python/llm_metrics.py"])
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots - _sys.stdlib_module_names - {"__future__"} == {"prometheus_client"}


def test_generated_header(rendered: dict[str, str]) -> None:
    assert rendered["python/llm_metrics.py"].startswith(
        "# Generated from specs/llm.yaml by the LLM monitoring bundle generator: do not edit.\n"
    )


def test_default_instance_is_created_once(rendered: dict[str, str], tmp_path: Path) -> None:
    import subprocess
    import sys as _sys

    (tmp_path / "llm_metrics.py").write_text(rendered["python/llm_metrics.py"], encoding="utf-8")
    code = (
        "import llm_metrics as m\n"
        "from prometheus_client import REGISTRY, generate_latest\n"
        "a = m.get_metrics(); b = m.get_metrics(); assert a is b\n"
        "a.observe_bundle(4)\n"
        "assert m.exposition_registry() is REGISTRY\n"
        "print(REGISTRY.get_sample_value('llm_serial_bundle_items_per_call_sum'))\n"
    )
    result = subprocess.run([_sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "4.0\n", "")


def test_expire_stale_keeps_exactly_the_fresh_items_and_never_raises(
    metrics: Any, registry: CollectorRegistry
) -> None:
    class Item:
        def __init__(self, at: Any) -> None:
            self.at = at

        def __eq__(self, other: object) -> bool:  # equal items must not confuse which one is removed
            return True

        __hash__ = None  # type: ignore[assignment]

    fresh, stale, unreadable = Item(95.0), Item(10.0), Item(None)
    queue = [fresh, stale, unreadable]
    expired = metrics.expire_stale("comparison", queue, 30, lambda item: item.at, now=100.0)
    assert [id(i) for i in expired] == [id(stale)]
    assert [id(i) for i in queue] == [id(fresh), id(unreadable)]
    assert value(registry, "llm_queue_expiry_age_seconds_sum", queue_type="comparison") == 90
    assert metrics.expire_stale("comparison", queue, 30, lambda item: item.at, now="later") == []
    assert metrics.expire_stale("comparison", queue, 30, lambda item: 1 / 0, now=100.0) == []
    assert [id(i) for i in queue] == [id(fresh), id(unreadable)]
    assert value(registry, INVALID, helper="expire_stale") == 2


def test_huge_counts_are_rejected_so_cost_stays_finite(metrics: Any, registry: CollectorRegistry) -> None:
    assert metrics.record_usage("openai", "gpt-4o", prompt_tokens=100, completion_tokens=10**400) == 100 * 2.5 / 1e6
    assert metrics.record_usage("openai", "gpt-4o", prompt_tokens=1e308, completion_tokens=1e308) == 0.0
    metrics.observe_bundle(10**400)
    metrics.record_expiry("comparison", 10**400)
    assert value(registry, INVALID, helper="record_usage") == 3
    assert value(registry, INVALID, helper="observe_bundle") == 1
    assert value(registry, INVALID, helper="record_expiry") == 1
    assert abs(value(registry, COST, provider="openai", model="gpt-4o", feature="other") - 2.5e-4) < 1e-12


def test_first_token_before_the_call_starts_is_ignored(metrics: Any, registry: CollectorRegistry) -> None:
    call = metrics.track_call("openai", "gpt-4o")
    call.first_token()
    with call:
        pass
    assert value(registry, "llm_provider_time_to_first_token_seconds_count", provider="openai", model="gpt-4o") == 0


def test_calls_without_attribution_take_the_cached_path(metrics: Any) -> None:
    for _ in range(3):
        with metrics.track_call("openai", "gpt-4o", "chat"):
            pass
    assert list(metrics._calls) == [("openai", "gpt-4o", "chat", None)]
