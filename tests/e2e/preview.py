"""Render a dashboard's panels into PNG files laid out like the dashboard (matplotlib, Agg backend)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported: no display needed

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from PIL import Image

from tests.e2e.preview_data import PanelData
from tests.e2e.preview_draw import BACKGROUND, PANEL, TEXT, draw_panel

__all__ = ["render_dashboard", "render_panels", "save_small"]

COLUMN_IN = 16 / 24  # a 1600 px wide dashboard at 100 dpi
ROW_IN = 0.3  # Grafana's 30 px grid row
INSET = (0.55, 0.1, 0.32, 0.28)  # left, right, bottom, top space inside a panel, inches
DPI = 100


def _rows(dashboard: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """Row titles and their grid y."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield panel.get("title", ""), int(panel["gridPos"]["y"])


def _place(fig: Figure, box: tuple[float, float, float, float], height_in: float, width_in: float) -> Any:
    """An Axes inside a panel box given in inches from the top-left (x, y, w, h)."""
    x, y, w, h = box
    left, right, bottom, top = INSET
    background = FancyBboxPatch(
        (x / width_in + 0.002, 1 - (y + h) / height_in + 0.001), w / width_in - 0.004, h / height_in - 0.002,
        boxstyle="round,pad=0,rounding_size=0.002", transform=fig.transFigure, facecolor=PANEL, edgecolor="#22252b",
        linewidth=0.5, zorder=-10,
    )
    fig.add_artist(background)
    return fig.add_axes((
        (x + left) / width_in,
        1 - (y + h - bottom) / height_in,
        (w - left - right) / width_in,
        (h - top - bottom) / height_in,
    ))


def render_dashboard(dashboard: dict[str, Any], data: list[PanelData], out: Path, subtitle: str = "") -> Path:
    """The whole dashboard in one PNG, every panel at its gridPos, row titles between them."""
    header = 0.6
    bottom = max(p.panel["gridPos"]["y"] + p.panel["gridPos"]["h"] for p in data)
    width_in, height_in = 24 * COLUMN_IN, header + bottom * ROW_IN
    fig = plt.figure(figsize=(width_in, height_in), dpi=DPI, facecolor=BACKGROUND)
    fig.text(0.01, 1 - 0.3 / height_in, dashboard.get("title", ""), color=TEXT, fontsize=13, va="center")
    if subtitle:
        fig.text(0.99, 1 - 0.3 / height_in, subtitle, color="#8e8e9e", fontsize=8, va="center", ha="right")
    for title, y in _rows(dashboard):
        fig.text(0.01, 1 - (header + (y + 0.5) * ROW_IN) / height_in, title, color=TEXT, fontsize=10,
                 fontweight="bold", va="center")
    for panel in data:
        pos = panel.panel["gridPos"]
        box = (pos["x"] * COLUMN_IN, header + pos["y"] * ROW_IN, pos["w"] * COLUMN_IN, pos["h"] * ROW_IN)
        draw_panel(_place(fig, box, height_in, width_in), panel)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI, facecolor=BACKGROUND)
    plt.close(fig)
    return out


def _slug(text: str) -> str:
    """A file-name friendly form of a title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "panel"


def render_panels(data: list[PanelData], out_dir: Path) -> list[Path]:
    """One PNG per panel, at its dashboard size, numbered in dashboard order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, panel in enumerate(data, start=1):
        pos = panel.panel["gridPos"]
        width_in, height_in = pos["w"] * COLUMN_IN, pos["h"] * ROW_IN
        fig = plt.figure(figsize=(width_in, height_in), dpi=DPI, facecolor=BACKGROUND)
        draw_panel(_place(fig, (0.0, 0.0, width_in, height_in), height_in, width_in), panel)
        path = out_dir / f"{i:02d}-{_slug(panel.panel.get('title', ''))}.png"
        fig.savefig(path, dpi=DPI, facecolor=BACKGROUND)
        plt.close(fig)
        written.append(path)
    return written


def save_small(source: Path, dest: Path, max_bytes: int) -> Path:
    """Copy a PNG as a 256-colour image, halving its size until it is under ``max_bytes``."""
    image = Image.open(source).convert("RGB")
    dest.parent.mkdir(parents=True, exist_ok=True)
    while True:
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dest, optimize=True)
        if dest.stat().st_size <= max_bytes or image.width < 400:
            return dest
        image = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS)
