# commerce_core developer commands. Everything runs inside .venv, created on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: demo test lint typecheck imports pytest docs docs-check bench deep clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m commerce_core demo

test: $(VENV)/.installed-dev
	$(MAKE) lint typecheck imports pytest docs-check

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests examples benchmarks docs/conf.py
	$(BIN)/ruff format --check src tests examples benchmarks docs/conf.py

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest

deep: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest tests/properties tests/contracts tests/unit tests/services

docs: $(VENV)/.installed-dev
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html

docs-check: docs

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) docs/_build .mypy_cache .ruff_cache .hypothesis
