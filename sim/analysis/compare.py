"""Compare policy scenarios across seeds: table with 90% intervals, paired changes, plots, report.

Run as ``python experiments/compare.py`` (see ``--help``). Every scenario x seed is one run of
``sim.run`` in a worker process (joblib, all cores by default); the same seed gives the same
world and the same random draws until the policies start, so changes against the baseline (the
first scenario) are paired by seed. Statistics: :mod:`sim.analysis.stats`.

Writes ``results/<name>/``: ``table.csv`` (long format: scenario, year, outcome, mean and spread,
paired change with its spread and the confidence interval of its mean), ``table.md``,
``runs_yearly.csv`` (every run's yearly means, for any other statistic), one PNG per outcome and
``report.md``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import time
from pathlib import Path

import pandas as pd

from sim.analysis import stats
from sim.run import PROJECT_ROOT, _git_commit, compose, run

SCENARIOS = (
    "baseline",
    "mano_dura_2003",
    "mano_dura_2022",
    "police_reform",
    "extradition",
    "border_hardening",
    "prevention",
    "truce",
)
#: baseline in black, then the tab10 colours; past 10 scenarios the line style changes
COLORS = (
    "black",
    "tab:red",
    "tab:purple",
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:pink",
    "tab:brown",
    "tab:olive",
    "tab:cyan",
    "tab:gray",
)
STYLES = ("-", "--", ":", "-.")


def one_run(scenario: str, seed: int, extra: tuple[str, ...]) -> pd.DataFrame:
    """Yearly means of the headline outcomes of one run (the last burn-in year, then every policy year)."""
    cfg = compose([f"scenario={scenario}", f"seed={seed}", "progress=false", "output.write=false", *extra])
    ts = run(cfg).timeseries
    y = stats.yearly(ts, pre_years=1 if int(cfg.burn_in) >= 52 else 0).reset_index()
    y.insert(0, "seed", seed)
    y.insert(0, "scenario", scenario)
    return y


def run_all(scenarios, seeds: int, extra=(), jobs: int = -1, progress: bool = True) -> pd.DataFrame:
    """Every scenario x seed (seeds 0..seeds-1) in ``jobs`` worker processes, with a progress bar."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    tasks = [(sc, s) for s in range(seeds) for sc in scenarios]
    gen = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(one_run)(sc, s, tuple(extra)) for sc, s in tasks
    )
    frames = list(tqdm(gen, total=len(tasks), desc="scenario x seed runs", unit="run", disable=not progress))
    return pd.concat(frames, ignore_index=True).sort_values(["scenario", "seed", "year_index"], ignore_index=True)


def paired_changes(per_run: pd.DataFrame, outcome: str, baseline: str) -> pd.DataFrame:
    """Per seed and year, each scenario's ``outcome`` minus the baseline's (columns: scenario, seed,
    year_index, diff)."""
    base = per_run[per_run["scenario"] == baseline].set_index(["seed", "year_index"])[outcome]
    other = per_run[per_run["scenario"] != baseline]
    joined = other.join(base.rename("base"), on=["seed", "year_index"], how="inner")
    return joined.assign(diff=joined[outcome] - joined["base"])[["scenario", "seed", "year_index", "diff"]]


def plot(per_run: pd.DataFrame, scenarios, out: Path, level: float = 0.9) -> list[str]:
    """One PNG per outcome, scenarios overlaid: above, the yearly mean across seeds with the central
    ``level`` band; below, the change against the baseline (first scenario) paired by seed, with its band.

    Each yearly mean is drawn at the middle of its year; the dotted line marks the start of the
    policies (left of it: the last burn-in year). The legend sits below the axes, inside the file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    q = [(1 - level) / 2, (1 + level) / 2]
    ncol = min(4, len(scenarios))
    rows = -(-len(scenarios) // ncol)
    look = {
        sc: (COLORS[k % len(COLORS)], STYLES[(k // len(COLORS)) % len(STYLES)], 2.2 if k == 0 else 1.5)
        for k, sc in enumerate(scenarios)
    }

    def draw(ax, frame, col, sc):
        color, style, lw = look[sc]
        g = frame.groupby("year_index")[col]
        mean, lo, hi = g.mean(), g.quantile(q[0]), g.quantile(q[1])
        x = mean.index.to_numpy() - 0.5
        ax.plot(x, mean.values, color=color, ls=style, lw=lw, label=sc, marker="o", ms=3)
        ax.fill_between(x, lo.values, hi.values, color=color, alpha=0.12, lw=0)

    for outcome, (label, _fmt) in stats.OUTCOMES.items():
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(8.5, 8.0 + 0.3 * rows), sharex=True, gridspec_kw={"height_ratios": (3, 2)}
        )
        for sc in scenarios:
            draw(top, per_run[per_run["scenario"] == sc], outcome, sc)
        diffs = paired_changes(per_run, outcome, scenarios[0])
        for sc in scenarios[1:]:
            draw(bottom, diffs[diffs["scenario"] == sc], "diff", sc)
        bottom.axhline(0, color=look[scenarios[0]][0], lw=1.2)
        for ax in (top, bottom):
            ax.axvline(0, color="0.4", ls=":", lw=1)
            ax.grid(alpha=0.3)
        top.set_ylabel(label)
        top.set_title(f"{label}: mean and {round(level * 100)}% band across seeds")
        bottom.set_ylabel(f"change against {scenarios[0]}")
        bottom.set_title(f"change against {scenarios[0]}, paired by seed", fontsize=10)
        bottom.set_xlabel("years after the policies start (yearly means; left of the dotted line: last burn-in year)")
        handles, labels = top.get_legend_handles_labels()
        bottom.legend(
            handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, frameon=False, fontsize=9
        )
        fig.tight_layout()
        name = f"{outcome}.png"
        fig.savefig(out / name, dpi=110, bbox_inches="tight")  # bbox_inches keeps the legend in the file
        plt.close(fig)
        files.append(name)
    return files


def write_report(
    summary: pd.DataFrame,
    per_run: pd.DataFrame,
    scenarios,
    out: Path,
    seeds: int,
    wall: float,
    extra=(),
    info: dict | None = None,
    years=(5, 10),
) -> None:
    """Write table.csv, table.md, runs_yearly.csv, the plots and report.md into ``out``."""
    info = info or {}
    baseline = scenarios[0]
    summary.to_csv(out / "table.csv", index=False)
    per_run.to_csv(out / "runs_yearly.csv", index=False)
    tables = {y: stats.markdown_table(summary, y, list(scenarios), baseline=baseline) for y in years}
    (out / "table.md").write_text("\n\n".join(f"## Year {y}\n\n{t}" for y, t in tables.items()) + "\n")
    plots = plot(per_run, scenarios, out)
    over = " ".join(extra) if extra else "(none)"
    lines = [
        f"# Scenario comparison: {len(scenarios)} scenarios x {seeds} seeds",
        "",
        (
            f"World `{info.get('world', '?')}`, {info.get('burn_in', '?')}-week burn-in, then {info.get('steps', '?')} "
            f"weeks; seeds 0-{seeds - 1}; overrides `{over}`; {len(scenarios) * seeds} runs in {wall:.0f} s on "
            f"{info.get('jobs', '?')} worker processes; code `{info.get('commit', '?')}`."
        ),
        "",
        f"Cells: mean [5th, 95th percentile] across seeds. Δ: change against `{baseline}`, taken seed by seed",
        "(paired: same world and same random draws until the policies start), then its mean [5th, 95th",
        "percentile] across seeds; the mean is in **bold** when its 90% confidence interval (Student's t",
        "over the seeds, in `table.csv`) excludes zero. Year N = the mean over the N-th year after the",
        "policies start. The intervals are seed-to-seed spread: they show what can happen in one history,",
        "not parameter uncertainty (the parameters are fixed here).",
        "",
        "The model's levels are a rough hand calibration (see the README's calibration status);",
        "read the paired changes rather than the levels.",
        "",
        "## Scenarios",
        "",
    ]
    lines += [f"- `{sc}`: {info.get('descriptions', {}).get(sc, '')}" for sc in scenarios]
    for y in years:
        lines += ["", f"## Year {y}", "", tables[y]]
    lines += ["", "## Plots", ""]
    lines += [f"- [{stats.OUTCOMES[p[:-4]][0]}]({p})" for p in plots]
    if info.get("command"):
        lines += ["", "## Reproduce", "", "```", info["command"], "```"]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def _parse(argv):
    ap = argparse.ArgumentParser(
        description="Compare policy scenarios across seeds: every scenario x seed, all cores; writes "
        "results/<name>/ (table.csv, table.md, one PNG per outcome, report.md)."
    )
    ap.add_argument("--seeds", type=int, default=30, help="seeds per scenario, 0..N-1 (default 30)")
    ap.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated scenario names from configs/scenario; a combination is a+b; "
        "changes are computed against the first one (default: %(default)s)",
    )
    ap.add_argument("--name", default="compare", help="output folder under results/ (default compare)")
    ap.add_argument("--jobs", type=int, default=-1, help="worker processes (default: all cores)")
    ap.add_argument("--out", default=None, help="output folder (default results/<name>)")
    ap.add_argument(
        "--years", default="5,10", help="years after the policies start shown in the tables (default 5,10; e.g. 1,5,10)"
    )
    ap.add_argument("overrides", nargs="*", help="Hydra overrides applied to every run, e.g. steps=260")
    return ap, ap.parse_args(argv)


def main(argv=None) -> None:
    ap, a = _parse(argv)
    if a.seeds < 2:
        ap.error("--seeds must be at least 2 (intervals need several seeds)")
    scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    if len(set(scenarios)) != len(scenarios):
        ap.error(f"--scenarios lists a scenario twice: {a.scenarios}")
    try:
        years = tuple(int(y) for y in a.years.split(","))
        assert years and min(years) >= 1
    except (ValueError, AssertionError):
        ap.error(f"--years must be comma-separated integers >= 1, e.g. 1,5,10 (got {a.years})")
    if any(o.split("=", 1)[0].lstrip("+~") in ("scenario", "seed") for o in a.overrides):
        ap.error("set scenarios with --scenarios and seeds with --seeds, not as overrides")
    expanded = [f"[{s.replace('+', ',')}]" if "+" in s else s for s in scenarios]
    descriptions = {}
    for name, s in zip(scenarios, expanded):  # fail fast, in one line, on a bad scenario or override
        try:
            cfg = compose([f"scenario={s}", *a.overrides])
        except Exception as err:
            from sim.cli import describe_error

            raise SystemExit(f"error: {describe_error(err, [f'scenario={s}', *a.overrides])}") from None
        descriptions[name] = str(cfg.scenario.description)
    for name in scenarios:  # a combination is described by its parts (each file sets its own description)
        if "+" in name:
            parts = [
                descriptions.get(part) or str(compose([f"scenario={part}"]).scenario.description)
                for part in name.split("+")
            ]
            descriptions[name] = " + ".join(parts)
    out = Path(a.out) if a.out else PROJECT_ROOT / "results" / a.name
    jobs = a.jobs if a.jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + a.jobs)
    t0 = time.perf_counter()
    per_run = run_all(expanded, a.seeds, a.overrides, a.jobs)
    per_run["scenario"] = per_run["scenario"].map(dict(zip(expanded, scenarios)))
    wall = time.perf_counter() - t0
    summary = stats.summarise(per_run, years=years, baseline=scenarios[0])
    command = "python experiments/compare.py " + shlex.join(
        [f"--seeds={a.seeds}", f"--scenarios={','.join(scenarios)}", f"--years={a.years}", *a.overrides]
    )
    info = {
        "world": str(cfg.world.name),
        "steps": int(cfg.steps),
        "burn_in": int(cfg.burn_in),
        "jobs": jobs,
        "commit": _git_commit()[:10],
        "descriptions": descriptions,
        "command": command,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_report(summary, per_run, scenarios, out, a.seeds, wall, a.overrides, info, years)
    print((out / "table.md").read_text())
    full = out.resolve()
    shown = full.relative_to(PROJECT_ROOT) if full.is_relative_to(PROJECT_ROOT) else full
    print(f"{len(scenarios)} scenarios x {a.seeds} seeds in {wall:.0f} s; report: {shown / 'report.md'}")


if __name__ == "__main__":  # pragma: no cover
    main()
