"""The catalogue of alerting rules, derived from the Bundle. The rule emitter serialises it; the promtool tests,
dashboards and docs look alerts up here, so an alert's name, threshold and texts are written once."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from .conventions import FAST_BURN_RATE, PLAIN_NUMBER
from .model import Bundle, Severity
from .promql import by, duration, range_seconds, selector
from .recording import PROJECTION, SHORT, RecordingRule, recording_rules
from .units import format_number

__all__ = [
    "BURN_RATES",
    "SEVERITIES",
    "Alert",
    "BurnRate",
    "alerts",
    "alerts_markdown",
    "heartbeat_sample",
    "runbook_url",
    "source_labels",
    "source_memory",
    "template_literal",
]

SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
SEVERITY_LABEL = "severity"
TEAM_LABEL = "team"
Op = Literal[">", "<", "=="]


@dataclass(frozen=True)
class BurnRate:
    """One multi-window burn-rate alert of the SRE workbook: both windows burn ``factor`` x the budget."""

    name: str
    severity: Severity
    factor: Fraction
    long: float  # nominal windows in seconds, as in recording.SLO_WINDOWS
    short: float
    for_seconds: float


BURN_RATES = (
    BurnRate("LLMLatencyBudgetFastBurn", "critical", Fraction(FAST_BURN_RATE), 3600.0, 300.0, 120.0),
    BurnRate("LLMLatencyBudgetSlowBurn", "warning", Fraction(6), 21600.0, 1800.0, 900.0),
)


@dataclass(frozen=True)
class Alert:
    """One alerting rule, its final labels and annotations, and what it means."""

    name: str
    severity: Severity
    group: str
    expr: str
    for_seconds: float
    op: Op
    threshold: Fraction
    window: float  # seconds of the widest range the watched series needs before it is steady
    meaning: str
    source: str  # Markdown: where the threshold comes from in the spec, and its value
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]  # summary, description, runbook_url

    @property
    def key(self) -> str:
        """Unique within a bundle: alerts may share a name across severities."""
        return f"{self.name}:{self.severity}"

    def fires(self, value: Fraction) -> bool:
        """Whether the watched value breaches the threshold (``for`` aside)."""
        return {">": value > self.threshold, "<": value < self.threshold, "==": value == self.threshold}[self.op]


def template_literal(text: str) -> str:
    """``text`` made safe to embed in a Prometheus (Go) template: ``{{`` cannot start an action."""
    return text.replace("{{", '{{ "{{" }}')


def _exact(value: float) -> Fraction:
    return Fraction(format_number(value))


def _num(value: Fraction) -> str:
    return format_number(float(value))


def runbook_url(bundle: Bundle, name: str) -> str:
    """Where alert ``name``'s runbook lives: ``service.runbook_base_url`` joined with the name."""
    base = bundle.service.runbook_base_url
    return base + name if base.endswith(("/", "#", "=")) else f"{base}/{name}"


@dataclass
class _Drafts:
    bundle: Bundle
    done: list[Alert]
    records: dict[str, RecordingRule]

    def watch(self, rule_id: str) -> str:
        """The recorded series of ``rule_id``, restricted to this service."""
        return selector(self.records[rule_id].record, [(k, "=", v) for k, v in self.bundle.service.selector])

    def window(self, nominal: float) -> float:
        return range_seconds(nominal, self.bundle.service.scrape_interval)

    def add(self, name: str, severity: Severity, group: str, expr: str, *, for_seconds: float, op: Op,
            threshold: Fraction, window: float, meaning: str, source: str, summary: str, description: str) -> None:
        b = self.bundle
        labels = ((SEVERITY_LABEL, severity), (TEAM_LABEL, template_literal(b.service.team)))
        annotations = (
            ("summary", summary),
            ("description", description),
            ("runbook_url", template_literal(runbook_url(b, name))),
        )
        self.done.append(Alert(name, severity, group, expr, for_seconds, op, threshold, window, meaning, source,
                               labels, annotations))


def _compare(watched: str, op: Op, threshold: Fraction) -> str:
    return f"{watched} {op} {_num(threshold)}"


def _cost(d: _Drafts) -> None:
    b = d.bundle
    cur = template_literal(b.currency)
    levels: list[tuple[Severity, float, str, str]] = [
        ("warning", b.thresholds.daily_cost_budget, "daily_cost_budget", "budget")
    ]
    if b.thresholds.daily_cost_critical_budget is not None:
        critical = b.thresholds.daily_cost_critical_budget
        levels.append(("critical", critical, "daily_cost_critical_budget", "critical budget"))
    watched = d.watch("cost_daily_projection:total")
    for severity, budget, key, what in levels:
        limit = _exact(budget)
        d.add(
            "LLMDailyCostProjectionOverBudget", severity, "cost", _compare(watched, ">", limit),
            for_seconds=900.0 if severity == "warning" else 300.0, op=">", threshold=limit,
            window=d.window(PROJECTION),
            meaning=f"Spend projected from the last {duration(d.window(PROJECTION))} is over the daily {what}.",
            source=f"`thresholds.{key}` ({_num(limit)} {b.currency} a day)",
            summary=f"Projected daily LLM spend is over the {what}.",
            description=f"At the last {duration(d.window(PROJECTION))}'s rate, LLM calls would cost "
            f"{{{{ $value | humanize }}}} {cur} a day, over the {_num(limit)} {cur} daily {what}.",
        )
    unpriced = d.watch("unpriced_tokens_rate")
    provider, token_type = b.label("provider"), b.label("token_type")
    d.add(
        "LLMUnpricedTokens", "warning", "cost", _compare(unpriced, ">", Fraction(0)),
        for_seconds=900.0, op=">", threshold=Fraction(0), window=d.window(SHORT),
        meaning="Tokens are used by models missing from the price table, so spend is under-reported.",
        source="`pricing` (any token of a model missing from it)",
        summary="LLM tokens are used by models with no price.",
        description=f"{{{{ $labels.{provider} }}}} uses {{{{ $value | {PLAIN_NUMBER} }}}} "
        f"{{{{ $labels.{token_type} }}}} tokens per second from models with no price in the spec; "
        "the cost metric leaves them out.",
    )


def _breakers(d: _Drafts) -> None:
    b = d.bundle
    limit = b.thresholds.circuit_breaker_open_for
    circuit, service = b.label("circuit_name"), b.label("service")
    d.add(
        "LLMCircuitBreakerOpen", "critical", "circuit-breakers",
        _compare(d.watch("breaker_open"), "==", Fraction(1)),
        for_seconds=limit, op="==", threshold=Fraction(1), window=0.0,
        meaning="A circuit breaker has stayed open (not half-open) for longer than allowed.",
        source=f"`thresholds.circuit_breaker_open_for` ({duration(limit)})",
        summary="An LLM circuit breaker has been open for too long.",
        description=f"Circuit {{{{ $labels.{circuit} }}}} of {{{{ $labels.{service} }}}} has been open for more "
        f"than {duration(limit)}: calls through it fail fast.",
    )


def _latency(d: _Drafts) -> None:
    t = d.bundle.thresholds
    budget = 1 - _exact(t.latency_objective)
    target = duration(t.latency_target)
    for burn in BURN_RATES:
        long, short = d.window(burn.long), d.window(burn.short)
        limit = burn.factor * budget
        watched_long = d.watch(f"latency_over_target:{duration(long)}")
        watched_short = d.watch(f"latency_over_target:{duration(short)}")
        speed = "fast" if burn.severity == "critical" else "steadily"
        d.add(
            burn.name, burn.severity, "latency-slo",
            f"{_compare(watched_long, '>', limit)} and {_compare(watched_short, '>', limit)}",
            for_seconds=burn.for_seconds, op=">", threshold=limit, window=long,
            meaning=f"Calls slower than the latency target burn the error budget {_num(burn.factor)}x too fast "
            f"over {duration(long)} and {duration(short)}.",
            source=f"`thresholds.latency.target` ({target}), `thresholds.latency.objective` "
            f"({_num(_exact(t.latency_objective))}): over {_num(limit * 100)}% of calls slower",
            summary=f"LLM calls are burning the latency error budget {speed}.",
            description=f"{{{{ $value | humanizePercentage }}}} of LLM calls took longer than {target} over the "
            f"last {duration(long)} (and over {duration(short)}), over {_num(burn.factor)}x the "
            f"{_num(budget * 100)}% error budget of the {_num(_exact(t.latency_objective) * 100)}% objective.",
        )


def _traffic(d: _Drafts) -> None:
    b = d.bundle
    limit = _exact(b.thresholds.error_ratio_max)
    provider, model = b.label("provider"), b.label("model")
    d.add(
        "LLMErrorRatioHigh", "warning", "traffic", _compare(d.watch("error_ratio"), ">", limit),
        for_seconds=600.0, op=">", threshold=limit, window=d.window(SHORT),
        meaning="The fraction of failed LLM calls to a provider and model is over the limit.",
        source=f"`thresholds.error_ratio_max` ({_num(limit)})",
        summary="Too many LLM calls are failing.",
        description=f"{{{{ $value | humanizePercentage }}}} of LLM calls to {{{{ $labels.{provider} }}}}/"
        f"{{{{ $labels.{model} }}}} failed over the last {duration(d.window(SHORT))}, over the "
        f"{_num(limit * 100)}% limit.",
    )


def _queues(d: _Drafts) -> None:
    b, t = d.bundle, d.bundle.thresholds
    queue = f"{{{{ $labels.{b.label('queue_type')} }}}}"
    short = duration(d.window(SHORT))
    depth, wait, expiry, items = (_exact(v) for v in (t.queue_depth_max, t.queue_wait_p95_max,
                                                       t.queue_expiry_rate_max, t.bundle_items_mean_min))
    d.add(
        "LLMQueueBacklogHigh", "warning", "queues", _compare(d.watch("queue_depth"), ">", depth),
        for_seconds=900.0, op=">", threshold=depth, window=0.0,
        meaning="More items are waiting in a queue than allowed.",
        source=f"`thresholds.queue_depth_max` ({_num(depth)})",
        summary="An LLM work queue is backing up.",
        description=f"{{{{ $value | humanize }}}} items are waiting in the {queue} queue, over the limit of "
        f"{_num(depth)}.",
    )
    d.add(
        "LLMQueueWaitP95High", "warning", "queues", _compare(d.watch("queue_wait_p95"), ">", wait),
        for_seconds=600.0, op=">", threshold=wait, window=d.window(SHORT),
        meaning="The p95 time items wait in a queue before processing is over the limit.",
        source=f"`thresholds.queue_wait_p95_max` ({duration(t.queue_wait_p95_max)})",
        summary="Items wait too long in an LLM work queue.",
        description=f"Items in the {queue} queue waited {{{{ $value | humanizeDuration }}}} at p95 over the last "
        f"{short}, over the {duration(t.queue_wait_p95_max)} limit.",
    )
    d.add(
        "LLMQueueItemsExpiring", "warning", "queues", _compare(d.watch("queue_expiry_rate"), ">", expiry),
        for_seconds=600.0, op=">", threshold=expiry, window=d.window(SHORT),
        meaning="Queued items expire (are dropped unprocessed) faster than allowed.",
        source=f"`thresholds.queue_expiry_rate_max` ({_num(expiry)} per second)",
        summary="Queued LLM work is expiring unprocessed.",
        description=f"{{{{ $value | {PLAIN_NUMBER} }}}} items per second expired from the {queue} queue over the last "
        f"{short}, over the limit of {_num(expiry)} per second.",
    )
    d.add(
        "LLMBundlesUnderfilled", "info", "queues", _compare(d.watch("bundle_items_mean"), "<", items),
        for_seconds=1800.0, op="<", threshold=items, window=d.window(SHORT),
        meaning="Bundled LLM calls carry fewer items on average than the minimum.",
        source=f"`thresholds.bundle_items_mean_min` ({_num(items)})",
        summary="Bundled LLM calls are under-filled.",
        description=f"Bundled LLM calls carried {{{{ $value | humanize }}}} items on average over the last {short}, "
        f"under the minimum of {_num(items)}.",
    )


def heartbeat_sample(bundle: Bundle) -> str:
    """A sample the generated module always exposes: the first pattern metric without labels."""
    metric = next(m for _, m in bundle.metrics if not m.labels)
    return metric.name + ("_count" if metric.kind == "histogram" else "")


# How far back the absence alert remembers a source (service.source_labels) that stopped sending the service's
# metrics. It must outlast the alert's ``for`` plus the 5m lookback of an instant vector (a source whose Prometheus
# dies writes no staleness marker), so the alert has time to fire, and be at least 4x the scrape interval
# (range_seconds). It is bounded on purpose: a source that is gone for good (a decommissioned cluster, a renamed
# label) stops alerting once it leaves the window, and one hour of one heartbeat series per instance stays in the
# recent data a Prometheus, Thanos sidecar or receiver, or Mimir ingester answers from, every evaluation.
SOURCE_MEMORY = 3600.0
ABSENT_FOR = 600.0


def source_labels(bundle: Bundle) -> tuple[str, ...]:
    """The spec's source labels that are not also fixed by the service selector: the labels the absence alert
    tells sources apart by (none: the alert only watches the service as a whole)."""
    fixed = {k for k, _ in bundle.service.selector}
    return tuple(s for s in dict.fromkeys(bundle.service.source_labels) if s not in fixed)


def source_memory(bundle: Bundle) -> float:
    """The window, in seconds, over which the absence alert remembers a source that stopped reporting."""
    return range_seconds(SOURCE_MEMORY, bundle.service.scrape_interval)


def _absent_expr(b: Bundle, watched: str) -> str:
    """``absent()`` of the service's heartbeat; with source labels, also each source that sent it within
    ``source_memory`` and sends it no more (``unless`` matches on all labels: both sides keep the same ones)."""
    expr = f"absent({watched}) == 1"
    sources = source_labels(b)
    if not sources:
        return expr
    keep = by([*(k for k, _ in b.service.selector), *sources])
    recent = f"present_over_time({watched}[{duration(source_memory(b))}])"
    return f"{expr} or (group {keep} ({recent}) unless group {keep} ({watched}))"


def _absent_description(b: Bundle, sample: str) -> str:
    """One template for both branches of the expression: the per-source series carry the source labels,
    ``absent()``'s carries only the selector's (a missing label renders empty, so ``if`` tells them apart)."""
    where = ", ".join(f'{k}="{{{{ $labels.{k} }}}}"' for k, _ in b.service.selector)
    lasted = f"for {duration(ABSENT_FOR)}"
    causes = "the service is down, not scraped, or does not load its metrics module"
    blind = "Every other LLM alert is blind"
    sources = source_labels(b)
    if not sources:
        return f"No {sample} series match {where} {lasted}: {causes}. {blind} meanwhile."
    names = "/".join(sources)
    source = ", ".join(f'{s}="{{{{ $labels.{s} }}}}"' for s in sources)
    test = " ".join(f"$labels.{s}" for s in sources)
    per_source = (f" from {source} {lasted}, though that {names} sent them within the last "
                  f"{duration(source_memory(b))}: that {names} no longer reaches this query layer, or there "
                  f"{causes}. {blind} to that {names}")
    everywhere = f" from any {names} {lasted}: {causes}. {blind}"
    condition = test if len(sources) == 1 else f"or {test}"
    return (f"No {sample} series match {where}{{{{ if {condition} }}}}{per_source}{{{{ else }}}}{everywhere}"
            "{{ end }} meanwhile.")


def _absent(d: _Drafts) -> None:
    b = d.bundle
    sample = heartbeat_sample(b)
    watched = selector(sample, [(k, "=", v) for k, v in b.service.selector])
    names = "/".join(source_labels(b))
    meaning, source = "The service's metrics are missing", "`service.selector` (no series of the service)"
    if names:
        meaning += (f" everywhere, or from one {names} that sent them within the last "
                    f"{duration(source_memory(b))}")
        source += ", per `service.source_labels`"
    d.add(
        "LLMMetricsAbsent", "warning", "availability", _absent_expr(b, watched),
        for_seconds=ABSENT_FOR, op="==", threshold=Fraction(1), window=0.0,
        meaning=f"{meaning}, so every other LLM alert is blind.",
        source=source,
        summary="The LLM metrics of the service are missing.",
        description=_absent_description(b, sample),
    )


def alerts(bundle: Bundle) -> tuple[Alert, ...]:
    """Every alerting rule of the bundle, in a stable order."""
    drafts = _Drafts(bundle, [], {r.id: r for r in recording_rules(bundle)})
    for part in (_cost, _breakers, _latency, _traffic, _queues, _absent):
        part(drafts)
    return tuple(drafts.done)


def alerts_markdown(bundle: Bundle) -> str:
    """A Markdown table of every alert, for the README."""
    rows = [
        "| Alert | Severity | Meaning | Threshold (spec) | For |",
        "| --- | --- | --- | --- | --- |",
    ]
    for a in alerts(bundle):
        cells = (f"`{a.name}`", a.severity, a.meaning, a.source, duration(a.for_seconds))
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"
