# Two entry points that work on a fresh machine with only Python 3.10+:
#   make demo   - build .venv, install pimsim, run the main job on the default config
#   make test   - build .venv with the dev extras, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,distributed]'
	touch $@

demo: $(VENV)/.installed-dev
	$(BIN)/pimsim run

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/trace_throughput.py
	$(BIN)/python benchmarks/engine_throughput.py
	$(BIN)/python benchmarks/generation_time.py

clean:
	rm -rf $(VENV) reports/runs .pytest_cache .hypothesis
