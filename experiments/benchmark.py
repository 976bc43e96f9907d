"""Benchmark: start-up time, time per simulated year, peak memory and microseconds per agent-step
of the model on the default world and on synthetic worlds, against Mesa's Boltzmann wealth model
(10,000 agents) measured in the same run as the framework's floor.

    .venv/bin/python experiments/benchmark.py            # default world, 100, 400, 1,600 territories; 3 repetitions
    .venv/bin/python experiments/benchmark.py --quick    # default world, 100 and 400 territories; 1 repetition
    .venv/bin/python experiments/benchmark.py --out      # also write the table to results/benchmark.md
    .venv/bin/python experiments/benchmark.py --src ../other-checkout --sizes 400   # another version of the code
    .venv/bin/python experiments/benchmark.py --phases   # also seconds per simulated year of each phase

Every measurement runs in a fresh Python process (one core: BLAS threads pinned to 1), so start-up
costs, caches and peak memory of one configuration do not leak into another; the table reports
medians over ``--reps`` processes. Times are CPU seconds of that single-threaded process (equal to
wall time on an idle core, and less disturbed than wall time when other jobs share the machine).

* init: ``CrimeModel(cfg)`` (world, routes, agents), after imports and config composition;
* per simulated year: 52 weekly steps from the start, data collection included;
* us per agent-step: step time / agents (organisations, facilitators, politicians, police units
  and communities; mean over the measured weeks) -- the cost of one agent for one week. The
  Boltzmann reference does for each of its agents what Mesa's tutorial model does (give one unit
  of wealth to another agent picked with ``self.random``, activation by ``shuffle_do``), so the
  ratio says how far the model is from Mesa's own per-agent overhead;
* peak RSS: the process's maximum resident memory (interpreter and libraries included; the line
  under the table gives the same process's size after imports);
* full default run: ``sim.run`` of the default configuration (the world's burn-in + 10 years, outputs
  not written), the unit of a sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
clock = time.process_time  # CPU seconds of this (single-threaded) process: = wall time on an idle core
ONE_CORE = {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
BOLTZMANN_AGENTS = 10_000


# ----------------------------------------------------------------------------- measured in children
def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_boltzmann(n_agents: int, steps: int) -> dict:
    """Mesa's Boltzmann wealth model without space (the Mesa tutorial's first model)."""
    import mesa

    class MoneyAgent(mesa.Agent):
        def __init__(self, model, index: int) -> None:
            super().__init__(model)
            self.index = index
            self.wealth = 1

        def step(self) -> None:
            if self.wealth > 0:
                agents = self.model.agent_list
                j = self.random.randrange(len(agents) - 1)  # any agent but itself
                other = agents[j + (j >= self.index)]
                other.wealth += 1
                self.wealth -= 1

    class BoltzmannWealth(mesa.Model):
        def __init__(self, n: int, seed: int = 0) -> None:
            super().__init__(rng=seed)
            self.agent_list = [MoneyAgent(self, i) for i in range(n)]

        def step(self) -> None:
            self.agents.shuffle_do("step")

    rss0 = _rss_mb()
    t0 = clock()
    model = BoltzmannWealth(n_agents)
    init = clock() - t0
    t0 = clock()
    for _ in range(steps):
        model.step()
    run = clock() - t0
    assert sum(a.wealth for a in model.agent_list) == n_agents
    return {
        "init": init,
        "year": run / steps * 52,
        "us_agent_step": run / steps / n_agents * 1e6,
        "agents": n_agents,
        "peak_mb": _rss_mb(),
        "import_mb": rss0,
    }


def _overrides(world: str) -> list[str]:
    over = ["progress=false", "output.write=false"]
    return over if world == "default" else [*over, "world=synthetic", f"world.n_territories={world}"]


def _time_phases(model, spent: dict) -> None:
    """Charge the CPU time of each phase (and of data collection) to ``spent``."""
    import sim.model.model

    def timed(name, phase):
        def run(m):
            t0 = clock()
            phase(m)
            spent[name] = spent.get(name, 0.0) + clock() - t0

        return run

    sim.model.model.PHASES = tuple((name, timed(name, phase)) for name, phase in sim.model.model.PHASES)
    model.datacollector.collect = timed("data collection", model.datacollector.collect)


def child_model(world: str, weeks: int, phases: bool = False) -> dict:
    import sim
    from sim.run import make_model

    cfg = sim.compose(_overrides(world))
    rss0 = _rss_mb()
    t0 = clock()
    model = make_model(cfg)
    init = clock() - t0
    spent: dict[str, float] = {}
    if phases:
        _time_phases(model, spent)
    agents = 0
    t0 = clock()
    for _ in range(weeks):
        model.step()
        agents += len(model.agents)
    run = clock() - t0
    agents /= weeks
    out = {
        "init": init,
        "year": run / weeks * 52,
        "us_agent_step": run / weeks / agents * 1e6,
        "agents": agents,
        "territories": model.world.n,
        "peak_mb": _rss_mb(),
        "import_mb": rss0,
    }
    out.update({f"phase:{k}": v / weeks * 52 for k, v in spent.items()})
    return out


def child_full_run() -> dict:
    import sim

    cfg = sim.compose(_overrides("default"))
    t0 = clock()
    result = sim.run(cfg)
    run = clock() - t0
    return {"run": run, "weeks": len(result.timeseries), "burn_in": int(cfg.burn_in), "peak_mb": _rss_mb()}


# ----------------------------------------------------------------------------- driver
def measure(job: dict, reps: int, src: Path) -> dict:
    """Median of ``reps`` fresh processes running ``job``."""
    env = {**os.environ, **ONE_CORE, "PYTHONPATH": str(src)}
    out = []
    for _ in range(reps):
        p = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(job)],
            capture_output=True,
            text=True,
            env=env,
            cwd=src,
            check=False,
        )
        if p.returncode:
            raise RuntimeError(f"benchmark job {job} failed:\n{p.stderr[-3000:]}")
        out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(o[k] for o in out) for k in out[0]}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; one core per measurement; "
        f"load average {load:.1f} at the start"
    )


def table(ref: dict, rows: list[tuple[str, dict]], full: dict | None, reps: int) -> str:
    lines = [
        f"Medians of {reps} fresh processes each, CPU time; {machine()}.",
        "",
        (
            "| model | territories | agents | init (s) | per simulated year (s) | us per agent-step "
            "| x Boltzmann | peak RSS (MB) |"
        ),
        "|---|---|---|---|---|---|---|---|",
        (
            f"| Mesa Boltzmann wealth (reference) | - | {ref['agents']:,.0f} | {ref['init']:.2f} | "
            f"{ref['year']:.2f} | {ref['us_agent_step']:.2f} | 1 | {ref['peak_mb']:.0f} |"
        ),
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['territories']:,.0f} | {r['agents']:,.0f} | {r['init']:.2f} | {r['year']:.2f} | "
            f"{r['us_agent_step']:.1f} | {r['us_agent_step'] / ref['us_agent_step']:.0f} | {r['peak_mb']:.0f} |"
        )
    lines.append("")
    imports = [r["import_mb"] for _, r in rows]
    if imports:
        lines.append(f"Peak RSS includes the interpreter and libraries: {min(imports):.0f} MB after imports.")
    sizes = {int(r["territories"]): r for name, r in rows if name.startswith("synthetic")}
    for small, big in ((100, 400), (400, 1600)):
        if small in sizes and big in sizes:
            lines.append(
                f"Time per simulated year, {big:,} against {small:,} territories: "
                f"{sizes[big]['year'] / sizes[small]['year']:.1f}x (linear: {big / small:.1f}x)."
            )
    if full:
        lines.append(
            f"Full default run ({int(full['burn_in'])}-week burn-in + 10 years, `sim.run`, outputs not written): "
            f"{full['run']:.2f} s."
        )
    phases = sorted(
        {k for _, r in rows for k in r if k.startswith("phase:")}, key=lambda k: -max(r.get(k, 0.0) for _, r in rows)
    )
    if phases:
        lines += [
            "",
            "Seconds per simulated year by phase (the phases timed one by one: a little slower in all):",
            "",
            "| phase | " + " | ".join(f"{int(r['territories']):,} territories" for _, r in rows) + " |",
            "|---|" + "---|" * len(rows),
        ]
        for k in phases:
            lines.append(f"| {k[6:]} | " + " | ".join(f"{r.get(k, 0.0):.3f}" for _, r in rows) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="default world, 100 and 400 territories, 1 repetition")
    ap.add_argument("--sizes", nargs="*", type=int, help="synthetic world sizes (default 100 400 1600)")
    ap.add_argument("--reps", type=int, help="processes per configuration (default 3; 1 with --quick)")
    ap.add_argument("--no-default", action="store_true", help="skip the default world and the full run")
    ap.add_argument("--out", nargs="?", const="results/benchmark.md", help="also write the table here")
    ap.add_argument("--phases", action="store_true", help="also time each phase of the week (a table per phase)")
    ap.add_argument("--src", default=str(ROOT), help="checkout of the project to measure (default: this one)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        job = json.loads(a.child)
        kind = job.pop("kind")
        result = {"boltzmann": child_boltzmann, "model": child_model, "full": child_full_run}[kind](**job)
        print(json.dumps(result))
        return
    sizes = a.sizes if a.sizes is not None else ([100, 400] if a.quick else [100, 400, 1600])
    reps = a.reps or (1 if a.quick else 3)
    src = Path(a.src).resolve()
    ref = measure({"kind": "boltzmann", "n_agents": BOLTZMANN_AGENTS, "steps": 20 if a.quick else 50}, reps, src)
    worlds = ([] if a.no_default else ["default"]) + [str(n) for n in sizes]
    rows = []
    for world in worlds:
        r = measure({"kind": "model", "world": world, "weeks": 52, "phases": a.phases}, reps, src)
        rows.append(
            ("default world (hemisphere)" if world == "default" else f"synthetic, {int(world):,} territories", r)
        )
        print(
            f"measured {rows[-1][0]}: init {r['init']:.2f} s, {r['year']:.2f} s per year", file=sys.stderr, flush=True
        )
    full = None if a.no_default else measure({"kind": "full"}, reps, src)
    text = table(ref, rows, full, reps)
    print(text)
    if a.out:
        out = Path(a.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        command = " ".join(["experiments/benchmark.py", *sys.argv[1:]])
        out.write_text(f"# Benchmark\n\nCommand: `.venv/bin/python {command}`\n\n{text}\n")
        print(f"\nwritten to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
