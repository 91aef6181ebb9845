"""Golden outputs, determinism and drift detection for the whole bundle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.pipeline import render_spec_file
from generator.writer import MANIFEST, diff_against
from tests.golden.regenerate import cases

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_golden_output(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rendered = render_spec_file(case.relative_to(ROOT) / "spec.yaml")
    drift = diff_against(rendered.files, case / "output")
    assert not drift, (
        f"golden output of {case.name} differs; if intended, run `make golden` and review the diff:\n"
        + "".join(drift.changed.values())
        + "".join(f"missing: {p}\n" for p in drift.missing)
        + "".join(f"extra: {p}\n" for p in drift.extra)
    )


def test_shipped_output_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    drift = diff_against(render_spec_file(Path("specs/llm.yaml")).files, ROOT / "output")
    assert not drift, "output/ is stale: run `make generate` and commit it\n" + "".join(drift.changed.values())


def _generate_in_process(spec: str, out: Path, seed: str) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, "-m", "generator", "generate", "--spec", spec, "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        check=True,
        capture_output=True,
    )
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("spec", ["specs/llm.yaml", "tests/golden/customised/spec.yaml"])
def test_generation_is_byte_identical_across_hash_seeds(spec: str, tmp_path: Path) -> None:
    first = _generate_in_process(spec, tmp_path / "a", "1")
    second = _generate_in_process(spec, tmp_path / "b", "4242")
    assert first == second
    assert len(first) > 1


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # spec paths in headers and messages are relative to the working directory


def _generate(out: Path) -> int:
    return main(["generate", "--spec", str(ROOT / "specs" / "llm.yaml"), "--out", str(out)])


def _check(out: Path) -> int:
    return main(["check", "--spec", str(ROOT / "specs" / "llm.yaml"), "--out", str(out)])


def test_check_passes_on_fresh_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "output"
    assert _generate(out) == 0
    capsys.readouterr()
    assert _check(out) == 0
    assert capsys.readouterr().out == f"{out}/ is up to date with specs/llm.yaml\n"


def test_check_shows_a_diff_for_a_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "output"
    _generate(out)
    module = out / "python" / "llm_metrics.py"
    module.write_text(module.read_text(encoding="utf-8").replace("FALLBACK: Final = 'other'", "FALLBACK: Final = 'x'"))
    capsys.readouterr()
    assert _check(out) == 1
    captured = capsys.readouterr()
    assert (
        "--- output/python/llm_metrics.py (on disk)\n+++ output/python/llm_metrics.py (from the spec)\n" in captured.out
    )
    assert "\n-FALLBACK: Final = 'x'\n+FALLBACK: Final = 'other'\n" in captured.out
    assert captured.err == f"{out}/ is out of date with specs/llm.yaml: run `make generate` and commit the result.\n"


def test_check_reports_missing_and_no_longer_generated_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "output"
    _generate(out)
    (out / "python" / "llm_metrics.py").unlink()
    manifest = out / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8") + "python/old_module.py\n", encoding="utf-8")
    capsys.readouterr()
    assert _check(out) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"missing: {out}/python/llm_metrics.py" in lines
    assert f"no longer generated: {out}/python/old_module.py" in lines


def test_generate_removes_only_its_own_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _generate(out)
    (out / "python" / "old_module.py").write_text("stale\n", encoding="utf-8")
    (out / "python" / "users_file.py").write_text("keep\n", encoding="utf-8")
    manifest = out / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8") + "python/old_module.py\n", encoding="utf-8")
    assert _generate(out) == 0
    assert not (out / "python" / "old_module.py").exists()
    assert (out / "python" / "users_file.py").read_text(encoding="utf-8") == "keep\n"
