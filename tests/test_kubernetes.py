"""The PrometheusRule object: valid against the operator's CRD, nothing the API server would prune, its groups
exactly those of the rule files and promtool-clean, its metadata from the spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.alerting import alerts
from generator.conventions import prometheus_rule_name
from generator.emit import kubernetes, rules, thanos
from generator.model import Bundle
from generator.pipeline import load_bundle
from generator.promtool import Promtool, find_promtool
from generator.recording import recording_rules
from generator.resolve_deploy import DNS_SUBDOMAIN_RE
from generator.rulefiles import PROMETHEUS_RULE_PATH, areas, rules_path, thanos_rules_path
from generator.rulegroups import PARTIAL_RESPONSE_KEY

from .rules_support import ROOT, load

CRD = ROOT / "tests" / "schemas" / "kubernetes" / "monitoring.coreos.com_prometheusrules.yaml"
SPECS = {
    "shipped": ROOT / "specs" / "llm.yaml",
    "customised": ROOT / "tests" / "golden" / "customised" / "spec.yaml",
    "minimal": ROOT / "tests" / "golden" / "minimal" / "spec.yaml",
}


@cache
def _bundle(case: str) -> Bundle:
    return load_bundle(SPECS[case])


@cache
def crd_schema() -> dict[str, Any]:
    """``spec.versions[0].schema.openAPIV3Schema`` of the vendored CRD (tests/schemas/NOTICE.md)."""
    crd = yaml.safe_load(CRD.read_text(encoding="utf-8"))
    assert crd["spec"]["versions"][0]["name"] == "v1"
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def _go_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """``pattern`` as the API server (Go's RE2) reads it: an inline flag such as ``^(?i)`` may follow ``^``."""
    if isinstance(instance, str):
        flags = "".join(re.findall(r"\(\?[a-z]+\)", pattern))
        if not re.search(flags + re.sub(r"\(\?[a-z]+\)", "", pattern), instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


CRDValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {"pattern": _go_pattern})


def _pruned(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields the API server would silently drop: keys the structural schema does not declare."""
    found = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{path}.{key}")
            else:
                found += _pruned(item, schema["properties"][key], f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += _pruned(item, schema["items"], f"{path}[{i}]")
    return found


def _object(case: str) -> dict[str, Any]:
    files = kubernetes.emit(_bundle(case))
    assert list(files) == [PROMETHEUS_RULE_PATH]
    loaded: dict[str, Any] = load(files[PROMETHEUS_RULE_PATH])
    return loaded


def _groups_of(files: dict[str, str], paths: list[str]) -> list[dict[str, Any]]:
    return [group for path in paths for group in load(files[path])["groups"]]


def _without_strategy(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the operator hands Prometheus: ``partial_response_strategy`` unset (it keeps it for ThanosRuler)."""
    return [{k: v for k, v in g.items() if k != PARTIAL_RESPONSE_KEY} for g in groups]


@pytest.mark.parametrize("case", list(SPECS))
def test_validates_against_the_crd_and_nothing_is_pruned(case: str) -> None:
    obj = _object(case)
    validator = CRDValidator(crd_schema())
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    assert errors == []
    assert _pruned(obj, crd_schema()) == []


def test_the_crd_validator_rejects_what_the_api_server_rejects() -> None:
    obj = _object("customised")
    obj["spec"]["groups"][0][PARTIAL_RESPONSE_KEY] = "sometimes"
    obj["spec"]["groups"][1]["rules"][0]["for"] = "5 minutes"
    del obj["spec"]["groups"][2]["name"]
    found = {(tuple(e.absolute_path), e.validator) for e in CRDValidator(crd_schema()).iter_errors(obj)}
    assert found == {
        (("spec", "groups", 0, PARTIAL_RESPONSE_KEY), "pattern"),
        (("spec", "groups", 1, "rules", 0, "for"), "pattern"),
        (("spec", "groups", 2), "required"),
    }
    obj["spec"]["groups"][0]["rules"][0]["keep_firing"] = "5m"
    assert _pruned(obj, crd_schema()) == [".spec.groups[0].rules[0].keep_firing"]


@pytest.mark.parametrize("case", list(SPECS))
def test_groups_are_exactly_the_rule_files_groups(case: str) -> None:
    bundle = _bundle(case)
    groups = _object(case)["spec"]["groups"]
    plain = _groups_of(rules.emit(bundle), [rules_path(a) for a in areas(bundle)])
    assert _without_strategy(groups) == plain
    assert len(plain) == 2 * len(areas(bundle)) - 1  # every area has alerts; all but availability record
    assert sum(len(g["rules"]) for g in groups) == len(recording_rules(bundle)) + len(alerts(bundle))
    if bundle.thanos.partial_response_strategy is None:
        assert groups == plain
    else:
        assert groups == _groups_of(thanos.emit(bundle), [thanos_rules_path(a) for a in areas(bundle)])


@pytest.fixture(scope="module")
def tool() -> Promtool:
    """The promtool on PATH; a missing one fails with the install hint (never a skip)."""
    return find_promtool()


@pytest.mark.parametrize("case", list(SPECS))
def test_spec_groups_pass_promtool_check_rules(case: str, tool: Promtool, tmp_path: Path) -> None:
    bundle = _bundle(case)
    path = tmp_path / "prometheusrule-groups.yaml"
    path.write_text(yaml.safe_dump({"groups": _without_strategy(_object(case)["spec"]["groups"])}), encoding="utf-8")
    (checked,) = tool.check_rules([path])
    assert checked.rules == len(recording_rules(bundle)) + len(alerts(bundle))


def test_metadata_comes_from_the_spec() -> None:
    assert _object("shipped")["metadata"] == {"name": "llm-gateway-llm-rules", "namespace": "monitoring"}
    assert _object("customised")["metadata"] == {
        "name": "search-assist-llm-rules",
        "namespace": "search",
        "labels": {"app.kubernetes.io/part-of": "search", "release": "prometheus"},
    }
    obj = _object("minimal")
    assert (obj["apiVersion"], obj["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")


def test_explicit_name_wins(tmp_path: Path) -> None:
    spec = SPECS["minimal"].read_text(encoding="utf-8") + "kubernetes:\n  name: llm.rules-v2\n  namespace: obs\n"
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    obj = load(kubernetes.emit(load_bundle(tmp_path / "spec.yaml"))[PROMETHEUS_RULE_PATH])
    assert obj["metadata"] == {"name": "llm.rules-v2", "namespace": "obs"}


@pytest.mark.parametrize(
    ("service", "name"),
    [
        ("llm-gateway", "llm-gateway-llm-rules"),
        ('search "assist"', "search-assist-llm-rules"),
        ("Über_Service.v2", "uber-service-v2-llm-rules"),
        ("---", "llm-rules"),
        ("日本", "llm-rules"),
        ("a" * 300, "a" * 243 + "-llm-rules"),
    ],
)
def test_derived_name_is_a_dns_subdomain(service: str, name: str) -> None:
    assert prometheus_rule_name(service) == name
    assert DNS_SUBDOMAIN_RE.match(name) and len(name) <= 253
