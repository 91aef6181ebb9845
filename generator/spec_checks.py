"""Cross-field rules of the spec that pydantic cannot express, each failing with its place in the file."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable

from .conventions import FAST_BURN_RATE, LABEL_NAME_RE, METRIC_NAME_RE, NO_ERROR, RESERVED_LABELS
from .errors import SpecError
from .model import Metric
from .spec import Spec
from .units import format_number
from .yaml_source import Located

__all__ = ["TARGET_LABELS", "Checker", "check_collisions", "check_target_labels", "check_thresholds", "check_values"]

Path = tuple[str | int, ...]

_MAX_SCRAPE_INTERVAL = 120.0
STATE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Checker:
    """Collects every cross-field problem with its place in the spec."""

    def __init__(self, located: Located) -> None:
        self.located = located
        self.errors: list[SpecError] = []

    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        self.errors.append(self.located.error(path, message, key=key))

    def label_name(self, path: Path, name: str, *, key: bool = False) -> None:
        if not LABEL_NAME_RE.match(name):
            self.fail(
                path,
                f"invalid label name {name!r}: use letters, digits and underscores, not starting with a digit",
                key=key,
            )
        elif name.startswith("__"):
            self.fail(
                path, f"label name {name!r} is reserved: names starting with __ are internal to Prometheus", key=key
            )
        elif name in RESERVED_LABELS:
            self.fail(path, f"label name {name!r} is reserved by Prometheus for histograms and summaries", key=key)

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


def check_collisions(check: Checker, metrics: tuple[tuple[str, Metric], ...], custom: tuple[Metric, ...]) -> None:
    owners: dict[str, Metric] = {}
    entries: list[tuple[Path, Metric]] = [(("metrics", k, "name"), m) for k, m in metrics]
    entries += [(("custom_metrics", i, "name"), m) for i, m in enumerate(custom)]
    for path, metric in entries:
        for sample in (*metric.sample_names, metric.base_name):
            other = owners.get(sample)
            if other is not None and other is not metric:
                if other.name == metric.name:
                    where = (
                        f"metrics.{other.key}" if not other.key.startswith("custom.") else "an earlier custom metric"
                    )
                    check.fail(path, f"metric {metric.name!r} is already defined by {where}")
                else:
                    what = other.key if not other.key.startswith("custom.") else "custom metric"
                    check.fail(
                        path, f"metric {metric.name!r} collides with {what} ({other.name!r}): both expose {sample!r}"
                    )
                break
        for sample in (*metric.sample_names, metric.base_name):
            owners.setdefault(sample, metric)


def check_thresholds(spec: Spec, check: Checker, metrics: dict[str, Metric]) -> None:
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


def check_values(spec: Spec, check: Checker, fallback: str) -> None:
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
    seen: dict[str, str] = {}
    for error_type, classes in spec.requests.error_types.items():
        for i, name in enumerate(classes):
            if name in seen and seen[name] != error_type:
                check.fail(
                    ("requests", "error_types", error_type, i),
                    f"exception class {name!r} is already mapped to error type {seen[name]!r}",
                )
            seen.setdefault(name, error_type)
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


# Labels Prometheus attaches to every scraped series: a metric label of the same name would be
# renamed exported_<name> at scrape time, and every rule matching it would silently match nothing.
TARGET_LABELS = ("job", "instance")


def check_target_labels(
    check: Checker, spec: Spec, metrics: tuple[tuple[str, Metric], ...], custom: tuple[Metric, ...]
) -> None:
    """No metric label may share a name with a target, selector or source label."""
    taken = {*TARGET_LABELS, *spec.service.selector, *spec.service.source_labels}
    places: dict[str, Path] = {final: ("label_names", semantic) for semantic, final in spec.label_names.items()}
    places |= {name: ("attribution", name) for name in spec.attribution}
    for i, metric in enumerate(custom):
        places |= {label: ("custom_metrics", i, "labels", j) for j, label in enumerate(metric.labels)}
    used = {label for _, m in metrics for label in m.labels} | {label for m in custom for label in m.labels}
    for label in sorted(used & taken):
        where = "a selector or source label" if label not in TARGET_LABELS else "a label Prometheus adds at scrape"
        check.fail(
            places.get(label, ("service", "selector", label)),
            f"label name {label!r} is also {where}: scraped series would carry it as exported_{label}",
            key=True,
        )
