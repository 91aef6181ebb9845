"""The `make demo` dashboard preview, drawn from the e2e run's data: every panel has data and the PNGs are sound."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.preview import COLUMN_IN, DPI, ROW_IN, render_dashboard, render_panels, save_small
from tests.e2e.preview_data import fetch_panels
from tests.e2e.scenario import ScenarioRun
from tests.e2e.stack import Stack

pytestmark = pytest.mark.e2e


def test_preview_draws_every_panel_with_data(stack: Stack, run: ScenarioRun, tmp_path: Path) -> None:
    for dashboard in stack.prepared.dashboards.values():
        data = fetch_panels(stack.api, dashboard, run.marks["steady"], run.marks["end"])
        empty = [
            p.panel["title"] for p in data
            if not any(math.isfinite(v) for lines in p.lines for line in lines for _, v in line.points)
        ]
        assert empty == []
        full = render_dashboard(dashboard, data, tmp_path / "dashboard.png")
        bottom = max(p.panel["gridPos"]["y"] + p.panel["gridPos"]["h"] for p in data)
        with Image.open(full) as image:
            assert image.size == (round(24 * COLUMN_IN * DPI), round((0.6 + bottom * ROW_IN) * DPI))
        panels = render_panels(data, tmp_path / "panels")
        assert len(panels) == len(data) and all(p.stat().st_size > 1000 for p in panels)
        small = save_small(full, tmp_path / "preview.png", 400_000)
        assert small.stat().st_size < 400_000
