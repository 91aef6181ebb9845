"""Property-based tests: any valid spec generates a working bundle; any mutation gives a bundle or a clean error.

The `ci` profile keeps `make test` fast (25 and 150 examples); for a longer run (500 and 3,000):
`.venv/bin/pytest tests/test_properties.py --hypothesis-profile=long`.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import SpecInvalid
from generator.pipeline import render
from generator.resolve import resolve
from generator.validate import parse_spec
from tests.module_loader import import_generated

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "schemas" / "grafana"


NASTY = st.sampled_from(
    [
        "quote \" and ' mark",
        "back\\slash",
        "new\nline",
        'triple """ quotes',
        "{{ $labels.job }}",
        "${datasource}",
        "ünïcödé — ✓",
        "$value %",
        "plain",
    ]
)
NAME = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
VALUE = st.from_regex(r"[a-z][a-z0-9_.\-]{0,10}", fullmatch=True)


@st.composite
def buckets(draw: st.DrawFn, size: tuple[int, int] = (1, 8)) -> list[float]:
    """Strictly increasing positive bucket boundaries with short decimal forms."""
    steps = draw(st.lists(st.integers(1, 400), min_size=size[0], max_size=size[1]))
    total, result = 0, []
    for step in steps:
        total += step
        result.append(total / 100)
    return result


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid spec (as plain data)."""
    providers = draw(
        st.dictionaries(
            NAME,
            st.dictionaries(VALUE, st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1, max_size=3),
            min_size=1,
            max_size=3,
        )
    )
    fine = draw(buckets())
    return {
        "version": 1,
        "service": {
            "name": draw(NASTY),
            "team": draw(NASTY),
            "runbook_base_url": "https://runbooks.example.com/" + draw(VALUE),
            "selector": {"job": draw(NASTY)},
            "scrape_interval": draw(st.sampled_from(["10s", "15s", "30s", "1m", "2m"])),
        },
        "pricing": {
            "unit": draw(st.sampled_from(["per_1k_tokens", "per_1m_tokens"])),
            "providers": {
                p: {"models": {m: {"prompt": a / 100, "completion": b / 100} for m, (a, b) in models.items()}}
                for p, models in providers.items()
            },
        },
        "requests": {
            "request_types": draw(
                st.lists(VALUE, min_size=1, max_size=3, unique=True).filter(lambda v: "other" not in v)
            )
        },
        "queues": {
            "types": draw(st.lists(VALUE, min_size=1, max_size=3, unique=True).filter(lambda v: "other" not in v))
        },
        "metrics": {
            "response_duration_fine": {"buckets": fine, "help": draw(NASTY)},
            "bundle_items": {"buckets": draw(buckets())},
        },
        "thresholds": {
            "daily_cost_budget": draw(st.integers(1, 100_000)) / 10,
            "latency": {
                "target": draw(st.sampled_from(fine)),
                "objective": draw(st.sampled_from([0.95, 0.99, 0.999])),
            },
            "error_ratio_max": draw(st.sampled_from([0.01, 0.05, 0.1])),
        },
    }


def bundle_of(data: dict[str, Any]) -> Any:
    text = yaml.safe_dump(data, allow_unicode=True)
    spec, located = parse_spec(text, "spec.yaml")
    return resolve(spec, located, "spec.yaml")


def check_outputs(files: dict[str, str], folder: Path, promtool: str) -> None:
    """The module imports and defines every metric; rules pass promtool; dashboards match Grafana's schema."""
    module = import_generated(files, folder)
    from prometheus_client import CollectorRegistry

    module.LLMMetrics(registry=CollectorRegistry())
    rule_files = []
    for path, text in files.items():
        if path.startswith("prometheus/") and path.endswith(".yaml") and "/tests/" not in path:
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            rule_files.append(str(target))
    if rule_files:
        result = subprocess.run([promtool, "check", "rules", *rule_files], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    schema = json.loads((SCHEMAS / "dashboard.jsonschema.json").read_text(encoding="utf-8"))
    for path, text in files.items():
        if path.startswith("grafana/") and path.endswith(".json"):
            dashboard = json.loads(text)
            jsonschema.validate(dashboard, {**schema, "$ref": "#/definitions/Dashboard"})


@given(data=specs())
def test_random_valid_specs_generate_working_bundles(
    data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, promtool: str
) -> None:
    files = render(bundle_of(data))
    check_outputs(files, tmp_path_factory.mktemp("prop"), promtool)


SHIPPED = yaml.safe_load((ROOT / "specs" / "llm.yaml").read_text(encoding="utf-8"))
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, item in data.items():
            found += paths(item, (*prefix, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            found += paths(item, (*prefix, i))
    return found


ALL_PATHS = paths(SHIPPED)


@st.composite
def mutations(draw: st.DrawFn) -> dict[str, Any]:
    """The shipped spec with one to three random edits: replace, delete, or add an unknown key."""
    data = copy.deepcopy(SHIPPED)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            kind = draw(st.sampled_from(["replace", "delete", "add"]))
            if kind == "replace":
                parent[path[-1]] = draw(ODD_VALUES)
            elif kind == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(ODD_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    return data


@settings(max_examples=settings().max_examples * 6)  # cheap examples: six times more
@given(data=mutations())
def test_mutated_specs_give_a_bundle_or_a_clean_error(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        spec, located = parse_spec(text, "spec.yaml")
        bundle = resolve(spec, located, "spec.yaml")
    except SpecInvalid as exc:
        assert exc.errors
        for error in exc.errors:
            assert str(error).startswith("spec.yaml:")
            assert error.line >= 1 and error.col >= 1 and error.message
        return
    files = render(bundle)
    compile(files["python/llm_metrics.py"], "llm_metrics.py", "exec")
