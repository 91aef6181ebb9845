"""The generated module is held to hand-written standards: ruff, mypy --strict, promtool, escaping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from generator.emit.python_module import MODULE_PATH
from generator.pipeline import load_bundle, render
from tests.module_loader import import_generated

ROOT = Path(__file__).resolve().parent.parent
SPECS = ["specs/llm.yaml", "tests/golden/customised/spec.yaml", "tests/golden/minimal/spec.yaml"]


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each spec's generated module, written to its own folder."""
    result = {}
    for spec in SPECS:
        folder = tmp_path_factory.mktemp("mod")
        path = folder / "llm_metrics.py"
        path.write_text(render(load_bundle(ROOT / spec))[MODULE_PATH], encoding="utf-8")
        result[spec] = path
    return result


def test_ruff_passes(modules: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"), *map(str, modules.values())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")


def test_mypy_strict_passes(modules: dict[str, Path]) -> None:
    for spec, path in modules.items():
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "/dev/null", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (spec, result.returncode, result.stdout) == (spec, 0, "Success: no issues found in 1 source file\n")


def _exposition(rendered: dict[str, str], tmp_path: Path) -> bytes:
    module = import_generated(rendered, tmp_path)
    registry = CollectorRegistry()
    metrics = module.LLMMetrics(registry=registry)
    provider, model = next(iter(module.PRICES))
    with metrics.track_call(provider, model) as call:
        call.first_token()
        call.record_usage(prompt_tokens=10, completion_tokens=5)
    metrics.set_queue_depth(sorted(module.QUEUE_TYPES)[0], 3)
    metrics.observe_bundle(4)
    metrics.set_breaker_state(sorted(module.CIRCUITS)[0], module.BreakerState.OPEN)
    return generate_latest(registry)


@pytest.mark.parametrize("spec", SPECS)
def test_promtool_check_metrics_accepts_the_exposition(spec: str, promtool: str, tmp_path: Path) -> None:
    text = _exposition(render(load_bundle(ROOT / spec)), tmp_path)
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_strings_from_the_spec_cannot_break_the_module(tmp_path: Path) -> None:
    bundle = load_bundle(ROOT / "tests/golden/customised/spec.yaml")
    module = import_generated(render(bundle), tmp_path)
    registry = CollectorRegistry()
    module.LLMMetrics(registry=registry)
    helps = {m.name: m.documentation for m in registry.collect()}
    assert helps["llm_provider_response_duration_seconds"] == bundle.metric("response_duration").help
    assert bundle.metric("response_duration").help == (
        'Response time, with "quotes", a back\\slash, a\nnewline and """ triple quotes {{ $labels }} '
        "${datasource} — ünïcode."
    )
    assert module.SERVICE == 'search "assist"'
