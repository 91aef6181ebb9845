"""Turn grafanalib 0.7.1's JSON into current Grafana dashboard JSON, in one place.

grafanalib writes keys from Grafana 5-8 (``rows``, ``style``, panel ``span``/``height``, the legacy heatmap,
targets with ``step``/``intervalFactor``, variables with ``useTags``) and ``null`` for every unset field.
Current Grafana (10-12) ignores or warns about them; Grafana's own schema rejects them.
"""

from __future__ import annotations

import json
from typing import Any

from grafanalib._gen import DashboardEncoder  # type: ignore[import-untyped]

__all__ = ["normalise"]

LEGACY_DASHBOARD_KEYS = frozenset({"__inputs", "hideControls", "rows", "sharedCrosshair", "style"})
LEGACY_TIMEPICKER_KEYS = frozenset({"time_options"})
LEGACY_PANEL_KEYS = frozenset({"editable", "error", "height", "minSpan", "span"})
# The pre-Grafana-9 heatmap grafanalib writes; the current one keeps its settings under `options`.
LEGACY_PANEL_KEYS_BY_TYPE = {
    "heatmap": frozenset({
        "cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards", "legend",
        "reverseYBuckets", "tooltip", "xAxis", "xBucketNumber", "xBucketSize", "yAxis", "yBucketBound",
        "yBucketNumber", "yBucketSize",
    }),
    "table": frozenset({"color", "columns", "fontSize", "mappings"}),
}
LEGACY_CUSTOM_KEYS_BY_TYPE = {"table": frozenset({"displayMode"})}
ROW_KEYS = frozenset({"collapsed", "gridPos", "id", "panels", "title", "type"})
LEGACY_TARGET_KEYS = frozenset({"intervalFactor", "metric", "query", "step", "target"})
LEGACY_VARIABLE_KEYS = frozenset({"tagValuesQuery", "tagsQuery", "useTags"})
INTERVAL_VARIABLE_KEYS = frozenset({"auto", "auto_count", "auto_min"})
ALL_OPTION = {"selected": True, "text": ["All"], "value": ["$__all"]}


def _prune(value: Any) -> Any:
    """Drop ``None`` fields everywhere (threshold base steps get their null back in ``_panel``)."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _without(data: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """``data`` without ``keys``."""
    return {k: v for k, v in data.items() if k not in keys}


def _target(target: dict[str, Any]) -> dict[str, Any]:
    """A Prometheus query in the current form: no Graphite/legacy fields, explicit ``range``."""
    out = _without(target, LEGACY_TARGET_KEYS)
    if out.get("interval") == "":
        del out["interval"]
    out["range"] = not out.get("instant", False)
    return out


def _field_config(panel_type: str, field_config: dict[str, Any]) -> dict[str, Any]:
    """Field defaults without legacy custom keys; an empty ``custom`` is left out; base steps are null."""
    defaults = dict(field_config.get("defaults", {}))
    custom = _without(defaults.get("custom", {}), LEGACY_CUSTOM_KEYS_BY_TYPE.get(panel_type, frozenset()))
    if custom:
        defaults["custom"] = custom
    else:
        defaults.pop("custom", None)
    thresholds = defaults.get("thresholds")
    if thresholds and thresholds["steps"]:
        thresholds["steps"][0]["value"] = None
    return {**field_config, "defaults": defaults}


def _panel(panel: dict[str, Any]) -> dict[str, Any]:
    """One panel (or row) in the current form."""
    kind = panel["type"]
    if kind == "row":
        return {k: v for k, v in panel.items() if k in ROW_KEYS}
    out = _without(panel, LEGACY_PANEL_KEYS | LEGACY_PANEL_KEYS_BY_TYPE.get(kind, frozenset()))
    out["targets"] = [_target(t) for t in out.get("targets", [])]
    if "fieldConfig" in out:
        out["fieldConfig"] = _field_config(kind, out["fieldConfig"])
    return out


def _variable(variable: dict[str, Any]) -> dict[str, Any]:
    """A template variable without tag options; a multi-value one starts at All."""
    out = _without(variable, LEGACY_VARIABLE_KEYS)
    if out.get("type") != "interval":
        out = _without(out, INTERVAL_VARIABLE_KEYS)
    current = _without(out.get("current", {}), frozenset({"tags"}))
    if out.get("multi") and out.get("includeAll"):
        out["current"] = dict(ALL_OPTION)
    elif "value" in current:
        out["current"] = current
    else:
        out.pop("current", None)
    return out


def normalise(dashboard: Any) -> dict[str, Any]:
    """The current-Grafana JSON of a grafanalib ``Dashboard``."""
    data: dict[str, Any] = _prune(json.loads(json.dumps(dashboard.to_json_data(), cls=DashboardEncoder)))
    out = _without(data, LEGACY_DASHBOARD_KEYS)
    out["timepicker"] = _without(out.get("timepicker", {}), LEGACY_TIMEPICKER_KEYS)
    out["panels"] = [_panel(p) for p in out.get("panels", [])]
    out["templating"] = {"list": [_variable(v) for v in out.get("templating", {}).get("list", [])]}
    return out
