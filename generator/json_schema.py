"""The JSON Schema of the spec, for editors (yaml-language-server): generated from the pydantic models."""

from __future__ import annotations

import copy
import difflib
import json
import os
import typing
from pathlib import Path
from typing import Any

from pydantic import BeforeValidator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from .spec import Duration, Spec

__all__ = ["DURATION_SCHEMA", "SCHEMA_PATH", "schema_drift", "spec_json_schema", "write_schema"]

SCHEMA_PATH = Path("schema/llm-spec.schema.json")

# What ``spec._duration`` accepts: positive seconds, or a Prometheus duration (``90s``, ``5m``, ``1h30m``,
# ``250ms``) with at least one non-zero digit, surrounded by optional whitespace (see units.parse_duration).
DURATION_SCHEMA: JsonSchemaValue = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {
            "type": "string",
            "pattern": r"^(?=\s*\d)(?=.*[1-9])\s*(?:\d+(?:\.\d+)?d)?(?:\d+(?:\.\d+)?h)?(?:\d+(?:\.\d+)?m(?!s))?"
            r"(?:\d+(?:\.\d+)?s)?(?:\d+(?:\.\d+)?ms)?\s*$",
        },
    ],
    "description": "A positive duration: seconds, or a Prometheus duration such as 30s, 5m, 1h30m or 250ms.",
}

_HEAD: JsonSchemaValue = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:llm-monitoring-bundle:spec:v1",
    "$comment": "Generated from generator/spec.py by `python -m generator schema`: do not edit.",
    "title": "LLM monitoring spec (specs/llm.yaml), version 1",
}
_DURATION_VALIDATOR = next(m.func for m in typing.get_args(Duration)[1:] if isinstance(m, BeforeValidator))


class _SpecSchema(GenerateJsonSchema):
    """Pydantic's generator, with the one type whose schema pydantic cannot see: ``Duration``."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        """``Duration`` takes strings and numbers before it becomes a float; other validators as pydantic."""
        if schema["function"]["function"] is _DURATION_VALIDATOR:
            return copy.deepcopy(DURATION_SCHEMA)
        return super().function_before_schema(schema)


def spec_json_schema() -> str:
    """The schema as deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    schema: dict[str, Any] = {**Spec.model_json_schema(schema_generator=_SpecSchema), **_HEAD}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> bool:
    """Write the schema to ``path`` atomically; return whether the file changed."""
    text = spec_json_schema()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return True


def schema_drift(path: Path = SCHEMA_PATH, *, missing_ok: bool = True) -> str:
    """How ``path`` differs from the current schema, as a unified diff; empty when up to date.

    A missing file is up to date when ``missing_ok`` (a repository may not keep the schema).
    """
    try:
        on_disk = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "" if missing_ok else f"missing: {path}\n"
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable: {path}: {exc}\n"
    expected = spec_json_schema()
    if on_disk == expected:
        return ""
    lines = difflib.unified_diff(
        on_disk.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        f"{path} (on disk)",
        f"{path} (from generator/spec.py)",
    )
    return "".join(lines)
