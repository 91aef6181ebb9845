"""Import a generated metrics module from rendered text, under a unique name, for tests."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from generator.emit.python_module import MODULE_PATH

_counter = itertools.count()


def import_generated(files: dict[str, str], directory: Path) -> ModuleType:
    """Write the rendered module into ``directory`` and import it as a fresh module."""
    path = directory / f"llm_metrics_{next(_counter)}.py"
    path.write_text(files[MODULE_PATH], encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclass/enum machinery looks modules up by name
    spec.loader.exec_module(module)
    return module


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the registry's exposition, parsed back: (name, sorted labels) -> value."""
    text = generate_latest(registry).decode("utf-8")
    result = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            result[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return result


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """One sample's value from the parsed exposition; 0 when the series does not exist."""
    return samples(registry).get((name, tuple(sorted(labels.items()))), 0.0)
