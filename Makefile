# `make demo` sets up and runs the main job; `make test` sets up and runs every check.
# .ci/run calls `make test`, so CI runs exactly what a developer runs.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: setup demo test lint types contracts pytest fast bench bench-service browser-deps clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet -e ".[service]" --group dev
	touch $(STAMP)

demo: setup
	$(VENV)/bin/fluorocode check examples/knee-arthroscopy-with-fluoro.json --format table

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/ruff format --check src tests benchmarks tools

types: setup
	$(VENV)/bin/mypy

contracts: setup
	$(VENV)/bin/lint-imports

pytest: setup
	$(VENV)/bin/pytest -q

# fast feedback while developing: no full-table imports
fast: setup
	$(VENV)/bin/pytest -q -m "not slow"

# the browser tests drive Debian's Chromium (never a downloaded one); CI runs as root
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; \
	fi

test: lint types contracts browser-deps pytest

bench: setup
	$(PY) benchmarks/bench_store.py

# load test of `fluorocode serve` on loopback with the full real edition
bench-service: setup
	$(PY) benchmarks/bench_service.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
