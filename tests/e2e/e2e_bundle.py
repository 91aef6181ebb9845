"""The bundle under test: the shipped spec, sped up for an end-to-end run, rendered into a temp dir.

The copy of the spec changes only what a run of a minute cannot wait for or would otherwise trip over;
each change is listed in :data:`SPEC_CHANGES`. Alerts whose ``for:`` the spec cannot set (the catalogue
fixes 5-15 minutes) get a short one in the e2e copy of the rule files, but only the alerts the scenario
triggers on purpose (:data:`FOR_OVERRIDES`); every other rule is loaded exactly as generated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.emit.python_module import MODULE_PATH
from generator.model import Bundle
from generator.pipeline import render_spec_file
from generator.writer import write_files

__all__ = ["SHIPPED_SPEC", "SPEC_CHANGES", "PreparedBundle", "dashboards", "prepare_bundle", "rule_file_paths"]

SHIPPED_SPEC = Path(__file__).resolve().parents[2] / "specs" / "llm.yaml"
# (path in the spec, value): everything the e2e copy of the spec changes, and why.
SPEC_CHANGES: tuple[tuple[tuple[str, ...], object], ...] = (
    (("service", "scrape_interval"), "1s"),  # ranges become max(nominal, 4 s); the test Prometheus scrapes every 1 s
    (("thresholds", "circuit_breaker_open_for"), "2s"),  # the breaker alert's `for:` comes from the spec
    (("thresholds", "daily_cost_budget"), 400),  # normal traffic projects ~100/day; the spend burst ~1500/day
    (("thresholds", "daily_cost_critical_budget"), 800),
    (("thresholds", "latency", "target"), "10s"),  # LLM calls take seconds: a 0.5 s target would always burn
    (("thresholds", "error_ratio_max"), 0.25),  # the workload fails up to 1 call in 8 per model, on purpose
)


@dataclass(frozen=True)
class PreparedBundle:
    """The rendered e2e bundle on disk, and what the stack loads from it."""

    bundle: Bundle
    files: dict[str, str]
    out_dir: Path
    module_path: Path
    rule_files: tuple[Path, ...]
    dashboards: dict[str, dict[str, Any]]  # path -> dashboard JSON

    @property
    def rule_groups(self) -> list[dict[str, Any]]:
        """Every rule group of the loaded rule files, as loaded."""
        groups: list[dict[str, Any]] = []
        for path in self.rule_files:
            groups.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])
        return groups

    @property
    def records(self) -> tuple[str, ...]:
        """Every recorded series name, in file order."""
        return tuple(r["record"] for g in self.rule_groups for r in g["rules"] if "record" in r)

    @property
    def alert_names(self) -> frozenset[str]:
        """Every alert name of the loaded rule files."""
        return frozenset(r["alert"] for g in self.rule_groups for r in g["rules"] if "alert" in r)


def e2e_spec(source: Path, dest: Path) -> Path:
    """Write the sped-up copy of ``source`` to ``dest``."""
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    for path, value in SPEC_CHANGES:
        node = spec
        for key in path[:-1]:
            node = node[key]
        if path[-1] not in node:
            raise KeyError(f"the spec has no {'.'.join(path)} to change for the e2e run")
        node[path[-1]] = value
    dest.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return dest


def rule_file_paths(files: Mapping[str, str]) -> tuple[str, ...]:
    """Rendered Prometheus rule files: ``prometheus/**/*.yaml`` with top-level ``groups``, promtool tests left out."""
    chosen = []
    for path, text in files.items():
        parts = PurePosixPath(path).parts
        if parts[0] == "prometheus" and "tests" not in parts and path.endswith((".yaml", ".yml")):
            data = yaml.safe_load(text)
            if isinstance(data, dict) and "groups" in data:
                chosen.append(path)
    return tuple(sorted(chosen))


def dashboards(files: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Rendered Grafana dashboards (``grafana/**/*.json``, provisioning left out)."""
    return {
        path: json.loads(text)
        for path, text in sorted(files.items())
        if path.startswith("grafana/") and path.endswith(".json") and "/provisioning/" not in path
    }


def _with_for(text: str, overrides: Mapping[str, str]) -> str | None:
    """The rule file with the ``for:`` of the named alerts replaced; None when none of them is in it."""
    data = yaml.safe_load(text)
    changed = False
    for group in data["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in overrides:
                rule["for"] = overrides[rule["alert"]]
                changed = True
    return yaml.safe_dump(data, sort_keys=False) if changed else None


def prepare_bundle(workdir: Path, for_overrides: Mapping[str, str]) -> PreparedBundle:
    """Render the e2e bundle under ``workdir`` and pick its rule files and dashboards."""
    workdir.mkdir(parents=True, exist_ok=True)
    rendered = render_spec_file(e2e_spec(SHIPPED_SPEC, workdir / "llm.yaml"))
    out_dir = workdir / "output"
    write_files(rendered.files, out_dir)
    rule_files = []
    for rel in rule_file_paths(rendered.files):
        faster = _with_for(rendered.files[rel], for_overrides)
        if faster is None:
            rule_files.append(out_dir / rel)
        else:
            copy = workdir / "e2e-rules" / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(faster, encoding="utf-8")
            rule_files.append(copy)
    return PreparedBundle(
        bundle=rendered.bundle,
        files=rendered.files,
        out_dir=out_dir,
        module_path=out_dir / MODULE_PATH,
        rule_files=tuple(rule_files),
        dashboards=dashboards(rendered.files),
    )
