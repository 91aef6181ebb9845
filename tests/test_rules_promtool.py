"""The generated rules pass promtool's checks and their generated unit tests; the wrapper reports failures
by file and rule; the generated tests fail when a rule is wrong."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PromCounter

from generator.alerting import alerts
from generator.model import Bundle
from generator.promtool import (
    INSTALL_HINT,
    CheckedFile,
    MetricProblem,
    PassedFile,
    Promtool,
    PromtoolFailed,
    PromtoolNotFound,
    Version,
    find_promtool,
)
from generator.recording import recording_rules
from generator.rulefiles import areas, rules_path, unit_tests_path

from .rules_support import prometheus_files, unit_tests_in, write

Shipped = tuple[dict[str, str], Path]


@pytest.fixture(scope="module")
def tool() -> Promtool:
    """The promtool on PATH; a missing one fails with the install hint (never a skip)."""
    return find_promtool()


@pytest.fixture(scope="module")
def shipped(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Shipped:
    """The shipped spec's rule and test files, in memory and written to a temporary directory."""
    files = prometheus_files(bundle)
    return files, write(files, tmp_path_factory.mktemp("shipped"))


def test_promtool_is_the_oldest_supported_version(tool: Promtool) -> None:
    # The rules must not use anything newer than 2.42: checking them with 2.42 proves it.
    assert tool.version() == Version(2, 42, 0)


def test_pipeline_renders_the_same_prometheus_files(bundle: Bundle, rendered: dict[str, str]) -> None:
    assert {k: v for k, v in rendered.items() if k.startswith("prometheus/")} == prometheus_files(bundle)


Shipped = tuple[dict[str, str], Path]


def test_rules_pass_check_rules_lint_fatal(bundle: Bundle, tool: Promtool, shipped: Shipped) -> None:
    _, root = shipped
    checked = tool.check_rules([root.parent / rules_path(a) for a in areas(bundle)])
    per_area = Counter([r.group for r in recording_rules(bundle)] + [a.group for a in alerts(bundle)])
    assert checked == tuple(CheckedFile(str(root.parent / rules_path(a)), per_area[a]) for a in areas(bundle))
    assert sum(per_area.values()) == len(recording_rules(bundle)) + len(alerts(bundle)) == 39


def test_generated_unit_tests_pass(bundle: Bundle, tool: Promtool, shipped: Shipped) -> None:
    _, root = shipped
    files = [root.parent / unit_tests_path(a) for a in areas(bundle)]
    assert tool.test_rules(files) == tuple(PassedFile(str(f)) for f in files)


def test_every_recording_rule_has_a_value_test(bundle: Bundle, shipped: Shipped) -> None:
    files, _ = shipped
    queried = {e["expr"] for _, t in unit_tests_in(files) for e in t.get("promql_expr_test", [])}
    for r in recording_rules(bundle):
        assert any(q.startswith(f"round({r.record}, ") for q in queried), r.record


def test_every_alert_has_a_firing_and_a_quiet_case(bundle: Bundle, shipped: Shipped) -> None:
    files, _ = shipped
    checks = [c for _, t in unit_tests_in(files) for c in t.get("alert_rule_test", [])]
    for a in alerts(bundle):
        mine = [c for c in checks if c["alertname"] == a.name]
        severities = [{x["exp_labels"]["severity"] for x in c["exp_alerts"]} for c in mine]
        assert any(a.severity in s for s in severities), f"{a.key} never fires in a test"
        assert any(a.severity not in s for s in severities), f"{a.key} is never shown quiet"


def test_a_projection_off_by_3600_fails_its_test(
    bundle: Bundle, tool: Promtool, shipped: Shipped, tmp_path: Path
) -> None:
    """The seed's defect (`rate(...) * 24`) is caught, and the failure names the file and the rule."""
    files, _ = shipped
    cost = files[rules_path("cost")]
    broken = {**files, rules_path("cost"): cost.replace("[1h])) * 86400", "[1h])) * 24")}
    assert broken[rules_path("cost")] != cost
    root = write(broken, tmp_path)
    with pytest.raises(PromtoolFailed) as failed:
        tool.test_rules([root.parent / unit_tests_path("cost")])
    (failure,) = failed.value.failures
    assert failure.file == str(root.parent / unit_tests_path("cost"))
    assert "round(job:llm_provider_cost_dollars:projected_daily_rate1h, 0.01)" in failure.names
    assert "LLMDailyCostProjectionOverBudget" in failure.names
    assert str(failure.file) in str(failed.value)


def test_a_lowered_alert_threshold_fails_the_safe_side_case(
    tool: Promtool, shipped: Shipped, tmp_path: Path
) -> None:
    files, _ = shipped
    traffic = files[rules_path("traffic")]
    broken = {**files, rules_path("traffic"): traffic.replace("error_ratio_rate5m{job=\"llm-gateway\"} > 0.05",
                                                              "error_ratio_rate5m{job=\"llm-gateway\"} > 0.04")}
    assert broken[rules_path("traffic")] != traffic
    root = write(broken, tmp_path)
    with pytest.raises(PromtoolFailed) as failed:
        tool.test_rules([root.parent / unit_tests_path("traffic")])
    (failure,) = failed.value.failures
    assert failure.names == ("LLMErrorRatioHigh (warning), safe side: 0.0495 against > 0.05", "LLMErrorRatioHigh")


def test_check_rules_failure_names_file_and_rule(tool: Promtool, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('groups:\n- name: g\n  rules:\n  - record: job:x:rate5m\n    expr: sum(rate(x_total[5m])\n')
    dup = tmp_path / "dup.yaml"
    dup.write_text("groups:\n- name: g\n  rules:\n" + "  - alert: Down\n    expr: up == 0\n" * 2)
    with pytest.raises(PromtoolFailed) as failed:
        tool.check_rules([bad, dup])
    assert [(f.file, f.names) for f in failed.value.failures] == [(str(bad), ("job:x:rate5m",)), (str(dup), ("Down",))]
    assert "unclosed left parenthesis" in failed.value.failures[0].detail
    assert "duplicate rule" in failed.value.failures[1].detail


def test_missing_promtool_raises_with_the_install_hint(tmp_path: Path) -> None:
    with pytest.raises(PromtoolNotFound, match="apt-get install --no-install-recommends prometheus"):
        find_promtool(str(tmp_path / "promtool"))
    with pytest.raises(PromtoolNotFound) as gone:
        Promtool(str(tmp_path / "vanished")).version()
    assert INSTALL_HINT in str(gone.value)


def _exposition(bundle: Bundle) -> str:
    """The bundle's metrics as prometheus_client exposes them, one labelled child each."""
    registry = CollectorRegistry()
    kinds = {"counter": PromCounter, "gauge": Gauge, "histogram": Histogram}
    for m in bundle.all_metrics:
        extra = {"buckets": m.buckets} if m.kind == "histogram" else {}
        metric = kinds[m.kind](m.base_name, m.help, m.labels, registry=registry, **extra)
        child = metric.labels(*(["x"] * len(m.labels))) if m.labels else metric
        if m.kind == "histogram":
            child.observe(1.0)
        else:
            child.inc()
    return generate_latest(registry).decode()


def test_check_metrics_accepts_the_bundles_metrics(bundle: Bundle, tool: Promtool) -> None:
    assert tool.check_metrics(_exposition(bundle)) == ()


def test_check_metrics_reports_each_problem(tool: Promtool) -> None:
    text = "# TYPE llm_calls counter\nllm_calls 1\n"
    expected = (
        MetricProblem("llm_calls", 'counter metrics should have "_total" suffix'),
        MetricProblem("llm_calls", "no help text"),
    )
    assert tool.check_metrics(text, fatal=False) == expected
    with pytest.raises(PromtoolFailed, match='llm_calls: counter metrics should have "_total" suffix') as failed:
        tool.check_metrics(text)
    assert failed.value.problems == expected
