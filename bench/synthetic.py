"""Synthetic specs: the shipped spec with N models and Q queue types, written as YAML files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .module import SHIPPED_SPEC

__all__ = ["write_spec"]

PROVIDERS = ("openai", "anthropic")


def _spec(models: int, queues: int) -> dict[str, Any]:
    """The shipped spec's data with ``models`` priced models (over two providers) and ``queues`` queue types."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8")))
    providers: dict[str, Any] = {name: {"models": {}} for name in PROVIDERS}
    for index in range(models):
        price = 0.1 + index % 50 / 10
        providers[PROVIDERS[index % 2]]["models"][f"model-{index:04d}"] = {
            "prompt": round(price, 2),
            "completion": round(price * 4, 2),
            "cached_prompt": round(price / 2, 3),
        }
    data["pricing"]["providers"] = {name: p for name, p in providers.items() if p["models"]}
    data["queues"]["types"] = [f"queue-{index:02d}" for index in range(queues)]
    return data


def write_spec(directory: Path, models: int, queues: int) -> Path:
    """Write the synthetic spec for (``models``, ``queues``) into ``directory``; return its path."""
    path = directory / f"spec-{models}m-{queues}q.yaml"
    path.write_text(yaml.safe_dump(_spec(models, queues), sort_keys=False), encoding="utf-8")
    return path
