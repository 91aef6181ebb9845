"""Regenerate every golden case: ``make golden`` (or ``python -m tests.golden.regenerate``) from the repo root.

Run it after an intended change to the generator, then review the diff of tests/golden/ like code.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.pipeline import render_spec_file
from generator.writer import write_files

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parent.parent


def cases() -> list[Path]:
    """Every folder under tests/golden/ that holds a spec.yaml."""
    return sorted(p.parent for p in GOLDEN.glob("*/spec.yaml"))


def main() -> None:
    os.chdir(ROOT)  # spec paths in generated headers are relative to the repo root
    for case in cases():
        rendered = render_spec_file(case.relative_to(ROOT) / "spec.yaml")
        result = write_files(rendered.files, case / "output")
        print(f"{case.name}: {len(result.written)} written, {len(result.removed)} removed")


if __name__ == "__main__":
    main()
