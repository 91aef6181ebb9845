"""Small statistics helpers: medians, ratios and least-squares fits."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["fit_linear", "fit_power", "median", "ratio"]


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return float(statistics.median(values))


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` rounded to three decimals."""
    return round(numerator / denominator, 3)


def fit_linear(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of ``ys`` against ``xs``."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, mean_y - slope * mean_x


def fit_power(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The exponent ``k`` of the least-squares fit ``y = a * x**k`` (a straight line in log-log)."""
    slope, _ = fit_linear([math.log(x) for x in xs], [math.log(y) for y in ys])
    return slope
