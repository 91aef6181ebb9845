"""What a runbook stub says about each alert: first checks (Markdown) and the PromQL to investigate with, derived
from the catalogues so every name and label in a runbook is the bundle's own."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .alerting import Alert, alerts, source_labels, source_memory
from .markdown import code
from .model import Bundle
from .promql import duration, selector
from .recording import RecordingRule, recording_rules

__all__ = ["Runbook", "runbook_path", "runbooks"]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


@dataclass(frozen=True)
class Runbook:
    """The runbook of one alert name (all its severities): checks, and queries to run."""

    name: str
    alerts: tuple[Alert, ...]  # one per severity, in catalogue order
    checks: tuple[str, ...]  # Markdown, one item each
    related: tuple[RecordingRule, ...]  # the records the alert reads first, then the rest of its area
    extra_queries: tuple[tuple[str, str], ...]  # (what it shows, PromQL) beyond the recording rules


def runbook_path(name: str) -> str:
    """Where the runbook of alert ``name`` is written, relative to the output directory."""
    return f"runbooks/{name}.md"


def _l(b: Bundle, semantic: str) -> str:
    return code(b.label(semantic))


def _cost(b: Bundle) -> tuple[str, ...]:
    return (
        "Find what drives the spend: compare the spend per provider and per model below with the days before.",
        "Tell volume from price: has the call rate gone up, or the cost per call (a dearer model, longer prompts, "
        "fewer cached prompt tokens)?",
        "Look for a runaway caller: a retry loop, a batch job, a new feature"
        + (f" (split the spend by {', '.join(code(a.domain.name) for a in b.attribution)})." if b.attribution
           else "."),
        "The projection extrapolates the last hour: check whether the spend rate is still high before acting.",
    )


def _unpriced(b: Bundle) -> tuple[str, ...]:
    return (
        f"The alert's {_l(b, 'provider')} label names the provider ({code(b.fallback)}: a provider missing from "
        f"`pricing`); find which models: the {_l(b, 'model')} {code(b.fallback)} series of the tokens metric carry "
        "them, and the service's logs name them.",
        "Add the model and its prices under `pricing.providers` in the spec, run `make generate` and deploy the "
        "new module.",
        "Until then the cost metric, the spend dashboards and the budget alerts under-report spend.",
    )


def _breaker(b: Bundle) -> tuple[str, ...]:
    return (
        f"The alert's {_l(b, 'circuit_name')} label names the circuit: check the status page of the provider "
        "behind it, and the error ratio of its calls.",
        "Read the service's logs for the errors that opened the breaker.",
        "A breaker that never moves to half-open points at the service's breaker settings, not at the provider.",
    )


def _latency(b: Bundle) -> tuple[str, ...]:
    return (
        "Find the slow provider and model: the fraction of calls under the target and the latency quantiles "
        f"by {_l(b, 'provider')} and {_l(b, 'model')} below.",
        "Has the traffic changed (longer prompts, higher max tokens, a slower model)?",
        "Check the provider's status page; consider routing to another model until it recovers.",
    )


def _errors(b: Bundle) -> tuple[str, ...]:
    return (
        f"The alert's labels name the provider and model; the {_l(b, 'error_type')} label of "
        f"{code(b.metric('requests').name)} tells timeouts, rate limits and server errors apart.",
        "Rate limits: check the quota and the call rate. Timeouts and server errors: check the provider's status "
        "page.",
        "A deploy of the service just before the alert points at the caller, not the provider.",
    )


def _queue(b: Bundle) -> tuple[str, ...]:
    return (
        f"The alert's {_l(b, 'queue_type')} label names the queue: are items processed at all (processing time, "
        "LLM call rate)?",
        "Is work arriving faster than the workers can take it, or are workers down or stuck on slow LLM calls?",
        f"Expired items are counted by {_l(b, 'reason')} on {code(b.metric('queue_expiry').name)}.",
    )


def _bundles(b: Bundle) -> tuple[str, ...]:
    return (
        "Low traffic fills bundles slowly: check the call rate before changing anything.",
        "Check the service's bundling settings (batch size, how long it waits to fill a bundle).",
    )


def _absent(b: Bundle) -> tuple[str, ...]:
    checks = (
        "Is the target up and scraped? Run the `up` query below.",
        "Does the service still import the generated metrics module and expose `/metrics`?",
        "Did the scrape configuration or the target labels change, so that the spec's `service.selector` "
        "no longer matches?",
    )
    sources = source_labels(b)
    if not sources:
        return checks
    names = ", ".join(code(s) for s in sources)
    return (
        f"An alert labelled with {names} names a source that sent the metrics within the last "
        f"{duration(source_memory(b))} and sends them no more: is that source's Prometheus up, and does it still "
        "reach the query layer (Thanos sidecar or receiver, remote write)? An alert without it: the metrics are "
        f"gone from every source. A source's alert resolves by itself once its last sample is "
        f"{duration(source_memory(b))} old, whether the source is back or not.",
        *checks,
    )


_CHECKS: dict[str, Callable[[Bundle], tuple[str, ...]]] = {
    "LLMDailyCostProjectionOverBudget": _cost,
    "LLMUnpricedTokens": _unpriced,
    "LLMCircuitBreakerOpen": _breaker,
    "LLMLatencyBudgetFastBurn": _latency,
    "LLMLatencyBudgetSlowBurn": _latency,
    "LLMErrorRatioHigh": _errors,
    "LLMQueueBacklogHigh": _queue,
    "LLMQueueWaitP95High": _queue,
    "LLMQueueItemsExpiring": _queue,
    "LLMBundlesUnderfilled": _bundles,
    "LLMMetricsAbsent": _absent,
}


def _related(alert_set: tuple[Alert, ...], rules: tuple[RecordingRule, ...]) -> tuple[RecordingRule, ...]:
    names = {n for a in alert_set for n in _NAME.findall(a.expr)}
    area = [r for r in rules if r.group == alert_set[0].group]
    return tuple([r for r in area if r.record in names] + [r for r in area if r.record not in names])


def _extra(b: Bundle, name: str) -> tuple[tuple[str, str], ...]:
    if name != "LLMMetricsAbsent":
        return ()
    return (("Whether Prometheus reaches the service's targets (1: up).",
             selector("up", [(k, "=", v) for k, v in b.service.selector])),)


def runbooks(bundle: Bundle) -> tuple[Runbook, ...]:
    """One runbook per alert name, in catalogue order; KeyError for an alert without checks."""
    by_name: dict[str, list[Alert]] = {}
    for a in alerts(bundle):
        by_name.setdefault(a.name, []).append(a)
    rules = recording_rules(bundle)
    return tuple(
        Runbook(name, tuple(found), _CHECKS[name](bundle), _related(tuple(found), rules), _extra(bundle, name))
        for name, found in by_name.items()
    )
