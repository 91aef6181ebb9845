"""The one jinja2 environment setup for generated text files: templates from generator/templates/, StrictUndefined
(a missing value fails loudly), no autoescaping (values are escaped in Python for their target format)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2

__all__ = ["environment"]


def environment(filters: dict[str, Callable[..., Any]] | None = None) -> jinja2.Environment:
    """A fresh environment over ``generator/templates`` with ``filters`` registered."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(filters or {})
    return env
