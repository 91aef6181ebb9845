# Everything a fresh machine needs is installed by these targets: a virtualenv with the project,
# and promtool/Prometheus from Debian's `prometheus` package when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SPEC ?= specs/llm.yaml
OUT ?= output
STAMP := $(VENV)/.installed

.PHONY: all generate validate check test e2e lint bench demo golden prometheus clean help

all: generate

help:
	@echo "make generate   render $(SPEC) into $(OUT)/ (sets up .venv on first use)"
	@echo "make test       install what is missing, then run every check and test"
	@echo "make check      fail with a diff if $(OUT)/ is stale or hand-edited"
	@echo "make e2e        end-to-end tests against a real Prometheus"
	@echo "make demo       run the bundle live for about a minute and render a dashboard preview"
	@echo "make bench      benchmarks, written to bench/results.json"
	@echo "make golden     regenerate tests/golden/*/output after an intended change"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@touch $@

generate: $(STAMP)
	$(PY) -m generator generate --spec $(SPEC) --out $(OUT)
	$(PY) -m generator schema --out schema/llm-spec.schema.json

validate: $(STAMP)
	$(PY) -m generator validate --spec $(SPEC)

check: $(STAMP)
	$(PY) -m generator check --spec $(SPEC) --out $(OUT)

prometheus:
	@scripts/ensure-prometheus.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check generator tests
	$(VENV)/bin/mypy generator

test: $(STAMP) prometheus
	$(PY) -m generator check --spec $(SPEC) --out $(OUT)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.run

e2e: $(STAMP) prometheus
	$(PY) -m pytest -m e2e

# DEMO_SECONDS: how long the live part runs; DEMO_FLAGS=--save-preview also writes docs/dashboard-preview.png
DEMO_SECONDS ?= 60
DEMO_FLAGS ?=
demo: $(STAMP) prometheus
	$(PY) -m tests.e2e.demo --seconds $(DEMO_SECONDS) --out demo-out $(DEMO_FLAGS)

golden: $(STAMP)
	$(PY) -m tests.golden.regenerate

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
