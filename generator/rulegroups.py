"""Prometheus rule groups as Python data, built once from the catalogues: the rule files, their Thanos variant
and the PrometheusRule object all serialise these same groups."""

from __future__ import annotations

from typing import Any

from .alerting import Alert, alerts
from .model import Bundle
from .promql import duration
from .recording import recording_rules
from .rulefiles import areas, group_name

__all__ = ["PARTIAL_RESPONSE_KEY", "alert_group", "area_groups", "recording_group", "rule_groups", "thanos_groups"]

# The group key Thanos Ruler reads; Prometheus and promtool reject it as an unknown field.
PARTIAL_RESPONSE_KEY = "partial_response_strategy"


def recording_group(bundle: Bundle, area: str) -> dict[str, Any] | None:
    """The recording group of ``area`` (RecordingRule.group) in catalogue order, or None if it has none."""
    rules = [{"record": r.record, "expr": r.expr} for r in recording_rules(bundle) if r.group == area]
    return {"name": group_name(bundle, area, "recording"), "rules": rules} if rules else None


def _alert_rule(alert: Alert) -> dict[str, Any]:
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": duration(alert.for_seconds),
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
    }


def alert_group(bundle: Bundle, area: str) -> dict[str, Any] | None:
    """The alerting group of ``area`` in catalogue order, or None if the area has no alert."""
    rules = [_alert_rule(a) for a in alerts(bundle) if a.group == area]
    return {"name": group_name(bundle, area, "alerts"), "rules": rules} if rules else None


def area_groups(bundle: Bundle, area: str) -> list[dict[str, Any]]:
    """The groups of one area's rule file: its recording group (evaluated first), then its alerting group."""
    return [g for g in (recording_group(bundle, area), alert_group(bundle, area)) if g is not None]


def rule_groups(bundle: Bundle) -> list[dict[str, Any]]:
    """Every group of the bundle, in rule-file order (area by area)."""
    return [group for area in areas(bundle) for group in area_groups(bundle, area)]


def thanos_groups(bundle: Bundle, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``groups`` with the spec's ``partial_response_strategy`` after each name; unchanged when it has none."""
    strategy = bundle.thanos.partial_response_strategy
    if strategy is None:
        return groups
    return [{"name": g["name"], PARTIAL_RESPONSE_KEY: strategy, **{k: v for k, v in g.items() if k != "name"}}
            for g in groups]
