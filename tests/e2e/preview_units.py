"""Grafana units (``s``, ``percentunit``, ``currencyUSD``, ``suffix:...``) as short display strings."""

from __future__ import annotations

import math

__all__ = ["format_value"]

_SI = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def _short(value: float) -> str:
    """A number with an SI suffix and up to three significant digits."""
    for scale, suffix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _duration(seconds: float) -> str:
    """Seconds as ms, s or min."""
    if seconds == 0:
        return "0 s"
    if abs(seconds) < 1:
        return f"{seconds * 1000:.3g} ms"
    if abs(seconds) < 120:
        return f"{seconds:.3g} s"
    return f"{seconds / 60:.3g} min"


def format_value(value: float, unit: str | None) -> str:
    """``value`` in Grafana's ``unit``; NaN shows as ``-``."""
    if not math.isfinite(value):
        return "-"
    unit = unit or "short"
    if unit == "percentunit":
        return f"{value * 100:.3g}%"
    if unit == "s":
        return _duration(value)
    if unit.startswith("currency"):
        symbols = {"currencyUSD": "$", "currencyEUR": "€", "currencyGBP": "£"}
        symbol = symbols.get(unit, unit.removeprefix("currency") + " ")
        return f"{symbol}{value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"{symbol}{value:.2g}"
    if unit.startswith("suffix:"):
        return f"{_short(value)} {unit.removeprefix('suffix:')}"
    suffixes = {"reqps": " req/s", "cps": " /s", "ops": " ops/s"}
    return _short(value) + suffixes.get(unit, "")
