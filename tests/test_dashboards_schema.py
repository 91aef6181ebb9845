"""Dashboards validate against Grafana's own schemas, are in the current JSON form and render byte-identically."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.emit.dashboards import dashboard_uid, emit
from generator.model import Bundle
from tests.test_dashboards_lint import CASES, DATASOURCE, ROOT, dashboards, emitted, load_case, panels

SCHEMAS = Path(__file__).resolve().parent / "schemas" / "grafana"
# Panel type -> schema file (tests/schemas/NOTICE.md).
PANEL_SCHEMAS = {
    "timeseries": "timeseries", "stat": "stat", "table": "table", "heatmap": "heatmap",
    "state-timeline": "statetimeline", "gauge": "gauge", "bargauge": "bargauge",
}
DASHBOARD_KEYS = {
    "annotations", "description", "editable", "graphTooltip", "links", "panels", "refresh", "schemaVersion", "tags",
    "templating", "time", "timepicker", "timezone", "title", "uid", "version",
}

TARGET_KEYS = {"datasource", "expr", "format", "hide", "instant", "legendFormat", "range", "refId"}


@cache
def validator(schema_file: str, root: str) -> jsonschema.Draft7Validator:
    """A draft-07 validator for one definition of a vendored schema."""
    schema = json.loads((SCHEMAS / f"{schema_file}.jsonschema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator({**schema, "$ref": f"#/definitions/{root}"})


def errors(schema_file: str, root: str, instance: Any) -> list[str]:
    """Readable validation errors of ``instance``."""
    found = validator(schema_file, root).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


def nulls(value: Any, path: str = "") -> list[str]:
    """JSON paths of every null."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in nulls(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in nulls(v, f"{path}/{i}")]
    return []


@pytest.mark.parametrize("case", CASES)
def test_dashboard_validates_against_grafana_schema(case: str) -> None:
    for dashboard in dashboards(case):
        assert errors("dashboard", "Dashboard", dashboard) == []


@pytest.mark.parametrize("case", CASES)
def test_panel_options_custom_fields_and_targets_validate_against_their_schemas(case: str) -> None:
    for dashboard in dashboards(case):
        for panel in panels(dashboard):
            schema = PANEL_SCHEMAS[panel["type"]]
            assert errors(schema, "Options", panel["options"]) == [], panel["title"]
            custom = panel["fieldConfig"]["defaults"].get("custom")
            has_field_config = "FieldConfig" in json.loads((SCHEMAS / f"{schema}.jsonschema.json").read_text())[
                "definitions"
            ]
            if has_field_config:
                assert errors(schema, "FieldConfig", custom or {}) == [], panel["title"]
            else:
                assert custom is None, f"{panel['title']}: {panel['type']} has no custom field config"
            for target in panel["targets"]:
                assert errors("prometheus", "Dataquery", target) == [], panel["title"]


@pytest.mark.parametrize("case", CASES)
def test_current_json_form_no_legacy_keys_and_no_nulls_but_base_thresholds(case: str) -> None:
    for dashboard in dashboards(case):
        assert set(dashboard) == DASHBOARD_KEYS
        assert dashboard["schemaVersion"] == 39
        expected_nulls = [
            f"/panels/{i}/fieldConfig/defaults/thresholds/steps/0/value"
            for i, p in enumerate(dashboard["panels"]) if p["type"] != "row"
        ]
        assert nulls(dashboard) == expected_nulls
        for panel in panels(dashboard):
            assert panel["datasource"] == DATASOURCE
            for target in panel["targets"]:
                # intervalFactor, step, query, target, metric: legacy; the Prometheus schema still allows some.
                assert set(target) == TARGET_KEYS, panel["title"]
                assert target["range"] is not target["instant"]
        rows = [p for p in dashboard["panels"] if p["type"] == "row"]
        assert all(set(r) == {"collapsed", "gridPos", "id", "panels", "title", "type"} for r in rows)
        assert all(r["panels"] == [] and r["collapsed"] is False for r in rows)


@pytest.mark.parametrize("case", CASES)
def test_heatmaps_use_current_format_on_prebucketed_histograms(case: str) -> None:
    bundle = load_case(case)
    heatmaps = [p for d in dashboards(case) for p in panels(d) if p["type"] == "heatmap"]
    assert [p["title"] for p in heatmaps] == ["Response time distribution", "Items per call distribution"]
    assert [p["options"]["yAxis"]["unit"] for p in heatmaps] == ["s", "short"]
    read = []
    for panel in heatmaps:
        assert panel["options"]["calculate"] is False
        [target] = panel["targets"]
        assert (target["format"], target["legendFormat"]) == ("heatmap", "{{le}}")
        bucket = re.fullmatch(r"sum by \(le\) \(rate\((\w+)\{.*\}\[\$__rate_interval\]\)\)", target["expr"])
        assert bucket, target["expr"]
        read.append(bucket.group(1))
    assert read == [bundle.metric("response_duration").name + "_bucket", bundle.metric("bundle_items").name + "_bucket"]


def test_dashboard_files_are_stable_sorted_json(rendered: dict[str, str], bundle: Bundle) -> None:
    files = {path: text for path, text in rendered.items() if path.startswith("grafana/")}
    assert files == emit(bundle)
    assert sorted(files) == [
        "grafana/dashboards/llm-gateway-llm-overview.json",
        "grafana/provisioning/dashboards/llm-gateway-llm-overview.yaml",
        "grafana/provisioning/datasources/prometheus.yaml",
    ]
    text = files["grafana/dashboards/llm-gateway-llm-overview.json"]
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES)
def test_rendering_twice_gives_identical_bytes(case: str) -> None:
    assert emit(load_case(case)) == emitted(case)


def test_rendering_is_independent_of_hash_seed() -> None:
    script = (
        "import json, sys; from pathlib import Path; from generator.pipeline import load_bundle; "
        "from generator.emit.dashboards import emit; "
        "sys.stdout.write(json.dumps(emit(load_bundle(Path('specs/llm.yaml'))), sort_keys=True))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == emitted("shipped")


def test_uid_is_stable_short_and_valid() -> None:
    assert dashboard_uid("llm-gateway") == "llm-gateway-llm-overview"
    assert [d["uid"] for d in dashboards("shipped")] == ["llm-gateway-llm-overview"]
    names = ["Payments LLM Service", "payments-llm-service", "PAYMENTS llm service", "x" * 80, "x" * 81, "ü/ß", "---"]
    uids = [dashboard_uid(n) for n in names]
    assert uids == [dashboard_uid(n) for n in names]
    assert len(set(uids)) == len(names)
    for uid in uids:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{7,39}", uid), uid
    assert uids[1] == "payments-llm-service-llm-overview"
    assert [d["uid"] for d in dashboards("variant")] == [dashboard_uid("Payments LLM Service")]


def _mounts(comment: str) -> list[tuple[str, str]]:
    """(host path, container path) of the ``-v`` flags in a provisioning file's comment."""
    return re.findall(r'-v "\$PWD/output/([^":]+):([^":]+):ro"', comment)


@pytest.mark.parametrize("case", CASES)
def test_provisioning_loads_the_bundle_from_the_documented_mounts(case: str) -> None:
    bundle = load_case(case)
    files = emitted(case)
    uid = dashboard_uid(bundle.service.name)
    provider_text = files[f"grafana/provisioning/dashboards/{uid}.yaml"]
    datasource_text = files["grafana/provisioning/datasources/prometheus.yaml"]
    mounts = [
        ("grafana/provisioning/dashboards", "/etc/grafana/provisioning/dashboards"),
        ("grafana/provisioning/datasources", "/etc/grafana/provisioning/datasources"),
        ("grafana/dashboards", f"/var/lib/grafana/dashboards/{uid}"),
    ]
    for text in (provider_text, datasource_text):
        assert _mounts(text) == mounts
        assert text.startswith(f"# Generated from {bundle.source} by the LLM monitoring bundle generator")
    for host, _ in mounts:
        assert any(path.startswith(host + "/") for path in files), host
    [provider] = yaml.safe_load(provider_text)["providers"]
    assert provider == {
        "name": uid, "orgId": 1, "folder": "LLM monitoring", "type": "file", "disableDeletion": True,
        "allowUiUpdates": False, "updateIntervalSeconds": 60,
        "options": {"path": f"/var/lib/grafana/dashboards/{uid}", "foldersFromFilesStructure": False},
    }
    [datasource] = yaml.safe_load(datasource_text)["datasources"]
    assert datasource == {
        "name": "Prometheus", "type": "prometheus", "uid": "prometheus", "access": "proxy",
        "url": "http://prometheus:9090", "isDefault": True,
        "jsonData": {"timeInterval": {"shipped": "15s", "variant": "30s", "nasty": "15s"}[case]},
    }
