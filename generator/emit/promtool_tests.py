"""Emit promtool unit tests for every rule and alert."""

from __future__ import annotations

from ..model import Bundle

__all__ = ["emit"]


def emit(bundle: Bundle) -> dict[str, str]:
    """Not written yet."""
    return {}
