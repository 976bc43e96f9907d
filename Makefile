# Quick start:  make run   (set up, then run the main job)   |   make test   (set up, then run the tests)
.PHONY: setup run single compare30 ui test clean
PY := .venv/bin/python

setup:
	@bash scripts/setup.sh

run: setup  ## the main job: every scenario x 10 seeds on the default world (~2 min on 2 cores)
	$(PY) experiments/compare.py --seeds 10

compare30: setup  ## the same with 30 seeds
	$(PY) experiments/compare.py --seeds 30

single: setup  ## one baseline run with its headline table
	$(PY) -m sim

ui: setup  ## the browser UI at http://127.0.0.1:8765/ (first call installs chromium and offline assets)
	@bash scripts/ui_setup.sh > /dev/null
	$(PY) -m sim.viz

test: setup
	$(PY) -m pytest -q

clean:
	rm -rf .venv results/runs results/multirun .pytest_cache .hypothesis
