"""``python -m bench.run``: run every benchmark, write bench/results.json and print the tables."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from . import generation, hot_path, memory
from .report import tables

__all__ = ["RESULTS", "main"]

RESULTS = Path(__file__).resolve().parent / "results.json"


def _machine() -> dict[str, Any]:
    """What the numbers depend on: interpreter, prometheus_client, CPUs and load."""
    return {
        "python": platform.python_version(),
        "prometheus_client": metadata.version("prometheus-client"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    """Run hot path, generation and memory benchmarks in that order; always exit 0 (results are reported)."""
    start = time.perf_counter()
    results: dict[str, Any] = {"machine": _machine()}
    sections: dict[str, float] = {}
    for name, bench in (("hot_path", hot_path.run), ("generation", generation.run), ("memory", memory.run)):
        began = time.perf_counter()
        results[name] = bench()
        sections[name] = round(time.perf_counter() - began, 1)
    results["section_seconds"] = sections
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.perf_counter() - start, 1)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(tables(results))
    print(f"\nWrote {RESULTS} ({results['total_seconds']} s: {sections}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
