"""Generation: wall time in process and as a CLI process, growth with models and queue types, promtool."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from .module import ROOT, SHIPPED_SPEC
from .stats import fit_linear, fit_power, median
from .synthetic import write_spec

__all__ = ["MODELS", "QUEUES", "run"]

MODELS = (10, 100, 1000)
QUEUES = (1, 10, 50)
TARGET_SHIPPED_SECONDS = 0.5


def _seconds(action: Callable[[], object]) -> float:
    """Wall seconds of one call of ``action``."""
    start = time.perf_counter_ns()
    action()
    return (time.perf_counter_ns() - start) / 1e9


def _in_process(spec: Path, repeats: int) -> dict[str, Any]:
    """First (cold: templates compiled, caches empty) and median warm time of render_spec_file."""
    from generator.pipeline import render_spec_file

    try:
        first = _seconds(lambda: render_spec_file(spec))
        warm = [_seconds(lambda: render_spec_file(spec)) for _ in range(repeats)]
        files = len(render_spec_file(spec).files)
    except Exception as error:  # another emitter may be mid-change: record it, keep benchmarking
        return {"seconds": None, "error": f"{type(error).__name__}: {error}"}
    return {"seconds": round(median(warm), 4), "first_seconds": round(first, 4), "files": files}


def _breakdown(spec: Path, repeats: int) -> dict[str, float] | None:
    """Median seconds of loading the spec and of each emitter, to show where in-process time goes."""
    from generator.emit import EMITTERS
    from generator.pipeline import load_bundle

    try:
        bundle = load_bundle(spec)
        steps: dict[str, Callable[[], object]] = {"load_and_resolve": lambda: load_bundle(spec)}
        steps.update({f"emit_{emit.__module__.rsplit('.', 1)[-1]}": partial(emit, bundle) for emit in EMITTERS})
        return {name: round(median([_seconds(step) for _ in range(repeats)]), 4) for name, step in steps.items()}
    except Exception:  # reported by _in_process already
        return None


def _process(args: list[str], repeats: int) -> dict[str, Any]:
    """Median wall time of a command run from the project root."""
    times, done = [], None
    for _ in range(repeats):
        start = time.perf_counter_ns()
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
        times.append((time.perf_counter_ns() - start) / 1e9)
    if done is not None and done.returncode != 0:
        return {"seconds": None, "error": f"exit {done.returncode}: {done.stderr.strip()[-400:]}"}
    return {"seconds": round(median(times), 4)}


def _promtool(out_dir: Path) -> dict[str, Any]:
    """Time ``promtool test rules`` on the generated unit tests; null with a reason when it cannot run."""
    promtool = shutil.which("promtool")
    tests = sorted(
        path
        for path in out_dir.glob("prometheus/**/*.yaml")
        if isinstance(data := yaml.safe_load(path.read_text(encoding="utf-8")), dict) and "tests" in data
    )
    if not tests:
        return {"seconds": None, "reason": "no promtool unit tests (prometheus/**/*.yaml with `tests:`) generated yet"}
    if promtool is None:
        return {"seconds": None, "reason": "promtool not on PATH (make prometheus installs it)"}
    start = time.perf_counter_ns()
    done = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, check=False)
    seconds = round((time.perf_counter_ns() - start) / 1e9, 4)
    result: dict[str, Any] = {"seconds": seconds, "test_files": len(tests), "exit_code": done.returncode}
    if done.returncode != 0:
        result["output_tail"] = (done.stdout + done.stderr).strip()[-600:]
    return result


def _growth(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fitted exponents (log-log) and per-model / per-queue slopes; an exponent <= 1 means at most linear."""
    ok = [r for r in rows if r["seconds"] is not None]
    by_queues = {q: [r for r in ok if r["queues"] == q] for q in QUEUES}
    by_models = {m: [r for r in ok if r["models"] == m] for m in MODELS}
    growth: dict[str, Any] = {"models": {}, "queues": {}}
    for queues, group in by_queues.items():
        if len(group) >= 2:
            xs, ys = [r["models"] for r in group], [r["seconds"] for r in group]
            last = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
            growth["models"][f"queues={queues}"] = {
                "exponent": round(fit_power(xs, ys), 3),
                "exponent_last_step": round(fit_power(xs[-2:], ys[-2:]), 3),
                "ms_per_model": round(fit_linear(xs, ys)[0] * 1e3, 4),
                "ms_per_model_last_step": round(last * 1e3, 4),
            }
    for models, group in by_models.items():
        if len(group) >= 2:
            xs, ys = [r["queues"] for r in group], [r["seconds"] for r in group]
            growth["queues"][f"models={models}"] = {
                "exponent": round(fit_power(xs, ys), 3),
                "ms_per_queue_type": round(fit_linear(xs, ys)[0] * 1e3, 4),
            }
    exponents = [g["exponent"] for g in growth["models"].values()] + [g["exponent"] for g in growth["queues"].values()]
    growth["max_exponent"] = max(exponents) if exponents else None
    growth["at_most_linear"] = bool(exponents) and max(exponents) <= 1.1  # 0.1 of slack for timing noise
    return growth


def run(repeats: int = 5) -> dict[str, Any]:
    """Every generation measurement; synthetic specs and outputs live in a temporary directory."""
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-generation-") as tmp:
        directory = Path(tmp)
        shipped = _in_process(SHIPPED_SPEC, repeats)
        if shipped["seconds"] is not None:
            shipped["target_seconds"] = TARGET_SHIPPED_SECONDS
            shipped["target_met"] = shipped["seconds"] < TARGET_SHIPPED_SECONDS
            shipped["breakdown_seconds"] = _breakdown(SHIPPED_SPEC, repeats)
        out_dir = directory / "out"
        cli = _process([python, "-m", "generator", "generate", "--spec", str(SHIPPED_SPEC), "--out", str(out_dir)], 3)
        cli["import_seconds"] = _process([python, "-c", "import generator.cli"], 3)["seconds"]
        cli["interpreter_seconds"] = _process([python, "-c", "pass"], 3)["seconds"]
        promtool = _promtool(out_dir) if cli["seconds"] is not None else {"seconds": None, "reason": cli["error"]}
        rows = []
        for models in MODELS:
            for queues in QUEUES:
                timing = _in_process(write_spec(directory, models, queues), repeats)
                rows.append({"models": models, "queues": queues, **timing})
    return {
        "shipped_in_process": shipped,
        "shipped_cli_process": cli,
        "rows": rows,
        "growth": _growth(rows),
        "promtool_test_rules": promtool,
    }
