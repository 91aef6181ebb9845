"""The generated README and runbooks, read back through a real Markdown renderer (markdown-it, GFM tables): every
metric, recording rule and alert sits in its own row with its values; spec text cannot break a table; every alert
has a runbook whose PromQL parses."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser

import promql_parser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from generator.alerting import alerts, runbook_url
from generator.emit import docs
from generator.lints import series_table
from generator.markdown import text_cell
from generator.model import Bundle
from generator.pipeline import load_bundle, render
from generator.promql import duration, selector
from generator.recording import recording_rules
from generator.rulefiles import rules_path
from generator.runbooks import runbook_path, runbooks
from generator.units import format_number

from .rules_support import ROOT

SPECS = {
    "shipped": ROOT / "specs" / "llm.yaml",
    "customised": ROOT / "tests" / "golden" / "customised" / "spec.yaml",
    "minimal": ROOT / "tests" / "golden" / "minimal" / "spec.yaml",
}
_MD = MarkdownIt("commonmark").enable("table")


@dataclass
class Doc:
    """A rendered Markdown file: its tables and code blocks by section (the last heading before them)."""

    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # section -> rows (header first) of cell text
    links: dict[str, list[str]] = field(default_factory=dict)  # section -> every href in its tables
    code: dict[str, list[str]] = field(default_factory=dict)  # section -> inline code spans outside tables
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (info, text) of every fenced block
    items: list[str] = field(default_factory=list)  # ordered-list items
    h1: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = Doc()
        self.section = ""
        self.text: list[str] | None = None
        self.heading: list[str] | None = None
        self.cell: list[str] | None = None
        self.row: list[str] = []
        self.code: list[str] = []
        self.in_table = self.in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3"):
            self.heading = []
        elif tag == "table":
            self.in_table = True
            self.doc.tables[self.section] = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag == "a" and self.in_table:
            self.doc.links.setdefault(self.section, []).append(dict(attrs)["href"] or "")
        elif tag == "li":
            self.text = []
        elif tag == "code":
            self.in_code, self.code = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self.heading is not None:
            self.section = "".join(self.heading)
            self.doc.h1 = self.doc.h1 or (self.section if tag == "h1" else "")
            self.heading = None
        elif tag == "table":
            self.in_table = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr":
            self.doc.tables[self.section].append(self.row)
            self.row = []
        elif tag == "li" and self.text is not None:
            self.doc.items.append("".join(self.text))
            self.text = None
        elif tag == "code":
            self.in_code = False
            if not self.in_table and self.heading is None and self.text is None:
                self.doc.code.setdefault(self.section, []).append("".join(self.code))

    def handle_data(self, data: str) -> None:
        for sink in (self.heading, self.cell, self.text):
            if sink is not None:
                sink.append(data)
        if self.in_code:
            self.code.append(data)


def read(markdown: str) -> Doc:
    """Render ``markdown`` as GitHub would (CommonMark and tables) and read it back."""
    reader = _Reader()
    reader.feed(_MD.render(markdown))
    reader.doc.blocks = [(t.info, t.content) for t in _MD.parse(markdown) if t.type == "fence"]
    return reader.doc


@cache
def _case(name: str) -> tuple[Bundle, dict[str, str]]:
    bundle = load_bundle(SPECS[name])
    return bundle, docs.emit(bundle)


@cache
def _readme(name: str) -> Doc:
    return read(_case(name)[1][docs.README_PATH])


CASES = list(SPECS)


@pytest.mark.parametrize("case", CASES)
def test_every_metric_has_its_row(case: str) -> None:
    bundle, _ = _case(case)
    assert _readme(case).tables["Metrics"] == [["Metric", "Type", "Labels", "Buckets", "Help"]] + [
        [
            m.name,
            m.kind,
            ", ".join(m.labels) or "—",
            ", ".join(format_number(b) for b in m.buckets) or "—",
            m.help,
        ]
        for m in bundle.all_metrics
    ]


@pytest.mark.parametrize("case", CASES)
def test_every_recording_rule_has_its_row(case: str) -> None:
    bundle, _ = _case(case)
    assert _readme(case).tables["Recording rules"] == [["Record", "Meaning", "Rule file"]] + [
        [r.record, r.meaning, rules_path(r.group)] for r in recording_rules(bundle)
    ]


@pytest.mark.parametrize("case", CASES)
def test_every_alert_has_its_row_and_runbook_link(case: str) -> None:
    bundle, files = _case(case)
    readme = _readme(case)
    assert readme.tables["Alerts"] == [["Alert", "Severity", "Threshold (spec)", "For", "Meaning", "Runbook"]] + [
        [a.name, a.severity, a.source.replace("`", ""), duration(a.for_seconds), a.meaning, runbook_path(a.name)]
        for a in alerts(bundle)
    ]
    assert readme.links["Alerts"] == [runbook_path(a.name) for a in alerts(bundle)]
    assert set(readme.links["Alerts"]) <= set(files)
    first = alerts(bundle)[0].name
    assert readme.code["Alerts"] == [
        "runbook_url", bundle.service.runbook_base_url, runbook_url(bundle, first), "runbooks/", "NAME.md", "NAME"
    ]


@pytest.mark.parametrize("case", CASES)
def test_series_estimate_is_the_lints_table(case: str) -> None:
    bundle, _ = _case(case)
    assert _readme(case).blocks == [("text", series_table(bundle) + "\n")]


def test_pipes_newlines_and_markup_in_help_texts_stay_in_their_cell() -> None:
    rows = {row[0]: row for row in _readme("customised").tables["Metrics"]}
    assert rows["search_reranked_documents_total"] == [
        "search_reranked_documents_total", "counter", "feature", "—", "Documents re-ranked | by *feature*\nand [tier]."
    ]
    assert rows["llm_provider_response_duration_seconds"][4] == (
        'Response time, with "quotes", a back\\slash, a\nnewline and """ triple quotes {{ $labels }} '
        "${datasource} — ünïcode."
    )
    lines = _case("customised")[1][docs.README_PATH].splitlines()
    row = next(line for line in lines if line.startswith("| `search_reranked_documents_total` |"))
    assert row == (
        "| `search_reranked_documents_total` | counter | `feature` | — | "
        "Documents re-ranked \\| by \\*feature\\*<br>and \\[tier\\]. |"
    )


@settings(max_examples=settings().max_examples * 12)  # cheap examples: twelve times more
@given(st.lists(st.sampled_from([*"ab ü|\\`*_[]<>&#!()~-+=:'\"\n\r\u2028{}$", "&amp;", "<br>", "&#124;"])).map("".join))
def test_any_text_survives_a_table_cell(text: str) -> None:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    table = read(f"| a | b |\n| --- | --- |\n| x | {text_cell(text)} |\n").tables[""]
    assert table == [["a", "b"], ["x", lines.strip(" ")]]


@pytest.mark.parametrize("case", CASES)
def test_every_alert_has_a_runbook_with_its_promql(case: str) -> None:
    bundle, files = _case(case)
    names = list(dict.fromkeys(a.name for a in alerts(bundle)))
    assert sorted(p for p in files if p.startswith("runbooks/")) == sorted(runbook_path(n) for n in names)
    where = [(k, "=", v) for k, v in bundle.service.selector]
    for book in runbooks(bundle):
        doc = read(files[runbook_path(book.name)])
        assert doc.h1 == book.name
        assert doc.tables["What it means"] == [["Severity", "Meaning", "Threshold (spec)", "For"]] + [
            [a.severity, a.meaning, a.source.replace("`", ""), duration(a.for_seconds)] for a in book.alerts
        ]
        assert len(doc.items) == len(book.checks) >= 2
        expected = [a.expr for a in book.alerts] + [q for _, q in book.extra_queries]
        expected += [q for r in book.related for q in (selector(r.record, where), r.expr)]
        assert doc.blocks == [("promql", q + "\n") for q in expected]
        for _, query in doc.blocks:
            promql_parser.parse(query)
        assert doc.code[book.name] == [bundle.service.team, runbook_url(bundle, book.name), "runbook_url"]


def test_runbooks_show_the_records_each_alert_reads_first() -> None:
    bundle, _ = _case("shipped")
    related = {b.name: [r.id for r in b.related] for b in runbooks(bundle)}
    assert related["LLMErrorRatioHigh"] == [
        "error_ratio", "request_rate", "latency_p50", "latency_p95", "latency_p99", "in_flight"
    ]
    assert related["LLMLatencyBudgetFastBurn"] == [
        "latency_over_target:5m", "latency_over_target:1h", "latency_under_target", "latency_over_target:30m",
        "latency_over_target:6h",
    ]
    assert related["LLMMetricsAbsent"] == []
    absent = next(b for b in runbooks(bundle) if b.name == "LLMMetricsAbsent")
    assert absent.extra_queries == (
        ("Whether Prometheus reaches the service's targets (1: up).", 'up{job="llm-gateway"}'),
    )


def test_docs_are_part_of_the_bundle(bundle: Bundle, rendered: dict[str, str]) -> None:
    ours = {p: t for p, t in rendered.items() if p == docs.README_PATH or p.startswith("runbooks/")}
    assert ours == docs.emit(bundle)
    assert render(bundle) == rendered


def test_header_is_a_hidden_comment() -> None:
    text = _case("shipped")[1][docs.README_PATH]
    assert text.startswith(
        "<!--\n  Generated from specs/llm.yaml by the LLM monitoring bundle generator: do not edit.\n"
        "  Change the spec and run `make generate` instead.\n-->\n\n# LLM monitoring bundle: llm-gateway\n"
    )
    assert _readme("shipped").h1 == "LLM monitoring bundle: llm-gateway"
