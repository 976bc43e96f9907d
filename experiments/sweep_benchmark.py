"""Runs per minute of one sweep grid with Hydra's basic launcher, Hydra's joblib launcher
(``hydra/launcher=local``) and Mesa's ``batch_run``, and their parallel efficiency.

    .venv/bin/python experiments/sweep_benchmark.py [--reps 3] [--seeds 4] [--jobs N] [overrides ...]

The grid is 2 scenarios (baseline, mano_dura_2022) x ``--seeds`` seeds on the default world and
horizon (2-year burn-in + 10 years) unless overrides say otherwise (e.g. ``world=synthetic
steps=260``). Every method runs the whole grid; the table gives the median wall time of ``--reps``
repetitions (taken in turn, so that a slow moment of the machine hits all methods alike):

- ``in-process loop``: ``sim.run`` of each config one after another in this (warm) process: the
  work itself, the reference ``T_ref``.
- ``hydra basic``: ``python -m sim -m ... store=...`` (one process, one run after another).
- ``hydra joblib``: the same with ``hydra/launcher=local hydra.launcher.n_jobs=N``.
- ``mesa batch_run``: ``mesa.batch_run`` over the same grid, 1 and N processes (its pool uses
  'spawn'; runs are not written to disk, the Hydra sweeps write the four contract files).

The Hydra rows include starting Python and Hydra. Speedup = ``T_ref / T``; parallel efficiency =
speedup / processes (1.0 = every core busy with model work all the time). Other programs
running at the same time slow some repetitions down: the table also shows the fastest one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

import sim
from sim.model import CrimeModel

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ["baseline", "mano_dura_2022"]
FIXED = ["progress=false"]


class BatchModel(CrimeModel):
    """The model with keyword parameters, as mesa.batch_run wants them (its ``rng`` is our seed)."""

    def __init__(self, scenario: str = "baseline", rng: int = 0, overrides: tuple[str, ...] = ()):
        super().__init__(sim.compose([f"scenario={scenario}", f"seed={rng}", *overrides, *FIXED, "output.write=false"]))


def in_process(seeds: int, overrides: list[str]) -> float:
    cfgs = [
        sim.compose([f"scenario={sc}", f"seed={s}", *overrides, *FIXED, "output.write=false"])
        for sc in SCENARIOS
        for s in range(seeds)
    ]
    t0 = time.perf_counter()
    for cfg in cfgs:
        sim.run(cfg)
    return time.perf_counter() - t0


def hydra_sweep(seeds: int, overrides: list[str], launcher: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "sim",
            "-m",
            f"seed=range(0,{seeds})",
            f"scenario={','.join(SCENARIOS)}",
            f"store={tmp}/store",
            f"hydra.sweep.dir={tmp}/hydra",
            *overrides,
            *FIXED,
            *launcher,
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        runs = len([p for p in Path(tmp, "store").iterdir() if (p / "done").exists()])
        assert runs == len(SCENARIOS) * seeds, f"{runs} runs in the store"
        return elapsed


def batch_run(seeds: int, overrides: list[str], processes: int, max_steps: int) -> float:
    t0 = time.perf_counter()
    rows = mesa.batch_run(
        BatchModel,
        parameters={"scenario": SCENARIOS, "overrides": [tuple(overrides)]},
        rng=list(range(seeds)),
        number_processes=processes,
        max_steps=max_steps,
        data_collection_period=-1,
        display_progress=False,
    )
    elapsed = time.perf_counter() - t0
    assert len(rows) == len(SCENARIOS) * seeds
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    ap.add_argument("--json", help="also write the raw timings here")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides for every run, e.g. world=synthetic")
    a = ap.parse_args()
    cfg = sim.compose([*a.overrides, *FIXED])
    max_steps = int(cfg.burn_in) + int(cfg.steps)
    runs, n = len(SCENARIOS) * a.seeds, a.jobs
    methods = {  # name: (processes, timing function)
        "in-process loop (reference)": (1, lambda: in_process(a.seeds, a.overrides)),
        "hydra basic launcher": (1, lambda: hydra_sweep(a.seeds, a.overrides, [])),
        "hydra joblib launcher": (
            n,
            lambda: hydra_sweep(a.seeds, a.overrides, ["hydra/launcher=local", f"hydra.launcher.n_jobs={n}"]),
        ),
        "mesa batch_run, 1 process": (1, lambda: batch_run(a.seeds, a.overrides, 1, max_steps)),
        f"mesa batch_run, {n} processes": (n, lambda: batch_run(a.seeds, a.overrides, n, max_steps)),
    }
    times: dict[str, list[float]] = {k: [] for k in methods}
    for rep in range(a.reps):
        for name, (_, fn) in methods.items():
            times[name].append(fn())
            print(f"rep {rep + 1}/{a.reps} {name}: {times[name][-1]:.1f} s", file=sys.stderr)
    ref = statistics.median(times["in-process loop (reference)"])
    print(
        f"\ngrid: {' | '.join(SCENARIOS)} x {a.seeds} seeds = {runs} runs of {max_steps} weeks "
        f"(world {cfg.world.name}{'; overrides: ' + ' '.join(a.overrides) if a.overrides else ''}); "
        f"median of {a.reps}; {os.cpu_count()} cores\n"
    )
    print("| method | processes | wall time (s), median [min] | runs per minute | speedup | parallel efficiency |")
    print("|---|---|---|---|---|---|")
    for name, (procs, _) in methods.items():
        med = statistics.median(times[name])
        print(
            f"| {name} | {procs} | {med:.1f} [{min(times[name]):.1f}] | {runs / med * 60:.1f} | {ref / med:.2f} "
            f"| {ref / med / procs:.2f} |"
        )
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                {
                    "runs": runs,
                    "max_steps": max_steps,
                    "cores": os.cpu_count(),
                    "overrides": a.overrides,
                    "times": times,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
