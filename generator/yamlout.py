"""Serialise Python data as a generated YAML file: the do-not-edit header, then a deterministic dump."""

from __future__ import annotations

from typing import Any

import yaml

from .headers import generated_header

__all__ = ["dump"]

# Wide enough that PyYAML never folds a long PromQL expression or description over two lines.
_WIDTH = 1_000_000


def dump(data: Any, source: str) -> str:
    """``data`` as YAML (keys in insertion order, Unicode kept, no line folding) under the header.

    >>> print(dump({"a": [1, "x"]}, "specs/llm.yaml"), end="")
    # Generated from specs/llm.yaml by the LLM monitoring bundle generator: do not edit.
    # Change the spec and run `make generate` instead.
    a:
    - 1
    - x
    """
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=_WIDTH, default_flow_style=False)
    return generated_header(source) + body
