"""The demo's live table: a few key values of the running bundle, one line per refresh."""

from __future__ import annotations

import math
from dataclasses import dataclass

from generator.model import Bundle
from generator.recording import rule
from tests.e2e.preview_units import format_value
from tests.e2e.prometheus_api import PrometheusAPI, PrometheusAPIError

__all__ = ["KeyValues", "header", "read_key_values"]

COLUMNS = (("time", 6), ("phase", 15), ("spend/h", 9), ("proj./day", 10), ("worst p95", 10), ("queue", 6),
           ("breakers", 31), ("firing alerts", 0))


@dataclass(frozen=True)
class KeyValues:
    """One reading of the key values."""

    spend_per_hour: float
    projected_daily: float
    worst_p95: float
    queue_depth: float
    breakers: dict[str, str]
    firing: tuple[str, ...]

    def line(self, elapsed: float, phase: str, currency: str) -> str:
        """One table line."""
        unit = f"currency{currency}"
        cells = (
            f"{elapsed:5.0f}s",
            phase,
            format_value(self.spend_per_hour, unit),
            format_value(self.projected_daily, unit),
            format_value(self.worst_p95, "s"),
            format_value(self.queue_depth, "short"),
            " ".join(f"{c.split('_')[0]}={s}" for c, s in sorted(self.breakers.items())),
            ", ".join(self.firing) or "-",
        )
        return "  ".join(c.ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True)).rstrip()


def header() -> str:
    """The table's header line."""
    return "  ".join(name.ljust(width) for name, width in COLUMNS).rstrip()


def _one(api: PrometheusAPI, expr: str) -> float:
    """The value of a one-element query; NaN when there is none."""
    try:
        found = api.query(expr)
    except PrometheusAPIError:
        return math.nan
    return found[0].value if found else math.nan


def read_key_values(api: PrometheusAPI, bundle: Bundle) -> KeyValues:
    """Read the key values from Prometheus now."""
    names = {value: name for name, value in bundle.breaker_states}
    circuit = bundle.label("circuit_name")
    breakers = {
        s.labels.get(circuit, "?"): names.get(int(s.value), f"{s.value:g}")
        for s in api.query(bundle.metric("circuit_breaker").name)
    }
    firing = sorted({f"{a.name}({a.labels.get('severity', '')})" for a in api.alerts() if a.state == "firing"})
    return KeyValues(
        spend_per_hour=_one(api, f"sum({rule(bundle, 'cost_rate:total').record}) * 3600"),
        projected_daily=_one(api, f"sum({rule(bundle, 'cost_daily_projection:total').record})"),
        worst_p95=_one(api, f"max({rule(bundle, 'latency_p95').record})"),
        queue_depth=_one(api, f"sum({rule(bundle, 'queue_depth').record})"),
        breakers=breakers,
        firing=tuple(firing),
    )
