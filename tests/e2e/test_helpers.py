"""The e2e suite's own arithmetic and text helpers, on inputs worked out by hand (no Prometheus needed)."""

from __future__ import annotations

import math

import pytest

from generator.model import Bundle
from tests.e2e.expected import call_labels, error_type, extrapolated_rate, histogram_quantile
from tests.e2e.grafana_targets import escape_value, interpolate

BUCKETS = [(1.0, 10.0), (2.0, 20.0), (math.inf, 20.0)]


@pytest.mark.parametrize(("q", "want"), [(0.5, 1.0), (0.75, 1.5), (1.0, 2.0), (0.25, 0.5)])
def test_histogram_quantile_interpolates_inside_the_bucket(q: float, want: float) -> None:
    assert histogram_quantile(q, BUCKETS) == want


def test_histogram_quantile_in_the_inf_bucket_is_the_highest_bound() -> None:
    assert histogram_quantile(0.5, [(1.0, 0.0), (2.0, 0.0), (math.inf, 5.0)]) == 2.0
    assert math.isnan(histogram_quantile(0.5, [(1.0, 0.0), (math.inf, 0.0)]))


def test_rate_of_a_counter_starting_at_zero_does_not_extrapolate_before_zero() -> None:
    assert extrapolated_rate([(0.0, 0.0), (10.0, 10.0), (20.0, 20.0)], at=20.0, range_seconds=60.0) == 20 / 60


def test_rate_extrapolates_to_zero_and_to_the_end() -> None:
    # increase 20 over 20 s; back to zero is 10 s away (< 1.1 x 10 s), the window end 5 s: 20 x 35/20 / 60
    got = extrapolated_rate([(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)], at=25.0, range_seconds=60.0)
    assert got == pytest.approx(20 * 35 / 20 / 60, rel=1e-12)
    assert extrapolated_rate([(0.0, 1.0)], at=1.0, range_seconds=60.0) is None


def test_grafana_escapes_regex_characters_of_multi_values() -> None:
    assert escape_value("a.b|c") == "a\\\\.b\\\\|c"
    assert escape_value("llm-gateway") == "llm-gateway"


def test_interpolate_replaces_every_syntax_and_refuses_leftovers() -> None:
    values = {"model": ".*", "model_id": "x"}
    assert interpolate('m{a=~"$model", b=~"${model}", c="[[model_id]]", d="$model_id"}', values) == (
        'm{a=~".*", b=~".*", c="x", d="x"}'
    )
    with pytest.raises(ValueError, match=r"\$provider"):
        interpolate('m{p=~"$provider"}', values)


def test_unknown_models_and_providers_map_to_the_fallback(bundle: Bundle) -> None:
    assert call_labels(bundle, "openai", "gpt-4o") == ("openai", "gpt-4o")
    assert call_labels(bundle, "openai", "gpt-5-preview") == ("openai", "other")
    assert call_labels(bundle, "mistral", "large") == ("other", "other")


def test_error_types_follow_the_class_hierarchy(bundle: Bundle) -> None:
    assert error_type(bundle, ["APITimeoutError", "TimeoutError", "OSError", "Exception"]) == "timeout"
    assert error_type(bundle, ["ConnectionResetError", "ConnectionError", "OSError"]) == "connection"
    assert error_type(bundle, ["ContentFilterError", "Exception"]) == "other"
