"""The running stack: the e2e bundle rendered, the workload serving it, and Prometheus scraping the workload."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.e2e_bundle import PreparedBundle, prepare_bundle
from tests.e2e.polling import wait_for
from tests.e2e.prometheus_api import PrometheusAPI
from tests.e2e.prometheus_server import PrometheusServer
from tests.e2e.workload_client import WorkloadProcess

__all__ = ["INTERVAL", "Stack", "running_stack"]

INTERVAL = "1s"  # scrape and evaluation interval of the test Prometheus
FIRST_SCRAPE_TIMEOUT = 20.0  # Prometheus 2.42 scrapes a new target about 5 s after start


@dataclass
class Stack:
    """Handles on every part of a running stack."""

    prepared: PreparedBundle
    workload: WorkloadProcess
    prometheus: PrometheusServer
    job: str

    @property
    def api(self) -> PrometheusAPI:
        """The Prometheus HTTP API."""
        return self.prometheus.api

    @property
    def job_selector(self) -> str:
        """A matcher list selecting the workload's series."""
        return ", ".join(f'{k}="{v}"' for k, v in self.prepared.bundle.service.selector)

    def diagnostics(self) -> str:
        """Both processes' log tails, for failure messages."""
        return (
            f"--- prometheus log ---\n{self.prometheus.log_tail()}\n"
            f"--- workload log ---\n{self.workload.log_tail()}"
        )


def _scrape_config(selector: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The job name and static labels that make the workload's series match the spec's selector."""
    labels = dict(selector)
    return labels.pop("job", "llm-e2e"), labels


@contextlib.contextmanager
def running_stack(workdir: Path, for_overrides: Mapping[str, str], tick: float = 0.1) -> Iterator[Stack]:
    """Render, start the workload and Prometheus, wait for the first scrape; stop both by PID on exit."""
    prepared = prepare_bundle(workdir, for_overrides)
    job, labels = _scrape_config(dict(prepared.bundle.service.selector))
    with WorkloadProcess(prepared.module_path, workdir / "workload.log", tick) as workload:
        server = PrometheusServer(
            workdir / "prometheus", prepared.rule_files, {job: [workload.target]}, interval=INTERVAL,
            static_labels=labels,
        )
        with server:
            stack = Stack(prepared, workload, server, job)
            scraped = wait_for(
                "the workload is scraped",
                lambda: any(s.value == 1 for s in stack.api.query(f"up{{{stack.job_selector}}}")),
                FIRST_SCRAPE_TIMEOUT,
            )
            if not scraped.ok:
                raise RuntimeError(f"{scraped}\n{stack.diagnostics()}")
            yield stack
