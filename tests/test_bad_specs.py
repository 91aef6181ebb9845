"""Every broken spec gets its exact error output, exit code 1, no traceback, and output/ untouched."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD_SPECS = Path(__file__).resolve().parent / "bad_specs"
CASES = sorted(p.stem for p in BAD_SPECS.glob("*.yaml"))


def snapshot(tree: Path) -> dict[str, str]:
    """Path -> sha256 of every file under ``tree``: byte-identical means unchanged."""
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def existing_output(tmp_path: Path) -> Path:
    """An output directory holding a previous good bundle and a file the user put there."""
    out = tmp_path / "output"
    assert main(["generate", "--spec", str(ROOT / "specs" / "llm.yaml"), "--out", str(out)]) == 0
    (out / "NOTES.md").write_text("mine\n", encoding="utf-8")
    return out


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_bad_spec(
    case: str, existing_output: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    before = snapshot(existing_output)
    capsys.readouterr()
    code = main(["generate", "--spec", f"tests/bad_specs/{case}.yaml", "--out", str(existing_output)])
    captured = capsys.readouterr()
    expected = (BAD_SPECS / f"{case}.expected").read_text(encoding="utf-8")
    assert (code, captured.out, captured.err) == (1, "", expected)
    assert snapshot(existing_output) == before


def test_validate_exits_1_without_traceback_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "--spec", "tests/bad_specs/many_problems_at_once.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (BAD_SPECS / "many_problems_at_once.expected").read_text(encoding="utf-8")
    assert "Traceback" not in result.stderr


def test_very_large_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "huge.yaml"
    spec.write_text("version: 1\n" + "# padding\n" * 120_000, encoding="utf-8")
    assert main(["validate", "--spec", "huge.yaml"]) == 1
    assert capsys.readouterr().err == (
        "huge.yaml:1:1: (document): file is larger than 1000000 bytes\n1 problem found; nothing was written.\n"
    )


def test_spec_path_missing_or_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    assert main(["validate", "--spec", "nowhere.yaml"]) == 1
    assert main(["validate", "--spec", "specs"]) == 1
    assert capsys.readouterr().err == (
        "nowhere.yaml:1:1: (file): no such file\n1 problem found; nothing was written.\n"
        "specs:1:1: (file): is a directory, not a spec file\n1 problem found; nothing was written.\n"
    )


def test_unwritable_output_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # /proc refuses new directories even to root, so this holds whoever runs the tests.
    assert main(["generate", "--spec", str(ROOT / "specs" / "llm.yaml"), "--out", "/proc/llm-bundle-output"]) == 3
    assert (
        capsys.readouterr().err
        == "/proc/llm-bundle-output: cannot write: No such file or directory; nothing was changed.\n"
    )


def test_output_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "output"
    out.write_text("not a directory\n", encoding="utf-8")
    assert main(["generate", "--spec", str(ROOT / "specs" / "llm.yaml"), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert err == f"{out}: cannot write: File exists; nothing was changed.\n"
    assert out.read_text(encoding="utf-8") == "not a directory\n"


def test_errors_name_the_spec_as_given_even_outside_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    spec = tmp_path / "elsewhere" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text("version: 2\n", encoding="utf-8")
    assert main(["validate", "--spec", str(spec)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == f"{spec}:1:1: pricing: required key is missing"
