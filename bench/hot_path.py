"""Hot path: ns per operation of the generated helpers, the seed's style and the floor, side by side.

Each mode is measured in a child process (``python -m bench.hot_path MODULE_PATH ROUNDS BATCH_SECONDS``
prints JSON): one without PROMETHEUS_MULTIPROC_DIR, one with it set to a temporary directory in the
child's environment, so before the interpreter (and so prometheus_client) starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .cases import CASES
from .module import ROOT, SHIPPED_SPEC, child_env, import_module_file, render_module
from .stats import median, ratio
from .timing import calibrate, interleave, medians

__all__ = ["TARGET_VS_FLOOR", "TARGET_VS_SEED", "measure", "run"]

TARGET_VS_SEED = 0.5  # generated / seed style
TARGET_VS_FLOOR = 1.3  # generated / floor


def _empty_loop(n: int) -> None:
    """The bare loop every variant runs in, for its overhead."""
    for _ in range(n):
        pass


def _paired(samples: dict[str, list[float]], name: str, reference: str) -> float:
    """Median over rounds of ``name / reference``: each round times both within moments of each other."""
    return round(median([a / b for a, b in zip(samples[name], samples[reference], strict=True)]), 3)


def _summary(samples: dict[str, list[float]], loops: int, multiprocess: bool) -> dict[str, Any]:
    """Medians, ratios and whether the targets hold, for one case.

    The headline ratios are paired (the median of per-round ratios), which cancels load that drifts
    between rounds on a shared machine; the ratios of the medians are kept beside them.
    """
    mid = medians(samples)
    vs_seed, vs_floor = _paired(samples, "generated", "seed_style"), _paired(samples, "generated", "floor")
    return {
        "generated_ns": round(mid["generated"], 1),
        "seed_style_ns": round(mid["seed_style"], 1),
        "floor_ns": round(mid["floor"], 1),
        "ratio_vs_seed": vs_seed,
        "ratio_vs_floor": vs_floor,
        "floor_vs_seed": _paired(samples, "floor", "seed_style"),
        "ratio_vs_seed_of_medians": ratio(mid["generated"], mid["seed_style"]),
        "ratio_vs_floor_of_medians": ratio(mid["generated"], mid["floor"]),
        "targets_met": vs_seed <= TARGET_VS_SEED and vs_floor <= TARGET_VS_FLOOR,
        "multiprocess": multiprocess,
        "rounds": len(samples["generated"]),
        "loops_per_round": loops,
        "rounds_ns": {name: [round(v, 1) for v in values] for name, values in samples.items()},
    }


def measure(module_path: Path, rounds: int, batch_seconds: float) -> dict[str, Any]:
    """Every case in this process, on a fresh registry; keys are case names."""
    from prometheus_client import CollectorRegistry, values

    module = import_module_file(module_path)
    metrics = module.LLMMetrics(registry=CollectorRegistry())
    multiprocess = bool(getattr(values.ValueClass, "_multiprocess", False))
    results: dict[str, Any] = {}
    for name, make in CASES.items():
        variants = make(module, metrics)
        loops = calibrate(variants["seed_style"], batch_seconds)
        results[name] = _summary(interleave(variants, rounds, loops), loops, multiprocess)
    empty = interleave({"empty": _empty_loop}, rounds, 100_000)
    results["loop_overhead_ns"] = round(median(empty["empty"]), 1)
    return results


def _measure_child(module_path: Path, rounds: int, batch_seconds: float, multiprocess: bool) -> dict[str, Any]:
    """Every case in a fresh child process, in multiprocess mode or not."""
    with tempfile.TemporaryDirectory(prefix="bench-multiproc-") as multiproc_dir:
        env = child_env(multiproc_dir if multiprocess else None)
        args = [sys.executable, "-m", "bench.hot_path", str(module_path), str(rounds), str(batch_seconds)]
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    results: dict[str, Any] = json.loads(done.stdout)
    if any(case["multiprocess"] != multiprocess for name, case in results.items() if name in CASES):
        raise RuntimeError(f"the child did not run with multiprocess={multiprocess}")
    return results


def run(rounds: int = 51, batch_seconds: float = 0.01) -> dict[str, Any]:
    """Single-process and multiprocess results for the module rendered from the shipped spec."""
    with tempfile.TemporaryDirectory(prefix="bench-module-") as directory:
        module_path = render_module(SHIPPED_SPEC, Path(directory))
        single = _measure_child(module_path, rounds, batch_seconds, multiprocess=False)
        multi = _measure_child(module_path, rounds, batch_seconds, multiprocess=True)
    results = {name: single[name] for name in CASES}
    results.update({f"{name}_multiprocess": multi[name] for name in CASES})
    results["loop_overhead_ns"] = single["loop_overhead_ns"]
    results["targets"] = {"ratio_vs_seed_max": TARGET_VS_SEED, "ratio_vs_floor_max": TARGET_VS_FLOOR}
    return results


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))))
