"""Map a validated Spec onto the Bundle model: apply defaults, derive names, check cross-field rules."""

from __future__ import annotations

import itertools
import keyword
import math
import re
from collections.abc import Iterable
from dataclasses import replace

from .conventions import (
    ATTRIBUTED_METRICS,
    DEFAULT_METRICS,
    FAST_BURN_RATE,
    HELPERS,
    LABEL_NAME_RE,
    METRIC_NAME_RE,
    NO_ERROR,
    OUTCOMES,
    RESERVED_LABELS,
    SEMANTIC_LABELS,
    TOKEN_TYPES,
)
from .errors import SpecError, SpecInvalid
from .lints import check_series_budget, naming_warnings
from .model import Attribution, Bundle, LabelDomain, Metric, Price, Service, Thresholds
from .spec import Spec
from .units import format_number
from .yaml_source import Located

__all__ = ["resolve"]

Path = tuple[str | int, ...]


_MAX_SCRAPE_INTERVAL = 120.0
STATE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class _Checker:
    """Collects every cross-field problem with its place in the spec."""

    def __init__(self, located: Located) -> None:
        self.located = located
        self.errors: list[SpecError] = []

    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        self.errors.append(self.located.error(path, message, key=key))

    def label_name(self, path: Path, name: str) -> None:
        if not LABEL_NAME_RE.match(name):
            self.fail(
                path, f"invalid label name {name!r}: use letters, digits and underscores, not starting with a digit"
            )
        elif name.startswith("__"):
            self.fail(path, f"label name {name!r} is reserved: names starting with __ are internal to Prometheus")
        elif name in RESERVED_LABELS:
            self.fail(path, f"label name {name!r} is reserved by Prometheus for histograms and summaries")

    def metric_name(self, path: Path, name: str, kind: str) -> None:
        if not METRIC_NAME_RE.match(name) or ":" in name:
            self.fail(
                path, f"invalid metric name {name!r}: use letters, digits and underscores, not starting with a digit"
            )
        elif name.startswith("__"):
            self.fail(path, f"metric name {name!r} is reserved: names starting with __ are internal to Prometheus")
        elif kind == "counter" and not name.endswith("_total"):
            self.fail(path, f"counter name {name!r} must end in _total (prometheus_client exposes it that way)")
        elif kind != "counter" and name.endswith("_total"):
            self.fail(path, f"only counters may end in _total, but {name!r} is a {kind}")
        elif kind == "counter" and name == "_total":
            self.fail(path, "counter name needs a base before _total")

    def buckets(self, path: Path, buckets: Iterable[float]) -> tuple[float, ...]:
        values = tuple(float(b) for b in buckets)
        if not values:
            self.fail(path, "must list at least one bucket boundary")
        for i, (low, high) in enumerate(itertools.pairwise(values)):
            if high <= low:
                self.fail(
                    (*path, i + 1),
                    f"buckets must be strictly increasing: {format_number(high)} follows {format_number(low)}",
                )
        if any(math.isinf(v) for v in values):
            self.fail(path, "leave out +Inf: prometheus_client adds it")
        return values


def resolve(spec: Spec, located: Located, source: str) -> Bundle:
    """Resolve ``spec`` into a Bundle, or raise SpecInvalid with every cross-field problem."""
    check = _Checker(located)
    fallback = spec.unknown_models.label_value
    label_names = _label_names(spec, check)
    names = dict(label_names)
    prices = _prices(spec)
    attribution = _attribution(spec, check, set(names.values()))
    domains = _domains(spec, prices, fallback, names)
    metrics = _metrics(spec, check, names, attribution, domains)
    custom = _custom_metrics(spec, check, attribution, domains)
    _check_collisions(check, metrics, custom)
    _check_thresholds(spec, check, dict(metrics))
    _check_values(spec, check, fallback)
    for i, source_label in enumerate(spec.service.source_labels):
        check.label_name(("service", "source_labels", i), source_label)
    for label in spec.service.selector:
        check.label_name(("service", "selector", label), label)
    if check.errors:
        raise SpecInvalid(check.errors)
    t = spec.thresholds
    bundle = Bundle(
        source=source,
        service=Service(
            name=spec.service.name,
            team=spec.service.team,
            runbook_base_url=spec.service.runbook_base_url,
            selector=tuple(sorted(spec.service.selector.items())),
            scrape_interval=spec.service.scrape_interval,
            source_labels=tuple(spec.service.source_labels),
        ),
        currency=spec.pricing.currency,
        price_unit_tokens=1_000 if spec.pricing.unit == "per_1k_tokens" else 1_000_000,
        prices=prices,
        fallback=fallback,
        label_names=label_names,
        token_types=TOKEN_TYPES,
        outcomes=OUTCOMES,
        no_error=NO_ERROR,
        attribution=attribution,
        request_types=tuple(spec.requests.request_types),
        error_types=tuple((k, tuple(v)) for k, v in spec.requests.error_types.items()),
        queue_types=tuple(spec.queues.types),
        expiry_reasons=tuple(spec.queues.expiry_reasons),
        breaker_service=spec.circuit_breakers.service,
        circuits=tuple(spec.circuit_breakers.circuits),
        breaker_states=tuple(spec.circuit_breakers.states.items()),
        metrics=metrics,
        custom_metrics=custom,
        thresholds=Thresholds(
            daily_cost_budget=t.daily_cost_budget,
            daily_cost_critical_budget=t.daily_cost_critical_budget,
            latency_target=t.latency.target,
            latency_objective=t.latency.objective,
            error_ratio_max=t.error_ratio_max,
            circuit_breaker_open_for=t.circuit_breaker_open_for,
            queue_depth_max=t.queue_depth_max,
            queue_wait_p95_max=t.queue_wait_p95_max,
            queue_expiry_rate_max=t.queue_expiry_rate_max,
            bundle_items_mean_min=t.bundle_items_mean_min,
        ),
        max_series=spec.max_series,
    )
    check_series_budget(bundle, located)
    return replace(bundle, warnings=tuple(str(w) for w in naming_warnings(bundle, located)))


def _label_names(spec: Spec, check: _Checker) -> tuple[tuple[str, str], ...]:
    for semantic, final in spec.label_names.items():
        if semantic not in SEMANTIC_LABELS:
            check.fail(
                ("label_names", semantic),
                f"unknown label {semantic!r}; renamable labels: {', '.join(SEMANTIC_LABELS)}",
                key=True,
            )
        check.label_name(("label_names", semantic), final)
    finals = [spec.label_names.get(s, s) for s in SEMANTIC_LABELS]
    for semantic, final in zip(SEMANTIC_LABELS, finals, strict=True):
        if finals.count(final) > 1 and semantic in spec.label_names:
            check.fail(("label_names", semantic), f"label name {final!r} is used for two different labels")
    return tuple(zip(SEMANTIC_LABELS, finals, strict=True))


def _prices(spec: Spec) -> tuple[Price, ...]:
    prices = []
    for provider, entry in spec.pricing.providers.items():
        for model, p in entry.models.items():
            cached = p.prompt if p.cached_prompt is None else p.cached_prompt
            reasoning = p.completion if p.reasoning is None else p.reasoning
            prices.append(Price(provider, model, p.prompt, p.completion, cached, reasoning))
    return tuple(prices)


def _attribution(spec: Spec, check: _Checker, taken: set[str]) -> tuple[Attribution, ...]:
    result = []
    for name, entry in spec.attribution.items():
        path: Path = ("attribution", name)
        check.label_name(path, name)
        if keyword.iskeyword(name) or name in HELPER_PARAMETERS:
            check.fail(
                path,
                f"{name!r} cannot be an attribution label: the generated helpers use it as a Python name",
                key=True,
            )
        if name in taken:
            check.fail(path, f"label name {name!r} is already used by the LLM metrics", key=True)
        if len(set(entry.values)) != len(entry.values):
            check.fail((*path, "values"), "values must be unique")
        result.append(Attribution(LabelDomain(name, tuple(entry.values), entry.fallback)))
    return tuple(result)


def _domains(spec: Spec, prices: tuple[Price, ...], fallback: str, names: dict[str, str]) -> dict[str, float]:
    """How many values each final label name can take, for the series estimate."""
    pairs = sum(len(p.models) + 1 for p in spec.pricing.providers.values()) + 1
    return {
        names["provider"]: len(spec.pricing.providers) + 1,
        # provider and model always appear together: their product is the number of pairs
        names["model"]: pairs / (len(spec.pricing.providers) + 1),
        names["token_type"]: len(TOKEN_TYPES),
        names["request_type"]: len(set(spec.requests.request_types) | {fallback}),
        names["outcome"]: len(OUTCOMES),
        names["error_type"]: len(set(spec.requests.error_types) | {fallback, NO_ERROR}),
        names["queue_type"]: len(set(spec.queues.types) | {fallback}),
        names["reason"]: len(set(spec.queues.expiry_reasons) | {fallback}),
        names["service"]: 1,
        names["circuit_name"]: len(set(spec.circuit_breakers.circuits) | {fallback}),
        names["helper"]: len(HELPERS),
    }


def _estimate(kind: str, labels: Iterable[str], buckets: tuple[float, ...], domains: dict[str, float]) -> int:
    combos = 1.0
    for label in labels:
        combos *= domains.get(label, _UNBOUNDED_LABEL_GUESS)
    per_combo = {"histogram": len(buckets) + 4, "counter": 2, "gauge": 1}[kind]  # +Inf, _sum, _count, _created
    return round(combos * per_combo)


# Parameter names of the generated helpers; attribution labels become keyword arguments beside them.
HELPER_PARAMETERS = frozenset(
    {
        "self",
        "provider",
        "model",
        "request_type",
        "usage",
        "registry",
        "prompt_tokens",
        "completion_tokens",
        "cached_prompt_tokens",
        "reasoning_tokens",
        "labels",
    }
)

# A custom label with no declared values is assumed to take this many.
_UNBOUNDED_LABEL_GUESS = 10


def _metrics(
    spec: Spec, check: _Checker, names: dict[str, str], attribution: tuple[Attribution, ...], domains: dict[str, float]
) -> tuple[tuple[str, Metric], ...]:
    all_domains: dict[str, float] = {**domains, **{a.domain.name: a.domain.size for a in attribution}}
    result = []
    for key, default in DEFAULT_METRICS.items():
        override = getattr(spec.metrics, key)
        path: Path = ("metrics", key)
        name = override.name or default.name
        check.metric_name((*path, "name"), name, default.kind)
        buckets: tuple[float, ...] = ()
        if default.kind == "histogram":
            buckets = check.buckets(
                (*path, "buckets"), override.buckets if override.buckets is not None else default.buckets
            )
        elif override.buckets is not None:
            check.fail((*path, "buckets"), f"only histograms have buckets; {key} is a {default.kind}", key=True)
        labels = tuple(names[label] for label in default.labels)
        if key in ATTRIBUTED_METRICS:
            labels += tuple(a.domain.name for a in attribution)
        metric = Metric(
            key=key,
            kind=default.kind,
            name=name,
            help=override.help or default.help,
            labels=labels,
            buckets=buckets,
            series_estimate=_estimate(default.kind, labels, buckets, all_domains),
            multiprocess_mode=default.multiprocess_mode,
        )
        result.append((key, metric))
    return tuple(result)


def _custom_metrics(
    spec: Spec, check: _Checker, attribution: tuple[Attribution, ...], domains: dict[str, float]
) -> tuple[Metric, ...]:
    all_domains: dict[str, float] = {a.domain.name: a.domain.size for a in attribution}
    result = []
    for i, custom in enumerate(spec.custom_metrics):
        path: Path = ("custom_metrics", i)
        check.metric_name((*path, "name"), custom.name, custom.type)
        for j, label in enumerate(custom.labels):
            check.label_name((*path, "labels", j), label)
        if len(set(custom.labels)) != len(custom.labels):
            check.fail((*path, "labels"), "label names must be unique")
        buckets: tuple[float, ...] = ()
        if custom.type == "histogram":
            buckets = check.buckets(
                (*path, "buckets"), custom.buckets or (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            )
        elif custom.buckets is not None:
            check.fail((*path, "buckets"), f"only histograms have buckets; this metric is a {custom.type}", key=True)
        labels = tuple(custom.labels)
        result.append(
            Metric(
                key=f"custom.{custom.name}",
                kind=custom.type,
                name=custom.name,
                help=custom.help,
                labels=labels,
                buckets=buckets,
                series_estimate=_estimate(custom.type, labels, buckets, all_domains),
            )
        )
    return tuple(result)


def _check_collisions(check: _Checker, metrics: tuple[tuple[str, Metric], ...], custom: tuple[Metric, ...]) -> None:
    owners: dict[str, Metric] = {}
    entries: list[tuple[Path, Metric]] = [(("metrics", k, "name"), m) for k, m in metrics]
    entries += [(("custom_metrics", i, "name"), m) for i, m in enumerate(custom)]
    for path, metric in entries:
        for sample in (*metric.sample_names, metric.base_name):
            other = owners.get(sample)
            if other is not None and other.key != metric.key:
                what = f"{other.key}" if not other.key.startswith("custom.") else f"custom metric {other.name!r}"
                check.fail(
                    path, f"metric {metric.name!r} collides with {what} ({other.name!r}): both expose {sample!r}"
                )
                break
        for sample in (*metric.sample_names, metric.base_name):
            owners.setdefault(sample, metric)


def _check_thresholds(spec: Spec, check: _Checker, metrics: dict[str, Metric]) -> None:
    t = spec.thresholds
    fine = metrics["response_duration_fine"]
    if fine.buckets and t.latency.target not in fine.buckets:
        boundaries = ", ".join(format_number(b) for b in fine.buckets)
        check.fail(
            ("thresholds", "latency", "target"),
            f"latency target {format_number(t.latency.target)}s is not a bucket boundary of "
            f"metrics.response_duration_fine ({boundaries})",
        )
    if t.daily_cost_critical_budget is not None and t.daily_cost_critical_budget <= t.daily_cost_budget:
        check.fail(
            ("thresholds", "daily_cost_critical_budget"),
            f"must be greater than daily_cost_budget ({format_number(t.daily_cost_budget)})",
        )
    fastest_burn = float(FAST_BURN_RATE)
    lowest = 1 - 1 / fastest_burn
    if t.latency.objective < lowest:
        check.fail(
            ("thresholds", "latency", "objective"),
            f"must be at least {lowest:.4f}: below it the fast-burn page ({fastest_burn}x the error budget) "
            "can never fire",
        )
    wait = metrics["queue_wait"]
    if wait.buckets and t.queue_wait_p95_max >= wait.buckets[-1]:
        check.fail(
            ("thresholds", "queue_wait_p95_max"),
            f"must be below the last bucket of metrics.queue_wait ({format_number(wait.buckets[-1])}s): "
            "a p95 from that histogram never exceeds it",
        )
    if spec.service.scrape_interval > _MAX_SCRAPE_INTERVAL:
        check.fail(
            ("service", "scrape_interval"),
            "must be at most 2m: Prometheus forgets a series 5m after its last sample, so slower scrapes "
            "leave gaps in every rule",
        )
    states = spec.circuit_breakers.states
    for required in ("closed", "open"):
        if required not in states:
            check.fail(("circuit_breakers", "states"), f"must define the {required!r} state")
    if len(set(states.values())) != len(states):
        check.fail(("circuit_breakers", "states"), "each state needs its own number")
    for state in states:
        if not STATE_NAME_RE.match(state):
            check.fail(
                ("circuit_breakers", "states", state), "state names must be lower_snake_case identifiers", key=True
            )


def _check_values(spec: Spec, check: _Checker, fallback: str) -> None:
    """Label values must be unique and must not shadow the fallback value."""
    lists: list[tuple[Path, list[str]]] = [
        (("requests", "request_types"), spec.requests.request_types),
        (("requests", "error_types"), list(spec.requests.error_types)),
        (("queues", "types"), spec.queues.types),
        (("queues", "expiry_reasons"), spec.queues.expiry_reasons),
        (("circuit_breakers", "circuits"), spec.circuit_breakers.circuits),
    ]
    for path, values in lists:
        if len(set(values)) != len(values):
            check.fail(path, "values must be unique")
        if fallback in values:
            check.fail(
                path, f"{fallback!r} is the fallback for unknown values (unknown_models.label_value); pick another name"
            )
    if NO_ERROR in spec.requests.error_types:
        check.fail(
            ("requests", "error_types", NO_ERROR), f"{NO_ERROR!r} is the error_type of successful calls", key=True
        )
    for provider, entry in spec.pricing.providers.items():
        if provider == fallback:
            check.fail(("pricing", "providers", provider), f"{fallback!r} is the fallback label value", key=True)
        if fallback in entry.models:
            check.fail(
                ("pricing", "providers", provider, "models", fallback),
                f"{fallback!r} is the fallback label value",
                key=True,
            )
    url = spec.service.runbook_base_url
    if not url.startswith(("https://", "http://")):
        check.fail(("service", "runbook_base_url"), f"must be an http(s) URL, got {url!r}")
