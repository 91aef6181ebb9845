"""The e2e scenario: phases run in order against a running stack; what happened is kept for the tests.

steady traffic -> queue backlog -> drain -> breaker open -> breaker closed -> spend burst -> pause.
Each phase waits (with a timeout) for what it should cause; a wait that times out is recorded, not
raised, so every test still runs and says what did not happen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.polling import Wait, wait_for
from tests.e2e.stack import Stack

__all__ = [
    "BACKLOG_ALERTS",
    "BREAKER_ALERT",
    "BUDGET_ALERT",
    "FOR_OVERRIDES",
    "OPENED_CIRCUIT",
    "SPEND_CALLS",
    "STEADY_ALERTS",
    "TRIGGERED_ALERTS",
    "ScenarioRun",
    "firing",
    "run_scenario",
]

BREAKER_ALERT = "LLMCircuitBreakerOpen"
BUDGET_ALERT = "LLMDailyCostProjectionOverBudget"
STEADY_ALERTS = ("LLMUnpricedTokens",)  # the unknown model is called from the start
BACKLOG_ALERTS = ("LLMQueueBacklogHigh", "LLMQueueWaitP95High", "LLMQueueItemsExpiring")
TRIGGERED_ALERTS = frozenset({BREAKER_ALERT, BUDGET_ALERT, *STEADY_ALERTS, *BACKLOG_ALERTS})
# The breaker's `for:` comes from the spec copy (2 s); the others' are fixed in the catalogue at 5-15 min.
FOR_OVERRIDES = {name: "1s" for name in TRIGGERED_ALERTS - {BREAKER_ALERT}}
OPENED_CIRCUIT = "openai_circuit"
BUDGET_SEVERITIES = frozenset({"warning", "critical"})
SPEND_CALLS = 20
ALERT_TIMEOUT = 20.0


@dataclass
class ScenarioRun:
    """Phase start times (wall clock), the outcome of each wait, and the workload's ledger at the end."""

    marks: dict[str, float] = field(default_factory=dict)
    waits: dict[str, Wait] = field(default_factory=dict)
    ledger: dict[str, Any] = field(default_factory=dict)

    def mark(self, phase: str) -> None:
        """Note when a phase starts."""
        self.marks[phase] = time.time()

    def wait(self, key: str, what: str, condition: Any, timeout: float = ALERT_TIMEOUT) -> Wait:
        """Wait for a condition and keep the outcome under ``key``."""
        self.waits[key] = wait_for(what, condition, timeout)
        return self.waits[key]


def firing(stack: Stack, name: str, **labels: str) -> list[dict[str, str]]:
    """Label sets of the firing alerts called ``name`` whose labels include ``labels``."""
    return [
        a.labels for a in stack.api.alerts()
        if a.name == name and a.state == "firing" and labels.items() <= a.labels.items()
    ]


def _records_present(stack: Stack) -> bool:
    """True once every recorded series has a sample (NaN counts: some need the later phases)."""
    names = "|".join(stack.prepared.records)
    found = {s.labels["__name__"] for s in stack.api.query(f'{{__name__=~"{names}"}}')}
    return found >= set(stack.prepared.records)


def _last_scrape(stack: Stack) -> float:
    """When Prometheus last scraped the workload (seconds since the epoch); 0 before the first scrape."""
    scraped = stack.api.query(f"timestamp(up{{{stack.job_selector}}})")
    return scraped[0].value if scraped else 0.0


def _evaluated_after(stack: Stack, moment: float) -> bool:
    """True once every rule group has been evaluated later than ``moment`` (and its scrape was appended)."""
    return all(g.last_evaluation > moment + 0.3 for g in stack.api.rule_groups())


def run_scenario(stack: Stack) -> ScenarioRun:
    """Drive the workload through every phase; return what happened."""
    run = ScenarioRun()
    workload = stack.workload
    run.mark("steady")
    workload.send("start")
    run.wait("records", "every recording rule has a sample", lambda: _records_present(stack))
    run.wait("steady alerts", f"{STEADY_ALERTS} fire", lambda: all(firing(stack, a) for a in STEADY_ALERTS))

    run.mark("backlog")
    workload.send("mode", mode="backlog")
    run.wait("backlog alerts", f"{BACKLOG_ALERTS} fire", lambda: all(firing(stack, a) for a in BACKLOG_ALERTS))
    run.mark("drain")
    workload.send("mode", mode="drain")
    run.wait("backlog resolved", "LLMQueueBacklogHigh resolves", lambda: not firing(stack, "LLMQueueBacklogHigh"))
    workload.send("mode", mode="steady")

    run.mark("breaker open")
    workload.send("breaker", circuit=OPENED_CIRCUIT, state="open")
    run.wait("breaker fired", f"{BREAKER_ALERT} fires", lambda: bool(firing(stack, BREAKER_ALERT)))
    run.mark("breaker closed")
    workload.send("breaker", circuit=OPENED_CIRCUIT, state="half_open")
    workload.send("breaker", circuit=OPENED_CIRCUIT, state="closed")
    run.wait("breaker resolved", f"{BREAKER_ALERT} resolves", lambda: not firing(stack, BREAKER_ALERT))

    run.mark("spend")
    workload.send("spend", calls=SPEND_CALLS)
    run.wait(
        "budget fired",
        f"{BUDGET_ALERT} fires at every severity",
        lambda: {a.get("severity") for a in firing(stack, BUDGET_ALERT)} >= BUDGET_SEVERITIES,
    )

    run.mark("pause")
    run.ledger = workload.send("pause")["ledger"]
    pause = run.marks["pause"]
    run.wait("settled", "two scrapes after the pause", lambda: _last_scrape(stack) > pause + 1.0)
    second = _last_scrape(stack)
    run.wait("evaluated", "every rule evaluated on them", lambda: _evaluated_after(stack, second))
    run.mark("end")
    return run
