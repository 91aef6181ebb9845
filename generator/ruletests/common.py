"""What a promtool test case is, and the label values and timing every case draws from the Bundle."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from prometheus_client.utils import floatToGoString

from ..alerting import Alert, alerts
from ..model import Bundle
from ..promql import duration, matchers
from ..recording import RecordingRule, recording_rules
from ..units import format_number
from .series import Labels, Signal, decoy, exact

__all__ = ["AlertCheck", "Case", "Ctx", "ExpectedAlert", "ExprCheck", "LeStyle", "eval_interval"]

# Areas whose alerts watch gauges and heartbeats: Prometheus' default 1m evaluates them, on a scrape or not.
_GAUGE_AREAS = ("circuit-breakers", "availability")


def eval_interval(area: str, scrape_interval: Fraction) -> int:
    """The ``evaluation_interval`` of an area's tests, in seconds: 1m, or for areas watching rates the first whole
    multiple of the scrape interval from 1m, so every evaluation lands on a scrape and the first evaluation at
    which an alert's expression holds is predictable; ``for`` is pinned to the evaluation either way (held for
    ``for`` fires, one evaluation less does not)."""
    steps = math.ceil(Fraction(60) / scrape_interval)
    while area not in _GAUGE_AREAS and (steps * scrape_interval).denominator != 1:
        steps += 1
    return 60 if area in _GAUGE_AREAS else int(steps * scrape_interval)

LeStyle = Literal["client", "normalised"]


@dataclass(frozen=True)
class ExprCheck:
    """A ``promql_expr_test``: the exact samples ``expr`` returns at ``at`` seconds."""

    expr: str
    at: float
    samples: tuple[tuple[Labels, Fraction], ...]

    def as_yaml(self) -> dict[str, Any]:
        """The YAML entry."""
        return {
            "expr": self.expr,
            "eval_time": duration(self.at),
            "exp_samples": [{"labels": f"{{{matchers((k, '=', v) for k, v in labels)}}}", "value": float(value)}
                            for labels, value in self.samples],
        }


@dataclass(frozen=True)
class ExpectedAlert:
    """One firing alert with its full labels (alertname aside) and rendered annotations."""

    labels: Labels
    annotations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AlertCheck:
    """An ``alert_rule_test``: exactly these alerts of ``alertname`` fire at ``at`` seconds."""

    alertname: str
    at: float
    alerts: tuple[ExpectedAlert, ...]

    def as_yaml(self) -> dict[str, Any]:
        """The YAML entry."""
        return {
            "eval_time": duration(self.at),
            "alertname": self.alertname,
            "exp_alerts": [{"exp_labels": dict(a.labels), "exp_annotations": dict(a.annotations)} for a in self.alerts],
        }


@dataclass(frozen=True)
class Case:
    """One entry of ``tests:``: input series (and decoys of another service) with expectations."""

    area: str  # the rule file (rulefiles.areas) whose rules the case exercises
    name: str
    signals: tuple[Signal, ...]
    decoys: tuple[Signal, ...] = ()
    exprs: tuple[ExprCheck, ...] = ()
    alerts: tuple[AlertCheck, ...] = ()

    def as_yaml(self, interval: Fraction) -> dict[str, Any]:
        """The YAML entry; ``interval`` is always written (promtool silently uses 0 without it)."""
        test: dict[str, Any] = {
            "name": self.name,
            "interval": duration(float(interval)),
            "input_series": [s.as_input(interval) for s in (*self.signals, *self.decoys)],
        }
        if self.exprs:
            test["promql_expr_test"] = [e.as_yaml() for e in self.exprs]
        if self.alerts:
            test["alert_rule_test"] = [a.as_yaml() for a in self.alerts]
        return test


def _pairs(bundle: Bundle) -> tuple[tuple[str, str], ...]:
    """Up to three (provider, model) pairs: two models of one provider and one of another where the price table
    has them, so per-model, per-provider and total sums all differ; the fallback pair fills in."""
    priced = [(p.provider, p.model) for p in bundle.prices]
    first = priced[0]
    same = [pm for pm in priced[1:] if pm[0] == first[0]][:1]
    other = [pm for pm in priced if pm[0] != first[0]][:1]
    fb = (bundle.fallback, bundle.fallback)
    return tuple(dict.fromkeys([first, *same, *other, fb]))[:3]


def _padded(values: Sequence[str], fallback: str, count: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*values, fallback)))[:count]


class Ctx:
    """Label values (all from the Bundle) and the time grid of a bundle's test cases."""

    def __init__(self, bundle: Bundle, area: str, le_style: LeStyle = "client") -> None:
        self.b = bundle
        self.area = area
        self.s = exact(bundle.service.scrape_interval)
        self.e = eval_interval(area, self.s)
        self.le_style = le_style
        self.alerts: tuple[Alert, ...] = alerts(bundle)
        self.rules = {r.id: r for r in recording_rules(bundle)}
        fb = bundle.fallback
        self.pairs = _pairs(bundle)
        self.providers = tuple(dict.fromkeys(p for p, _ in self.pairs))
        self.queues = _padded(bundle.queue_types, fb, 2)
        self.reasons = _padded(bundle.expiry_reasons, fb, 2)
        self.circuits = _padded(bundle.circuits, fb, 2)
        self.request_type = _padded(bundle.request_types, fb, 1)[0]
        self.error_type = _padded([e for e, _ in bundle.error_types], fb, 1)[0]

    def rule(self, rule_id: str) -> RecordingRule:
        """The recording rule ``rule_id``."""
        return self.rules[rule_id]

    def le(self, bound: float) -> str:
        """A bucket's ``le`` as prometheus_client writes it (``1.0``) or as Prometheus 3 stores it (``1``)."""
        if self.le_style == "client" or math.isinf(bound):
            return str(floatToGoString(bound))  # type: ignore[no-untyped-call]
        return format_number(bound)

    def base(self, instance: str, source: int = 1) -> Labels:
        """The target labels of one scraped instance: the service selector, the source labels of source number
        ``source`` (``cluster="cluster-1"``) and ``instance``."""
        labels = dict(self.b.service.selector)
        labels.update({s: f"{s}-{source}" for s in self.b.service.source_labels if s not in labels})
        labels.setdefault("instance", instance)
        return tuple(labels.items())

    def labels(self, key: str, instance: str, **semantic: str) -> Labels:
        """Every label of pattern metric ``key`` on ``instance``, given its semantic labels' values."""
        given = {self.b.label(k): v for k, v in semantic.items()}
        domains = {a.domain.name: a.domain for a in self.b.attribution}
        own = []
        for name in self.b.metric(key).labels:
            if name in given:
                own.append((name, given[name]))
            elif name in domains:  # instance "a" records the first value, others the second (or the fallback)
                values = _padded(domains[name].values, domains[name].fallback, 2)
                own.append((name, values[0] if instance == "a" else values[-1]))
            else:
                raise KeyError(f"no value for label {name!r} of {key}")
        return self.base(instance) + tuple(own)

    def decoys(self, signals: Sequence[Signal]) -> tuple[Signal, ...]:
        """The same series from another service; every rule must ignore them."""
        first = self.b.service.selector[0][0]
        return tuple(decoy(s, first) for s in signals)

    def steps(self, seconds: float | Fraction) -> int:
        """Scrape intervals needed for samples to reach ``seconds`` (and one more)."""
        return math.ceil(Fraction(seconds) / self.s) + 1

    def evals(self, seconds: float | Fraction) -> int:
        """``seconds`` rounded up to whole evaluation intervals, in seconds."""
        return math.ceil(Fraction(seconds) / self.e) * self.e

    def steady(self, window: float | Fraction) -> int:
        """The first evaluation at which a ``window`` range holds only samples of a series that began at 0."""
        return self.evals(Fraction(window) + self.s)
