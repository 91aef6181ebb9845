"""Markdown escaping for generated docs: spec text (help texts, currencies, label values) must neither break a
table nor turn into markup.

>>> text_cell("p95 | p99\\nin *seconds*")
'p95 \\\\| p99<br>in \\\\*seconds\\\\*'
>>> code("a`b")
'``a`b``'
"""

from __future__ import annotations

import re

from .headers import generated_header

__all__ = ["code", "comment_header", "fence", "md_cell", "text_cell"]

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that can start markup in a cell.
_ACTIVE = re.compile(r"([\\`*_\[\]<>&|~])")
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def text_cell(text: str) -> str:
    """Plain ``text`` as Markdown on one line: markup characters backslash-escaped, line breaks as ``<br>``."""
    return _LINE_BREAK.sub("<br>", _ACTIVE.sub(r"\\\1", text))


def md_cell(markdown: str) -> str:
    """Markdown (already formatted) made safe inside a table cell: pipes escaped, line breaks as ``<br>``."""
    return _LINE_BREAK.sub("<br>", markdown.replace("|", "\\|"))


def code(text: str) -> str:
    """``text`` as an inline code span, with a backtick run longer than any inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(text: str, info: str = "") -> str:
    """``text`` as a fenced code block whose fence no line of ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def comment_header(source: str) -> str:
    """The generated-file header as an HTML comment, which Markdown renderers hide."""
    body = generated_header(source, prefix="").replace("--", "- -")
    return "<!--\n" + "".join(f"  {line.strip()}\n" for line in body.splitlines()) + "-->\n"
