"""Emit the bundle's Markdown docs from jinja2 templates: ``README.md`` (a catalogue of every metric, recording
rule and alert, and the series estimate) and one runbook stub per alert, ``runbooks/<AlertName>.md``.

Every value is computed and escaped here; the templates only place them.
"""

from __future__ import annotations

from typing import Any

from ..alerting import Alert, alerts, runbook_url
from ..lints import series_table
from ..markdown import code, comment_header, fence, md_cell, text_cell
from ..model import Bundle, Metric
from ..promql import duration, selector
from ..recording import RecordingRule, recording_rules
from ..rulefiles import PROMETHEUS_RULE_PATH, rules_path
from ..runbooks import Runbook, runbook_path, runbooks
from ..templating import environment
from ..units import format_number

__all__ = ["README_PATH", "emit"]

README_PATH = "README.md"
NONE = "—"  # an empty cell: no labels, no buckets
_ENV = environment()


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _metric_row(m: Metric) -> str:
    labels = ", ".join(code(label) for label in m.labels) or NONE
    buckets = ", ".join(format_number(b) for b in m.buckets) or NONE
    return _row([code(m.name), m.kind, labels, buckets, text_cell(m.help)])


def _recording_row(r: RecordingRule) -> str:
    return _row([code(r.record), text_cell(r.meaning), code(rules_path(r.group))])


def _alert_row(a: Alert) -> str:
    link = f"[{runbook_path(a.name)}]({runbook_path(a.name)})"
    return _row([code(a.name), a.severity, md_cell(a.source), duration(a.for_seconds), text_cell(a.meaning), link])


def _contents(bundle: Bundle) -> list[str]:
    k8s = bundle.kubernetes
    rows = [
        ("python/", "the metrics module the service imports (it needs `prometheus_client` only)"),
        ("prometheus/rules/", "recording and alerting rules, one file per area; load them all with "
         "`prometheus/rules/*.yaml`"),
        ("prometheus/tests/", "promtool unit tests of every rule: `promtool test rules prometheus/tests/*.yaml`"),
        ("grafana/", "Grafana dashboards and their provisioning files"),
        (PROMETHEUS_RULE_PATH, f"every rule group in one Prometheus Operator `PrometheusRule`, "
         f"{code(k8s.name)} in namespace {code(k8s.namespace)}"),
    ]
    strategy = bundle.thanos.partial_response_strategy
    if strategy is not None:
        rows.append(("thanos/rules/", f"the rule files for Thanos Ruler, each group with "
                     f"`partial_response_strategy: {strategy}`"))
    rows.append(("runbooks/", "a runbook stub per alert, for `runbook_url` to point at"))
    return [_row([code(path), md_cell(what)]) for path, what in rows]


def _series(bundle: Bundle) -> dict[str, Any]:
    budget = bundle.max_series
    return {
        "series_block": fence(series_table(bundle), "text"),
        "series_budget": f"The spec's budget (`max_series`) is {budget:,}; generation fails above it."
        if budget is not None
        else "The spec sets no budget; add `max_series` to make generation fail above one.",
    }


def _readme(bundle: Bundle) -> str:
    return _ENV.get_template("bundle_readme.md.j2").render(
        header=comment_header(bundle.source),
        service=text_cell(bundle.service.name),
        source=code(bundle.source),
        contents=_contents(bundle),
        metrics=[_metric_row(m) for m in bundle.all_metrics],
        recording=[_recording_row(r) for r in recording_rules(bundle)],
        alerts=[_alert_row(a) for a in alerts(bundle)],
        runbook_base_url=code(bundle.service.runbook_base_url),
        example_url=code(runbook_url(bundle, alerts(bundle)[0].name)),
        **_series(bundle),
    )


def _investigate(bundle: Bundle, book: Runbook) -> list[str]:
    """The paragraphs and PromQL blocks of a runbook's last section."""
    where = [(k, "=", v) for k, v in bundle.service.selector]
    blocks: list[str] = []
    for a in book.alerts:
        blocks += [f"The alert's expression ({a.severity}):", fence(a.expr, "promql")]
    for what, query in book.extra_queries:
        blocks += [text_cell(what), fence(query, "promql")]
    for r in book.related:
        blocks += [f"### {code(r.record)}", text_cell(r.meaning), fence(selector(r.record, where), "promql"),
                   "Recorded from:", fence(r.expr, "promql")]
    if not book.related:
        blocks.append("No recording rule feeds this alert.")
    return blocks


def _runbook(bundle: Bundle, book: Runbook) -> str:
    first = book.alerts[0]
    return _ENV.get_template("runbook.md.j2").render(
        header=comment_header(bundle.source),
        name=book.name,
        summary=text_cell(dict(first.annotations)["summary"]),
        levels=[
            _row([a.severity, text_cell(a.meaning), md_cell(a.source), duration(a.for_seconds)]) for a in book.alerts
        ],
        team=code(bundle.service.team),
        url=code(runbook_url(bundle, book.name)),
        checks=list(book.checks),
        investigate=_investigate(bundle, book),
    )


def emit(bundle: Bundle) -> dict[str, str]:
    """``README.md`` and ``runbooks/<AlertName>.md`` for every alert name."""
    files = {README_PATH: _readme(bundle)}
    for book in runbooks(bundle):
        files[runbook_path(book.name)] = _runbook(bundle, book)
    return files
