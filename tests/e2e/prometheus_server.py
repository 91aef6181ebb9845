"""A real Prometheus server for tests: 127.0.0.1, a free random port, config and TSDB in a temp dir."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import yaml

from tests.e2e.prometheus_api import PrometheusAPI

__all__ = ["INSTALL_HINT", "PrometheusServer", "free_port", "prometheus_binary", "stop_process", "tail"]

INSTALL_HINT = (
    "prometheus not found: run `make prometheus` (Debian: apt-get install --no-install-recommends prometheus)"
)
START_ATTEMPTS = 3  # a free port can be taken by someone else between our probe and Prometheus's bind


def prometheus_binary() -> str:
    """The Prometheus binary on PATH; raise with the install hint when there is none."""
    path = shutil.which("prometheus")
    if path is None:
        raise FileNotFoundError(INSTALL_HINT)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a process's log file, for failure messages."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 10.0) -> None:
    """Stop one process by its PID: SIGTERM, then SIGKILL after ``grace`` seconds; always reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


class PrometheusServer:
    """One Prometheus process; use as a context manager so it is stopped however the block ends.

    >>> with PrometheusServer(workdir, rule_files, {"llm-gateway": ["127.0.0.1:8000"]}) as prom:  # doctest: +SKIP
    ...     prom.api.query("up")
    """

    def __init__(
        self,
        workdir: Path,
        rule_files: Sequence[Path],
        jobs: Mapping[str, Sequence[str]],
        *,
        interval: str = "1s",
        static_labels: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.rule_files = tuple(rule_files)
        self.jobs = dict(jobs)
        self.interval = interval
        self.static_labels = dict(static_labels or {})
        self.extra_args = tuple(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.started_at = 0.0

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> PrometheusAPI:
        """An API client for this server."""
        return PrometheusAPI(self.url)

    @property
    def log_path(self) -> Path:
        """Where the server's log goes."""
        return self.workdir / "prometheus.log"

    def config(self) -> dict[str, object]:
        """The prometheus.yml this server runs with."""
        target = {"labels": self.static_labels} if self.static_labels else {}
        return {
            "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": list(targets), **target}]}
                for job, targets in self.jobs.items()
            ],
        }

    def start(self, timeout: float = 30.0) -> None:
        """Write the config, start the server and wait until it is ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8")
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            args = [
                prometheus_binary(),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                *self.extra_args,
            ]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.started_at = time.time()
            try:
                ready = self._wait_ready(timeout)
            except BaseException:
                self.stop()
                raise
            if ready:
                return
            self.stop()
        raise RuntimeError(f"Prometheus did not become ready; its log:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        """Poll /-/ready; False when the process exits or the time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False  # exited: the port was taken, or the config or a rule file is bad
            if self.api.ready():
                return True
            time.sleep(0.1)
        return False

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log."""
        return tail(self.log_path, lines)

    def stop(self) -> None:
        """Stop the server by its PID; safe to call twice."""
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
