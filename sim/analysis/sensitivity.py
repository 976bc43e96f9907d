"""Sensitivity: Morris elementary-effects screening (SALib) of headline outcomes over the declared
parameter ranges.

Every documented parameter of ``params`` (``p(default, lo, hi, ...)`` in ``sim/model/config.py``) is
varied over its declared range [lo, hi] (Morris, Campolongo et al. 2007's mu*, the mean absolute
elementary effect, and sigma, their spread: nonlinearity or interactions). All runs share one
seed (common random numbers), so an elementary effect is the parameter's effect plus the run's
sensitivity to a changed history, not two unrelated draws. Outcomes are means over the policy
years of a baseline run on the default world.

Entry point: ``experiments/sensitivity.py``. Morris, M.D. (1991) Factorial sampling plans for
preliminary computational experiments. Technometrics 33(2); Campolongo, F., Cariboni, J. and
Saltelli, A. (2007) An effective screening design for sensitivity analysis of large models.
Environmental Modelling & Software 22(10).

Why short runs by default (a 1-year burn-in, then 2 years): at some corners of the declared ranges
(recruitment and leader removal at their maxima, splinters taking 90% of the members) groups split
faster than they dissolve, past 2,000 organisations within three years, and a run then takes
minutes (the per-organisation loops); the screen ranks the short-run effects.
"""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model import config as schema
from sim.run import compose, quiet_mesa, run

OUTCOMES = (
    "homicide_rate",
    "criminal_members",
    "corrupt_police_share",
    "seizure_share",
    "community_trust",
    "active_groups",
)


def one(values: dict, seed: int, steps: int, burn_in: int = 104) -> dict:
    """Means over the policy years of the outcomes of one baseline run with ``values`` set."""
    quiet_mesa()
    over = [f"params.{k}={float(v)!r}" for k, v in values.items()]
    cfg = compose(
        [*over, f"seed={seed}", f"steps={steps}", f"burn_in={burn_in}", "progress=false", "output.write=false"]
    )
    try:
        ts = run(cfg).timeseries
    except Exception as err:  # a crash inside the declared ranges is a model bug: name where it happened
        raise RuntimeError(f"run failed with {' '.join(over)} seed={seed}: {err!r}") from err
    post = ts[ts["year"] >= 0]
    return {o: float(post[o].mean()) for o in OUTCOMES}


def screen(
    params: dict,
    trajectories: int,
    steps: int,
    seed: int = 0,
    jobs: int = 2,
    levels: int = 4,
    sample_seed: int = 0,
    progress: bool = True,
    burn_in: int = 104,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Morris design, runs and analysis. Returns (mu*/sigma table, outputs per run, design)."""
    from joblib import Parallel, delayed
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    from sim.run import progress as progress_bar  # a bar on a terminal, one line per run in a log

    names = list(params)
    problem = {"num_vars": len(names), "names": names, "bounds": [list(params[n]) for n in names]}
    X = sample.sample(problem, trajectories, num_levels=levels, seed=sample_seed)
    gen = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(one)(dict(zip(names, row)), seed, steps, burn_in) for row in X
    )
    Y = pd.DataFrame(list(progress_bar(gen, total=len(X), desc="morris runs", enabled=progress)))
    rows = []
    for o in OUTCOMES:
        res = analyze.analyze(problem, X, Y[o].to_numpy(), num_levels=levels, print_to_console=False, seed=sample_seed)
        scale = float(Y[o].std()) or 1.0
        for k, n in enumerate(names):
            rows.append(
                {
                    "outcome": o,
                    "parameter": n,
                    "mu_star": float(res["mu_star"][k]),
                    "mu_star_conf": float(res["mu_star_conf"][k]),
                    "sigma": float(res["sigma"][k]),
                    "mu_star_scaled": float(res["mu_star"][k]) / scale,
                }
            )
    return pd.DataFrame(rows), Y, X


def ranking(table: pd.DataFrame) -> pd.Series:
    """Overall rank: mean over outcomes of mu* divided by the outcome's largest mu*."""
    norm = table.assign(r=table["mu_star"] / table.groupby("outcome")["mu_star"].transform("max"))
    return norm.groupby("parameter")["r"].mean().sort_values(ascending=False)


def plot(table: pd.DataFrame, out: Path, top: int = 15) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    for ax, o in zip(axes.ravel(), OUTCOMES):
        t = table[table["outcome"] == o].nlargest(top, "mu_star").iloc[::-1]
        ax.barh(t["parameter"], t["mu_star"], xerr=t["mu_star_conf"], color="tab:blue", alpha=0.8, label="mu*")
        ax.plot(t["sigma"], t["parameter"], "o", color="tab:red", ms=4, label="sigma")
        ax.set_title(o, fontsize=10)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].legend(loc="lower right", fontsize=8)
    fig.suptitle(
        f"Morris screening: the {top} parameters with the largest mu* per outcome "
        "(bars: mu* with 95% bootstrap interval; dots: sigma)"
    )
    fig.tight_layout()
    path = out / "morris.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    import argparse
    import shlex
    import sys

    ap = argparse.ArgumentParser(description="Morris screening of every declared parameter (SALib).")
    ap.add_argument("--trajectories", type=int, default=8, help="Morris trajectories r (default 8; runs = r x (k+1))")
    ap.add_argument("--years", type=int, default=2, help="simulated years after the burn-in (default 2)")
    ap.add_argument("--burn-in", type=int, default=52, help="burn-in weeks (default 52)")
    ap.add_argument("--groups", default="", help="only these parameter groups, comma-separated (default: all)")
    ap.add_argument("--seed", type=int, default=0, help="model seed shared by all runs (default 0)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--out", default="results/sensitivity", help="output folder (default results/sensitivity)")
    args = ap.parse_args(argv)
    groups = tuple(g for g in args.groups.split(",") if g)
    params = schema.declared_ranges(groups)
    if not params:
        ap.error(
            f"--groups {args.groups}: no documented parameters there (groups: "
            f"{', '.join(f.name for f in fields(schema.ParamsConfig))})"
        )
    t0 = time.time()
    table, Y, X = screen(params, args.trajectories, 52 * args.years, args.seed, args.jobs, burn_in=args.burn_in)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "morris.csv", index=False)
    pd.concat([pd.DataFrame(X, columns=list(params)), Y], axis=1).to_csv(out / "runs.csv", index=False)
    png = plot(table, out)
    rank = ranking(table)
    command = "experiments/sensitivity.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    lines = [
        f"# Morris screening\n\n`{command.strip()}`: {len(params)} parameters, {len(X)} runs "
        f"({args.trajectories} trajectories), {args.burn_in}-week burn-in then {args.years} years, seed {args.seed}, "
        f"{time.time() - t0:.0f} s. Plot: `{png.name}`.\n",
        "## Overall ranking (mean over outcomes of mu* / the outcome's largest mu*)\n",
        "| rank | parameter | score | " + " | ".join(f"mu* {o}" for o in OUTCOMES) + " |",
        "|---|---|---|" + "---|" * len(OUTCOMES),
    ]
    # {parameter: {outcome: mu*}}
    wide = table.pivot(index="parameter", columns="outcome", values="mu_star").to_dict("index")
    for i, (name, score) in enumerate(rank.head(20).items(), 1):
        lines.append(f"| {i} | `{name}` | {score:.2f} | " + " | ".join(f"{wide[name][o]:.3g}" for o in OUTCOMES) + " |")
    text = "\n".join(lines) + "\n"
    (out / "report.md").write_text(text)
    print(text)
    return 0
