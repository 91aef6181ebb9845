"""Helpers shared by the rule tests: render the Prometheus files of a bundle, write them, vary the spec."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from generator.emit import promtool_tests, rules
from generator.model import Bundle
from generator.pipeline import load_bundle

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_SPEC = ROOT / "specs" / "llm.yaml"


def prometheus_files(bundle: Bundle) -> dict[str, str]:
    """The rule and promtool test files of ``bundle``, straight from their two emitters."""
    return {**rules.emit(bundle), **promtool_tests.emit(bundle)}


def write(files: Mapping[str, str], root: Path) -> Path:
    """Write ``files`` under ``root``; return the ``prometheus`` directory."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "prometheus"


def spec_variant(tmp_path: Path, name: str, changes: Mapping[str, Any]) -> Bundle:
    """The shipped spec with ``changes`` applied (dotted paths; None deletes), loaded from ``tmp_path``."""
    spec = yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = spec
        for key in parents:
            node = node[key]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_bundle(path)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the test files are long


def load(text: str) -> Any:
    """Parse generated YAML."""
    return yaml.load(text, Loader=_LOADER)


def rule_entries(files: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(rule file, rule) for every recording and alerting rule in the rendered files."""
    for path, text in sorted(files.items()):
        if path.startswith("prometheus/rules/"):
            for group in load(text)["groups"]:
                for entry in group["rules"]:
                    yield path, entry


def unit_tests_in(files: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(test file, test) for every promtool test in the rendered files."""
    for path, text in sorted(files.items()):
        if path.startswith("prometheus/tests/"):
            for test in load(text)["tests"]:
                yield path, test


def nodes(expr: str) -> list[Any]:
    """Every node of a PromQL expression's syntax tree, parents first."""
    found: list[Any] = []
    promql_parser.walk(promql_parser.parse(expr), lambda node: found.append(node))
    return found
