"""Convention lints (warnings, never fatal) and the time-series budget (fatal when the spec sets one)."""

from __future__ import annotations

from .errors import SpecError, SpecInvalid
from .model import Bundle, Metric
from .yaml_source import Located

__all__ = ["check_series_budget", "naming_warnings", "series_table"]

# Pattern metrics that measure time: Prometheus naming wants the base unit as suffix.
_SECONDS = (
    "response_duration",
    "response_duration_fine",
    "time_to_first_token",
    "queue_wait",
    "processing",
    "queue_expiry_age",
)
_CURRENCY_WORDS = {"USD": "dollars", "EUR": "euros", "GBP": "pounds"}


def naming_warnings(bundle: Bundle, located: Located) -> list[SpecError]:
    """Names that are valid but go against Prometheus naming practice (only where the user overrode them)."""
    warnings = []
    for key, metric in bundle.metrics:
        path = ("metrics", key, "name")
        if path not in located.values:
            continue  # the default name follows the conventions
        if key in _SECONDS and not metric.name.endswith("_seconds"):
            warnings.append(located.error(path, f"warning: {metric.name!r} measures time: end it in _seconds"))
        if metric.name != metric.name.lower():
            warnings.append(located.error(path, f"warning: {metric.name!r} should be lower_snake_case"))
    word = _CURRENCY_WORDS.get(bundle.currency)
    cost = bundle.metric("cost")
    wrong_word = next((w for w in _CURRENCY_WORDS.values() if w in cost.name and w != word), None)
    if wrong_word:
        warnings.append(
            located.error(
                ("metrics", "cost", "name")
                if ("metrics", "cost", "name") in located.values
                else ("pricing", "currency"),
                f"warning: the cost metric {cost.name!r} says {wrong_word} but pricing.currency is {bundle.currency}"
                + (f"; consider metrics.cost.name: {cost.name.replace(wrong_word, word)}" if word else ""),
            )
        )
    for i, custom in enumerate(bundle.custom_metrics):
        if custom.name != custom.name.lower():
            warnings.append(
                located.error(("custom_metrics", i, "name"), f"warning: {custom.name!r} should be lower_snake_case")
            )
    return warnings


def series_table(bundle: Bundle, top: int | None = None) -> str:
    """The estimated series per metric, largest first, as an aligned text table."""
    rows: list[Metric] = sorted(bundle.all_metrics, key=lambda m: (-m.series_estimate, m.name))
    shown = rows[:top] if top else rows
    width = max(len(m.name) for m in shown)
    lines = [f"{'metric':<{width}}  {'series':>8}  labels"]
    lines += [f"{m.name:<{width}}  {m.series_estimate:>8,}  {', '.join(m.labels) or '-'}" for m in shown]
    if top and len(rows) > top:
        rest = sum(m.series_estimate for m in rows[top:])
        lines.append(f"{f'({len(rows) - top} more)':<{width}}  {rest:>8,}")
    lines.append(f"{'total':<{width}}  {bundle.series_estimate:>8,}")
    return "\n".join(lines)


def check_series_budget(bundle: Bundle, located: Located) -> None:
    """Fail when the estimated number of series exceeds the spec's ``max_series``."""
    if bundle.max_series is None or bundle.series_estimate <= bundle.max_series:
        return
    table = "\n".join(f"    {line}" for line in series_table(bundle, top=5).splitlines())
    message = (
        f"the spec can create ~{bundle.series_estimate:,} time series, over the budget of {bundle.max_series:,}; "
        f"largest contributors:\n{table}"
    )
    raise SpecInvalid([located.error(("max_series",), message)])
