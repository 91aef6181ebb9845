"""The "generated — do not edit" header every output file starts with."""

from __future__ import annotations

__all__ = ["comment_safe", "generated_header"]


def comment_safe(text: str) -> str:
    """One printable line: a spec path with newlines or control characters cannot break out of a comment."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped.replace("*/", "*\\/")


def generated_header(source: str, prefix: str = "#") -> str:
    """Header lines (ending in a newline) naming the spec the file was generated from."""
    return (
        f"{prefix} Generated from {comment_safe(source)} by the LLM monitoring bundle generator: do not edit.\n"
        f"{prefix} Change the spec and run `make generate` instead.\n"
    )
