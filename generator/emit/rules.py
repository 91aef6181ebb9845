"""Emit Prometheus recording and alerting rules, one file per area, serialised with yaml.safe_dump."""

from __future__ import annotations

from ..model import Bundle
from ..rulefiles import areas, rules_path
from ..rulegroups import area_groups
from ..yamlout import dump

__all__ = ["emit"]


def emit(bundle: Bundle) -> dict[str, str]:
    """One rule file per area: its recording group (evaluated first), then its alerting group."""
    return {rules_path(area): dump({"groups": area_groups(bundle, area)}, bundle.source) for area in areas(bundle)}
