"""PromQL for dashboard panels: recorded series and raw samples, filtered by the dashboard's variables.

Every query names a series through this module, so a panel can only read a metric of the bundle or a
record of the recording-rule catalogue, and always carries a matcher for each variable whose label the
series has (the selector labels, ``provider`` and ``model``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..alerting import heartbeat_sample
from ..model import Bundle, Metric
from ..promql import by, number, selector
from ..recording import RecordingRule, recording_rules

__all__ = ["RATE_INTERVAL", "Queries", "legend", "literal_matcher", "sum_by"]

# Grafana's range for raw rate()/increase(): at least four scrape intervals, whatever the step.
RATE_INTERVAL = "$__rate_interval"

Matcher = tuple[str, str, str]


def sum_by(labels: Sequence[str], expr: str) -> str:
    """``sum by (labels) (expr)``, or ``sum(expr)`` without labels."""
    return f"sum {by(labels)} ({expr})" if labels else f"sum({expr})"


def literal_matcher(name: str, value: str) -> Matcher:
    """``name="value"``, safe from Grafana's variable interpolation (``$var``, ``${var}``, ``[[var]]``).

    A value with ``$`` or ``[[`` is matched by an equivalent regex that spells ``$`` as ``[$]``.
    """
    if "$" not in value and "[[" not in value:
        return (name, "=", value)
    return (name, "=~", re.escape(value).replace("\\$", "[$]"))


def legend(*labels: str) -> str:
    """A legend template such as ``{{provider}} / {{model}}``."""
    return " / ".join("{{" + label + "}}" for label in labels)


class Queries:
    """Builds the selectors and aggregations of one bundle's dashboard queries.

    >>> q = Queries(bundle)  # doctest: +SKIP
    >>> q.recorded("request_rate")  # doctest: +SKIP
    'job_provider_model:llm_provider_requests:rate5m{job=~"$job", provider=~"$provider", model=~"$model"}'
    """

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.selector_labels = tuple(name for name, _ in bundle.service.selector)
        self.rules: dict[str, RecordingRule] = {r.id: r for r in recording_rules(bundle)}

    @property
    def variables(self) -> tuple[str, ...]:
        """Label-filter variable names, in dashboard order: selector labels, then provider and model."""
        return tuple(dict.fromkeys((*self.selector_labels, self.label("provider"), self.label("model"))))

    def label(self, semantic: str) -> str:
        """The final name of a semantic label (``provider`` may be renamed in the spec)."""
        return self.bundle.label(semantic)

    def labels(self, *semantic: str) -> tuple[str, ...]:
        """Final names of several semantic labels."""
        return tuple(self.label(s) for s in semantic)

    def filters(self, series_labels: Iterable[str]) -> tuple[Matcher, ...]:
        """One ``label=~"$label"`` matcher per dashboard variable the series carries."""
        present = set(series_labels)
        return tuple((name, "=~", f"${name}") for name in self.variables if name in present)

    def rule(self, rule_id: str) -> RecordingRule:
        """A rule of the catalogue by id."""
        return self.rules[rule_id]

    def rules_with_prefix(self, prefix: str) -> tuple[RecordingRule, ...]:
        """Catalogue rules whose id starts with ``prefix``, in catalogue order."""
        return tuple(r for r in self.rules.values() if r.id.startswith(prefix))

    def recorded(self, rule_id: str) -> str:
        """The recorded series of a rule, filtered by the dashboard variables."""
        return self.record(self.rule(rule_id))

    def record(self, rule: RecordingRule) -> str:
        """The recorded series of ``rule``, filtered by the dashboard variables."""
        return selector(rule.record, self.filters(rule.by))

    def sum_recorded(self, rule_id: str, *semantic: str) -> str:
        """``sum by (labels) (record{filters})``: drops the selector labels a rule keeps."""
        return sum_by(self.labels(*semantic), self.recorded(rule_id))

    def series_labels(self, metric: Metric) -> tuple[str, ...]:
        """Labels a raw sample of ``metric`` carries once scraped (target labels included)."""
        return (*self.selector_labels, *self.bundle.service.source_labels, *metric.labels)

    def raw(self, metric: Metric, suffix: str = "", extra: Sequence[Matcher] = ()) -> str:
        """A raw sample selector of ``metric`` (``suffix`` such as ``_bucket``), filtered."""
        return selector(metric.name + suffix, (*self.filters(self.series_labels(metric)), *extra))

    def rate(self, metric: Metric, suffix: str = "", extra: Sequence[Matcher] = ()) -> str:
        """``rate(sample{filters}[$__rate_interval])``."""
        return f"rate({self.raw(metric, suffix, extra)}[{RATE_INTERVAL}])"

    def sum_rate(self, metric: Metric, labels: Sequence[str], suffix: str = "", extra: Sequence[Matcher] = ()) -> str:
        """``sum by (labels) (rate(...))`` over a raw counter or histogram series."""
        return sum_by(labels, self.rate(metric, suffix, extra))

    def quantile(self, q: float, metric: Metric, labels: Sequence[str]) -> str:
        """``histogram_quantile`` over a raw histogram, keeping ``labels``."""
        return f"histogram_quantile({number(q)}, {self.sum_rate(metric, (*labels, 'le'), '_bucket')})"

    def bucket_rates(self, metric: Metric) -> str:
        """Per-bucket rates of a histogram, for a heatmap of pre-computed buckets."""
        return self.sum_rate(metric, ("le",), "_bucket")

    def variable_query(self, label: str) -> str:
        """``label_values(...)`` of a variable, narrowed to the spec's selector and the variables before it.

        Selector labels read the sample the module always exposes; provider and model read the requests
        counter, which has a series for every pair called.
        """
        spec_selector = tuple(literal_matcher(k, v) for k, v in self.bundle.service.selector)
        if label in self.selector_labels:
            return f"label_values({selector(heartbeat_sample(self.bundle), spec_selector)}, {label})"
        requests = self.bundle.metric("requests")
        before = self.variables[: self.variables.index(label)]
        narrowed = tuple(m for m in self.filters(before) if m[0] not in self.selector_labels)
        return f"label_values({selector(requests.name, (*spec_selector, *narrowed))}, {label})"
