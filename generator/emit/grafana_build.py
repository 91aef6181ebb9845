"""Draw catalogue panels with grafanalib: panels, layout, template variables and the dashboard object.

grafanalib ships no type hints, so its objects are ``Any`` here; what it cannot express for current
Grafana is passed through ``extraJson`` and its legacy output is cleaned up in ``grafana_normalise``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grafanalib.core as G  # type: ignore[import-untyped]

from ..alerting import alerts, template_literal
from ..model import Bundle
from .grafana_layout import Limits, Panel, Row
from .grafana_queries import Queries

__all__ = [
    "DATASOURCE",
    "DATASOURCE_VARIABLE",
    "SCHEMA_VERSION",
    "build_dashboard",
    "runbook_url",
]

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}
# Grafana 10.4 / 11.0; newer Grafana migrates it on load, older 10.x reads it as is.
SCHEMA_VERSION = 39
GRID_WIDTH = 24
ROW_HEIGHT = 1
ALL = ".*"  # the All value of provider/model: every value, not only those listed
REFRESH_ON_TIME_RANGE_CHANGE = 2
SORT_ALPHABETICAL = 1


def runbook_url(bundle: Bundle, alert_name: str) -> str:
    """The runbook URL of an alert of the alerting catalogue (its ``runbook_url`` annotation)."""
    for alert in alerts(bundle):
        if alert.name == alert_name:
            return dict(alert.annotations)["runbook_url"].replace(template_literal("{{"), "{{")
    raise KeyError(f"no alert named {alert_name!r} in generator.alerting")


def _steps(limits: Limits) -> list[dict[str, Any]]:
    """Threshold steps; the base step's value is null (Grafana's -Infinity)."""
    return [{"color": limits.base, "value": None}] + [{"color": c, "value": v} for c, v in limits.steps]


def _targets(panel: Panel) -> list[Any]:
    """grafanalib targets, refIds A, B, ..."""
    return [
        G.Target(expr=query.expr, legendFormat=query.legend, refId=chr(ord("A") + i), format=query.format,
                 instant=query.instant, datasource=DATASOURCE)
        for i, query in enumerate(panel.queries)
    ]


def _links(bundle: Bundle, panel: Panel) -> list[Any]:
    """A link to the runbook of each alert the panel is about."""
    return [
        G.DashboardLink(type="link", title=f"Runbook: {name}", uri=runbook_url(bundle, name), icon="doc",
                        tooltip=f"What to do when {name} fires", targetBlank=True, keepTime=False)
        for name in panel.alerts
    ]


def _common(bundle: Bundle, panel: Panel, pos: Any, panel_id: int) -> dict[str, Any]:
    """Arguments every grafanalib panel takes."""
    return {
        "title": panel.title,
        "description": panel.description,
        "dataSource": DATASOURCE,
        "targets": _targets(panel),
        "gridPos": pos,
        "id": panel_id,
        "links": _links(bundle, panel),
        "thresholds": _steps(panel.limits),
        "maxDataPoints": None,
    }


def _legend_tooltip(sort: str) -> dict[str, Any]:
    """Options grafanalib leaves out of the legend and tooltip of timeseries-like panels."""
    return {"options": {"legend": {"showLegend": True, "calcs": []}, "tooltip": {"sort": sort}}}


def _timeseries(panel: Panel, common: dict[str, Any]) -> Any:
    """A time series; thresholds from the spec are dashed lines the y axis always reaches (soft bounds)."""
    values = [v for _, v in panel.limits.steps]
    soft = {"axisSoftMin": min(values), "axisSoftMax": max(values)} if values else {}
    defaults = {"min": panel.min, "max": panel.max, "custom": soft}
    return G.TimeSeries(
        **common, unit=panel.unit, tooltipMode="multi", tooltipSort="desc", fillOpacity=10,
        thresholdsStyleMode="dashed" if values else "off", stacking={"mode": "none", "group": "A"},
        extraJson={**_legend_tooltip("desc"), "fieldConfig": {"defaults": defaults}},
    )


def _stat(panel: Panel, common: dict[str, Any]) -> Any:
    """A single value coloured by its thresholds."""
    return G.Stat(
        **common, format=panel.unit, reduceCalc="lastNotNull", colorMode="value" if panel.limits.steps else "none",
        graphMode="area", color={"mode": "thresholds"}, noValue=None,
        extraJson={"options": {"wideLayout": True, "showPercentChange": False, "percentChangeColorMode": "standard"}},
    )


def _table(panel: Panel, common: dict[str, Any]) -> Any:
    """Instant queries merged into one row per label set; each query's legend titles its column."""
    rename = {f"Value #{chr(ord('A') + i)}": query.legend for i, query in enumerate(panel.queries)}
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": rename}},
    ]
    return G.Table(
        **common, unit=panel.unit, transformations=transformations,
        sortBy=[G.TableSortByField(displayName=panel.sort_by, desc=True)] if panel.sort_by else [],
        extraJson={
            "options": {"frameIndex": 0, "cellHeight": "sm"},
            "fieldConfig": {"defaults": {"custom": {"inspect": False}}},
        },
    )


def _heatmap(panel: Panel, common: dict[str, Any]) -> Any:
    """A heatmap of pre-bucketed histogram rates (``calculate: false``), in the current heatmap format."""
    options = {
        "calculate": False,
        "cellGap": 1,
        "cellValues": {"unit": panel.unit},
        "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark-orange", "scale": "exponential",
                  "exponent": 0.5, "steps": 64, "reverse": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "legend": {"show": True},
        "rowsFrame": {"layout": "auto"},
        "showValue": "never",
        "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": panel.y_unit},
    }
    custom = {"hideFrom": {"legend": False, "tooltip": False, "viz": False}, "scaleDistribution": {"type": "linear"}}
    return G.Heatmap(
        **common,
        extraJson={"options": options, "fieldConfig": {"defaults": {"unit": panel.unit, "custom": custom},
                                                       "overrides": []}},
    )


def _state_timeline(panel: Panel, common: dict[str, Any]) -> Any:
    """A state timeline whose numbers are shown as named, coloured states."""
    mapping = {
        "type": "value",
        "options": {str(s.value): {"text": s.text, "color": s.color, "index": i} for i, s in enumerate(panel.states)},
    }
    return G.StateTimeline(
        **common, mappings=[mapping], colorMode="thresholds", showValue="auto",
        extraJson={**_legend_tooltip("none"), "fieldConfig": {"defaults": {"unit": panel.unit}}},
    )


BUILDERS: dict[str, Callable[[Panel, dict[str, Any]], Any]] = {
    "timeseries": _timeseries,
    "stat": _stat,
    "table": _table,
    "heatmap": _heatmap,
    "state-timeline": _state_timeline,
}


def _layout(bundle: Bundle, rows: tuple[Row, ...]) -> list[Any]:
    """Rows and panels with grid positions, left to right, wrapping at the grid width; ids in order."""
    out: list[Any] = []
    y = 0
    for row in rows:
        out.append(G.RowPanel(title=row.title, gridPos=G.GridPos(h=ROW_HEIGHT, w=GRID_WIDTH, x=0, y=y),
                              id=len(out) + 1, collapsed=False))
        y += ROW_HEIGHT
        x, line = 0, 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                y, x, line = y + line, 0, 0
            pos = G.GridPos(h=panel.height, w=panel.width, x=x, y=y)
            out.append(BUILDERS[panel.kind](panel, _common(bundle, panel, pos, len(out) + 1)))
            x, line = x + panel.width, max(line, panel.height)
        y += line
    return out


def _variables(bundle: Bundle) -> list[Any]:
    """``datasource`` first, then one multi-value variable per selector label, provider and model."""
    q = Queries(bundle)
    filters = set(q.labels("provider", "model")) - set(q.selector_labels)
    variables = [G.Template(name=DATASOURCE_VARIABLE, label="Data source", type="datasource", query="prometheus",
                            regex="")]
    for name in q.variables:
        variables.append(G.Template(
            name=name, label=name, query=q.variable_query(name), dataSource=DATASOURCE, includeAll=True,
            multi=True, allValue=ALL if name in filters else None, refresh=REFRESH_ON_TIME_RANGE_CHANGE,
            sort=SORT_ALPHABETICAL, regex="",
        ))
    return variables


def build_dashboard(bundle: Bundle, uid: str, title: str, description: str, rows: tuple[Row, ...]) -> Any:
    """The grafanalib dashboard of ``rows``, with variables and a link to the runbooks."""
    runbooks = G.DashboardLink(type="link", title="Runbooks", uri=bundle.service.runbook_base_url, icon="doc",
                               tooltip=f"Runbooks of {bundle.service.name}", targetBlank=True, keepTime=False)
    return G.Dashboard(
        title=title, uid=uid, description=description, tags=["llm", "generated", bundle.service.name],
        timezone="browser", time=G.Time("now-6h", "now"), refresh="1m", graphTooltip=1, editable=True,
        schemaVersion=SCHEMA_VERSION, version=1, panels=_layout(bundle, rows),
        templating=G.Templating(list=_variables(bundle)), links=[runbooks],
    )
