"""What a dashboard panel shows, independent of grafanalib: the catalogue builds these, the builder draws them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "NO_LIMITS",
    "Limits",
    "Panel",
    "PanelKind",
    "Query",
    "QueryFormat",
    "Row",
    "State",
    "above",
    "below",
]

PanelKind = Literal["timeseries", "stat", "table", "heatmap", "state-timeline"]
QueryFormat = Literal["time_series", "table", "heatmap"]


@dataclass(frozen=True)
class Query:
    """One PromQL target; for tables ``legend`` is the column title."""

    expr: str
    legend: str
    format: QueryFormat = "time_series"
    instant: bool = False


@dataclass(frozen=True)
class Limits:
    """Threshold colours: ``base`` below the first step, then each (colour, value) step upwards."""

    base: str
    steps: tuple[tuple[str, float], ...] = ()


NO_LIMITS = Limits("green")


def above(value: float, warning: float | None = None) -> Limits:
    """Bad at or above ``value`` (red); with ``warning``, orange from the warning value up to ``value``."""
    if warning is None:
        return Limits("green", (("red", value),))
    return Limits("green", (("orange", warning), ("red", value)))


def below(value: float) -> Limits:
    """Bad below ``value`` (red), fine at or above it (green)."""
    return Limits("red", (("green", value),))


@dataclass(frozen=True)
class State:
    """A value mapping: a number shown as a named, coloured state."""

    value: int
    text: str
    color: str


@dataclass(frozen=True)
class Panel:
    """One panel: its queries, unit, description, thresholds and size."""

    kind: PanelKind
    title: str
    description: str
    unit: str
    queries: tuple[Query, ...]
    width: int = 8
    height: int = 8
    limits: Limits = NO_LIMITS
    alerts: tuple[str, ...] = ()  # names of the alerts whose runbooks the panel links to
    min: float | None = None
    max: float | None = None
    y_unit: str = ""  # heatmaps: the bucket axis
    states: tuple[State, ...] = ()
    sort_by: str = ""  # tables: column to sort by, descending


@dataclass(frozen=True)
class Row:
    """A titled row of panels, laid out left to right."""

    title: str
    panels: tuple[Panel, ...]
