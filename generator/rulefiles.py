"""Where the generated rule and promtool test files live, and what their groups are called.

Rules are split by area (cost, traffic, ...), recording and alerting groups of an area in one file, so each
area's promtool tests load only the rules they exercise; Prometheus loads them all with ``rules/*.yaml``.
"""

from __future__ import annotations

from typing import Literal

from .alerting import alerts
from .model import Bundle
from .recording import recording_rules

__all__ = [
    "PROMETHEUS_RULE_PATH",
    "GroupKind",
    "areas",
    "group_name",
    "rules_path",
    "thanos_rules_path",
    "unit_tests_path",
]

GroupKind = Literal["recording", "alerts"]
# Every group of every area in one Prometheus Operator object.
PROMETHEUS_RULE_PATH = "kubernetes/prometheusrule.yaml"


def areas(bundle: Bundle) -> tuple[str, ...]:
    """Every area with a recording or alerting rule, recording-catalogue order first."""
    return tuple(dict.fromkeys([r.group for r in recording_rules(bundle)] + [a.group for a in alerts(bundle)]))


def group_name(bundle: Bundle, area: str, kind: GroupKind) -> str:
    """``<service>.<area>.<kind>``: unique per service, so several bundles can share one Prometheus."""
    return f"{bundle.service.name}.{area}.{kind}"


def rules_path(area: str) -> str:
    """The rule file of ``area``, relative to the output directory."""
    return f"prometheus/rules/{area}.yaml"


def thanos_rules_path(area: str) -> str:
    """The Thanos Ruler variant of ``area``'s rule file (groups with ``partial_response_strategy``)."""
    return f"thanos/rules/{area}.yaml"


def unit_tests_path(area: str) -> str:
    """The promtool test file of ``area``, relative to the output directory."""
    return f"prometheus/tests/{area}_test.yaml"
