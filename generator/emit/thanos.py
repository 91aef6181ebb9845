"""Emit the Thanos Ruler variant of the rule files when the spec sets ``thanos.partial_response_strategy``.

promtool and Prometheus reject ``partial_response_strategy`` as an unknown group field, so it never goes into
``prometheus/rules/``: Thanos Ruler gets its own copy, ``thanos/rules/<area>.yaml``, with the same groups.
"""

from __future__ import annotations

from ..model import Bundle
from ..rulefiles import areas, thanos_rules_path
from ..rulegroups import area_groups, thanos_groups
from ..yamlout import dump

__all__ = ["emit"]


def emit(bundle: Bundle) -> dict[str, str]:
    """One Thanos rule file per area, or nothing when the spec has no partial_response_strategy."""
    if bundle.thanos.partial_response_strategy is None:
        return {}
    return {
        thanos_rules_path(area): dump({"groups": thanos_groups(bundle, area_groups(bundle, area))}, bundle.source)
        for area in areas(bundle)
    }
