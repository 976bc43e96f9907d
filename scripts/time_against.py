"""Time this checkout against an earlier commit, alternating, as ratios: is a change faster?

One machine's speed drifts by 20% or more within an hour (README "Performance", "The main job"), so
a single timing of each version says little. This script checks ``REF`` out in a temporary git
worktree and runs the same work with each version in turn, ``--rounds`` times, each in a fresh
process: by default the tasks a worker of the main job runs (``sim.analysis.compare.seed_runs``: one
seed's scenarios, one burn-in, for seeds 0..``--seeds``-1, in one process); with ``--main`` the
whole main job (the Makefile's ``run`` target: ``experiments/compare.py --seeds 8``, written to a
temporary folder; both versions run this checkout's main job). It prints
each round's CPU time (user + system; wall for ``--main``), the ratio this/REF, their medians, and
whether both versions computed the same numbers (a digest of every table they returned, or
``cmp`` of the main job's CSV files).

    .venv/bin/python scripts/time_against.py HEAD~3                # 3 rounds of 3 seeds' tasks
    .venv/bin/python scripts/time_against.py f9a99a7 --main --rounds 2
    .venv/bin/python scripts/time_against.py HEAD --scenarios baseline,truce world=synthetic steps=52

The working tree (uncommitted changes included) is "this"; REF is any commit whose
``sim.analysis.compare`` has ``seed_runs`` (2026-12-05 on).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: run by each version's Python, with its checkout first on the path: seed_runs over seeds 0..N-1
#: (the configs composed first, untimed, as the main job's workers receive them); prints a digest
TASKS = """
import hashlib, pickle, sys, time
from sim.analysis import compare
seeds, scenarios, extra = int(sys.argv[1]), sys.argv[2].split(","), tuple(sys.argv[3:])
scenarios = [f"[{s.replace('+', ',')}]" if "+" in s else s for s in scenarios]
composed = {sc: compare.composed_config(sc, extra) for sc in scenarios}
targets = {sc: compare.scenario_countries(pickle.loads(composed[sc])) for sc in scenarios}
countries, _ = compare._countries(None, None, pickle.loads(composed[scenarios[0]]), targets)
digest = hashlib.sha256()
cpu = time.process_time()
results = [compare.seed_runs(scenarios, seed, extra, tuple(countries), composed) for seed in range(seeds)]
cpu = time.process_time() - cpu
for frames in results:
    for frame in (f for run in frames for f in run):
        digest.update(frame.to_csv().encode())
print(cpu, digest.hexdigest()[:16])
"""


def time_tasks(tree: Path, seeds: int, scenarios: str, extra: list[str]) -> tuple[float, str]:
    """CPU seconds of the seeds' tasks of :data:`TASKS` run by ``tree``'s code (not the process's
    start nor the configs' composition), and the digest of what they returned."""
    cpu, digest = _python(tree, ["-c", TASKS, str(seeds), scenarios, *extra]).split()[-2:]
    return float(cpu), digest


def main_job() -> list[str]:
    """The main job's command after ``$(PY)``, as this checkout's Makefile runs it (target ``run``),
    e.g. ``["experiments/compare.py", "--seeds", "8"]``."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("run:"))
    recipe = next(line.strip() for line in lines[start + 1 :] if line.startswith("\t$(PY) "))
    return shlex.split(recipe)[1:]


def time_main(tree: Path, out: Path, extra: list[str]) -> float:
    """Wall seconds of the main job (:func:`main_job`) run by ``tree``'s code, written to ``out``."""
    script, *args = main_job()
    t0 = time.perf_counter()
    _python(tree, [str(tree / script), *args, "--out", str(out), *extra])
    return time.perf_counter() - t0


def _python(tree: Path, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: the run with {tree} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def same_tables(a: Path, b: Path) -> bool:
    """Whether two main jobs wrote the same numbers (every CSV file, byte for byte)."""
    names = sorted(p.name for p in a.glob("*.csv"))
    if not names or names != sorted(p.name for p in b.glob("*.csv")):
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ref", help="the commit to compare with (e.g. HEAD~1, a hash)")
    ap.add_argument("--rounds", type=int, default=3, help="alternations, each version once per round (default 3)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds' tasks per round (default 3; not with --main)")
    ap.add_argument("--scenarios", default=None, help="comma-separated (default: the main job's)")
    ap.add_argument("--main", action="store_true", help="time the whole main job (wall) instead")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides for every run, e.g. world=synthetic steps=52")
    a = ap.parse_intermixed_args(argv)
    if a.rounds < 1 or a.seeds < 1:
        ap.error("--rounds and --seeds must be at least 1")
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", a.ref + "^{commit}"], cwd=ROOT, capture_output=True, text=True
    )
    if sha.returncode != 0:
        ap.error(f"unknown commit {a.ref}")
    with tempfile.TemporaryDirectory(prefix="time_against_") as tmp:
        ref_tree = Path(tmp) / "ref"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(ref_tree), sha.stdout.strip()], cwd=ROOT, check=True
        )
        try:
            rows = _rounds(a, ref_tree, Path(tmp))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref_tree)], cwd=ROOT, check=False)
    unit = "wall s" if a.main else "CPU s"
    print(f"round | {a.ref} ({unit}) | this ({unit}) | ratio this/{a.ref} | same numbers")
    for k, (old, new, same) in enumerate(rows, 1):
        print(f"{k} | {old:.1f} | {new:.1f} | {new / old:.3f} | {'yes' if same else 'NO'}")
    olds, news = [r[0] for r in rows], [r[1] for r in rows]
    ratio = statistics.median(n / o for o, n in zip(olds, news))
    print(f"median | {statistics.median(olds):.1f} | {statistics.median(news):.1f} | {ratio:.3f} |")
    return 0


def _rounds(a, ref_tree: Path, tmp: Path) -> list[tuple[float, float, bool]]:
    from sim.analysis.compare import SCENARIOS

    scenarios = a.scenarios or ",".join(SCENARIOS)
    rows = []
    for k in range(a.rounds):
        if a.main:
            extra = [f"--scenarios={scenarios}", *a.overrides]
            old = time_main(ref_tree, tmp / f"ref_{k}", extra)
            new = time_main(ROOT, tmp / f"this_{k}", extra)
            rows.append((old, new, same_tables(tmp / f"ref_{k}", tmp / f"this_{k}")))
        else:
            old, d_old = time_tasks(ref_tree, a.seeds, scenarios, a.overrides)
            new, d_new = time_tasks(ROOT, a.seeds, scenarios, a.overrides)
            rows.append((old, new, d_old == d_new))
        print(f"round {k + 1}/{a.rounds}: {rows[-1][0]:.1f} -> {rows[-1][1]:.1f}", file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
