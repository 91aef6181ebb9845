"""Draw one dashboard panel's data on a matplotlib Axes, close to how Grafana shows it (dark theme)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.colors import PowerNorm
from matplotlib.ticker import FuncFormatter

from tests.e2e.preview_data import Line, PanelData
from tests.e2e.preview_units import format_value

__all__ = ["BACKGROUND", "DRAWERS", "PANEL", "TEXT", "draw_panel"]

BACKGROUND, PANEL, TEXT, GRID, MUTED = "#111217", "#181b1f", "#ccccdc", "#2c3235", "#8e8e9e"
PALETTE = ("#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d",
           "#fade2a", "#ff9830", "#c4162a")
NAMED = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "yellow": "#fade2a", "blue": "#5794f2"}


def _color(name: str) -> str:
    """A Grafana colour name as matplotlib's colour."""
    return NAMED.get(name, name)


def _time(t: float) -> datetime:
    """Seconds since the epoch as a local datetime."""
    return datetime.fromtimestamp(t)


def _style(ax: Axes, unit: str | None) -> None:
    """Grafana-like axes: dark, thin grid, unit-formatted y ticks, clock-time x ticks."""
    ax.set_facecolor(PANEL)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(colors=MUTED, labelsize=6, length=0)
    ax.grid(True, color=GRID, linewidth=0.5)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_value(v, unit)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=5))


def _lines(data: PanelData) -> list[Line]:
    """Every line of every query of the panel."""
    return [line for per_target in data.lines for line in per_target]


def _finite(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """The points that are numbers."""
    return [(t, v) for t, v in points if math.isfinite(v)]


def _thresholds(data: PanelData) -> list[tuple[str, float]]:
    """The panel's threshold steps above the base one, as (colour, value)."""
    steps = data.defaults.get("thresholds", {}).get("steps", [])
    return [(_color(s["color"]), float(s["value"])) for s in steps if s.get("value") is not None]


def draw_timeseries(ax: Axes, data: PanelData) -> None:
    """Lines with a legend under the plot, and the thresholds as dashed lines."""
    unit = data.defaults.get("unit")
    _style(ax, unit)
    for i, line in enumerate(_lines(data)):
        points = _finite(line.points)
        if points:
            ax.plot([_time(t) for t, _ in points], [v for _, v in points], color=PALETTE[i % len(PALETTE)],
                    linewidth=1.0, label=line.legend)
    for color, value in _thresholds(data):
        ax.axhline(value, color=color, linestyle="--", linewidth=0.7, alpha=0.8)
    low = data.defaults.get("min")
    if low is not None:
        ax.set_ylim(bottom=low)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=5, frameon=False, labelcolor=TEXT, ncol=2, handlelength=1.2)


def _threshold_color(data: PanelData, value: float) -> str:
    """The colour the thresholds give ``value``."""
    steps = data.defaults.get("thresholds", {}).get("steps", [])
    color = "green"
    for step in steps:
        if step.get("value") is None or value >= float(step["value"]):
            color = step["color"]
    return _color(color)


def draw_stat(ax: Axes, data: PanelData) -> None:
    """The last value, big and coloured by the thresholds, over a faint sparkline."""
    ax.set_facecolor(PANEL)
    ax.set_axis_off()
    lines = _lines(data)
    points = _finite(lines[0].points) if lines else []
    if not points:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", color=MUTED, fontsize=10, transform=ax.transAxes)
        return
    value = points[-1][1]
    color = _threshold_color(data, value)
    spark = ax.inset_axes((0.0, 0.0, 1.0, 0.45))
    spark.set_axis_off()
    spark.fill_between([_time(t) for t, _ in points], [v for _, v in points], color=color, alpha=0.25, linewidth=0)
    ax.text(0.5, 0.6, format_value(value, data.defaults.get("unit")), ha="center", va="center", color=color,
            fontsize=20, fontweight="bold", transform=ax.transAxes)


def draw_table(ax: Axes, data: PanelData) -> None:
    """Instant results merged into one row per label set; each query's legend titles its column."""
    ax.set_facecolor(PANEL)
    ax.set_axis_off()
    unit = data.defaults.get("unit")
    titles = [t.get("legendFormat") or t.get("refId", "") for t in data.panel.get("targets", [])]
    rows: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for column, per_target in enumerate(data.lines):
        for line in per_target:
            key = tuple(sorted((k, v) for k, v in line.labels.items() if k != "__name__"))
            rows.setdefault(key, ["-"] * len(titles))[column] = format_value(line.points[-1][1], unit)
    if not rows:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", color=MUTED, fontsize=10, transform=ax.transAxes)
        return
    label_names = sorted({k for key in rows for k, _ in key})
    cells = [[dict(key).get(n, "") for n in label_names] + values for key, values in sorted(rows.items())]
    table = ax.table(cellText=cells[:12], colLabels=label_names + titles, loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(6)
    for (row, _col), cell in table.get_celld().items():
        cell.set_facecolor(PANEL if row else GRID)
        cell.set_edgecolor(GRID)
        cell.get_text().set_color(TEXT)


def _le(line: Line) -> float:
    """A bucket line's upper bound."""
    return float(line.labels.get("le", "inf").replace("+Inf", "inf"))


def draw_heatmap(ax: Axes, data: PanelData) -> None:
    """Cumulative bucket rates turned into per-bucket cells over time, as Grafana's heatmap does."""
    _style(ax, None)
    buckets = sorted(_lines(data), key=_le)
    if not buckets:
        return
    times = sorted({t for line in buckets for t, _ in line.points})
    grid = [[dict(line.points).get(t, 0.0) for t in times] for line in buckets]
    below = [[0.0] * len(times), *grid[:-1]]
    cells = [[max(0.0, v - b) if math.isfinite(v - b) else 0.0 for v, b in zip(row, under, strict=True)]
             for row, under in zip(grid, below, strict=True)]
    x = mdates.date2num([_time(t) for t in times])
    shown = [[v if v > 0 else math.nan for v in row] for row in cells]  # empty cells show the background
    top = max((v for row in cells for v in row), default=1.0) or 1.0
    ax.pcolormesh(x, range(len(buckets)), shown, cmap="Oranges", shading="nearest",
                  norm=PowerNorm(0.5, vmin=-0.1 * top, vmax=top))  # Grafana's exponential scale, never white
    unit = data.panel.get("options", {}).get("yAxis", {}).get("unit")
    ticks = [format_value(_le(b), unit) if math.isfinite(_le(b)) else "+Inf" for b in buckets]
    ax.set_yticks(range(len(buckets)), ticks)
    ax.grid(False)


def draw_state_timeline(ax: Axes, data: PanelData) -> None:
    """One band per series, each stretch coloured and named by the panel's value mappings."""
    _style(ax, None)
    mapping: dict[str, Any] = {}
    for entry in data.defaults.get("mappings", []):
        mapping.update(entry.get("options", {}))
    lines = _lines(data)
    for row, line in enumerate(lines):
        points = _finite(line.points)
        for (t, v), (t_next, _) in zip(points, [*points[1:], (points[-1][0] + 1.0, 0.0)], strict=True):
            state = mapping.get(f"{v:g}", {})
            x0 = mdates.date2num(_time(t))
            ax.broken_barh([(x0, mdates.date2num(_time(t_next)) - x0)], (row - 0.4, 0.8),
                           color=_color(state.get("color", "gray")), linewidth=0)
    for row, line in enumerate(lines):
        points = _finite(line.points)
        if points:
            ax.text(mdates.date2num(_time(points[0][0])), row, f" {line.legend}", color=BACKGROUND, fontsize=6,
                    va="center")
    ax.set_yticks([])
    ax.set_ylim(-0.6, len(lines) - 0.4)
    ax.grid(False)
    handles = {s.get("text", k): _color(s.get("color", "gray")) for k, s in mapping.items()}
    for i, (text, color) in enumerate(handles.items()):
        ax.text(0.01 + 0.12 * i, -0.18, f"■ {text}", color=color, fontsize=6, transform=ax.transAxes)


DRAWERS: dict[str, Callable[[Axes, PanelData], None]] = {
    "timeseries": draw_timeseries,
    "stat": draw_stat,
    "table": draw_table,
    "heatmap": draw_heatmap,
    "state-timeline": draw_state_timeline,
}


def draw_panel(ax: Axes, data: PanelData) -> None:
    """Title and content of one panel; an unknown panel type says so instead of failing."""
    ax.set_title(data.panel.get("title", ""), color=TEXT, fontsize=8, loc="left", pad=4)
    drawer = DRAWERS.get(data.kind)
    if drawer is None:
        ax.set_facecolor(PANEL)
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"({data.kind} panel)", ha="center", va="center", color=MUTED, transform=ax.transAxes)
        return
    drawer(ax, data)
