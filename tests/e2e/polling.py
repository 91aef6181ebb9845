"""Poll a condition with a timeout (never a fixed sleep), and remember how the wait went."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.e2e.prometheus_api import PrometheusAPIError

__all__ = ["Wait", "wait_for"]


@dataclass(frozen=True)
class Wait:
    """The outcome of one wait: whether the condition held in time, and when (wall-clock seconds)."""

    what: str
    ok: bool
    started: float
    ended: float
    last_error: str = ""

    @property
    def seconds(self) -> float:
        """How long the wait took."""
        return self.ended - self.started

    def __str__(self) -> str:
        outcome = "held" if self.ok else "did NOT hold"
        error = f" (last error: {self.last_error})" if self.last_error else ""
        return f"{self.what}: {outcome} after {self.seconds:.1f} s{error}"


def wait_for(what: str, condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> Wait:
    """Call ``condition`` every ``interval`` seconds until it is true or ``timeout`` passes."""
    started = time.time()
    deadline = time.monotonic() + timeout
    error = ""
    while True:
        try:
            if condition():
                return Wait(what, True, started, time.time())
        except PrometheusAPIError as exc:  # e.g. a series not there yet: keep polling
            error = str(exc)
        if time.monotonic() >= deadline:
            return Wait(what, False, started, time.time(), error)
        time.sleep(interval)
