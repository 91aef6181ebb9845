"""One emitter per output kind; each is a pure function Bundle -> {relative path: text}."""

from __future__ import annotations

from collections.abc import Callable

from ..model import Bundle
from . import dashboards, docs, kubernetes, promtool_tests, python_module, rules, thanos

__all__ = ["EMITTERS", "Emitter"]

Emitter = Callable[[Bundle], dict[str, str]]

EMITTERS: tuple[Emitter, ...] = (
    python_module.emit,
    rules.emit,
    promtool_tests.emit,
    dashboards.emit,
    kubernetes.emit,
    thanos.emit,
    docs.emit,
)
