# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTANCE ?= instance
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/checker --instance $(INSTANCE) init
	$(BIN)/checker --instance $(INSTANCE) demo
	$(BIN)/checker --instance $(INSTANCE) serve --host $(HOST) --port $(PORT)

test: $(BIN)/.installed lint
	$(BIN)/python -m pytest

# Benchmarks (see README, Performance): BENCH_ARGS=--quick for a fast, rougher run.
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(BIN)/.installed
	$(BIN)/lint-imports
	$(BIN)/ruff check --select F,E9 .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache test-artifacts
