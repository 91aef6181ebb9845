"""The spec's JSON Schema: committed and current, accepts every real spec, rejects broken ones where pydantic does."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from generator.cli import main
from generator.json_schema import DURATION_SCHEMA, SCHEMA_PATH, spec_json_schema
from generator.spec import Duration, Spec
from tests.golden.regenerate import cases

__all__: list[str] = []

ROOT = Path(__file__).resolve().parent.parent
SPECS = [ROOT / "specs" / "llm.yaml", *(case / "spec.yaml" for case in cases())]
Errors = set[tuple[tuple[str | int, ...], str]]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(spec_json_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, doc: Any) -> Errors:
    """(path, failing keyword) of every error, the way an editor would underline them."""
    return {(tuple(e.absolute_path), str(e.validator)) for e in validator.iter_errors(doc)}


def _minimal() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "tests/golden/minimal/spec.yaml").read_text(encoding="utf-8"))
    return loaded


def test_committed_schema_is_current() -> None:
    committed = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == spec_json_schema(), "schema/ is stale: run `make generate` and commit it"


def test_schema_head_and_modeline() -> None:
    schema = json.loads(spec_json_schema())
    assert (schema["$schema"], schema["$id"], schema["title"]) == (
        "https://json-schema.org/draft/2020-12/schema",
        "urn:llm-monitoring-bundle:spec:v1",
        "LLM monitoring spec (specs/llm.yaml), version 1",
    )
    first_line = (ROOT / "specs" / "llm.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema/llm-spec.schema.json"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_schema_accepts_every_real_spec(validator: jsonschema.Draft202012Validator, spec: Path) -> None:
    assert _errors(validator, yaml.safe_load(spec.read_text(encoding="utf-8"))) == set()


def _set(path: tuple[str, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        del doc[key]

    return change


PRICE = ("pricing", "providers", "openai", "models", "gpt-4o")
BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], Errors]] = {
    "unknown top-level key": (_set(("thresholds_",), {}), {((), "additionalProperties")}),
    "unknown nested key": (_set(("service", "teem"), "x"), {(("service",), "additionalProperties")}),
    "wrong type": (_set(("service", "name"), 5), {(("service", "name"), "type")}),
    "mapping where a list goes": (_set(("queues", "types"), {"a": 1}), {(("queues", "types"), "type")}),
    "negative price": (_set((*PRICE, "prompt"), -0.5), {((*PRICE, "prompt"), "minimum")}),
    "price as a string": (_set((*PRICE, "completion"), "0.01"), {((*PRICE, "completion"), "type")}),
    "unknown pricing unit": (_set(("pricing", "unit"), "per_token"), {(("pricing", "unit"), "enum")}),
    "missing required section": (_drop("thresholds"), {((), "required")}),
    "missing required key": (_drop("version"), {((), "required")}),
    "objective above 1": (
        _set(("thresholds", "latency", "objective"), 1.5),
        {(("thresholds", "latency", "objective"), "exclusiveMaximum")},
    ),
    "objective of exactly 1": (
        _set(("thresholds", "latency", "objective"), 1),
        {(("thresholds", "latency", "objective"), "exclusiveMaximum")},
    ),
    "duration in words": (
        _set(("thresholds", "latency", "target"), "half a second"),
        {(("thresholds", "latency", "target"), "anyOf")},
    ),
    "zero duration": (_set(("service", "scrape_interval"), "0s"), {(("service", "scrape_interval"), "anyOf")}),
    "boolean duration": (_set(("service", "scrape_interval"), True), {(("service", "scrape_interval"), "anyOf")}),
    "unsupported version": (_set(("version",), 2), {(("version",), "const")}),
    "empty provider table": (_set(("pricing", "providers"), {}), {(("pricing", "providers"), "minProperties")}),
    "negative breaker state": (
        _set(("circuit_breakers", "states"), {"closed": 0, "open": -1}),
        {(("circuit_breakers", "states", "open"), "minimum")},
    ),
    "unknown custom metric type": (
        _set(("custom_metrics",), [{"name": "x_total", "type": "summary", "help": "X."}]),
        {(("custom_metrics", 0, "type"), "enum")},
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_schema_rejects_a_broken_spec_where_validation_does(
    validator: jsonschema.Draft202012Validator, case: str
) -> None:
    change, expected = BROKEN[case]
    doc = copy.deepcopy(_minimal())
    change(doc)
    assert _errors(validator, doc) == expected
    with pytest.raises(ValidationError):
        Spec.model_validate(doc)


# Known gaps, all outside what YAML editors send: JSON has no inf/NaN, Python's \d also matches
# non-ASCII digits, and sub-millisecond durations (0.0001ms) round to zero only in parse_duration.
DURATIONS: list[object] = [
    *("5m", "90s", "1h30m", "250ms", "1d2h3m4s5ms", "0.5s", " 5m ", "\t10m\n", "5m0s"),
    *("0s", "00m", "", "  ", "m", "5", "5 m", "5M", ".5s", "1.s", "1h1h", "1ms5s", "-5m", "1e3s", "5mm"),
    *(5, 0.25, 0, -1, True, False, None, [], {}),
]


@pytest.mark.parametrize("value", DURATIONS, ids=repr)
def test_duration_schema_accepts_exactly_what_validation_accepts(value: object) -> None:
    try:
        TypeAdapter(Duration).validate_python(value)
        accepted = True
    except ValidationError:
        accepted = False
    assert jsonschema.Draft202012Validator(DURATION_SCHEMA).is_valid(value) is accepted


def test_schema_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema" / "spec.json"
    assert main(["schema", "--out", str(target)]) == 0
    assert main(["schema", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == spec_json_schema()
    assert capsys.readouterr().out == f"{target}: written\n{target}: unchanged\n"


def test_check_fails_on_a_stale_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no schema/ here: by default a missing schema is not checked
    spec, out, schema = str(ROOT / "specs" / "llm.yaml"), tmp_path / "output", tmp_path / "spec.json"
    assert main(["generate", "--spec", spec, "--out", str(out)]) == 0
    assert main(["check", "--spec", spec, "--out", str(out)]) == 0
    assert main(["check", "--spec", spec, "--out", str(out), "--schema", str(schema)]) == 1
    capsys.readouterr()
    schema.write_text(spec_json_schema().replace('"Scrape Interval"', '"Scrape"'), encoding="utf-8")
    assert main(["check", "--spec", spec, "--out", str(out), "--schema", str(schema)]) == 1
    captured = capsys.readouterr()
    assert '\n-          "title": "Scrape"\n+          "title": "Scrape Interval"\n' in captured.out
    assert captured.err == f"{schema} is out of date: run `make generate` and commit the result.\n"
    assert main(["schema", "--out", str(schema)]) == 0
    assert main(["check", "--spec", spec, "--out", str(out), "--schema", str(schema)]) == 0
