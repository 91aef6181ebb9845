"""Emit promtool unit tests for every rule and alert, one test file per rule file (area)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from ..alerting import alerts
from ..model import Bundle
from ..promql import duration
from ..recording import recording_rules
from ..rulefiles import areas, group_name, rules_path, unit_tests_path
from ..ruletests.alert_cases import alert_cases
from ..ruletests.common import Case, Ctx
from ..ruletests.recording_cases import recording_cases
from ..yamlout import dump

__all__ = ["emit"]


def _group_order(bundle: Bundle, area: str) -> list[str]:
    """The area's groups, recording first, so an alert sees the records of the same evaluation."""
    kinds = [("recording", any(r.group == area for r in recording_rules(bundle))),
             ("alerts", any(a.group == area for a in alerts(bundle)))]
    return [group_name(bundle, area, kind) for kind, present in kinds if present]  # type: ignore[arg-type]


def _file(bundle: Bundle, area: str) -> str:
    ctx = Ctx(bundle, area)
    cases: Sequence[Case] = (*recording_cases(ctx), *alert_cases(ctx))
    data: dict[str, Any] = {
        "rule_files": [posixpath.relpath(rules_path(area), posixpath.dirname(unit_tests_path(area)))],
        "evaluation_interval": duration(ctx.e),
        # promtool evaluates groups in random order unless told, so an alert could lag its records
        "group_eval_order": _group_order(bundle, area),
        "tests": [case.as_yaml(ctx.s) for case in cases],
    }
    return dump(data, bundle.source)


def emit(bundle: Bundle) -> dict[str, str]:
    """One promtool test file per area: recording-rule cases first, then alert cases."""
    return {unit_tests_path(area): _file(bundle, area) for area in areas(bundle)}
