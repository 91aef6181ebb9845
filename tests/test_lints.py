"""Naming lints warn without failing; they only look at names the user chose."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from generator.pipeline import load_bundle

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_spec_has_no_warnings(bundle: object) -> None:
    assert load_bundle(ROOT / "specs" / "llm.yaml").warnings == ()


def test_overridden_names_against_convention_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "specs" / "llm.yaml").read_text(encoding="utf-8")
    text = text.replace("name: llm_provider_time_to_first_token_seconds", "name: llm_provider_TTFT_ms")
    text = text.replace("currency: USD", "currency: EUR")
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", "--spec", "spec.yaml"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "spec.yaml:94:11: metrics.time_to_first_token.name: warning: 'llm_provider_TTFT_ms' measures time: "
        "end it in _seconds",
        "spec.yaml:94:11: metrics.time_to_first_token.name: warning: 'llm_provider_TTFT_ms' should be "
        "lower_snake_case",
        "spec.yaml:101:11: metrics.cost.name: warning: the cost metric 'llm_provider_cost_dollars_total' says "
        "dollars but pricing.currency is EUR; consider metrics.cost.name: llm_provider_cost_euros_total",
    ]
    assert captured.out.startswith("spec.yaml: valid (17 metrics,")
