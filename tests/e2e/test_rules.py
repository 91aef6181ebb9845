"""Prometheus loads every generated rule, evaluates each without error, and every recording rule yields numbers."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from generator.recording import recording_rules
from tests.e2e.scenario import ScenarioRun
from tests.e2e.stack import Stack

pytestmark = pytest.mark.e2e


def test_the_scenario_ran_every_phase(stack: Stack, run: ScenarioRun) -> None:
    failed = [str(w) for w in run.waits.values() if not w.ok]
    assert failed == [], "\n".join(failed) + "\n" + stack.diagnostics()


def test_every_rule_file_is_loaded(stack: Stack, run: ScenarioRun) -> None:
    loaded = Counter((g.name, len(g.rules)) for g in stack.api.rule_groups())
    written = Counter((g["name"], len(g["rules"])) for g in stack.prepared.rule_groups)
    assert loaded == written
    assert stack.prepared.records, "the bundle has no recording rules"
    assert stack.prepared.alert_names, "the bundle has no alerting rules"


def test_every_group_is_evaluated_every_second(stack: Stack, run: ScenarioRun) -> None:
    groups = stack.api.rule_groups()
    assert {g.interval for g in groups} == {1.0}
    assert all(g.last_evaluation > run.marks["pause"] for g in groups)


def test_every_rule_is_healthy(stack: Stack, run: ScenarioRun) -> None:
    unhealthy = [
        (g.name, r.name, r.health, r.last_error)
        for g in stack.api.rule_groups()
        for r in g.rules
        if (r.health, r.last_error) != ("ok", "")
    ]
    assert unhealthy == []


def test_the_recording_rules_are_the_catalogue(stack: Stack) -> None:
    assert sorted(stack.prepared.records) == sorted(r.record for r in recording_rules(stack.prepared.bundle))


def test_every_recording_rule_returns_finite_numbers(stack: Stack, run: ScenarioRun) -> None:
    empty, not_finite = [], []
    for record in stack.prepared.records:
        samples = stack.api.query(f"{record}{{{stack.job_selector}}}")
        if not samples:
            empty.append(record)
        not_finite += [(record, s.labels, s.value) for s in samples if not math.isfinite(s.value)]
    assert (empty, not_finite) == ([], [])


def test_recorded_series_keep_the_catalogue_labels(stack: Stack, run: ScenarioRun) -> None:
    wrong = []
    for rule in recording_rules(stack.prepared.bundle):
        for sample in stack.api.query(rule.record):
            if set(sample.labels) != {"__name__", *rule.by}:
                wrong.append((rule.record, sorted(sample.labels)))
    assert wrong == []
