"""promtool unit-test cases for the generated rules: input series chosen here, expected values computed here
from first principles (rates, sums, histogram interpolation, Prometheus' humanize), never copied from a rule."""
