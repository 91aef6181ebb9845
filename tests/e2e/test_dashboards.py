"""Every query of every dashboard panel, variables set to All as Grafana sends it, runs and returns data."""

from __future__ import annotations

import math

import pytest

from tests.e2e.grafana_targets import all_values, interpolate, panels, targets
from tests.e2e.prometheus_api import PrometheusAPIError
from tests.e2e.scenario import ScenarioRun
from tests.e2e.stack import Stack

pytestmark = pytest.mark.e2e


def test_there_are_dashboards_with_panels(stack: Stack) -> None:
    assert stack.prepared.dashboards, "no grafana/**/*.json dashboard in the bundle"
    for path, dashboard in stack.prepared.dashboards.items():
        untargeted = [p["title"] for p in panels(dashboard) if not any(t.get("expr") for t in p.get("targets", []))]
        assert untargeted == [], path


def test_every_variable_has_values(stack: Stack, run: ScenarioRun) -> None:
    for dashboard in stack.prepared.dashboards.values():
        values = all_values(stack.api, dashboard)
        named = [v["name"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
        assert all(values[name] for name in named)


def test_every_panel_query_returns_data(stack: Stack, run: ScenarioRun) -> None:
    start, end = run.marks["steady"], run.marks["end"]
    problems: list[str] = []
    count = 0
    for dashboard in stack.prepared.dashboards.values():
        values = all_values(stack.api, dashboard)
        for target in targets(dashboard):
            count += 1
            try:
                expr = interpolate(target.expr, values)
                if target.instant:
                    numbers = [s.value for s in stack.api.query(expr, at=end)]
                else:
                    numbers = [v for s in stack.api.query_range(expr, start, end, 1.0) for _, v in s.points]
            except (PrometheusAPIError, ValueError) as error:
                problems.append(f"{target}: {error}")
                continue
            if not any(math.isfinite(v) for v in numbers):
                problems.append(f"{target}: no data for {expr}")
    assert count > 0
    assert problems == [], "\n".join(problems)
