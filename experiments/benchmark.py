"""Benchmark: init time, time per simulated year, peak memory and microseconds per agent-step, for
the default world and synthetic worlds, against Mesa's Boltzmann wealth model measured in the
same run as the framework's floor.

    .venv/bin/python experiments/benchmark.py                 # default, 100 and 400 territories
    .venv/bin/python experiments/benchmark.py --sizes 100 400 1600 --reps 3

Each configuration runs in a fresh subprocess (so peak memory is its own); times are medians of
``--reps`` repetitions. An agent-step is one agent for one week (all agents of the model counted).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
kind, arg = {kind!r}, {arg!r}
if kind == "boltzmann":
    import mesa

    class Money(mesa.Agent):
        def __init__(self, model):
            super().__init__(model)
            self.wealth = 1

        def step(self):
            if self.wealth > 0:
                other = self.random.choice(self.model.agent_list)
                other.wealth += 1
                self.wealth -= 1

    class Boltzmann(mesa.Model):
        def __init__(self, n):
            super().__init__(rng=0)
            Money.create_agents(self, n)
            self.agent_list = list(self.agents)

        def step(self):
            self.agents.shuffle_do("step")

    t0 = time.perf_counter(); m = Boltzmann(int(arg)); init = time.perf_counter() - t0
    weeks = 20
    t0 = time.perf_counter()
    for _ in range(weeks):
        m.step()
    run = time.perf_counter() - t0
    agents = len(m.agents)
else:
    import sim
    from sim.model import CrimeModel
    over = ["progress=false", "output.write=false"] + ([] if arg == "default" else ["world=synthetic", f"world.n_territories={{arg}}"])
    cfg = sim.compose(over)
    t0 = time.perf_counter(); m = CrimeModel(cfg); init = time.perf_counter() - t0
    weeks = 52
    t0 = time.perf_counter()
    for _ in range(weeks):
        m.step()
    run = time.perf_counter() - t0
    agents = len(m.agents)
print(json.dumps(dict(init=init, year=run * 52 / weeks, us_per_agent_step=run / weeks / agents * 1e6,
                      agents=agents, peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def measure(kind: str, arg: str, reps: int, root: str) -> dict:
    out = []
    for _ in range(reps):
        p = subprocess.run([sys.executable, "-c", CHILD.format(root=root, kind=kind, arg=arg)],
                           capture_output=True, text=True, check=True)
        out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(o[k] for o in out) for k in out[0]}


def main() -> None:
    from pathlib import Path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[100, 400], help="synthetic world sizes")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    root = str(Path(__file__).resolve().parent.parent)
    ref = measure("boltzmann", "10000", a.reps, root)
    rows = [("default world (hemisphere)", measure("world", "default", a.reps, root))]
    rows += [(f"synthetic, {n} territories", measure("world", str(n), a.reps, root)) for n in a.sizes]
    print(f"median of {a.reps} runs, each configuration in a fresh process\n")
    print("| model | agents | init (s) | per simulated year (s) | peak memory (MB) | us per agent-step | x Boltzmann |")
    print("|---|---|---|---|---|---|---|")
    print(f"| Mesa Boltzmann wealth, 10,000 agents | {ref['agents']:.0f} | {ref['init']:.2f} | "
          f"{ref['year']:.2f} (52 steps) | {ref['peak_mb']:.0f} | {ref['us_per_agent_step']:.2f} | 1.0 |")
    for name, r in rows:
        print(f"| {name} | {r['agents']:.0f} | {r['init']:.2f} | {r['year']:.2f} | {r['peak_mb']:.0f} | "
              f"{r['us_per_agent_step']:.1f} | {r['us_per_agent_step'] / ref['us_per_agent_step']:.0f} |")


if __name__ == "__main__":
    main()
