"""The simulated LLM service: deterministic calls, queue, bundles and breakers driven through the generated module.

Everything here runs under one lock (the workload's), so a scrape never sees half a call. Latencies are
simulated: the generated module's clock is a :class:`SimClock`, set by hand around each call, so histograms
get exact, known values without sleeping. The :class:`Ledger` records what was done, in the workload's own
terms (raw provider/model names, exception class names), for the tests to compare with Prometheus.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CIRCUITS",
    "HELD",
    "PROFILES",
    "Ledger",
    "Profile",
    "SimClock",
    "Simulation",
]

QUEUE = "comparison"
CIRCUITS = {"openai": "openai_circuit", "anthropic": "anthropic_circuit"}
BUNDLE_SIZES = (3, 5, 8, 2, 4)
FEATURES = ("chat", "search", "summarize")
SIM_SECONDS_PER_TICK = 5.0  # simulated wall time per tick, for queue stamps, waits and ages
MAX_QUEUE_AGE = 90.0  # simulated seconds before a queued item expires
HELD_LATENCY = 45.0  # a long generation the caller finally cancels
SPEND_CALL = ("anthropic", "claude-sonnet-4", "chat", "chat")
SPEND_COMPLETION_TOKENS = 200_000
INVALID_EVERY = 50  # ticks between two deliberately invalid token counts
TOKEN_TYPES = ("prompt", "cached_prompt", "completion", "reasoning")  # the order of Profile.tokens


class RateLimitError(Exception):
    """What an SDK raises on HTTP 429."""


class APITimeoutError(TimeoutError):
    """What an SDK raises when the provider does not answer in time."""


class InternalServerError(Exception):
    """What an SDK raises on HTTP 5xx."""


class ContentFilterError(Exception):
    """An error the spec does not map: counted under the fallback error type."""


@dataclass(frozen=True)
class Profile:
    """One kind of call the service makes, cycled deterministically."""

    provider: str
    model: str
    request_type: str
    feature: str
    latencies: tuple[float, ...]
    tokens: tuple[int, int, int, int]  # prompt (uncached), cached_prompt, completion, reasoning
    usage_format: str  # "openai_chat", "anthropic" or "explicit"
    ttft: float | None = None  # streamed calls: seconds to the first token
    error_every: int = 0  # every n-th call fails (the n-th, never the first)
    error: type[Exception] = RateLimitError
    error_latency: float = 0.2


PROFILES = (
    Profile("openai", "gpt-4o", "chat", "chat", (1.2, 0.8, 2.4, 1.6, 3.5), (1000, 200, 300, 0), "openai_chat",
            ttft=0.3, error_every=10, error=RateLimitError),
    Profile("openai", "gpt-4o-mini", "completion", "summarize", (0.4, 0.6, 0.9, 0.3), (800, 0, 150, 0),
            "openai_chat", error_every=12, error=APITimeoutError, error_latency=30.0),
    Profile("openai", "o3-mini", "chat", "search", (4.0, 6.5, 8.0), (500, 100, 200, 600), "openai_chat"),
    Profile("anthropic", "claude-sonnet-4", "chat", "chat", (2.0, 3.0, 5.5, 2.5), (300, 1500, 400, 0), "anthropic",
            ttft=0.6, error_every=8, error=InternalServerError, error_latency=1.5),
    Profile("anthropic", "claude-haiku-3-5", "completion", "summarize", (0.5, 0.7, 1.1), (600, 0, 100, 0),
            "anthropic", error_every=9, error=ConnectionError, error_latency=0.1),
    Profile("openai", "gpt-5-preview", "chat", "chat", (1.0, 1.4), (50, 0, 20, 0), "explicit",
            error_every=11, error=ContentFilterError),
)
HELD = (PROFILES[0], PROFILES[2], PROFILES[3])  # long calls kept in flight until the workload pauses


class SimClock:
    """Stands in for the ``time`` module inside the generated module: ``perf_counter`` is set by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        """The simulated monotonic clock."""
        return self.now

    def time(self) -> float:
        """Real wall-clock time (queue helpers get explicit ``now`` values anyway)."""
        return time.time()


def usage_object(profile: Profile, tokens: tuple[int, int, int, int]) -> dict[str, Any]:
    """The usage payload the provider's SDK would return for these token counts."""
    prompt, cached, completion, reasoning = tokens
    if profile.usage_format == "openai_chat":
        return {
            "prompt_tokens": prompt + cached,
            "completion_tokens": completion + reasoning,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
    return {"input_tokens": prompt, "cache_read_input_tokens": cached, "output_tokens": completion}


@dataclass
class Ledger:
    """What the workload did, in its own terms; the tests map it to labels with the spec."""

    calls: Counter[tuple[str, str, str, str, str, tuple[str, ...]]] = field(default_factory=Counter)
    latencies: Counter[tuple[str, str, float]] = field(default_factory=Counter)
    tokens: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # provider, model, feature, type
    bundles: list[int] = field(default_factory=list)
    expired: int = 0
    processed: int = 0
    queue_depth: int = 0
    cache_hits: Counter[str] = field(default_factory=Counter)
    invalid: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)  # provider -> calls in flight now
    spent_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-able copy."""
        return {
            "calls": [[*k[:5], list(k[5]), n] for k, n in sorted(self.calls.items())],
            "latencies": [[*k, n] for k, n in sorted(self.latencies.items())],
            "tokens": [[*k, n] for k, n in sorted(self.tokens.items())],
            "bundles": list(self.bundles),
            "expired": self.expired,
            "processed": self.processed,
            "queue_depth": self.queue_depth,
            "cache_hits": dict(sorted(self.cache_hits.items())),
            "invalid": dict(sorted(self.invalid.items())),
            "held": dict(sorted(self.held.items())),
            "spent_calls": self.spent_calls,
        }


class Simulation:
    """Drives one ``LLMMetrics`` instance of the generated module; every method expects the lock held."""

    def __init__(self, metrics: Any, clock: SimClock) -> None:
        self.m = metrics
        self.clock = clock
        self.ledger = Ledger()
        self.tick_count = 0
        self.calls_made: Counter[Profile] = Counter()
        self.queue: list[float] = []  # enqueue stamps, simulated seconds
        self.sim_now = 1_000.0
        self.mode = "idle"  # idle, steady, backlog, drain
        self.open_circuits: set[str] = set()
        self.held: list[tuple[Profile, Any]] = []

    def prime(self) -> None:
        """Create every series the traffic will touch, at zero, before Prometheus first scrapes."""
        for profile in PROFILES:
            self.m.track_call(profile.provider, profile.model, profile.request_type, feature=profile.feature)
        for histogram in (self.m.queue_wait, self.m.processing, self.m.queue_expiry_age):
            histogram.labels(QUEUE)
        self.m.queue_expiry.labels(QUEUE, "timeout")
        self.m.set_queue_depth(QUEUE, 0)
        self.m.invalid_values.labels("record_usage")
        for feature in FEATURES:
            self.m.custom.llm_gateway_cache_hits_total.labels(feature=feature)
        for circuit in CIRCUITS.values():
            self.m.set_breaker_state(circuit, "closed")

    def start(self) -> None:
        """Start traffic, with a few long calls held in flight."""
        self.mode = "steady"
        for profile in HELD:
            self.clock.now = 0.0
            call = self.m.track_call(profile.provider, profile.model, profile.request_type, feature=profile.feature)
            call.__enter__()
            self.held.append((profile, call))
            self.ledger.held[profile.provider] += 1

    def release_held(self) -> None:
        """The caller gives up on the long calls: they end as cancelled."""
        for profile, call in self.held:
            self.clock.now = HELD_LATENCY
            call.__exit__(asyncio.CancelledError, asyncio.CancelledError(), None)
            self._count(profile, "cancelled", (), HELD_LATENCY)
            self.ledger.held[profile.provider] -= 1
        self.held = []

    def _count(self, profile: Profile, outcome: str, error: tuple[str, ...], latency: float) -> None:
        """Record one finished call in the ledger."""
        self.ledger.calls[(profile.provider, profile.model, profile.request_type, profile.feature, outcome, error)] += 1
        self.ledger.latencies[(profile.provider, profile.model, latency)] += 1

    def call(self, profile: Profile, tokens: tuple[int, int, int, int] | None = None) -> None:
        """One tracked call of ``profile``: latency, streaming, usage, or an error."""
        n = self.calls_made[profile]
        self.calls_made[profile] += 1
        failed = profile.error_every > 0 and (n + 1) % profile.error_every == 0
        latency = profile.error_latency if failed else profile.latencies[n % len(profile.latencies)]
        used = tokens or profile.tokens
        self.clock.now = 0.0
        try:
            with self.m.track_call(profile.provider, profile.model, profile.request_type, feature=profile.feature) as c:
                if failed:
                    self.clock.now = latency
                    raise profile.error("simulated")
                if profile.ttft is not None:
                    self.clock.now = profile.ttft
                    c.first_token()
                self.clock.now = latency
                if profile.usage_format == "explicit":
                    c.record_usage(prompt_tokens=used[0], cached_prompt_tokens=used[1], completion_tokens=used[2],
                                   reasoning_tokens=used[3])
                else:
                    c.record_usage(usage_object(profile, used))
        except Exception as error:
            self._count(profile, "error", tuple(k.__name__ for k in type(error).__mro__), latency)
            return
        self._count(profile, "success", (), latency)
        for token_type, count in zip(TOKEN_TYPES, used, strict=True):
            if count:
                self.ledger.tokens[(profile.provider, profile.model, profile.feature, token_type)] += count

    def spend(self, calls: int) -> None:
        """A burst of very long generations: spends fast."""
        profile = next(p for p in PROFILES if (p.provider, p.model, p.request_type, p.feature) == SPEND_CALL)
        big = Profile(*SPEND_CALL, (60.0,), (2_000, 0, SPEND_COMPLETION_TOKENS, 0), profile.usage_format)
        for _ in range(calls):
            self.call(big)
            self.ledger.spent_calls += 1

    def set_breaker(self, circuit: str, state: str) -> None:
        """Set a breaker's state; calls through an open breaker fail fast without reaching the provider."""
        self.m.set_breaker_state(circuit, state)
        if state == "open":
            self.open_circuits.add(circuit)
        else:
            self.open_circuits.discard(circuit)

    def tick(self) -> None:
        """One step of traffic: a call per profile, a queue pass, a bundled call, cache hits."""
        if self.mode == "idle":
            return
        self.tick_count += 1
        self.sim_now += SIM_SECONDS_PER_TICK
        for profile in PROFILES:
            if CIRCUITS.get(profile.provider) not in self.open_circuits:
                self.call(profile)
        self._queue_pass()
        size = BUNDLE_SIZES[self.tick_count % len(BUNDLE_SIZES)]
        self.m.observe_bundle(size)
        self.ledger.bundles.append(size)
        feature = FEATURES[self.tick_count % len(FEATURES)]
        self.m.custom.llm_gateway_cache_hits_total.labels(feature=feature).inc()
        self.ledger.cache_hits[feature] += 1
        if self.tick_count % INVALID_EVERY == 0:
            self.m.record_usage("openai", "gpt-4o", prompt_tokens=-1)  # a bug upstream: dropped and counted
            self.ledger.invalid["record_usage"] += 1

    def _queue_pass(self) -> None:
        """Expire stale items, process the oldest, then take new arrivals; depth is set around the pass."""
        arrivals, capacity = {"steady": (2, 2), "backlog": (8, 1), "drain": (1, 60)}[self.mode]
        with self.m.queue_batch(QUEUE, self.queue):
            expired = self.m.expire_stale(QUEUE, self.queue, MAX_QUEUE_AGE, lambda stamp: stamp, now=self.sim_now)
            self.ledger.expired += len(expired)
            for _ in range(min(capacity, len(self.queue))):
                stamp = self.queue.pop(0)
                self.clock.now = 0.0
                with self.m.track_queue_item(QUEUE, stamp, now=self.sim_now):
                    self.clock.now = 0.4 + 0.1 * (self.ledger.processed % 5)
                self.ledger.processed += 1
            self.queue.extend([self.sim_now] * arrivals)
        self.ledger.queue_depth = len(self.queue)
