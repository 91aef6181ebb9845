"""Interleaved timing: every variant once per round, rotating the order, medians in ns per operation."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping

from .stats import median

__all__ = ["Loop", "calibrate", "interleave", "medians"]

Loop = Callable[[int], None]  # runs its operation n times


def _once(loop: Loop, loops: int) -> float:
    """Nanoseconds per operation of one batch of ``loops`` operations, with the GC off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        loop(loops)
        return (time.perf_counter_ns() - start) / loops
    finally:
        gc.enable()


def calibrate(loop: Loop, batch_seconds: float) -> int:
    """How many operations of ``loop`` take about ``batch_seconds``."""
    per_op = min(_once(loop, 200) for _ in range(3))
    return max(100, int(batch_seconds * 1e9 / per_op))


def interleave(variants: Mapping[str, Loop], rounds: int, loops: int) -> dict[str, list[float]]:
    """Time each variant once per round, the starting variant rotating; one warm-up round first."""
    names = list(variants)
    for name in names:
        variants[name](min(loops, 200))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(_once(variants[name], loops))
    return samples


def medians(samples: Mapping[str, list[float]]) -> dict[str, float]:
    """The median of each variant's rounds."""
    return {name: median(values) for name, values in samples.items()}
