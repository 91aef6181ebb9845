"""Map a validated Spec onto the Bundle model: apply defaults, derive names, check cross-field rules."""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from dataclasses import replace

from .conventions import (
    ATTRIBUTED_METRICS,
    DEFAULT_METRICS,
    HELPERS,
    NO_ERROR,
    OUTCOMES,
    SEMANTIC_LABELS,
    TOKEN_TYPES,
)
from .errors import SpecInvalid
from .lints import check_series_budget, naming_warnings
from .model import Attribution, Bundle, LabelDomain, Metric, Price, Service, Thresholds
from .resolve_deploy import resolve_kubernetes, resolve_thanos
from .spec import Spec
from .spec_checks import Checker, check_collisions, check_target_labels, check_thresholds, check_values
from .yaml_source import Located

__all__ = ["resolve"]

Path = tuple[str | int, ...]


def resolve(spec: Spec, located: Located, source: str) -> Bundle:
    """Resolve ``spec`` into a Bundle, or raise SpecInvalid with every cross-field problem."""
    check = Checker(located)
    fallback = spec.unknown_models.label_value
    label_names = _label_names(spec, check)
    names = dict(label_names)
    prices = _prices(spec)
    attribution = _attribution(spec, check, set(names.values()))
    domains = _domains(spec, prices, fallback, names)
    metrics = _metrics(spec, check, names, attribution, domains)
    custom = _custom_metrics(spec, check, attribution, domains)
    check_collisions(check, metrics, custom)
    check_target_labels(check, spec, metrics, custom)
    check_thresholds(spec, check, dict(metrics))
    check_values(spec, check, fallback)
    for i, source_label in enumerate(spec.service.source_labels):
        check.label_name(("service", "source_labels", i), source_label)
    for label in spec.service.selector:
        check.label_name(("service", "selector", label), label)
    kubernetes = resolve_kubernetes(spec, check)
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
        kubernetes=kubernetes,
        thanos=resolve_thanos(spec),
    )
    check_series_budget(bundle, located)
    return replace(bundle, warnings=tuple(str(w) for w in naming_warnings(bundle, located)))


def _label_names(spec: Spec, check: Checker) -> tuple[tuple[str, str], ...]:
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


def _attribution(spec: Spec, check: Checker, taken: set[str]) -> tuple[Attribution, ...]:
    result = []
    for name, entry in spec.attribution.items():
        path: Path = ("attribution", name)
        check.label_name(path, name, key=True)
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
    spec: Spec, check: Checker, names: dict[str, str], attribution: tuple[Attribution, ...], domains: dict[str, float]
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
            help=override.help or _default_help(spec, key, default.help),
            labels=labels,
            buckets=buckets,
            series_estimate=_estimate(default.kind, labels, buckets, all_domains),
            multiprocess_mode=default.multiprocess_mode,
        )
        result.append((key, metric))
    return tuple(result)


def _default_help(spec: Spec, key: str, text: str) -> str:
    """The default help; the breaker's names the spec's own state encoding."""
    if key != "circuit_breaker":
        return text
    states = ", ".join(f"{name} {value}" for name, value in spec.circuit_breakers.states.items())
    return f"Circuit breaker state ({states})."


def _custom_metrics(
    spec: Spec, check: Checker, attribution: tuple[Attribution, ...], domains: dict[str, float]
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
                (*path, "buckets"),
                custom.buckets
                if custom.buckets is not None
                else (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            )
        elif custom.buckets is not None:
            check.fail((*path, "buckets"), f"only histograms have buckets; this metric is a {custom.type}", key=True)
        if custom.multiprocess_mode is not None and custom.type != "gauge":
            check.fail(
                (*path, "multiprocess_mode"),
                f"only gauges have a multiprocess_mode; this metric is a {custom.type}",
                key=True,
            )
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
                multiprocess_mode=custom.multiprocess_mode or "",
            )
        )
    return tuple(result)
