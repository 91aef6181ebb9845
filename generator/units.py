"""Durations and numbers in the forms Prometheus, Python and humans read the same way."""

from __future__ import annotations

import math
import re

__all__ = ["format_duration", "format_number", "parse_duration"]

_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"^(?:{_NUMBER}d)?(?:{_NUMBER}h)?(?:{_NUMBER}m(?!s))?(?:{_NUMBER}s)?(?:{_NUMBER}ms)?$")
_UNIT_SECONDS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(text: str) -> float:
    """Parse a Prometheus-style duration (``90s``, ``5m``, ``1h30m``, ``250ms``) into seconds.

    >>> parse_duration("1h30m")
    5400.0
    """
    match = _DURATION.match(text.strip()) if text.strip() else None
    if match is None or not any(match.groups()):
        raise ValueError(f"invalid duration {text!r}: use a Prometheus duration such as 30s, 5m, 1h or 1h30m")
    days, hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
    # Summed in milliseconds so 0.1s + 200ms style inputs stay exact.
    total = (days * 86400 + hours * 3600 + minutes * 60 + seconds) * 1000 + millis
    if not math.isfinite(total):
        raise OverflowError(f"duration {text!r} is too large")
    return round(total) / 1000


def format_duration(seconds: float) -> str:
    """Format seconds as the shortest exact Prometheus duration (``300`` -> ``5m``)."""
    if seconds <= 0:
        raise ValueError("durations must be positive")
    if seconds != int(seconds):
        millis = round(seconds * 1000)
        return f"{millis}ms"
    remaining = int(seconds)
    parts = []
    for unit, size in _UNIT_SECONDS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_number(value: float) -> str:
    """Format a number with no float noise and no needless ``.0`` (``500.0`` -> ``500``)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    return text
