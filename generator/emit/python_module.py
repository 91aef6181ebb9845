"""Emit the Python metric-definition module from its jinja2 template."""

from __future__ import annotations

from ..model import Bundle

__all__ = ["emit"]


def emit(bundle: Bundle) -> dict[str, str]:
    return {}
