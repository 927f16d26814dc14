# Quickstart: `make run` (a first CASH search on the bundled default dataset) and
# `make test` (the whole suite). Both create .venv when it is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# The test extra pulls torch (cairn.nas): pin the CPU build first, so pip never fetches a CUDA one.
$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/cairn run

test: $(VENV)/.test-installed
	$(PY) -m ruff check src tests bench
	$(PY) -m pytest

lint: $(VENV)/.test-installed
	$(PY) -m ruff check src tests bench

clean:
	rm -rf $(VENV) .cairn .pytest_cache .ruff_cache
