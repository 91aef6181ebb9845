"""Emit Prometheus recording and alerting rules, one file per area, serialised with yaml.safe_dump."""

from __future__ import annotations

from typing import Any

from ..model import Bundle
from ..recording import recording_rules
from ..rulefiles import areas, group_name, rules_path
from ..yamlout import dump
from .alerts import alert_group

__all__ = ["emit", "recording_group"]


def recording_group(bundle: Bundle, area: str) -> dict[str, Any] | None:
    """The recording group of ``area`` (RecordingRule.group) in catalogue order, or None if it has none."""
    rules = [{"record": r.record, "expr": r.expr} for r in recording_rules(bundle) if r.group == area]
    return {"name": group_name(bundle, area, "recording"), "rules": rules} if rules else None


def emit(bundle: Bundle) -> dict[str, str]:
    """One rule file per area: its recording group (evaluated first), then its alerting group."""
    files = {}
    for area in areas(bundle):
        groups = [g for g in (recording_group(bundle, area), alert_group(bundle, area)) if g is not None]
        files[rules_path(area)] = dump({"groups": groups}, bundle.source)
    return files
