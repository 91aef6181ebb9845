"""Input series for promtool tests, and the first-principles math that predicts what the rules compute.

Counters grow linearly within a phase, so ``rate()`` over a window inside one phase is the phase's slope on
Prometheus 2 (closed ranges) and 3 (left-open ranges) alike; ratios of counters that start together at 0
are exact over any window that reaches back before the start.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from ..model import Metric
from ..promql import selector
from ..units import format_number

__all__ = [
    "Labels",
    "Mix",
    "Phase",
    "Signal",
    "counter",
    "decoy",
    "exact",
    "gauge",
    "group",
    "histogram",
    "lit",
    "quantile",
    "rounded",
]

Labels = tuple[tuple[str, str], ...]
Mix = tuple[tuple[float, Fraction], ...]  # (observed value, observations per second)


def exact(value: float | Fraction) -> Fraction:
    """A spec number as the decimal it was written as (``0.1`` -> 1/10, not the nearest float)."""
    return value if isinstance(value, Fraction) else Fraction(format_number(float(value)))


def lit(value: Fraction | float) -> str:
    """A number literal for YAML or PromQL, without float noise."""
    return format_number(float(value))


@dataclass(frozen=True)
class Phase:
    """``steps`` scrape intervals of steady growth (counter: per second) or of one value (gauge)."""

    rate: Fraction
    steps: int


@dataclass(frozen=True)
class Signal:
    """One input series and its meaning; a counter starts at 0 and grows phase by phase."""

    name: str
    labels: Labels
    kind: Literal["counter", "gauge"]
    phases: tuple[Phase, ...]
    stale_after: bool = False

    def label(self, name: str) -> str:
        """The value of label ``name``."""
        return dict(self.labels)[name]

    def values(self, interval: Fraction) -> str:
        """The samples in promtool's expanding notation (``0 0.5+0.5x39``)."""
        tokens = ["0"] if self.kind == "counter" else []
        value = Fraction(0)
        for phase in self.phases:
            if self.kind == "gauge":
                tokens.append(f"{lit(phase.rate)}x{phase.steps - 1}")
                continue
            step = phase.rate * interval
            tokens.append(f"{lit(value + step)}+{lit(step)}x{phase.steps - 1}")
            value += step * phase.steps
        return " ".join(tokens + (["stale"] if self.stale_after else []))

    def counted(self, samples: int, interval: Fraction) -> Fraction:
        """A counter's value after ``samples`` increments."""
        total, left = Fraction(0), samples
        for phase in self.phases:
            used = min(left, phase.steps)
            total, left = total + phase.rate * interval * used, left - used
        return total

    def as_input(self, interval: Fraction) -> dict[str, str]:
        """The ``input_series`` entry."""
        return {"series": selector(self.name, [(k, "=", v) for k, v in self.labels]), "values": self.values(interval)}


def counter(name: str, labels: Labels, *phases: tuple[Fraction, int]) -> Signal:
    """A counter growing at each (per-second rate, steps) phase in turn."""
    return Signal(name, labels, "counter", tuple(Phase(r, n) for r, n in phases))


def gauge(name: str, labels: Labels, *phases: tuple[Fraction, int], stale_after: bool = False) -> Signal:
    """A gauge holding each (value, samples) phase in turn."""
    return Signal(name, labels, "gauge", tuple(Phase(v, n) for v, n in phases), stale_after)


def decoy(signal: Signal, label: str) -> Signal:
    """The same series for another service: ``label``'s value changed, so the service selector must drop it."""
    return replace(signal, labels=tuple((k, f"{v}-decoy" if k == label else v) for k, v in signal.labels))


def histogram(
    metric: Metric, labels: Labels, phases: Sequence[tuple[Mix, int]], le: Callable[[float], str]
) -> tuple[Signal, ...]:
    """The ``_bucket`` (one per bound and +Inf), ``_count`` and ``_sum`` counters of observation mixes."""
    bounds = (*metric.buckets, math.inf)

    def series(suffix: str, extra: Labels, rate: Callable[[Mix], Fraction]) -> Signal:
        return counter(metric.name + suffix, labels + extra, *((rate(mix), n) for mix, n in phases))

    def at_most(bound: float) -> Callable[[Mix], Fraction]:
        return lambda mix: sum((r for v, r in mix if v <= bound), Fraction(0))

    buckets = tuple(series("_bucket", (("le", le(b)),), at_most(b)) for b in bounds)
    count = series("_count", (), lambda mix: sum((r for _, r in mix), Fraction(0)))
    total = series("_sum", (), lambda mix: sum((exact(v) * r for v, r in mix), Fraction(0)))
    return (*buckets, count, total)


def group(
    signals: Iterable[Signal], name: str, by: Sequence[str], value: Callable[[Signal], Fraction]
) -> dict[Labels, Fraction]:
    """``sum by (by)`` of ``value`` over the signals named ``name``."""
    sums: dict[Labels, Fraction] = {}
    for signal in signals:
        if signal.name == name:
            key = tuple((k, signal.label(k)) for k in by)
            sums[key] = sums.get(key, Fraction(0)) + value(signal)
    return sums


def quantile(q: Fraction, cumulative: Mapping[float, Fraction]) -> Fraction:
    """The q-quantile of a histogram by linear interpolation inside the bucket that holds rank q x count."""
    bounds = sorted(cumulative)
    rank = q * cumulative[math.inf]
    for i, bound in enumerate(bounds):
        if cumulative[bound] >= rank:
            if bound == math.inf:
                return exact(bounds[-2])  # the +Inf bucket: the highest finite bound
            lower, below = (exact(bounds[i - 1]), cumulative[bounds[i - 1]]) if i else (Fraction(0), Fraction(0))
            return lower + (exact(bound) - lower) * (rank - below) / (cumulative[bound] - below)
    raise ValueError("cumulative counts must end with +Inf")


# Granularities g for round(x, g) where promtool's 1/g is exactly 1/g, so round() returns the nearest
# float to a multiple of g, the same float YAML reads for the expected value.
_EXACT_STEPS = tuple(e for e in range(0, -16, -1) if 1.0 / float(f"1e{e}") == float(f"1e{-e}"))


def rounded(values: Sequence[Fraction]) -> tuple[str, tuple[Fraction, ...]]:
    """``(g, values rounded to g)`` for ``round(x, g)``: about six significant digits of the smallest value,
    coarser where float noise could flip a rounding."""
    tops = [math.floor(math.log10(abs(v))) for v in values if v]
    finest = max((e for e in _EXACT_STEPS if e <= min(tops, default=0) - 5), default=_EXACT_STEPS[-1])
    for e in sorted(e for e in _EXACT_STEPS if e >= finest):
        g = Fraction(10) ** e
        steps = [v / g for v in values]
        if all(abs(x - math.floor(x) - Fraction(1, 2)) > Fraction(1, 10**6) for x in steps):
            return lit(g), tuple(math.floor(x + Fraction(1, 2)) * g for x in steps)
    raise ValueError(f"no stable rounding for {[float(v) for v in values]}")
