"""Shared helpers: compose configs through the same API as the CLI (Hydra compose)."""

from __future__ import annotations

import os

import pytest

import sim

FAST = ["progress=false", "output.write=false"]


def compose(*overrides: str):
    return sim.compose([*FAST, *overrides])


def run(*overrides: str, keep_model: bool = False):
    return sim.run(compose(*overrides), keep_model=keep_model)


def require_service(reason: str):
    """Skip with a reason on a user's machine; fail under CI (CI=true)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
