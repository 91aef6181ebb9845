"""Prometheus' template functions (humanize & co.) in Python, to predict an alert's rendered annotations."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from ..conventions import PLAIN_NUMBER

__all__ = ["HUMANIZERS", "VALUE_FORMAT", "go_g4", "render", "stable"]


def go_g4(value: float) -> str:
    """Go's ``fmt.Sprintf("%.4g", v)`` for the finite values alerts produce."""
    if value == 0:
        return "0"
    text = f"{value:.4g}"
    if "e" in text:  # Go writes at least two exponent digits, as C does
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{exponent[0]}{int(exponent[1:]):02d}"
    return text


def humanize(value: float) -> str:
    """Prometheus ``humanize``: 4 significant digits and an SI prefix (``1234`` -> ``1.234k``)."""
    if value == 0 or not math.isfinite(value):
        return go_g4(value)
    prefix = ""
    if abs(value) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix, value = p, value / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(value) >= 1:
                break
            prefix, value = p, value * 1000
    return f"{go_g4(value)}{prefix}"


def humanize_percentage(value: float) -> str:
    """Prometheus ``humanizePercentage``: ``0.1234`` -> ``12.34%``."""
    return f"{go_g4(value * 100)}%"


def humanize_duration(value: float) -> str:
    """Prometheus ``humanizeDuration``: ``75`` -> ``1m 15s``; below a minute 4 significant digits."""
    if value == 0:
        return "0s"
    if abs(value) >= 1:
        sign, value = ("-", -value) if value < 0 else ("", value)
        whole = int(value)
        days, hours, minutes, seconds = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{go_g4(value)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix, value = p, value * 1000
    return f"{go_g4(value)}{prefix}s"


# How a template formats ``$value``: a humanize function, or PLAIN_NUMBER (Go's %.4g, no SI prefix).
HUMANIZERS: dict[str, Callable[[float], str]] = {
    PLAIN_NUMBER: go_g4,
    "humanize": humanize,
    "humanizePercentage": humanize_percentage,
    "humanizeDuration": humanize_duration,
}


def stable(fmt: Callable[[float], str], value: float) -> bool:
    """Whether float noise of a few ulps around ``value`` (promtool's arithmetic) cannot change ``fmt``'s text."""
    return fmt(value * (1 - 1e-9)) == fmt(value) == fmt(value * (1 + 1e-9))


_ACTION = re.compile(r"\{\{ (.*?) \}\}")
VALUE_FORMAT = re.compile(r'\$value \| (\w+(?: "%\.4g")?)')
_VALUE = re.compile(rf"^{VALUE_FORMAT.pattern}$")
_LABEL = re.compile(r"^\$labels\.(\w+)$")
# ``{{ if $labels.a }}...{{ else }}...{{ end }}`` (or ``if or $labels.a $labels.b``), not nested.
_IF = re.compile(
    r"\{\{ if (\$labels\.\w+|or(?: \$labels\.\w+)+) \}\}(.*?)(?:\{\{ else \}\}(.*?))?\{\{ end \}\}", re.DOTALL
)


def _choose(match: re.Match[str], labels: Mapping[str, str]) -> str:
    """The branch Prometheus takes: a label missing from the alert renders empty, which is false."""
    names = [name.removeprefix("$labels.") for name in match.group(1).split() if name != "or"]
    return match.group(2) if any(labels.get(name, "") for name in names) else (match.group(3) or "")


def render(template: str, value: float, labels: Mapping[str, str]) -> str:
    """Render the few template actions the generated annotations use; anything else is an error."""

    def action(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner == '"{{"':
            return "{{"
        if (fn := _VALUE.match(inner)) is not None:
            return HUMANIZERS[fn.group(1)](value)
        if (label := _LABEL.match(inner)) is not None:
            return labels[label.group(1)]
        raise ValueError(f"unsupported template action {{{{ {inner} }}}}")

    return _ACTION.sub(action, _IF.sub(lambda m: _choose(m, labels), template))
