"""Start the workload process, talk to it over stdin/stdout, and stop it by its PID."""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.e2e.prometheus_server import stop_process, tail

__all__ = ["ROOT", "WorkloadProcess"]

ROOT = Path(__file__).resolve().parents[2]


class WorkloadProcess:
    """The workload as a child process; use as a context manager so it is stopped however the block ends.

    >>> with WorkloadProcess(Path("llm_metrics.py"), Path("workload.log")) as workload:  # doctest: +SKIP
    ...     workload.send("start")
    """

    def __init__(self, module: Path, log: Path, tick: float = 0.1) -> None:
        self.module = module
        self.log = log
        self.tick = tick
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def target(self) -> str:
        """The scrape target, host:port."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the process and read the port it serves /metrics on."""
        args = [sys.executable, "-m", "tests.e2e.workload", "--module", str(self.module), "--tick", str(self.tick)]
        with self.log.open("a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1
            )
        try:
            self.port = int(self._read(timeout)["port"])
        except BaseException:
            self.stop()
            raise

    def _read(self, timeout: float) -> dict[str, Any]:
        """One JSON line from the process's stdout, or an error with its log."""
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the workload did not answer within {timeout} s; its log:\n{self.log_tail()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def send(self, op: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        """Send one command; return the answer (which carries the ledger)."""
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        answer = self._read(timeout)
        if not answer.get("ok"):
            raise RuntimeError(f"workload refused {op}: {answer.get('error')}")
        return answer

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the workload's stderr."""
        return tail(self.log, lines)

    def stop(self) -> None:
        """Stop the process by its PID; safe to call twice."""
        if self.process is not None:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):  # the process may be gone already
                    self.process.stdin.close()
            stop_process(self.process, grace=5.0)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def __enter__(self) -> WorkloadProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
