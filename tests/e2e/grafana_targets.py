"""Dashboard panel queries as Grafana would send them with every variable set to All."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.e2e.prometheus_api import PrometheusAPI

__all__ = ["BUILTINS", "Target", "all_values", "escape_value", "interpolate", "panels", "targets"]

# Grafana's built-in variables, as it would set them for a short time range.
BUILTINS = {"__rate_interval": "1m", "__interval": "1s", "__range": "5m", "__range_s": "300", "__interval_ms": "1000"}
_LABEL_VALUES = re.compile(r"^label_values\((?:(?P<match>.*),\s*)?(?P<label>[a-zA-Z_]\w*)\)$", re.DOTALL)
_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|]")
_LEFT_OVER = re.compile(r"\$\{?\w+|\[\[\w+")


@dataclass(frozen=True)
class Target:
    """One query of one panel."""

    dashboard: str
    panel: str
    ref_id: str
    expr: str
    instant: bool

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}"


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that is not a row, collapsed rows' panels included."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panels(panel)
        else:
            yield panel


def targets(dashboard: dict[str, Any]) -> Iterator[Target]:
    """Every Prometheus query of every panel."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield Target(dashboard["title"], panel["title"], target.get("refId", "?"), target.get("expr", ""),
                         bool(target.get("instant", False)))


def escape_value(value: str) -> str:
    """Grafana's escape of a multi-value item inside a PromQL regex matcher."""
    return _REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\\\\\\\"))


def interpolate(text: str, values: dict[str, str]) -> str:
    """Replace ``$name``, ``${name}`` and ``[[name]]``, longest names first; refuse leftovers."""
    for name in sorted(values, key=len, reverse=True):
        text = text.replace("${" + name + "}", values[name]).replace(f"[[{name}]]", values[name])
        text = re.sub(r"\$" + re.escape(name) + r"(?!\w)", values[name].replace("\\", "\\\\"), text)
    left = _LEFT_OVER.search(text)
    if left:
        raise ValueError(f"unknown variable {left.group(0)} in {text!r}")
    return text


def all_values(api: PrometheusAPI, dashboard: dict[str, Any]) -> dict[str, str]:
    """What Grafana substitutes for each variable set to All: ``allValue``, else the regex of every value."""
    values = dict(BUILTINS)
    for variable in dashboard.get("templating", {}).get("list", []):
        kind, name = variable.get("type"), variable["name"]
        if kind == "datasource":
            continue  # chooses the data source; never part of an expression
        if kind != "query":
            raise NotImplementedError(f"variable {name}: type {kind} is not handled by the e2e test")
        if variable.get("allValue"):
            values[name] = variable["allValue"]
            continue
        query = variable["query"]
        query = query.get("query", "") if isinstance(query, dict) else query
        parsed = _LABEL_VALUES.match(interpolate(query, values).strip())
        if parsed is None:
            raise NotImplementedError(f"variable {name}: query {query!r} is not label_values(...)")
        found = api.label_values(parsed["label"], parsed["match"] or "{__name__=~'.+'}")
        if not found:
            raise ValueError(f"variable {name}: {query!r} finds no values")
        escaped = [escape_value(v) for v in sorted(found)]
        values[name] = escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    return values
