"""Serialise Python data as a generated YAML file: a do-not-edit comment header, then a deterministic dump."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["dump", "header"]

# Wide enough that PyYAML never folds a long PromQL expression or description over two lines.
_WIDTH = 1_000_000


def _one_line(text: str) -> str:
    """``text`` with every non-printable character (newlines, NEL, U+2028, controls) replaced by ``?``."""
    return "".join(c if c.isprintable() else "?" for c in text)


def header(source: str) -> str:
    """The comment block that opens every generated YAML file; ``source`` cannot break out of it."""
    return (
        f"# Generated from {_one_line(source)} by the llm-monitoring generator — do not edit.\n"
        "# Edit the spec and run `make generate` instead.\n"
    )


def dump(data: Any, source: str) -> str:
    """``data`` as YAML (keys in insertion order, Unicode kept, no line folding) under the header.

    >>> print(dump({"a": [1, "x"]}, "specs/llm.yaml"), end="")
    # Generated from specs/llm.yaml by the llm-monitoring generator — do not edit.
    # Edit the spec and run `make generate` instead.
    a:
    - 1
    - x
    """
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=_WIDTH, default_flow_style=False)
    return header(source) + body
