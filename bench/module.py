"""Render the generated metrics module from a spec into a directory and import it."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["ROOT", "SHIPPED_SPEC", "child_env", "import_module_file", "render_module"]

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_SPEC = ROOT / "specs" / "llm.yaml"


def render_module(spec: Path, directory: Path) -> Path:
    """Render only the Python module for ``spec`` (from the current template) into ``directory``."""
    from generator.emit import python_module
    from generator.pipeline import load_bundle

    path = directory / "bench_llm_metrics.py"
    path.write_text(python_module.emit(load_bundle(spec))[python_module.MODULE_PATH], encoding="utf-8")
    return path


def child_env(multiproc_dir: str | None) -> dict[str, str]:
    """The environment for a child process: multiprocess mode exactly when ``multiproc_dir`` is given."""
    env = {k: v for k, v in os.environ.items() if k.lower() != "prometheus_multiproc_dir"}
    if multiproc_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    return env


def import_module_file(path: Path) -> ModuleType:
    """Import a rendered module file under its own name."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # enum/dataclass machinery looks modules up by name
    spec.loader.exec_module(module)
    return module
