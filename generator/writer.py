"""The writer owns output/: atomic writes, its own stale files removed, nobody else's touched."""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MANIFEST", "Drift", "OutputConflict", "WriteResult", "diff_against", "write_files"]

# Lists the files the generator wrote, so a later run removes only its own stale files.
MANIFEST = ".generated-files"


class OutputConflict(Exception):
    """A file the generator would write is someone else's: it is never overwritten."""


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]  # created or changed
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass
class Drift:
    """How output/ differs from what the spec generates."""

    changed: dict[str, str] = field(default_factory=dict)  # path -> unified diff
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # generated once, no longer
    unexpected: list[str] = field(default_factory=list)  # never generated, inside a generated folder

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.extra or self.unexpected)


def _manifest_text(paths: list[str]) -> str:
    return "".join(f"{p}\n" for p in sorted(paths))


def _read_manifest(out_dir: Path) -> list[str]:
    try:
        lines = (out_dir / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    # Never trust a manifest entry that points outside output/.
    return [line for line in lines if line and not line.startswith("/") and ".." not in Path(line).parts]


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Serialise concurrent runs on the same output directory."""
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while files are renamed into place, so a run is never half-committed.

    A Python-level handler (not a signal mask) is used: the mask is per thread, and a process-directed
    signal may be delivered to another thread, whose handler would still interrupt the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change handlers; signals are only handled there anyway
        return
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum)) for sig in _HELD}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in received:
            signal.raise_signal(signum)  # now handled as it would have been, once everything is in place


_HELD = (signal.SIGINT, signal.SIGTERM)


def write_files(files: dict[str, str], out_dir: Path) -> WriteResult:
    """Write ``files`` under ``out_dir``: stage every change, then rename all into place at once."""
    out_dir.mkdir(parents=True, exist_ok=True)
    all_files = {**files, MANIFEST: _manifest_text(list(files))}
    with _locked(out_dir):
        owned = set(_read_manifest(out_dir))
        in_the_way = sorted(rel for rel in all_files if (out_dir / rel).is_dir())
        if in_the_way:
            raise OutputConflict(f"{out_dir / in_the_way[0]} is a directory where the generator writes a file")
        foreign = sorted(
            rel
            for rel in files
            if rel not in owned
            and (out_dir / rel).exists()
            and (out_dir / rel).read_bytes() != files[rel].encode("utf-8")
        )
        if foreign:
            raise OutputConflict(
                f"{out_dir / foreign[0]} exists but was not written by the generator; move it away or delete it"
            )
        stale = sorted(owned - set(files))
        staged: list[tuple[Path, Path]] = []
        written, unchanged = [], []
        try:
            for rel, text in all_files.items():
                target = out_dir / rel
                data = text.encode("utf-8")
                if target.is_file() and target.read_bytes() == data:
                    unchanged.append(rel)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
                temp.write_bytes(data)
                staged.append((temp, target))
                written.append(rel)
            with _signals_deferred():
                for temp, target in staged:
                    os.replace(temp, target)
                staged = []
                for rel in stale:
                    (out_dir / rel).unlink(missing_ok=True)
                    _remove_empty_parents(out_dir, (out_dir / rel).parent)
        finally:
            for temp, _ in staged:
                temp.unlink(missing_ok=True)
    return WriteResult(
        tuple(p for p in written if p != MANIFEST), tuple(p for p in unchanged if p != MANIFEST), tuple(stale)
    )


def _remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def diff_against(files: dict[str, str], out_dir: Path) -> Drift:
    """Compare rendered ``files`` with ``out_dir``; hand edits, stale, missing and extra files all count."""
    drift = Drift()
    expected = {**files, MANIFEST: _manifest_text(list(files))}
    for rel, text in expected.items():
        target = out_dir / rel
        if not target.is_file():
            drift.missing.append(rel)
            continue
        data = target.read_bytes()  # bytes: a changed line ending is a change too
        if data != text.encode("utf-8"):
            diff = difflib.unified_diff(
                data.decode("utf-8", errors="replace").splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{out_dir.name}/{rel} (on disk)",
                tofile=f"{out_dir.name}/{rel} (from the spec)",
            )
            drift.changed[rel] = "".join(diff) or f"{out_dir.name}/{rel}: bytes differ\n"
    drift.extra = sorted(set(_read_manifest(out_dir)) - set(expected))
    drift.unexpected = _unexpected(set(expected) | set(drift.extra), out_dir)
    return drift


def _unexpected(known: set[str], out_dir: Path) -> list[str]:
    """Files beside generated ones in the generator's own folders (a glob such as rules/*.yaml would load them)."""
    folders = {Path(rel).parent for rel in known} - {Path(".")}
    found = []
    for folder in sorted(folders):
        if (out_dir / folder).is_dir():
            for path in sorted((out_dir / folder).iterdir()):
                rel = path.relative_to(out_dir).as_posix()
                if path.is_file() and rel not in known:
                    found.append(rel)
    return found
