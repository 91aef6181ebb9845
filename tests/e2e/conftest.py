"""One stack (Prometheus + workload) and one scenario run, shared by every e2e test, stopped after the last one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.prometheus_server import prometheus_binary
from tests.e2e.scenario import FOR_OVERRIDES, ScenarioRun, run_scenario
from tests.e2e.stack import Stack, running_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The running stack; both processes are stopped by PID after the last e2e test, pass or fail."""
    try:
        prometheus_binary()
    except FileNotFoundError as missing:
        pytest.fail(str(missing))
    with running_stack(tmp_path_factory.mktemp("e2e"), FOR_OVERRIDES) as running:
        yield running


@pytest.fixture(scope="package")
def run(stack: Stack) -> ScenarioRun:
    """Every phase of the scenario, run once, in order."""
    return run_scenario(stack)
