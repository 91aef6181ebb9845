"""Serialise the alert catalogue as Prometheus alerting-rule groups (Python data the rules emitter dumps)."""

from __future__ import annotations

from typing import Any

from ..alerting import Alert, alerts
from ..model import Bundle
from ..promql import duration
from ..rulefiles import group_name

__all__ = ["alert_group"]


def _rule(alert: Alert) -> dict[str, Any]:
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": duration(alert.for_seconds),
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
    }


def alert_group(bundle: Bundle, area: str) -> dict[str, Any] | None:
    """The alerting group of ``area`` in catalogue order, or None if the area has no alert."""
    rules = [_rule(a) for a in alerts(bundle) if a.group == area]
    return {"name": group_name(bundle, area, "alerts"), "rules": rules} if rules else None
