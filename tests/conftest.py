"""Shared helpers: compose configs through the same API as the CLI (Hydra compose); shared runs."""

from __future__ import annotations

import os

import pytest

import sim

FAST = ["progress=false", "output.write=false"]


def compose(*overrides: str):
    return sim.compose([*FAST, *overrides])


def run(*overrides: str, keep_model: bool = False):
    return sim.run(compose(*overrides), keep_model=keep_model)


SYNTHETIC_40 = ["world=synthetic", "world.n_territories=40", "burn_in=52"]  # the mechanism tests' world
SYNTHETIC_30 = ["world=synthetic", "world.n_territories=30", "burn_in=20"]  # the money and arms tests' world


def small_model(*overrides: str):
    """A model of the 30-territory synthetic world, 60 weeks after a 20-week burn-in."""
    from sim.model import CrimeModel

    return CrimeModel(compose(*SYNTHETIC_30, "steps=60", *overrides))


def step_to(m, week: int):
    """Step ``m`` until its week (weeks since the burn-in ended) is ``week``; return it."""
    while m.week < week:
        m.step()
    return m


@pytest.fixture(scope="session")
def synthetic_baseline():
    """``synthetic_baseline(seed)``: the baseline run (with its model) of the 40-territory synthetic
    world, 260 weeks after a 52-week burn-in; run once per seed and test process, and shared by the
    tests that run this config (M4, M12, M19). They only read it: a test that changes the model or
    the tables must make its own run."""
    runs = {}

    def get(seed: int):
        if seed not in runs:
            runs[seed] = run(*SYNTHETIC_40, "steps=260", f"seed={seed}", keep_model=True)
        return runs[seed]

    return get


def require_service(reason: str):
    """Skip with a reason on a user's machine; fail under CI (CI=true)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
