"""Emit the Python metric-definition module from its jinja2 template."""

from __future__ import annotations

import keyword
import textwrap
from typing import Any

from ..headers import generated_header
from ..model import Bundle, Metric
from ..templating import environment

__all__ = ["MODULE_PATH", "emit"]

MODULE_PATH = "python/llm_metrics.py"
_CLASSES = {"counter": "Counter", "gauge": "Gauge", "histogram": "Histogram"}


def _py(value: Any) -> str:
    """A Python literal for ``value``: repr() escapes every quote, backslash and newline in spec strings."""
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    if isinstance(value, (tuple, list)):
        items = [_py(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return repr(value)


def _pystr(text: str, indent: int) -> str:
    """A string literal; long ones split over implicitly joined lines so generated code stays short."""
    width = 70
    if len(repr(text)) <= width:
        return repr(text)
    chunks = textwrap.wrap(
        text, width, expand_tabs=False, replace_whitespace=False, drop_whitespace=False, break_on_hyphens=False
    )
    if "".join(chunks) != text:  # wrap() normalises some whitespace; never change the text
        chunks = [text[i : i + width] for i in range(0, len(text), width)]
    inner = "\n".join(" " * (indent + 4) + repr(chunk) for chunk in chunks)
    return f"(\n{inner}\n{' ' * indent})"


_ENV = environment({"py": _py, "pystr": _pystr})


def _attr(metric: Metric) -> str:
    name = metric.key if "." not in metric.key else metric.name
    return f"{name}_" if keyword.iskeyword(name) else name


def _definition(metric: Metric) -> dict[str, Any]:
    return {
        "attr": _attr(metric),
        "cls": _CLASSES[metric.kind],
        "name": metric.name,
        "help": metric.help,
        "labels": metric.labels,
        "buckets": tuple(float(b) for b in metric.buckets),
        "mode": metric.multiprocess_mode,
    }


def _context(bundle: Bundle) -> dict[str, Any]:
    attribution = [a.domain for a in bundle.attribution]
    names = [d.name for d in attribution]
    first = bundle.prices[0]
    return {
        "header": generated_header(bundle.source),
        "service": bundle.service.name,
        "currency": bundle.currency,
        "fallback": bundle.fallback,
        "price_unit_tokens": bundle.price_unit_tokens,
        "token_types": bundle.token_types,
        "prices": [((p.provider, p.model), tuple(float(v) for _, v in p.per_token_type())) for p in bundle.prices],
        "providers": tuple(sorted(bundle.providers)),
        "request_types": tuple(sorted(bundle.request_types)),
        "default_request_type": bundle.request_types[0],
        "queue_types": tuple(sorted(bundle.queue_types)),
        "expiry_reasons": tuple(sorted(bundle.expiry_reasons)),
        "default_expiry_reason": bundle.expiry_reasons[0],
        "circuits": tuple(sorted(bundle.circuits)),
        "breaker_service": bundle.service.name if not bundle.breaker_service else bundle.breaker_service,
        "error_types": sorted((cls, et) for et, classes in bundle.error_types for cls in classes),
        "no_error": bundle.no_error,
        "attribution": [(d.name, tuple(sorted(d.values)), d.fallback) for d in attribution],
        "breaker_states": [(name.upper(), value) for name, value in bundle.breaker_states],
        "metrics": [_definition(m) for _, m in bundle.metrics],
        "custom_metrics": [_definition(m) for m in bundle.custom_metrics],
        "invalid_values_name": bundle.metric("invalid_values").name,
        "example_provider": first.provider,
        "example_model": first.model,
        "attribution_params": "\n        *," + "".join(f"\n        {n}: str | None = None," for n in names)
        if names
        else "",
        "attribution_params_kw": "".join(f",\n        {n}: str | None = None" for n in names),
        "attribution_key": "".join(f", {n}" for n in names),
        "attribution_args": "".join(f"{n}, " for n in names),
    }


def emit(bundle: Bundle) -> dict[str, str]:
    """Render the module for ``bundle``."""
    text = _ENV.get_template("llm_metrics.py.j2").render(_context(bundle))
    return {MODULE_PATH: text}
