"""Shared fixtures: the shipped spec, its resolved bundle and its rendered files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from generator.model import Bundle
from generator.pipeline import load_bundle, render


def pytest_configure(config: pytest.Config) -> None:
    """Property tests: a short run by default, a long one with ``--hypothesis-profile=long``."""
    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    settings.register_profile("ci", max_examples=25, **common)
    settings.register_profile("long", max_examples=500, **common)
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")


ROOT = Path(__file__).resolve().parent.parent
SHIPPED_SPEC = ROOT / "specs" / "llm.yaml"
SCHEMAS = Path(__file__).resolve().parent / "schemas"


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    """The resolved model of the shipped spec."""
    return load_bundle(SHIPPED_SPEC)


@pytest.fixture(scope="session")
def rendered(bundle: Bundle) -> dict[str, str]:
    """Every file the shipped spec generates, in memory."""
    return render(bundle)


@pytest.fixture(scope="session")
def promtool() -> str:
    """The promtool binary; a missing one is a failure with the install hint, never a skip."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool not found: run `make prometheus` (Debian: apt-get install --no-install-recommends prometheus)"
        )
    return path
