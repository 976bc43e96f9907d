"""Figures of a comparison, drawn in worker processes.

A comparison writes some 25 PNGs (:mod:`sim.analysis.compare`, :mod:`sim.analysis.decompose`); on the
default world drawing them is most of the work after the runs. Each figure is drawn and saved by one
call of a function of its own, so the calls can run in parallel (joblib: the worker processes of the
runs are reused) and each file is the one a serial loop writes, byte for byte (checked on the stored
results of ``make run``, 2026-12-03, and in ``tests/test_figures.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (files only, the same backend in every process)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def render[T, R](draw: Callable[[T], R], items: Sequence[T], jobs: int = 1) -> list[R]:
    """``[draw(item) for item in items]`` in up to ``jobs`` worker processes (in this one when
    ``jobs`` is 1 or there is one item), in the order of ``items``. ``draw`` draws and saves one
    figure; it may be a closure (joblib's loky pickles it with cloudpickle)."""
    if jobs <= 1 or len(items) < 2:
        return [draw(item) for item in items]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=jobs)(delayed(draw)(item) for item in items))
