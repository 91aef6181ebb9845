"""Spec errors are values: collected, sorted, and each pointing at a place in the spec file."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SpecError", "SpecInvalid"]


@dataclass(frozen=True, order=True)
class SpecError:
    """One problem in the spec, printed as ``FILE:LINE:COL: field.path: message``."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path}: {self.message}"


class SpecInvalid(Exception):
    """Raised with every problem found, never just the first."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(e) for e in self.errors))
