"""Turn YAML text into a validated Spec, or into every problem found, each pointing at the file."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import SpecError, SpecInvalid
from .spec import Spec
from .units import format_number
from .yaml_source import Located, dotted, load_located

__all__ = ["parse_spec"]

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "list_type": "a list",
}
_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}


def parse_spec(text: str, file: str) -> tuple[Spec, Located]:
    """Parse and validate a spec; raise SpecInvalid listing every problem."""
    located = load_located(text, file)
    errors = list(located.problems)
    try:
        spec = Spec.model_validate(located.data)
    except ValidationError as exc:
        raw = exc.errors()
        # A misspelt key already says "did you mean X?": do not also report X as missing.
        suggested = {
            (*err["loc"][:-1], hint)
            for err in raw
            if err["type"] == "extra_forbidden" and (hint := _suggestion(tuple(err["loc"])))
        }
        errors += [
            error
            for err in raw
            if not (err["type"] == "missing" and tuple(err["loc"]) in suggested)
            and (error := _to_spec_error(located, err)).path not in located.unreadable
        ]
    if errors:
        raise SpecInvalid(errors)
    return spec, located


_MISSING = "required key is missing"


def _to_spec_error(located: Located, err: Any) -> SpecError:
    path = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return located.error(path, _unknown_key(path), key=True)
    if kind == "missing":
        line, col = located.position(path[:-1])
        return SpecError(located.file, line, col, dotted(path), _MISSING)
    return located.error(path, _message(err, path))


def _message(err: Any, path: tuple[Any, ...]) -> str:
    kind = err["type"]
    got = _describe(err.get("input"))
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "literal_error" and path == ("version",):
        if isinstance(err.get("input"), str):
            return f"must be the number 1, not the string {err['input']!r}"
        return f"unsupported version {err.get('input')!r}: this generator reads version 1"
    if kind == "literal_error":
        return f"must be one of {err['ctx']['expected']}, got {err.get('input')!r}"
    if kind in ("too_short", "string_too_short") and err["ctx"].get("min_length") == 1:
        return "must not be empty"
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        return f"must be {word} {format_number(err['ctx'][key])}, got {err.get('input')!r}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    return _lower_first(err["msg"])


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {value!r}"
    return f"{type(value).__name__} {value!r}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _suggestion(path: tuple[Any, ...]) -> str | None:
    """The allowed key closest to the unknown key at the end of ``path``, if any is close."""
    close = difflib.get_close_matches(str(path[-1]), _allowed_keys(path[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key(path: tuple[Any, ...]) -> str:
    hint = _suggestion(path)
    did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
    allowed = ", ".join(sorted(_allowed_keys(path[:-1])))
    return f"unknown key {str(path[-1])!r}{did_you_mean}; allowed: {allowed}"


def _allowed_keys(path: tuple[Any, ...]) -> list[str]:
    """Field names accepted at ``path``, found by walking the Spec model's annotations."""
    annotation: Any = Spec
    for part in path:
        annotation = _strip_optional(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[str(part)].annotation
        else:
            args = typing.get_args(annotation)
            annotation = args[-1] if args else Any
    annotation = _strip_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _strip_optional(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _strip_optional(members[0])
    return annotation
