"""Memory: peak RSS of generation, and bytes per time series of the generated module's metrics.

Every measurement runs in a fresh child process (``python -m bench.memory generation SPEC`` or
``python -m bench.memory series MODULE KIND``) that prints JSON, so the numbers are not the
benchmark process's own, and a fresh heap makes the RSS delta meaningful.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .module import ROOT, SHIPPED_SPEC, child_env, import_module_file, render_module
from .synthetic import write_spec

__all__ = ["run"]

CHILDREN = 2000  # label children per batch; one batch measured by RSS delta, one by tracemalloc
KINDS = ("counter", "gauge", "histogram", "llm_call")
COMBO_MODELS = 300  # x 3 request types x 3 features = 2,700 LLM-call label combinations


def _peak_rss_mb() -> float:
    """Peak RSS of this process so far, in MiB: VmHWM where /proc exists, else getrusage's ru_maxrss.

    On Linux ru_maxrss is carried across execve, so a child started by a bigger parent reports the
    parent's peak; VmHWM belongs to the child's own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return _ru_maxrss_mb()


def _ru_maxrss_mb() -> float:
    """getrusage's peak RSS in MiB (KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rss_bytes() -> int:
    """Current resident set size of this process, in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _generation(spec: Path) -> dict[str, Any]:
    """Peak RSS after importing the generator, and after rendering ``spec`` in memory."""
    from generator.pipeline import render_spec_file

    after_import = _peak_rss_mb()
    files = render_spec_file(spec).files
    return {
        "import_peak_rss_mb": after_import,
        "peak_rss_mb": _peak_rss_mb(),
        "ru_maxrss_mb": _ru_maxrss_mb(),
        "files": len(files),
    }


def _creator(module: Any, metrics: Any, kind: str) -> tuple[Callable[[int], None], set[str], int]:
    """A function creating the ``index``-th new label child (or LLM-call combination); its families; batch size."""
    names = [f"value-{index:05d}" for index in range(2 * CHILDREN + 1)]  # made before measuring: not counted
    if kind == "counter":
        family = "llm_provider_tokens"
        return lambda i: metrics.tokens.labels("openai", "gpt-4o", "prompt", names[i]).inc(), {family}, CHILDREN
    if kind == "gauge":
        family = "llm_provider_requests_in_flight"
        return lambda i: metrics.in_flight.labels(names[i]).inc(), {family}, CHILDREN
    if kind == "histogram":
        family = "llm_provider_response_duration_seconds"
        return lambda i: metrics.response_duration.labels("a", names[i], "b").observe(1.0), {family}, CHILDREN
    # Only the spec's own label values make new series: every (model, request type, feature) of the module.
    features = sorted(module.ATTRIBUTION["feature"][0])
    combos = [(p, m, t, f) for p, m in module.PRICES for t in sorted(module.REQUEST_TYPES) for f in features]

    def call(i: int) -> None:
        provider, model, request_type, feature = combos[i]
        with metrics.track_call(provider, model, request_type, feature=feature) as tracked:
            tracked.record_usage(prompt_tokens=10, completion_tokens=5)

    return call, set(), (len(combos) - 1) // 2  # every family: an LLM call touches many


def _series(registry: Any, families: set[str]) -> int:
    """Samples (time series, ``_created`` included) the registry exposes, in ``families`` or all."""
    return sum(len(f.samples) for f in registry.collect() if not families or f.name in families)


def _children(module_path: Path, kind: str) -> dict[str, Any]:
    """Bytes per series of new children of one kind: an RSS-delta batch, then a tracemalloc batch."""
    from prometheus_client import CollectorRegistry

    module = import_module_file(module_path)
    registry = CollectorRegistry()
    metrics = module.LLMMetrics(registry=registry)
    create, families, count = _creator(module, metrics, kind)
    create(0)  # any lazily built state of the first call is not a per-series cost
    before_series = _series(registry, families)
    before = _rss_bytes()
    for index in range(1, count + 1):
        create(index)
    rss = _rss_bytes() - before
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for index in range(count + 1, 2 * count + 1):
        create(index)
    traced = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    series = (_series(registry, families) - before_series) / 2  # per batch
    result = {
        "children_per_batch": count,
        "series_per_child": round(series / count, 2),
        "bytes_per_series_tracemalloc": round(traced / series),
        "bytes_per_series_rss": round(rss / series),
    }
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        files = sum(path.stat().st_size for path in Path(directory).iterdir())
        result["mmap_file_bytes_per_series"] = round(files / (2 * series))
    return result


def _child(args: list[str], multiproc_dir: str | None = None) -> dict[str, Any]:
    """Run ``python -m bench.memory ARGS`` and read its JSON; an error entry when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", *args],
        cwd=ROOT,
        env=child_env(multiproc_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-600:]}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _series_costs(shipped: Path, many_models: Path, multiprocess: bool) -> dict[str, Any]:
    """Per-kind costs, each kind in its own process (multiprocess mode: its own PROMETHEUS_MULTIPROC_DIR).

    Children of one metric come from the shipped spec's module; LLM-call combinations (bounded to the
    spec's label values) from a COMBO_MODELS-model module, to have thousands of them.
    """
    results = {}
    for kind in KINDS:
        with tempfile.TemporaryDirectory(prefix="bench-multiproc-") as multiproc_dir:
            module_path = many_models if kind == "llm_call" else shipped
            results[kind] = _child(["series", str(module_path), kind], multiproc_dir if multiprocess else None)
    return results


def run() -> dict[str, Any]:
    """Every memory measurement, each in its own child process."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        directory = Path(tmp)
        large_spec = write_spec(_mkdir(directory / "large"), 1000, 50)
        shipped = render_module(SHIPPED_SPEC, _mkdir(directory / "shipped"))
        many_models = render_module(write_spec(directory, COMBO_MODELS, 1), _mkdir(directory / "many-models"))
        return {
            "generation_shipped": _child(["generation", str(SHIPPED_SPEC)]),
            "generation_1000_models_50_queues": _child(["generation", str(large_spec)]),
            "series": _series_costs(shipped, many_models, multiprocess=False),
            "series_multiprocess": _series_costs(shipped, many_models, multiprocess=True),
        }


def _mkdir(path: Path) -> Path:
    """Create ``path`` and return it."""
    path.mkdir()
    return path


if __name__ == "__main__":
    if sys.argv[1] == "generation":
        print(json.dumps(_generation(Path(sys.argv[2]))))
    else:
        print(json.dumps(_children(Path(sys.argv[2]), sys.argv[3])))
