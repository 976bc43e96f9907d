"""Replays as validation: each country episode run from its country's state of the year, scored
against what the seeds (or the shipped data) report afterwards.

An episode is a scenario (``configs/scenario/<episode>.yaml``) and a replay of the same name
(``configs/replay/<episode>.yaml``: the country's state as of the episode's year, each figure with its
source; pinned by ``sim/model/replay.py`` at the start of year 0, after the burn-in has settled the
world). Each seed runs twice from the same pinned state: with the episode's policy and without it
(``scenario=baseline``), paired by seed as in ``sim.analysis.validate`` (one burn-in and pin, forked:
same world and draws until the policy starts). The criteria are data
(``data/replays.csv``, fixed before the runs; the file's header documents the columns): the starting
state against the year's figure (``start``), the change after the episode's start against the seeds'
before/after figures (``before``), the policy's effect against the pinned status quo (``baseline``)
and levels the seeds report (``level``); each passes only when the 90% confidence interval of its mean
over seeds lies inside its band or, without a band, on its side of zero. A failing replay is reported
as failing. Entry point: ``experiments/replay.py``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import stats
from sim.analysis.validate import COUNTRY_COLUMNS, EVENT_COLUMNS, WEEKLY_COLUMNS, WEEKS, by_country
from sim.run import CONFIG_DIR, compose, quiet_mesa

SPEC = Path(__file__).resolve().parents[2] / "data" / "replays.csv"
MEASURES = ("start", "before", "baseline", "level")
UNITS = ("year", "week")
COLUMNS = (
    "id",
    "episode",
    "country",
    "outcome",
    "measure",
    "unit",
    "first",
    "last",
    "direction",
    "low",
    "high",
    "claim",
    "source",
    "note",
)
#: Outcomes derived from a run's countries table by :func:`one` (``data/replays.csv`` documents them).
DERIVED = ("homicides", "arrests_per_100k", "seized_t", "production_rank")
#: What a criterion may read, by unit.
OUTCOMES = {
    "year": {*COUNTRY_COLUMNS, *EVENT_COLUMNS.values(), "members_per_group", *DERIVED},
    "week": set(WEEKLY_COLUMNS),
}
#: The two arms of every replay: the episode's policy and the pinned status quo.
ARMS = ("policy", "baseline")
#: Weeks before the policy that a weekly ``before`` is measured from (the last pre-policy quarter).
PRE_WEEKS = (WEEKS[0], -1)


# ----------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class Criterion:
    """One row of ``data/replays.csv`` (its header documents the fields)."""

    id: str
    episode: str
    country: str
    outcome: str
    measure: str
    unit: str
    first: int
    last: int
    direction: str
    low: float
    high: float
    claim: str
    source: str
    note: str


def criteria(spec: pd.DataFrame) -> list[Criterion]:
    """The rows of a spec (:func:`load_spec`) as typed criteria."""
    kind: dict[str, type] = {"first": int, "last": int, "low": float, "high": float}
    return [Criterion(**{str(k): kind.get(str(k), str)(v) for k, v in row.items()}) for row in spec.to_dict("records")]


def load_spec(path: str | Path = SPEC) -> pd.DataFrame:
    """The replay criteria (:data:`COLUMNS`), checked: each row names an episode that has a scenario and
    a replay file, a known measure and unit, a direction or a band, and its source. Raises
    ``ValueError`` naming the row."""
    spec = pd.read_csv(
        path, comment="#", dtype={"direction": str}, keep_default_na=False, na_values={"low": [""], "high": [""]}
    )
    if tuple(spec.columns) != COLUMNS:
        raise ValueError(f"{path}: columns must be {', '.join(COLUMNS)}; found {', '.join(spec.columns)}")
    if spec["id"].duplicated().any():
        raise ValueError(f"{path}: duplicate id {spec.loc[spec['id'].duplicated(), 'id'].iloc[0]}")
    for r in criteria(spec):
        where = f"{path}: row {r.id}"
        for group in ("scenario", "replay"):
            if not (CONFIG_DIR / group / f"{r.episode}.yaml").is_file():
                raise ValueError(f"{where}: no configs/{group}/{r.episode}.yaml")
        if r.measure not in MEASURES or r.unit not in UNITS:
            raise ValueError(f"{where}: measure must be one of {MEASURES} and unit one of {UNITS}")
        if r.outcome not in OUTCOMES[r.unit]:
            raise ValueError(f"{where}: outcome {r.outcome} is not one of {', '.join(sorted(OUTCOMES[r.unit]))}")
        if r.direction not in ("+", "-", "") or (not r.direction and math.isnan(r.low) and math.isnan(r.high)):
            raise ValueError(f"{where}: needs a direction (+ or -) or a band (low, high)")
        if not r.source.strip() or not r.claim.strip():
            raise ValueError(f"{where}: needs its claim and its source (seed line or data file)")
        if r.first > r.last:
            raise ValueError(f"{where}: first={r.first} after last={r.last}")
    return spec


def overrides(episode: str, arm: str) -> list[str]:
    """Hydra overrides of one arm of an episode's replay (the pinned world with or without its policy)."""
    return [f"scenario={episode if arm == 'policy' else 'baseline'}", f"replay={episode}"]


# ----------------------------------------------------------------------------- runs


def pair(episode: str, seed: int, steps: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both arms of one seed of an episode (:data:`ARMS`), which share their burn-in and pin
    (:func:`sim.fork.forked_runs`): their countries' yearly means (``sim.analysis.validate.by_country``,
    with the derived outcomes of ``data/replays.csv``) and their weekly rows, labelled with episode, arm
    and seed."""
    from sim.fork import forked_runs

    quiet_mesa()
    common = [f"seed={seed}", f"steps={steps}", "progress=false", "output.write=false"]
    yearly, weekly = [], []
    for arm, result in zip(ARMS, forked_runs(compose([*overrides(episode, arm), *common]) for arm in ARMS)):
        y, w = _tables(result)
        for frame in (y, w):
            frame.insert(0, "seed", seed)
            frame.insert(0, "arm", arm)
            frame.insert(0, "episode", episode)
        yearly.append(y)
        weekly.append(w)
    return pd.concat(yearly, ignore_index=True), pd.concat(weekly, ignore_index=True)


def _tables(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's yearly (with the derived outcomes) and weekly country tables."""
    yearly, weekly = by_country(result)
    c = result.countries
    c = c[c["year"] >= -1]
    year_index = np.floor(c["year"]).astype(int) + 1  # as by_country
    seized = c.groupby([c["country"], year_index])["drug_seized_kg"].mean() * 52 / 1000.0
    yearly["seized_t"] = seized.reindex(pd.MultiIndex.from_frame(yearly[["country", "year_index"]])).to_numpy()
    yearly["homicides"] = yearly["homicide_rate"] * yearly["population"] / 1e5
    yearly["arrests_per_100k"] = yearly["arrests"] * 52 / (yearly["population"] / 1e5)
    producing = yearly["coca_production_kg"].where(yearly["coca_production_kg"] > 0)
    yearly["production_rank"] = producing.groupby(yearly["year_index"]).rank(ascending=False, method="min")
    return yearly, weekly


@dataclass
class Runs:
    """Every replay run: ``yearly`` (episode, arm, seed, country, year_index, outcomes) and ``weekly``
    (episode, arm, seed, country, week, outcomes)."""

    yearly: pd.DataFrame
    weekly: pd.DataFrame


def simulate(episodes, seeds: int, steps: int = 520, jobs: int = 2, progress: bool = True) -> Runs:
    """Both arms of every episode over ``seeds`` seeds, in parallel (joblib), one task per episode and
    seed (the arms share its burn-in)."""
    from joblib import Parallel, delayed

    from sim.run import progress as progress_bar  # a bar on a terminal, one line per run in a log

    tasks = [(e, s) for s in range(seeds) for e in episodes]
    gen = Parallel(n_jobs=jobs, return_as="generator")(delayed(pair)(e, s, steps) for e, s in tasks)
    yearly, weekly = [], []
    for y, w in progress_bar(gen, total=len(tasks), desc="replay seeds (both arms)", enabled=progress):
        yearly.append(y)
        weekly.append(w)
    return Runs(pd.concat(yearly, ignore_index=True), pd.concat(weekly, ignore_index=True))


# ----------------------------------------------------------------------------- scoring


def _window(runs: Runs, episode: str, arm: str, country: str, outcome: str, unit: str, a: int, b: int) -> pd.Series:
    """Per seed: mean of ``outcome`` over years (or weeks) a..b of one arm in ``country``."""
    if unit == "year":
        t, col = runs.yearly, "year_index"
    else:
        t, col = runs.weekly, "week"
    rows = t[(t["episode"] == episode) & (t["arm"] == arm) & (t["country"] == country) & t[col].between(a, b)]
    if rows.empty or outcome not in rows:
        raise KeyError(f"no {unit}s {a}-{b} of {outcome} in {country} for {episode} ({arm})")
    return rows.groupby("seed")[outcome].mean()


def per_seed(runs: Runs, r: Criterion) -> tuple[pd.Series, bool]:
    """One criterion's value in each seed, and whether it is a relative change."""
    span = (r.first, r.last)

    def win(arm: str, a: int, b: int) -> pd.Series:
        return _window(runs, r.episode, arm, r.country, r.outcome, r.unit, a, b)

    if r.measure == "start":
        return win("baseline", *span), False
    if r.measure == "level":
        return win("policy", *span), False
    x = win("policy", *span)
    ref = (
        win("baseline", *span)
        if r.measure == "baseline"
        else win("policy", *((0, 0) if r.unit == "year" else PRE_WEEKS))
    )
    x, ref = x.align(ref, join="inner")
    return (x - ref) / ref, True


def passes(lo: float, hi: float, r: Criterion) -> bool:
    """The 90% CI [lo, hi] inside the band (an open bound: no limit), or on the direction's side of 0."""
    if not (math.isnan(r.low) and math.isnan(r.high)):
        return (math.isnan(r.low) or lo > r.low) and (math.isnan(r.high) or hi < r.high)
    return lo > 0 if r.direction == "+" else hi < 0


def _fmt(x: float, relative: bool) -> str:
    if relative:
        return f"{100 * x:+.1f}%"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"


def expected(r: Criterion) -> str:
    """The criterion in words: a band, a bound or a direction (relative measures in percent)."""
    rel = r.measure in ("before", "baseline")
    lo, hi = (None if math.isnan(v) else _fmt(v, rel) for v in (r.low, r.high))
    if lo is not None and hi is not None:
        return f"[{lo}, {hi}]"
    if lo is not None or hi is not None:
        return f"> {lo}" if lo is not None else f"< {hi}"
    return "> 0" if r.direction == "+" else "< 0"


def score(spec: pd.DataFrame, runs: Runs) -> pd.DataFrame:
    """One row per criterion: the measured mean and 90% CI over seeds, what was expected, pass/fail."""
    rows = []
    for r in criteria(spec):
        window = f"{r.unit}s {r.first}-{r.last}" if r.first != r.last else f"{r.unit} {r.first}"
        try:
            v, rel = per_seed(runs, r)
            lo, hi = stats.mean_ci(v.to_numpy())
            mean = float(v.mean())
            ok = passes(lo, hi, r)
            measured = f"{_fmt(mean, rel)} [{_fmt(lo, rel)}, {_fmt(hi, rel)}]"
        except KeyError as err:  # an episode not run, an outcome not recorded
            mean, lo, hi, ok, measured = math.nan, math.nan, math.nan, False, f"could not measure: {err}"
        rows.append(
            {
                "id": r.id,
                "episode": r.episode,
                "country": r.country,
                "outcome": r.outcome,
                "measure": r.measure,
                "window": window,
                "expected": expected(r),
                "mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "measured": measured,
                "result": "pass" if ok else "FAIL",
                "claim": r.claim,
                "source": r.source,
            }
        )
    return pd.DataFrame(rows)


def pinned(episodes) -> str:
    """The state each episode starts from, one markdown line per episode: its year and the inputs its
    replay file pins (``configs/replay/<episode>.yaml``, where each figure's source is on its line)."""
    from omegaconf import OmegaConf

    lines = []
    for e in episodes:
        r = OmegaConf.load(CONFIG_DIR / "replay" / f"{e}.yaml")
        inputs = "; ".join(
            f"{iso} " + ", ".join(f"{k} {v:,}" for k, v in c.items() if v is not None) for iso, c in r.countries.items()
        )
        lines.append(f"* `{e}` ({r.year}): {inputs or 'the world preset as it is'}")
    return "\n".join(lines) + "\n"


def markdown(table: pd.DataFrame, seeds: int) -> str:
    """The scored criteria as a markdown table (relative measures in percent)."""
    header = ["replay", "country", "claim (source)", "measure", "outcome, window", "expected"]
    return stats.results_markdown(
        table,
        [*header, f"measured: mean [90% CI], {seeds} seeds"],
        lambda r: [
            r.id,
            r.country,
            f"{r.claim} ({r.source})",
            r.measure,
            f"{r.outcome}, {r.window}",
            r.expected,
            r.measured,
        ],
        "replay criteria",
    )


def main(argv=None) -> int:
    import argparse
    import shlex
    import sys

    from sim.run import on_terminal

    ap = argparse.ArgumentParser(description="Replay the seeds' country episodes from their years' states.")
    ap.add_argument("--seeds", type=int, default=10, help="seeds per arm (default 10)")
    ap.add_argument("--years", type=int, default=10, help="simulated years after the burn-in (default 10)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--episodes", nargs="*", default=None, help="episodes to run (default: all in the spec)")
    ap.add_argument("--spec", default=str(SPEC), help="criteria file (default data/replays.csv)")
    ap.add_argument("--out", default="results/replay", help="output folder (default results/replay)")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error("--seeds must be >= 2 (intervals)")
    spec = load_spec(args.spec)
    known = list(dict.fromkeys(spec["episode"]))
    episodes = known if args.episodes is None else args.episodes
    if unknown := [e for e in episodes if e not in known]:
        ap.error(f"no criteria for episode {unknown[0]}; the spec has {', '.join(known)}")
    spec = spec[spec["episode"].isin(episodes)]
    last = int(spec.loc[spec["unit"] == "year", "last"].max())
    if args.years < last:
        ap.error(f"--years must be >= {last} (the criteria read year {last})")
    t0 = time.time()
    runs = simulate(episodes, args.seeds, 52 * args.years, args.jobs, progress=on_terminal())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs.yearly.to_csv(out / "countries_yearly.csv", index=False)
    runs.weekly.to_csv(out / "countries_weekly.csv", index=False)
    table = score(spec, runs)
    table.to_csv(out / "replays.csv", index=False)
    command = "experiments/replay.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    text = (
        f"# Replays of the seeds' country episodes\n\n`{command.strip()}`: {len(episodes)} episodes x 2 arms x "
        f"{args.seeds} seeds, {time.time() - t0:.0f} s.\n\nPinned states (configs/replay/):\n\n"
        + pinned(episodes)
        + "\n"
        + markdown(table, args.seeds)
    )
    (out / "report.md").write_text(text)
    print(text)
    return 0


def validation_section(seeds: int, years: int, jobs: int, out: Path) -> tuple[str, bool]:
    """The replays as a section of the validation report (``experiments/validate.py``): runs every
    episode of :data:`SPEC`, writes ``replays.csv`` into ``out``, returns the section's markdown and
    whether every criterion passes."""
    from sim.run import on_terminal

    t0 = time.time()
    spec = load_spec()
    episodes = list(dict.fromkeys(spec["episode"]))
    runs = simulate(episodes, seeds, 52 * years, jobs, progress=on_terminal())
    table = score(spec, runs)
    table.to_csv(out / "replays.csv", index=False)
    head = (
        "\n## Replays\n\nEach country episode run from its country's state as of its year, pinned at the start of year 0 (configs/replay/), "
        "with and without its policy, scored against data/replays.csv (sim/analysis/replay.py): "
        f"{len(episodes)} episodes x 2 arms x {seeds} seeds, {time.time() - t0:.0f} s. Pinned states:\n\n"
        + pinned(episodes)
        + "\n"
    )
    return head + markdown(table, seeds), bool((table["result"] == "pass").all())
