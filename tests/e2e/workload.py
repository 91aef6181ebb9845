"""The workload process: imports a generated metrics module from a path, serves /metrics, runs the simulation.

Usage: ``python -m tests.e2e.workload --module PATH [--tick SECONDS]``. The first stdout line is
``{"port": N}``; then each JSON command read from stdin gets one JSON line back:

- ``{"op": "start"}``: traffic on (steady mode), long calls held in flight
- ``{"op": "mode", "mode": "steady" | "backlog" | "drain"}``: how the queue is fed and drained
- ``{"op": "breaker", "circuit": NAME, "state": "open" | "half_open" | "closed"}``
- ``{"op": "spend", "calls": N}``: a burst of expensive calls
- ``{"op": "pause"}``: traffic off, held calls cancelled; answers with the ledger
- ``{"op": "ledger"}``: answers with the ledger
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric

from tests.e2e.traffic import SimClock, Simulation

__all__ = ["AtomicRegistry", "Workload", "import_module_from", "main"]


class AtomicRegistry:
    """Serves ``inner`` under ``lock``, so a scrape sees whole ticks: a call's tokens and cost together."""

    def __init__(self, inner: CollectorRegistry, lock: threading.Lock) -> None:
        self.inner = inner
        self.lock = lock

    def collect(self) -> Iterable[Metric]:
        """Every metric family, read while the simulation is between two steps."""
        with self.lock:
            return list(self.inner.collect())


def import_module_from(path: Path) -> ModuleType:
    """Import the generated module from a file path, under its file name."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


class Workload:
    """The simulation, its lock and its traffic thread."""

    def __init__(self, module: ModuleType, tick: float) -> None:
        self.lock = threading.Lock()
        self.registry = CollectorRegistry()
        clock = SimClock()
        module.time = clock  # type: ignore[attr-defined]  # simulated latencies: see tests.e2e.traffic
        self.sim = Simulation(module.LLMMetrics(registry=self.registry), clock)
        self.tick = tick
        self.stopped = threading.Event()
        with self.lock:
            self.sim.prime()

    def serve(self) -> int:
        """Start the /metrics server on a free port of 127.0.0.1; return the port."""
        server, _ = start_http_server(0, addr="127.0.0.1", registry=AtomicRegistry(self.registry, self.lock))
        return int(server.server_port)

    def run_traffic(self) -> None:
        """Tick at a steady pace until stopped."""
        next_at = time.monotonic()
        while not self.stopped.is_set():
            with self.lock:
                self.sim.tick()
            next_at += self.tick
            self.stopped.wait(max(0.0, next_at - time.monotonic()))

    def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        """Apply one command under the lock and answer it."""
        op = command.get("op")
        with self.lock:
            if op == "start":
                self.sim.start()
            elif op == "mode":
                self.sim.mode = str(command["mode"])
            elif op == "breaker":
                self.sim.set_breaker(str(command["circuit"]), str(command["state"]))
            elif op == "spend":
                self.sim.spend(int(command["calls"]))
            elif op == "pause":
                self.sim.mode = "idle"
                self.sim.release_held()
            elif op != "ledger":
                return {"ok": False, "error": f"unknown op {op!r}"}
            return {"ok": True, "time": time.time(), "ledger": self.sim.ledger.to_json()}


def main(argv: list[str] | None = None) -> int:
    """Run until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", type=Path, required=True, help="the generated llm_metrics.py")
    parser.add_argument("--tick", type=float, default=0.1, help="real seconds between two traffic steps")
    args = parser.parse_args(argv)
    workload = Workload(import_module_from(args.module), args.tick)
    print(json.dumps({"port": workload.serve()}), flush=True)
    threading.Thread(target=workload.run_traffic, daemon=True).start()
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(workload.handle(json.loads(line))), flush=True)
    workload.stopped.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
