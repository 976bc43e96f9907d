# Quick start:  make run   (set up, then run the main job)   |   make test   (set up, then run the tests)
.PHONY: setup run single compare30 ui lint test test-fast clean
PY := .venv/bin/python
# pytest-xdist workers for the tests: one per CPU, at most 8 (make test JOBS=0 runs them in one process)
JOBS ?= $(shell n=$$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2); echo $$(( n < 8 ? n : 8 )))
# --dist loadscope: the tests of a module run on one worker, so what a module shares (runs, the SLURM cluster) is made once
PYTEST := $(PY) -m pytest -q -n $(JOBS) --dist loadscope

setup:
	@bash scripts/setup.sh

# the main job's seed count: what finishes in about two minutes on 2 cores (README "The main job")
run: setup  ## the main job: every scenario x 8 seeds on the default world (~2 min on 2 cores)
	$(PY) experiments/compare.py --seeds 8

compare30: setup  ## the same with 30 seeds
	$(PY) experiments/compare.py --seeds 30

single: setup  ## one baseline run with its headline table
	$(PY) -m sim

ui: setup  ## the browser UI at http://127.0.0.1:8765/ (first call installs chromium and offline assets)
	@bash scripts/ui_setup.sh > /dev/null
	$(PY) -m sim.viz

# the checks of .pre-commit-config.yaml; each stops make at once with what to do
LINT_PATHS := sim tests experiments scripts
lint: setup  ## ruff check, ruff format --check and mypy ([tool.ruff] and [tool.mypy] in pyproject.toml; ~10 s)
	@.venv/bin/ruff check $(LINT_PATHS) || { echo "make lint: ruff check failed (many fix with .venv/bin/ruff check --fix $(LINT_PATHS))" >&2; exit 1; }
	@.venv/bin/ruff format --check $(LINT_PATHS) || { echo "make lint: files need formatting: run .venv/bin/ruff format $(LINT_PATHS)" >&2; exit 1; }
	@.venv/bin/mypy || { echo "make lint: mypy found type errors (see above)" >&2; exit 1; }

# the browser tests time the page (Step to paint, Play, Pause): they run after the others, alone, so
# that a simulation on the other core does not slow the browser they measure
test: setup lint  ## lint, then every test (~12 min on 2 cores)
	$(PYTEST) --durations=15 --ignore=tests/test_ui.py
	$(PY) -m pytest -q tests/test_ui.py

test-fast: setup  ## the quick tier: every mechanism and module, without the tests marked slow (~70 s on 2 cores)
	$(PYTEST) -m "not slow"

clean:
	rm -rf .venv results/runs results/multirun .pytest_cache .hypothesis
