"""Emit Grafana dashboards built with grafanalib, and provisioning files."""

from __future__ import annotations

from ..model import Bundle

__all__ = ["emit"]


def emit(bundle: Bundle) -> dict[str, str]:
    """Not written yet."""
    return {}
