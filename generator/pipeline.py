"""The library's front door: spec text -> Bundle -> rendered files. Never prints, never exits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .emit import EMITTERS
from .errors import SpecError, SpecInvalid
from .model import Bundle
from .resolve import resolve
from .validate import parse_spec

__all__ = ["Rendered", "load_bundle", "render", "render_spec_file"]


@dataclass(frozen=True)
class Rendered:
    """Every generated file, in memory, keyed by its path relative to the output directory."""

    bundle: Bundle
    files: dict[str, str]


def display_path(path: Path) -> str:
    """The spec path as written in generated headers: relative to the working directory when possible."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def load_bundle(spec_path: Path) -> Bundle:
    """Read, validate and resolve a spec file; raise SpecInvalid with every problem."""
    shown = str(spec_path)  # errors name the file as the user gave it
    if not spec_path.exists():
        raise SpecInvalid([SpecError(shown, 1, 1, "(file)", "no such file")])
    if spec_path.is_dir():
        raise SpecInvalid([SpecError(shown, 1, 1, "(file)", "is a directory, not a spec file")])
    try:
        raw = spec_path.read_bytes()
    except OSError as exc:
        raise SpecInvalid([SpecError(shown, 1, 1, "(file)", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecInvalid([SpecError(shown, line, col, "(file)", "not UTF-8 text")]) from None
    spec, located = parse_spec(text, shown)
    return resolve(spec, located, display_path(spec_path))


def render(bundle: Bundle) -> dict[str, str]:
    """Run every emitter; fail if two emitters claim the same path."""
    files: dict[str, str] = {}
    for emit in EMITTERS:
        for path, text in emit(bundle).items():
            if path in files:
                raise RuntimeError(f"two emitters write {path}")
            files[path] = text
    return dict(sorted(files.items()))


def render_spec_file(spec_path: Path) -> Rendered:
    """Load a spec file and render the whole bundle in memory."""
    bundle = load_bundle(spec_path)
    return Rendered(bundle, render(bundle))
