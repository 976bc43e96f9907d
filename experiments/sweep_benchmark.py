"""Runs per minute of one sweep grid with Hydra's basic launcher, Hydra's joblib launcher
(``hydra/launcher=local``) and Mesa's ``batch_run``, and their parallel efficiency.

    .venv/bin/python experiments/sweep_benchmark.py [--reps 3] [--seeds 4]

Each launcher runs the same grid (2 scenarios x N seeds on a synthetic world) into a fresh store;
the table reports the median wall time of ``--reps`` repetitions. Parallel efficiency =
(basic-launcher time / launcher time) / cores. Mesa's batch_run is measured last because it
switches the process to the 'spawn' start method (STACK.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from sim import compose
from sim.model import CrimeModel

GRID = ["world=synthetic", "world.n_territories=40", "steps=520", "burn_in=52", "progress=false"]


def hydra_sweep(seeds: int, launcher: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sim", "-m", f"seed=range(0,{seeds})", "scenario=baseline,truce",
               f"store={tmp}/store", f"hydra.sweep.dir={tmp}/hydra", *GRID]
        if launcher:
            cmd.append(f"hydra/launcher={launcher}")
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
        return time.perf_counter() - t0


class BatchModel(CrimeModel):
    """The model with keyword parameters, as mesa.batch_run wants it."""

    def __init__(self, scenario="baseline", run_seed=0, **_mesa_kwargs):  # batch_run adds seed/rng itself
        super().__init__(compose([f"scenario={scenario}", f"seed={run_seed}", *GRID, "output.write=false"]))


def batch_run(seeds: int, processes: int) -> float:
    import mesa

    t0 = time.perf_counter()
    mesa.batch_run(BatchModel, parameters={"scenario": ["baseline", "truce"], "run_seed": list(range(seeds))},
                   iterations=1, max_steps=520 + 52, number_processes=processes, data_collection_period=-1,
                   display_progress=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=4)
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    runs = 2 * a.seeds
    times = {
        "hydra basic launcher (1 process)": [hydra_sweep(a.seeds, None) for _ in range(a.reps)],
        f"hydra joblib launcher ({cores} processes)": [hydra_sweep(a.seeds, "local") for _ in range(a.reps)],
        f"mesa batch_run ({cores} processes)": [batch_run(a.seeds, cores) for _ in range(a.reps)],
    }
    base = statistics.median(next(iter(times.values())))
    print(f"grid: 2 scenarios x {a.seeds} seeds = {runs} runs of 12 simulated years on 40 synthetic territories; "
          f"median of {a.reps}; {cores} cores\n")
    print("| launcher | wall time (s) | runs per minute | parallel efficiency |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        workers = 1 if "1 process" in name else cores
        print(f"| {name} | {med:.1f} | {runs / med * 60:.1f} | {base / med / workers:.2f} |")


if __name__ == "__main__":
    main()
