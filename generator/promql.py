"""Small PromQL builders: escaped matchers, stable numbers, ranges. Never glue unescaped strings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client.utils import floatToGoString

from .units import format_duration, format_number

__all__ = [
    "by",
    "escape_label_value",
    "le_matcher",
    "matchers",
    "number",
    "range_seconds",
    "selector",
]


def escape_label_value(value: str) -> str:
    """Escape a label value for a double-quoted PromQL string."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def matchers(pairs: Iterable[tuple[str, str, str]]) -> str:
    """``[("job", "=", "x")]`` -> ``job="x"``."""
    return ", ".join(f'{name}{op}"{escape_label_value(value)}"' for name, op, value in pairs)


def selector(metric: str, pairs: Sequence[tuple[str, str, str]] = ()) -> str:
    """A vector selector such as ``metric{job="x", le="1"}``."""
    inner = matchers(pairs)
    return f"{metric}{{{inner}}}" if inner else metric


def le_spellings(boundary: float) -> tuple[str, ...]:
    """Both spellings of a bucket boundary: prometheus_client writes ``1.0``, Prometheus 3 stores ``1``."""
    go_style: str = floatToGoString(boundary)  # type: ignore[no-untyped-call]  # prometheus_client spelling
    short = format_number(boundary)
    return tuple(dict.fromkeys((short, go_style)))


def le_matcher(label: str, boundary: float) -> tuple[str, str, str]:
    """A matcher on one bucket that accepts every spelling of its boundary."""
    spellings = le_spellings(boundary)
    if len(spellings) == 1:
        return (label, "=", spellings[0])
    pattern = "|".join(s.replace(".", "\\.").replace("+", "\\+") for s in spellings)
    return (label, "=~", pattern)


def by(labels: Iterable[str]) -> str:
    """``by (a, b)``; duplicates dropped, order kept."""
    return f"by ({', '.join(dict.fromkeys(labels))})"


def number(value: float) -> str:
    """A PromQL number literal without float noise."""
    return format_number(value)


def range_seconds(nominal: float, scrape_interval: float) -> float:
    """A range of at least ``nominal`` and at least 4x the scrape interval (Prometheus 3 ranges are left-open)."""
    return max(nominal, 4 * scrape_interval)


def duration(seconds: float) -> str:
    """A PromQL duration literal."""
    return format_duration(seconds)
