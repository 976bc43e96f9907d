"""Compare policy scenarios across seeds: table with 90% intervals, paired changes, plots, report.

Run as ``python experiments/compare.py`` (see ``--help``). Every scenario x seed is one run of
``sim.run`` in a worker process (joblib, all cores by default); the same seed gives the same
world and the same shocks until the policies start, so changes against baseline are paired by seed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from . import stats
from .run import PROJECT_ROOT, compose, run

SCENARIOS = ("baseline", "mano_dura_2003", "mano_dura_2022", "police_reform", "extradition",
             "border_hardening", "prevention", "truce")
COLORS = ("black", "firebrick", "darkred", "royalblue", "darkorange", "seagreen", "mediumpurple", "saddlebrown",
          "teal", "gray")


def one_run(scenario: str, seed: int, extra: tuple[str, ...]) -> pd.DataFrame:
    """Yearly means of the headline outcomes of one run (one row per simulated year)."""
    cfg = compose([f"scenario={scenario}", f"seed={seed}", "progress=false", "output.write=false", *extra])
    ts = run(cfg).timeseries
    y = stats.yearly(ts).reset_index()
    y.insert(0, "seed", seed)
    y.insert(0, "scenario", scenario)
    return y


def run_all(scenarios, seeds: int, extra=(), jobs: int = -1, progress: bool = True) -> pd.DataFrame:
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    tasks = [(sc, s) for s in range(seeds) for sc in scenarios]
    gen = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(one_run)(sc, s, tuple(extra)) for sc, s in tasks)
    frames = list(tqdm(gen, total=len(tasks), desc="scenario x seed runs", unit="run", disable=not progress))
    return pd.concat(frames, ignore_index=True).sort_values(["scenario", "seed", "year_index"])


def plot(per_run: pd.DataFrame, scenarios, out: Path, level: float = 0.9) -> list[str]:
    """One PNG per outcome: yearly mean across seeds with the central ``level`` band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    q = [50 * (1 - level) / 100, 50 * (1 + level) / 100]
    for outcome, (label, _fmt) in stats.OUTCOMES.items():
        fig, ax = plt.subplots(figsize=(8, 5.2))
        for color, sc in zip(COLORS, scenarios):
            g = per_run[per_run["scenario"] == sc].groupby("year_index")[outcome]
            mean, lo, hi = g.mean(), g.quantile(q[0]), g.quantile(q[1])
            ax.plot(mean.index, mean.values, color=color, lw=2 if sc == "baseline" else 1.5, label=sc)
            ax.fill_between(mean.index, lo.values, hi.values, color=color, alpha=0.12, lw=0)
        ax.set_xlabel("years after the policy starts")
        ax.set_ylabel(label)
        ax.set_title(f"{label}: mean and {int(level * 100)}% band across seeds")
        ax.grid(alpha=0.3)
        fig.legend(loc="lower center", ncol=4, frameon=False, fontsize=9)
        fig.tight_layout(rect=(0, 0.12, 1, 1))
        name = f"{outcome}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        files.append(name)
    return files


def write_report(summary: pd.DataFrame, per_run: pd.DataFrame, scenarios, out: Path, seeds: int, wall: float,
                 extra=()) -> None:
    summary.to_csv(out / "table.csv", index=False)
    per_run.to_csv(out / "runs_yearly.csv", index=False)
    tables = {y: stats.markdown_table(summary, y, list(scenarios)) for y in (5, 10)}
    (out / "table.md").write_text("\n\n".join(f"## Year {y}\n\n{t}" for y, t in tables.items()) + "\n")
    plots = plot(per_run, scenarios, out)
    over = " ".join(extra) if extra else "(none)"
    lines = [
        f"# Scenario comparison: {len(scenarios)} scenarios x {seeds} seeds",
        "",
        f"Overrides: `{over}`. Wall time {wall:.0f} s. Cells: mean [5th, 95th percentile] across seeds;",
        "Δ = change against baseline, computed seed by seed (paired), with its interval. Year N = the",
        "mean over the N-th year after the policies start (after the 2-year burn-in).",
        "",
        "The model's levels are a rough hand calibration (see the README's calibration status);",
        "read the paired changes rather than the levels.",
        "",
        "## Year 5", "", tables[5], "", "## Year 10", "", tables[10], "",
        "## Plots", "",
    ]
    lines += [f"- [{stats.OUTCOMES[p[:-4]][0]}]({p})" for p in plots]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Compare policy scenarios across seeds.")
    ap.add_argument("--seeds", type=int, default=30, help="seeds per scenario (default 30)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated scenario names from configs/scenario (combinations: a+b); "
                         "changes are computed against the first one")
    ap.add_argument("--name", default="compare", help="output folder under results/")
    ap.add_argument("--jobs", type=int, default=-1, help="worker processes (default: all cores)")
    ap.add_argument("--out", default=None, help="output folder (default results/<name>)")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides applied to every run, e.g. steps=260")
    a = ap.parse_args(argv)
    if a.seeds < 2:
        ap.error("--seeds must be at least 2 (intervals need several seeds)")
    scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    expanded = [f"[{s.replace('+', ',')}]" if "+" in s else s for s in scenarios]
    for s in expanded:  # fail fast, in one line, on a bad scenario or override
        try:
            compose([f"scenario={s}", *a.overrides])
        except Exception as err:  # noqa: BLE001
            from .cli import describe_error

            raise SystemExit(f"error: {describe_error(err, [f'scenario={s}', *a.overrides])}") from None
    out = Path(a.out) if a.out else PROJECT_ROOT / "results" / a.name
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    per_run = run_all(expanded, a.seeds, a.overrides, a.jobs)
    per_run["scenario"] = per_run["scenario"].map(dict(zip(expanded, scenarios)))
    wall = time.perf_counter() - t0
    summary = stats.summarise(per_run, baseline=scenarios[0])
    write_report(summary, per_run, scenarios, out, a.seeds, wall, a.overrides)
    print((out / "table.md").read_text())
    print(f"{len(scenarios)} scenarios x {a.seeds} seeds in {wall:.0f} s; report: {out / 'report.md'}")


if __name__ == "__main__":  # pragma: no cover
    main()
