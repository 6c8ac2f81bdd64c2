# Tegenkracht — `make help` lists every target with one line.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Test processes (pytest-xdist). Two fit the 2-core CI machine; the expensive session fixtures (worlds, the trained
# registry) are built once per run and shared by both (tests/conftest.py: build_once).
TEST_WORKERS ?= 2

.PHONY: help install demo test test-fast lint format bench docs clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Tegenkracht with its pinned dependencies

demo: $(STAMP) ## Run the main job on embedded defaults (world … training, promotion, scoring, audit), then serve the API and the pages (/ui)
	$(BIN)/tegenkracht demo

test: $(STAMP) ## Run the test suite (TEST_WORKERS processes, one file per worker at a time)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: $(STAMP) ## The inner loop: unit and data tests (tests/code, tests/data) without trained models
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow" tests/code tests/data

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## Run the benchmarks at three sizes and print their tables (see BENCHMARKS.md)
	$(BIN)/python bench/bench_synth.py
	$(BIN)/python bench/bench_features.py
	$(BIN)/python bench/bench_training.py
	$(BIN)/python bench/shap_throughput.py
	$(BIN)/python bench/contrast_throughput.py
	$(BIN)/python bench/bench_changes.py
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_fairness.py
	$(BIN)/python bench/bench_dask.py
	$(BIN)/python bench/bench_training_sample.py
	$(BIN)/python bench/bench_service.py  # drives the API with wrk: apt-get install wrk

docs: $(STAMP) ## Regenerate docs/data.md, docs/indicators.md and the measured figures in docs/
	$(BIN)/python -m docs.generate

clean: ## Remove generated data and the virtual environment
	rm -rf var $(VENV) .pytest_cache .mypy_cache .ruff_cache
