# 县域义务教育优质均衡发展评估 — one entry point. `make` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KERNEL := county-eval
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
COUNTY ?= sample
YEARS ?= 2021 2022 2023 2024 2025

.DEFAULT_GOAL := help
.PHONY: help setup run test lint lab bench clean templates sample batch province

## help: list every target
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  make /' -e 's/: /\t/'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --prefix $(VENV) --name $(KERNEL) --display-name "县域评估 ($(KERNEL))" >/dev/null
	@rm -f $(VENV)/.installed-*
	@touch $@

## setup: create .venv with the pinned packages and register the Jupyter kernel
setup: $(STAMP)

## run: evaluate the sample county (all years, reports in reports/sample/<year>/)
run: $(STAMP)
	$(VENV)/bin/analysis run --county $(COUNTY) --years $(YEARS)

## test: run the test suite (sets up the environment first)
test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -n auto

## lint: ruff on the package, tests and benchmarks
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

## lab: open JupyterLab on the notebooks with the project kernel
lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks

## bench: run the timing scripts in benchmarks/ (prints ratios; never asserted)
bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

## batch: evaluate every county of a province folder (PROVINCE=data/raw/示例省 YEAR=2025)
batch: $(STAMP)
	$(VENV)/bin/analysis batch $(or $(PROVINCE),data/raw/示例省) --year $(or $(YEAR),2025)

## province: write the synthetic 40-county province data/raw/示例省 (deterministic; for trying batch)
province: $(STAMP)
	$(PY) -m analysis.data.province --out data/raw/示例省

## sample: regenerate the fictional sample county data/raw/sample (deterministic)
sample: $(STAMP)
	$(PY) -m analysis.data.sample --out data/raw/sample --defects tests/fixtures/defects

## templates: write empty Excel templates for a county to fill (DIR=templates_out)
templates: $(STAMP)
	$(VENV)/bin/analysis templates $(or $(DIR),templates_out)

## clean: delete generated outputs (data/processed, reports); raw data is never touched
clean:
	rm -rf data/processed/* reports/*
	@touch data/processed/.gitkeep reports/.gitkeep
