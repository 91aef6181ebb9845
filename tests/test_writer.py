"""The writer owns output/: a failed or interrupted run changes nothing; concurrent runs never interleave."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from generator import pipeline, writer
from generator.cli import main
from generator.model import Bundle

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "llm.yaml"
OTHER_SPEC = ROOT / "tests" / "golden" / "customised" / "spec.yaml"


def tree(folder: Path) -> dict[str, str]:
    """Relative path -> content hash of every file, temp files included."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output directory holding the customised bundle and a file of the user's."""
    folder = tmp_path / "output"
    assert main(["generate", "--spec", str(OTHER_SPEC), "--out", str(folder)]) == 0
    (folder / "README.local").write_text("the user's\n", encoding="utf-8")
    return folder


def test_an_emitter_failing_midway_writes_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(bundle: Bundle) -> dict[str, str]:
        raise RuntimeError("emitter bug")

    monkeypatch.setattr(pipeline, "EMITTERS", (*pipeline.EMITTERS, broken))
    before = tree(out)
    capsys.readouterr()
    assert main(["generate", "--spec", str(SPEC), "--out", str(out)]) == 4
    assert capsys.readouterr().err == (
        "internal error: RuntimeError: emitter bug; nothing was written (rerun with --traceback for details)\n"
    )
    assert tree(out) == before


def test_an_interrupt_while_staging_leaves_output_as_it_was(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(out)
    real_write = Path.write_bytes
    calls = []

    def interrupted(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["generate", "--spec", str(SPEC), "--out", str(out)])
    assert tree(out) == before  # no half-written file, no temp file left behind


def test_an_interrupt_while_committing_is_held_until_every_file_is_in_place(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    sent = []

    def replace_and_interrupt(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGINT)  # arrives mid-commit; must be held until the commit ends
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", replace_and_interrupt)
    # A live second thread may receive the process-directed signal: it must be held all the same.
    stop = threading.Event()
    bystander = threading.Thread(target=stop.wait)
    bystander.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            main(["generate", "--spec", str(SPEC), "--out", str(out)])
    finally:
        stop.set()
        bystander.join()
    monkeypatch.undo()
    expected = pipeline.render_spec_file(SPEC).files
    assert not writer.diff_against(expected, out)  # the whole new bundle landed, nothing half-done
    assert (out / "README.local").read_text(encoding="utf-8") == "the user's\n"


def test_concurrent_runs_never_interleave(tmp_path: Path) -> None:
    folder = tmp_path / "output"
    command = [sys.executable, "-m", "generator", "generate", "--out", str(folder), "--spec"]
    for _ in range(3):
        runs = [
            subprocess.Popen([*command, str(spec)], cwd=ROOT, stdout=subprocess.DEVNULL) for spec in (SPEC, OTHER_SPEC)
        ]
        assert [run.wait(timeout=60) for run in runs] == [0, 0]
        matches = [
            not writer.diff_against(pipeline.render_spec_file(spec).files, folder) for spec in (SPEC, OTHER_SPEC)
        ]
        assert matches.count(True) == 1, "output/ must hold exactly one whole bundle"
    assert not [p for p in folder.rglob("*") if ".tmp-" in p.name]


def test_unchanged_files_are_not_rewritten(out: Path) -> None:
    module = out / "python" / "llm_metrics.py"
    stamp = module.stat().st_mtime_ns
    os.utime(module, ns=(stamp - 10**9, stamp - 10**9))
    result = writer.write_files(pipeline.render_spec_file(OTHER_SPEC).files, out)
    assert result.written == ()
    assert module.stat().st_mtime_ns == stamp - 10**9


def test_a_users_file_at_a_generated_path_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "output"
    folder.mkdir()
    (folder / "README.md").write_text("my own notes\n", encoding="utf-8")
    assert main(["generate", "--spec", str(SPEC), "--out", str(folder)]) == 3
    assert capsys.readouterr().err == (
        f"{folder}/README.md exists but was not written by the generator; move it away or delete it; "
        "nothing was changed.\n"
    )
    assert tree(folder) == {"README.md": hashlib.sha256(b"my own notes\n").hexdigest()}


def test_a_directory_in_the_way_stops_the_run_before_anything_changes(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = out / "python" / "llm_metrics.py"
    module.unlink()
    module.mkdir()
    before = tree(out)
    capsys.readouterr()
    assert main(["generate", "--spec", str(SPEC), "--out", str(out)]) == 3
    assert capsys.readouterr().err == (
        f"{module} is a directory where the generator writes a file; nothing was changed.\n"
    )
    assert tree(out) == before


def test_check_sees_line_endings_and_files_dropped_into_generated_folders(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = out / "prometheus" / "rules"
    (rules / "extra.yaml").write_text("groups: []\n", encoding="utf-8")
    cost = rules / "cost.yaml"
    cost.write_bytes(cost.read_bytes().replace(b"\n", b"\r\n"))
    capsys.readouterr()
    assert main(["check", "--spec", str(OTHER_SPEC), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "--- output/prometheus/rules/cost.yaml (on disk)\n" in printed
    assert (
        f"not generated (remove it or move it out of a generated folder): {out}/prometheus/rules/extra.yaml\n"
        in printed
    )
    assert "README.local" not in printed  # the user's file at the top level is theirs
