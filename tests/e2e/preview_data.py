"""The data behind each dashboard panel, fetched from Prometheus as Grafana would (variables set to All)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.e2e.grafana_targets import all_values, interpolate, panels
from tests.e2e.prometheus_api import PrometheusAPI

__all__ = ["Line", "PanelData", "fetch_panels", "legend"]

_TEMPLATE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Line:
    """One drawn series: its legend, its labels and its (timestamp, value) points."""

    legend: str
    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class PanelData:
    """A panel's JSON and the data of each of its queries (instant queries give one point per line)."""

    panel: dict[str, Any]
    lines: tuple[tuple[Line, ...], ...]  # one tuple per target, in target order

    @property
    def kind(self) -> str:
        """The Grafana panel type."""
        return str(self.panel["type"])

    @property
    def defaults(self) -> dict[str, Any]:
        """The panel's fieldConfig defaults."""
        return dict(self.panel.get("fieldConfig", {}).get("defaults", {}))


def legend(template: str, labels: dict[str, str]) -> str:
    """Grafana's legend: ``{{label}}`` replaced; without a template, the label set."""
    if not template:
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
        return f"{labels.get('__name__', '')}{{{inner}}}"
    return _TEMPLATE.sub(lambda m: labels.get(m.group(1), ""), template)


def fetch_panels(api: PrometheusAPI, dashboard: dict[str, Any], start: float, end: float) -> list[PanelData]:
    """Every non-row panel with the data of its queries over [start, end]."""
    values = all_values(api, dashboard)
    step = max(1.0, round((end - start) / 240))
    out = []
    for panel in panels(dashboard):
        per_target = []
        for target in panel.get("targets", []):
            expr = interpolate(target.get("expr", ""), values)
            template = target.get("legendFormat", "")
            found: list[tuple[dict[str, str], tuple[tuple[float, float], ...]]]
            if target.get("instant"):
                found = [(s.labels, ((s.timestamp, s.value),)) for s in api.query(expr, at=end)]
            else:
                found = [(s.labels, s.points) for s in api.query_range(expr, start, end, step)]
            per_target.append(tuple(Line(legend(template, labels), labels, points) for labels, points in found))
        out.append(PanelData(panel, tuple(per_target)))
    return out
