"""Sweeps at scale: planning and submitting 10,000 runs, local parallel efficiency, and the projected
wall time of 10,000 default runs on a 100-core SLURM cluster.

    .venv/bin/python experiments/sweep_benchmark.py [--reps 3] [--seeds 4] [--jobs N] [--plan 10000]
        [--slurm] [--cores 100] [overrides ...]

1. Planning: ``sim.analysis.sweep.plan_sweep`` of ``--plan`` runs (2 scenarios x seeds) on the
   default world, in this process: total, the two base configs' composition, and per run.
   With ``--slurm`` (a SLURM cluster answering, e.g. ``eval "$(bash scripts/slurm/up.sh | tail -1)"``)
   the same sweep is submitted for real with ``hydra/launcher=slurm hydra.launcher.detach=true``:
   the command's wall time (Python start, plan, sbatch), then its jobs are cancelled.
2. Local efficiency on one grid: 2 scenarios (baseline, mano_dura_2022) x ``--seeds`` seeds on the
   default world and horizon (its 10-year burn-in + 10 years) unless overrides say otherwise. Every
   method runs the whole grid; the table gives the median wall time of ``--reps`` repetitions
   (taken in turn, so that a slow moment of the machine hits all methods alike):

   - ``in-process loop``: ``sim.run`` of each config one after another in this (warm) process:
     the work itself, the reference ``T_ref``.
   - ``sweep, one process``: ``python -m sim -m ... store=...`` (the runs one after another).
   - ``sweep, local launcher``: the same with ``hydra/launcher=local hydra.launcher.n_jobs=N``.
   - ``mesa batch_run``: ``mesa.batch_run`` over the same grid, 1 and N processes (its pool uses
     'spawn'; runs are not written to disk, the sweeps write the four contract files).

   The sweep rows include starting Python, planning and writing the store. Speedup = ``T_ref /
   T``; parallel efficiency = speedup / processes. The launcher's own efficiency, as the issue
   defines it, is ``T(one process) / (N x T(local launcher))``, from the same alternating
   repetitions. Other programs running at the same time slow some repetitions down: the table
   also shows the fastest one.
3. Projection: 10,000 default runs on ``--cores`` cores, from the measured cost of a run
   (median of the in-process loop), the measured start-up of a SLURM task (Python, imports and
   one base config: ``python -m sim.worker`` does the same) and the automatic chunking of
   ``configs/hydra/launcher/slurm.yaml`` with ``array_parallelism`` = cores. It leaves out the
   cluster's queueing time, which no benchmark here can know.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

import sim
from sim.analysis.slurm import runs_per_task, time_limit
from sim.analysis.sweep import launcher_knobs, plan_sweep
from sim.model import CrimeModel

ROOT = Path(__file__).resolve().parent.parent
CPU: dict[str, list[float]] = collections.defaultdict(list)  # CPU seconds of each sweep command (all its processes)
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
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        CPU[" ".join(launcher)].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
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


def plan_cost(n: int, overrides: list[str]) -> dict:
    """Plan ``n`` runs (2 scenarios x n/2 seeds) in this process; the bases' composition apart."""
    seeds = f"seed=range(0,{n // len(SCENARIOS)})"
    t0 = time.perf_counter()
    sim.compose([*overrides, *FIXED], check=False)  # a warm Hydra: what the planner's bases cost
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = plan_sweep([seeds, f"scenario={','.join(SCENARIOS)}", *overrides, *FIXED])
    total = time.perf_counter() - t0
    per_run = (total - len(plan.bases) * t_base) / len(plan.runs)
    return {"runs": len(plan.runs), "total_s": total, "bases": len(plan.bases), "base_s": t_base, "per_run_s": per_run}


def slurm_submit(n: int, overrides: list[str]) -> dict | None:
    """Submit ``n`` runs for real (detached), time the command, cancel the jobs."""
    if not os.environ.get("SLURM_CONF") and not Path("/etc/slurm/slurm.conf").exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        cmd = [
            sys.executable,
            "-m",
            "sim",
            "-m",
            f"seed=range(0,{n // len(SCENARIOS)})",
            f"scenario={','.join(SCENARIOS)}",
            f"store={store}",
            *overrides,
            *FIXED,
            "hydra/launcher=slurm",
            "hydra.launcher.detach=true",
            "hydra.launcher.array_parallelism=100",
        ]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        subprocess.run([sys.executable, "-m", "sim.status", str(store), "--cancel"], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"slurm submission failed: {out.stderr.strip()}", file=sys.stderr)
            return None
        submitted = next((ln for ln in out.stdout.splitlines() if ln.startswith("submitted")), "")
        return {"wall_s": wall, "line": submitted}


def task_startup(reps: int) -> float:
    """Median wall time of what a SLURM task does before its first run: start Python, import the
    worker, compose one base config."""
    code = (
        "from sim.analysis.slurm import worker_main; from sim.analysis.sweep import Runner; "
        "Runner('.', ['progress=false']).base(())"
    )
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    ap.add_argument("--plan", type=int, default=10_000, help="runs to plan (and submit with --slurm)")
    ap.add_argument("--slurm", action="store_true", help="also submit --plan runs to SLURM for real, then cancel")
    ap.add_argument("--cores", type=int, default=100, help="cluster cores for the projection")
    ap.add_argument("--no-batch-run", action="store_true", help="leave out Mesa's batch_run")
    ap.add_argument("--json", help="also write the raw timings here")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides for every run, e.g. world=synthetic")
    a = ap.parse_args()
    cfg = sim.compose([*a.overrides, *FIXED])
    max_steps = int(cfg.burn_in) + int(cfg.steps)
    runs, n = len(SCENARIOS) * a.seeds, a.jobs

    planned = plan_cost(a.plan, a.overrides)
    print(
        f"planning {planned['runs']:,} runs: {planned['total_s']:.1f} s in all; {planned['bases']} base configs "
        f"composed at ~{planned['base_s']:.2f} s each; {planned['per_run_s'] * 1000:.2f} ms per run besides",
        file=sys.stderr,
    )
    submitted = slurm_submit(a.plan, a.overrides) if a.slurm else None
    if submitted:
        print(
            f"submitting {a.plan:,} runs to SLURM: {submitted['wall_s']:.1f} s ({submitted['line']})", file=sys.stderr
        )

    methods = {  # name: (processes, timing function)
        "in-process loop (reference)": (1, lambda: in_process(a.seeds, a.overrides)),
        "sweep, one process": (1, lambda: hydra_sweep(a.seeds, a.overrides, [])),
        f"sweep, local launcher, {n} workers": (
            n,
            lambda: hydra_sweep(a.seeds, a.overrides, ["hydra/launcher=local", f"hydra.launcher.n_jobs={n}"]),
        ),
    }
    if not a.no_batch_run:
        methods["mesa batch_run, 1 process"] = (1, lambda: batch_run(a.seeds, a.overrides, 1, max_steps))
        methods[f"mesa batch_run, {n} processes"] = (n, lambda: batch_run(a.seeds, a.overrides, n, max_steps))
    times: dict[str, list[float]] = {k: [] for k in methods}
    load = [os.getloadavg()[0]]
    for rep in range(a.reps):
        for name, (_, fn) in methods.items():
            times[name].append(fn())
            print(f"rep {rep + 1}/{a.reps} {name}: {times[name][-1]:.1f} s", file=sys.stderr)
    ref = statistics.median(times["in-process loop (reference)"])
    load.append(os.getloadavg()[0])
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
    one, par = times["sweep, one process"], times[f"sweep, local launcher, {n} workers"]
    ratios = [s / (n * p) for s, p in zip(one, par)]
    print(
        f"\nlocal launcher efficiency T(one process) / ({n} x T(local launcher)): median {statistics.median(ratios):.2f} "
        f"over {len(ratios)} alternating repetitions ({', '.join(f'{r:.2f}' for r in ratios)}); load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after (other programs on the {os.cpu_count()} cores)"
    )
    cpu_one, cpu_par = (statistics.median(v) for v in CPU.values())
    print(
        f"CPU time of the sweep commands (every process): one process {cpu_one:.1f} s, local launcher "
        f"{cpu_par:.1f} s (x{cpu_par / cpu_one:.2f}: what the workers cost beyond the runs)"
    )
    print(
        f"planning {planned['runs']:,} runs: {planned['total_s']:.1f} s ({planned['bases']} base configs at "
        f"~{planned['base_s']:.2f} s each, then {planned['per_run_s'] * 1000:.2f} ms per run)"
    )
    if submitted:
        print(
            f"planning and submitting {a.plan:,} runs to SLURM (python -m sim -m ..., detached): {submitted['wall_s']:.1f} s"
        )

    # projection: 10,000 default runs on a.cores cores
    per_run = ref / runs
    startup = task_startup(max(1, a.reps))
    _, knobs = launcher_knobs("slurm", {"array_parallelism": a.cores})
    k = runs_per_task(knobs, 10_000, per_run)
    tasks = -(-10_000 // k)
    waves = -(-tasks // a.cores)
    task_s = startup + k * per_run
    wall = waves * task_s + (submitted["wall_s"] if submitted else planned["total_s"])
    print(
        f"projection: 10,000 runs of {per_run:.2f} s (measured here) on {a.cores} cores: {k} runs per task, "
        f"{tasks} tasks ({waves} wave{'s' if waves > 1 else ''} of {task_s:.0f} s: {startup:.1f} s start-up + "
        f"{k} x {per_run:.2f} s; limit {time_limit(knobs, k, per_run, 0):g} min), about {wall / 60:.1f} min "
        f"besides queueing ({10_000 * per_run / a.cores / 60:.1f} min of pure work per core; task start-up "
        f"{startup * tasks / (10_000 * per_run) * 100:.1f}% on top)"
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
                    "plan": planned,
                    "submit": submitted,
                    "task_startup_s": startup,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
