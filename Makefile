# Quick start:  make run   (set up, then run the main job)   |   make test   (set up, then run the tests)
.PHONY: setup run test clean
PY := .venv/bin/python

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) -m sim

test: setup
	$(PY) -m pytest -q

clean:
	rm -rf .venv results/runs results/multirun .pytest_cache .hypothesis
