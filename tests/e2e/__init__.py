"""End-to-end tests: the generated bundle against a real Prometheus, and the `make demo` stack."""
