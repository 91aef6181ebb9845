"""Load YAML into plain data while remembering where every key and value was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import SpecError, SpecInvalid

__all__ = ["MAX_BYTES", "MAX_NODES", "Located", "load_located"]

Path = tuple[str | int, ...]
MAX_BYTES = 1_000_000
# Bounds alias expansion ("billion laughs"): no sane spec comes near this many nodes.
MAX_NODES = 50_000
MAX_DEPTH = 64
MAX_INT = 2**53  # beyond this a number is a typo, and floats lose integer precision
# libyaml's parser when PyYAML was built with it (15x faster on large specs); errors are re-read in Python.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Located:
    """Parsed data plus the 1-based (line, column) of each value and each mapping key."""

    data: Any
    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    # Problems found while reading (duplicate keys...) that do not stop validation.
    problems: list[SpecError] = field(default_factory=list)
    # Paths of scalars YAML could not read (reported already; validation of their stand-in is noise).
    unreadable: set[str] = field(default_factory=set)

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Where ``path`` was written; falls back to the nearest enclosing value."""
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def error(self, path: Path, message: str, *, key: bool = False) -> SpecError:
        """A SpecError pointing at ``path``."""
        line, col = self.position(path, key=key)
        return SpecError(self.file, line, col, dotted(path), message)


def dotted(path: Path) -> str:
    """``("metrics", "tokens", "name")`` -> ``metrics.tokens.name``; list indexes as ``[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")
        self.errors: list[SpecError] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(node, f"more than {MAX_NODES} values (alias expansion?)")
        if len(path) > MAX_DEPTH:
            raise _TooLarge(node, f"nested more than {MAX_DEPTH} levels deep (a recursive alias?)")
        self.located.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        """A scalar's value; a tag that cannot construct it (``!!int abc``) or a huge number is an error."""
        try:
            value = self.constructor.construct_object(node, deep=True)
        except Exception:  # PyYAML raises ValueError, KeyError, AttributeError... for bad tagged scalars
            line, col = _mark(node)
            self.errors.append(
                SpecError(self.located.file, line, col, dotted(path), f"cannot read {node.value!r} as {node.tag}")
            )
            self.located.unreadable.add(dotted(path))
            return None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            line, col = _mark(node)
            self.errors.append(SpecError(self.located.file, line, col, dotted(path), "number too large"))
            self.located.unreadable.add(dotted(path))
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                line, col = _mark(key_node)
                self.errors.append(
                    SpecError(self.located.file, line, col, dotted(path), "merge keys (<<) are not supported")
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                self.errors.append(
                    SpecError(self.located.file, line, col, dotted(path), "mapping keys must be plain strings")
                )
                continue
            key = self._scalar(key_node, path)
            if not isinstance(key, str):
                key = str(key_node.value)
            child = (*path, key)
            if key in result:
                line, col = _mark(key_node)
                first = self.located.keys[child][0]
                self.errors.append(
                    SpecError(
                        self.located.file, line, col, dotted(child), f"duplicate key (first defined on line {first})"
                    )
                )
                continue
            self.located.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        return result


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


def _compose(text: str) -> list[yaml.Node]:
    """Parse with libyaml when available; on a syntax error, parse again in Python for its clearer message."""
    try:
        return list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError:
        if _LOADER is yaml.SafeLoader:
            raise
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def load_located(text: str, file: str) -> Located:
    """Parse one YAML document; raise SpecInvalid with positioned errors if it cannot be read."""
    located = Located(data=None, file=file)
    if len(text.encode("utf-8", "surrogateescape")) > MAX_BYTES:
        raise SpecInvalid([SpecError(file, 1, 1, "(document)", f"file is larger than {MAX_BYTES} bytes")])
    try:
        documents = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecInvalid([SpecError(file, line, col, "(yaml)", f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecInvalid([SpecError(file, 1, 1, "(yaml)", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise SpecInvalid([SpecError(file, 1, 1, "(yaml)", "invalid YAML: nested too deeply")]) from None
    if not documents or documents[0] is None:
        raise SpecInvalid(
            [SpecError(file, 1, 1, "(document)", "the spec is empty: expected a mapping with `version: 1`")]
        )
    if len(documents) > 1:
        line, col = _mark(documents[1])
        raise SpecInvalid([SpecError(file, line, col, "(document)", "expected one YAML document, found several")])
    builder = _Builder(located)
    try:
        located.data = builder.build(documents[0], ())
    except _TooLarge as exc:
        line, col = _mark(exc.node)
        raise SpecInvalid([SpecError(file, line, col, "(document)", exc.message)]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecInvalid([SpecError(file, line, col, "(yaml)", f"invalid YAML: {exc.problem}")]) from None
    located.problems = builder.errors
    if not isinstance(located.data, dict):
        kind = "a list" if isinstance(located.data, list) else "a single value"
        raise SpecInvalid(
            [SpecError(file, 1, 1, "(document)", f"the spec must be a mapping with `version: 1`, not {kind}")]
        )
    return located
