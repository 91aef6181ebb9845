"""Emit Prometheus recording and alerting rules, serialised with yaml.safe_dump."""

from __future__ import annotations

from ..model import Bundle

__all__ = ["emit"]


def emit(bundle: Bundle) -> dict[str, str]:
    """Not written yet."""
    return {}
