"""Compare policy scenarios across seeds: table with 90% intervals, paired changes, plots, report.

Run as ``python experiments/compare.py`` (see ``--help``). Every scenario x seed is one run of
``sim.run`` in a worker process (joblib, all cores by default); the same seed gives the same
world and the same random draws until the policies start, so changes against the baseline (the
first scenario) are paired by seed. Statistics: :mod:`sim.analysis.stats`.

Writes ``results/<name>/``: ``table.csv`` (long format: scenario, year, outcome, mean and spread,
paired change with its spread and the confidence interval of its mean), ``table.md``,
``runs_yearly.csv`` (every run's yearly means, for any other statistic), one PNG per outcome and
``report.md``. By country (``--countries``; by default the countries the scenarios target, see
:func:`scenario_countries`), the same from each run's ``countries.parquet``: ``countries_table.csv``
(the long table with a ``country`` column), ``countries_table.md``, ``countries_yearly.csv`` and one
small-multiples PNG per outcome of :data:`COUNTRY_PLOTS` (``country_<outcome>.png``: a column per
country, levels above, paired changes below). Why (:mod:`sim.analysis.decompose`): each scenario's
change split by cause from the runs' accounts, where it acts (``decomposition.csv``, one
``why_<account>.png`` waterfall per headline account, a table and a sentence per scenario in the report).
"""

from __future__ import annotations

import argparse
import functools
import os
import pickle
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.analysis import decompose, figures, stats
from sim.model.config import REGION, country_codes, validate
from sim.run import COMPARED_FROM_WEEK, PROJECT_ROOT, RunResult, _git_commit, compose, run

SCENARIOS = (
    "baseline",
    "mano_dura_2003",
    "mano_dura_2022",
    "police_reform",
    "extradition",
    "border_hardening",
    "prevention",
    "truce",
    # the seeds' country episodes, each acting in its own country (configs/scenario/<name>.yaml)
    "slv_mano_dura_2003",
    "slv_gang_pact",
    "slv_exception_2022",
    "hnd_military_police",
    "col_extradition",
    "mex_kingpin",
    "col_eradication",
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
#: Per-country outcomes drawn by :func:`plot_countries` (one PNG each); all of
#: :data:`sim.analysis.stats.COUNTRY_OUTCOMES` are in the tables.
COUNTRY_PLOTS = (
    "homicide_rate",
    "incarceration_rate",
    "members",
    "pretrial",
    "innocents_held",
    "military_share",
    "trust",
    "extortion_rate",
)


def scenario_countries(cfg: Any) -> list[str] | None:
    """The countries a scenario acts in, read from a composed config (or its ``scenario`` node): the
    union of the ``countries`` of its enabled levers (ISO codes, and ``region`` for the countries of
    the world's headline, :data:`sim.model.config.REGION`, left unexpanded), in order of appearance;
    None ("everywhere") when an enabled lever has no countries (an empty list or no such key); ``[]``
    when no lever is enabled (the baseline).

    Read defensively, whatever the schema's shape: a lever is any mapping with an ``enabled`` key,
    wherever it sits (``scenario.<lever>``; a named variant ``scenario.<lever>.<variant>``; a
    government's ``scenario.governments.<label>.<lever>``); other mappings are searched for levers.
    """
    node: Any = cfg
    if OmegaConf.is_config(node):
        node = OmegaConf.to_container(node, resolve=True)
    elif is_dataclass(node) and not isinstance(node, type):
        node = asdict(node)
    if isinstance(node, Mapping) and isinstance(node.get("scenario"), Mapping):
        node = node["scenario"]
    found: list[str] = []
    everywhere = False

    def walk(n: Any) -> None:
        nonlocal everywhere
        if not isinstance(n, Mapping):
            return
        if "enabled" in n:
            if n["enabled"]:
                codes = n.get("countries") or []
                codes = [codes] if isinstance(codes, str) else [str(c) for c in codes]
                everywhere = everywhere or not codes
                found.extend(c for c in codes if c not in found)
            return
        for value in n.values():
            walk(value)

    walk(node)
    return None if everywhere else found


def target_label(targets: list[str] | None) -> str:
    """How the report names a scenario's countries (:func:`scenario_countries`)."""
    if targets is None:
        return "everywhere"
    if not targets:
        return "no policy lever"
    return ", ".join("the headline countries (`region`)" if t == REGION else t for t in targets)


def one_run(scenario: str, seed: int, extra: tuple[str, ...]) -> pd.DataFrame:
    """Yearly means of the headline outcomes of one run (the last burn-in year, then every policy year)."""
    return yearly_runs(scenario, seed, extra)[0]


def yearly_runs(
    scenario: str, seed: int, extra: tuple[str, ...], countries: Sequence[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Yearly means of one run: the headline outcomes (as :func:`one_run`) and, for each of
    ``countries`` (ISO codes), the outcomes of :data:`sim.analysis.stats.COUNTRY_OUTCOMES` (columns
    scenario, seed, country, year_index, outcomes...; no rows without ``countries``); and the run's
    accounts over the policy years (:func:`sim.analysis.decompose.run_totals`, with scenario and seed)."""
    cfg = scenario_config(scenario, seed, tuple(extra))
    return yearly_frames(scenario, cfg, run(cfg), countries)


def seed_runs(
    scenarios: Sequence[str],
    seed: int,
    extra: tuple[str, ...],
    countries: Sequence[str] = (),
    composed: Mapping[str, bytes] | None = None,
) -> list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """:func:`yearly_runs` of each of ``scenarios`` with one seed; the burn-in they share is run once
    (:func:`sim.fork.forked_runs`). ``composed``: the scenarios' configs as :func:`composed_config`
    gives them, when the caller has them (a worker process then composes none)."""
    from sim.fork import forked_runs

    pickled = {sc: (composed or {}).get(sc) or composed_config(sc, tuple(extra)) for sc in scenarios}
    cfgs = [_with_seed(_unpickled(pickled[sc]), seed, extra) for sc in scenarios]
    # resolved once per scenario in a process, not once per run (a tenth of a run on the default world):
    # the configs of a scenario's runs differ only in their seed, which no other key interpolates
    resolved = [{**_resolved(pickled[sc]), "seed": int(cfg.seed)} for sc, cfg in zip(scenarios, cfgs)]
    runs = forked_runs(cfgs, resolved, full=False)  # the tables yearly_frames reads
    return [yearly_frames(sc, cfg, res, countries) for sc, cfg, res in zip(scenarios, cfgs, runs)]


@functools.lru_cache(maxsize=64)
def _unpickled(pickled: bytes) -> DictConfig:
    """The config :func:`composed_config` pickled, unpickled once per process: :func:`seed_runs` sets
    each run's seed in it (one seed's runs at a time, and nothing keeps a config past them). A fresh
    copy for every run left thousands of OmegaConf nodes per config to the cyclic garbage collector
    (a twentieth of a comparison's time on the default world)."""
    cfg = pickle.loads(pickled)
    assert isinstance(cfg, DictConfig)
    return cfg


@functools.lru_cache(maxsize=64)
def _resolved(pickled: bytes) -> dict:
    """The config :func:`composed_config` pickled, resolved to plain containers
    (``OmegaConf.to_container(cfg, resolve=True)``); callers copy it before changing a key."""
    resolved = OmegaConf.to_container(pickle.loads(pickled), resolve=True)
    assert isinstance(resolved, dict)
    return resolved


@functools.lru_cache(maxsize=64)
def composed_config(scenario: str, extra: tuple[str, ...]) -> bytes:
    """The config of a scenario's runs but their seed, composed once per process (Hydra's compose
    costs about a quarter of a run on the default world) and pickled: unpickling makes a copy in a
    quarter of the time ``copy.deepcopy`` takes (the world's tables are thousands of OmegaConf nodes),
    and a worker process can be sent it instead of composing it again."""
    return pickle.dumps(compose([f"scenario={scenario}", "progress=false", "output.write=false", *extra]))


@functools.lru_cache(maxsize=64)
def with_values(pickled: bytes, values: tuple[str, ...]) -> bytes:
    """A config as :func:`composed_config` pickles it, with the value overrides ``values`` set
    (``params.group.name=value``: an ensemble member's, :meth:`sim.analysis.ensemble.Ensemble.overrides`)
    and checked, pickled: the config ``composed_config(scenario, (*extra, *values))`` would give, without
    composing it again (``tests/test_ensemble.py`` checks they are equal)."""
    from sim.run import set_values

    cfg = set_values(pickle.loads(pickled), values)
    validate(cfg)
    return pickle.dumps(cfg)


def _compose_or_error(scenario: str, extra: tuple[str, ...]) -> tuple[bytes | None, str | None]:
    """:func:`composed_config`, or the one-line description of why it failed (``sim.cli.describe_error``)."""
    try:
        return composed_config(scenario, extra), None
    except Exception as err:  # reported by the caller, scenario by scenario
        from sim.cli import describe_error

        return None, describe_error(err, [f"scenario={scenario}", *extra])


def compose_scenarios(scenarios: Sequence[str], extra: tuple[str, ...], jobs: int) -> dict[str, bytes]:
    """:func:`composed_config` of every scenario, in ``jobs`` worker processes (Hydra's compose of the
    default world takes ~0.8 s, and the main job has 15 scenarios); the workers stay up for the runs.
    Raises ``SystemExit`` with one line for the first scenario (in order) that does not compose."""
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=min(jobs, len(scenarios)))(delayed(_compose_or_error)(s, extra) for s in scenarios)
    errors = [error for _, error in results if error is not None]
    if errors:
        raise SystemExit(f"error: {errors[0]}")
    return {s: pickled for s, (pickled, _) in zip(scenarios, results) if pickled is not None}


def scenario_config(scenario: str, seed: int, extra: tuple[str, ...], pickled: bytes | None = None) -> DictConfig:
    """The config of one run: :func:`composed_config` (or ``pickled``, what it returned in another
    process), copied with its seed (unless ``extra`` sets one)."""
    return _with_seed(pickle.loads(pickled or composed_config(scenario, extra)), seed, extra)


def _with_seed(cfg: DictConfig, seed: int, extra: tuple[str, ...]) -> DictConfig:
    """``cfg`` with its seed set to ``seed`` (in place), unless the overrides ``extra`` set one."""
    if not any(o.split("=", 1)[0] == "seed" for o in extra):
        cfg.seed = seed
    return cfg


def yearly_frames(
    scenario: str, cfg: DictConfig, res: RunResult, countries: Sequence[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The frames of :func:`yearly_runs` from a run's result ``res`` under ``cfg``."""
    seed = int(cfg.seed)
    why = decompose.run_totals(res.flows, res.summary["report_countries"], int(cfg.steps))
    why.insert(0, "seed", seed)
    why.insert(0, "scenario", scenario)
    pre = min(-COMPARED_FROM_WEEK // 52, int(cfg.burn_in) // 52)  # year 0: the last burn-in year, if any
    y = stats.yearly(res.timeseries, pre_years=pre).reset_index()
    y.insert(0, "seed", seed)
    y.insert(0, "scenario", scenario)
    parts = []
    by_country = res.countries
    for iso in countries:
        rows = by_country[by_country["country"] == iso]
        if rows.empty:
            raise ValueError(f"country {iso} is not in world {cfg.world.name}")
        cy = stats.yearly(rows, outcomes=tuple(stats.COUNTRY_OUTCOMES), pre_years=pre).reset_index()
        cy.insert(0, "country", iso)
        cy.insert(0, "seed", seed)
        cy.insert(0, "scenario", scenario)
        parts.append(cy)
    if not parts:
        return y, pd.DataFrame(columns=["scenario", "seed", "country", "year_index", *stats.COUNTRY_OUTCOMES]), why
    return y, pd.concat(parts, ignore_index=True), why


def run_all(scenarios, seeds: int, extra=(), jobs: int = -1, progress: bool = True) -> pd.DataFrame:
    """Every scenario x seed (seeds 0..seeds-1) in ``jobs`` worker processes, with a progress bar."""
    return run_all_countries(scenarios, seeds, extra, (), jobs, progress)[0]


def run_all_countries(
    scenarios,
    seeds: int,
    extra=(),
    countries: Sequence[str] = (),
    jobs: int = -1,
    progress: bool = True,
    composed: Mapping[str, bytes] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`run_all`, the yearly means of each of ``countries`` in every run, and every run's
    accounts over the policy years (:func:`yearly_runs`). The scenarios of a seed run in one task
    (:func:`seed_runs`: one burn-in), split in as many tasks as it takes to give every worker two.
    The configs are composed here, once (:func:`composed_config`; ``composed``: when the caller has
    them, :func:`compose_scenarios`), and sent to the workers."""
    from joblib import Parallel, delayed, effective_n_jobs

    from sim.run import progress as progress_bar  # a bar on a terminal, one line per run in a log

    scenarios = list(scenarios)
    pieces = min(len(scenarios), -(-2 * effective_n_jobs(jobs) // max(seeds, 1)))
    tasks = [(scenarios[i::pieces], s) for s in range(seeds) for i in range(pieces)]
    composed = {sc: (composed or {}).get(sc) or composed_config(sc, tuple(extra)) for sc in scenarios}
    gen = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(seed_runs)(chunk, s, tuple(extra), tuple(countries), {sc: composed[sc] for sc in chunk})
        for chunk, s in tasks
    )
    runs = (frames for batch in gen for frames in batch)
    frames = list(progress_bar(runs, total=len(scenarios) * seeds, desc="scenario x seed runs", enabled=progress))
    per_run = pd.concat([f[0] for f in frames], ignore_index=True)
    per_country = pd.concat([f[1] for f in frames], ignore_index=True)
    why = pd.concat([f[2] for f in frames], ignore_index=True)
    return (
        per_run.sort_values(["scenario", "seed", "year_index"], ignore_index=True),
        per_country.sort_values(["country", "scenario", "seed", "year_index"], ignore_index=True),
        why.sort_values(["scenario", "seed", "place", "account", "cause"], ignore_index=True),
    )


def paired_changes(per_run: pd.DataFrame, outcome: str, baseline: str) -> pd.DataFrame:
    """Per seed and year, each scenario's ``outcome`` minus the baseline's (columns: scenario, seed,
    year_index, diff)."""
    base = per_run[per_run["scenario"] == baseline].set_index(["seed", "year_index"])[outcome]
    other = per_run[per_run["scenario"] != baseline]
    joined = other.join(base.rename("base"), on=["seed", "year_index"], how="inner")
    return joined.assign(diff=joined[outcome] - joined["base"])[["scenario", "seed", "year_index", "diff"]]


def _look(scenarios, lw: tuple[float, float]) -> dict[str, tuple[str, str, float]]:
    """Colour, line style and width of each scenario's line (``lw``: the baseline's, the others')."""
    return {
        sc: (COLORS[k % len(COLORS)], STYLES[(k // len(COLORS)) % len(STYLES)], lw[0] if k == 0 else lw[1])
        for k, sc in enumerate(scenarios)
    }


def _bands(frame: pd.DataFrame, col: str, level: float) -> dict[str, pd.DataFrame]:
    """For each scenario of ``frame``, the yearly mean of ``col`` across seeds and the central
    ``level`` band (columns mean, lo, hi; index year_index), from one groupby over every scenario."""
    g = frame.groupby(["scenario", "year_index"])[col]
    table = pd.concat({"mean": g.mean(), "lo": g.quantile((1 - level) / 2), "hi": g.quantile((1 + level) / 2)}, axis=1)
    return {str(sc): part.droplevel("scenario") for sc, part in table.groupby(level="scenario")}


_NO_BAND = pd.DataFrame({"mean": [], "lo": [], "hi": []}, index=pd.Index([], dtype="int64", name="year_index"))


def _draw_band(ax, bands: dict[str, pd.DataFrame], sc: str, look, ms: float) -> None:
    """One scenario's yearly means (at the middle of each year) and its band, from :func:`_bands`."""
    color, style, lw = look[sc]
    band = bands.get(sc, _NO_BAND)
    x = band.index.to_numpy() - 0.5
    ax.plot(x, band["mean"].values, color=color, ls=style, lw=lw, label=sc, marker="o", ms=ms)
    ax.fill_between(x, band["lo"].values, band["hi"].values, color=color, alpha=0.12, lw=0)


def plot(per_run: pd.DataFrame, scenarios, out: Path, level: float = 0.9, jobs: int = 1) -> list[str]:
    """One PNG per outcome, scenarios overlaid: above, the yearly mean across seeds with the central
    ``level`` band; below, the change against the baseline (first scenario) paired by seed, with its band.

    Each yearly mean is drawn at the middle of its year; the dotted line marks the start of the
    policies (left of it: the last burn-in year). The legend sits below the axes, inside the file.
    ``jobs``: worker processes drawing the figures (:func:`sim.analysis.figures.render`).
    """
    ncol = min(4, len(scenarios))
    rows = -(-len(scenarios) // ncol)
    look = _look(scenarios, (2.2, 1.5))

    def one(outcome: str) -> str:
        plt = figures.pyplot()
        label = stats.OUTCOMES[outcome][0]
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(8.5, 8.0 + 0.3 * rows), sharex=True, gridspec_kw={"height_ratios": (3, 2)}
        )
        levels = _bands(per_run, outcome, level)
        for sc in scenarios:
            _draw_band(top, levels, sc, look, 3)
        changes = _bands(paired_changes(per_run, outcome, scenarios[0]), "diff", level)
        for sc in scenarios[1:]:
            _draw_band(bottom, changes, sc, look, 3)
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
        return name

    return figures.render(one, list(stats.OUTCOMES), jobs)


def summarise_countries(
    per_country: pd.DataFrame, countries: Sequence[str], years=(5, 10), baseline: str = "baseline"
) -> pd.DataFrame:
    """:func:`sim.analysis.stats.summarise` for each country of ``per_country`` (the yearly means of
    :func:`yearly_runs`), in the order of ``countries``: the long table with a ``country`` column first."""
    frames = [
        stats.summarise(per_country[per_country["country"] == iso].drop(columns="country"), years, baseline).assign(
            country=iso
        )
        for iso in countries
    ]
    if not frames:
        return pd.DataFrame(columns=["country", *stats.COLUMNS])
    table = pd.concat(frames, ignore_index=True)
    return table[["country", *stats.COLUMNS]]


def plot_countries(
    per_country: pd.DataFrame, scenarios, countries: Sequence[str], out: Path, level: float = 0.9, jobs: int = 1
) -> list[str]:
    """One small-multiples PNG per outcome of :data:`COUNTRY_PLOTS` (``country_<outcome>.png``): a
    column per country (four to a row), the yearly mean across seeds with its central ``level``
    band above, the change against the baseline (first scenario) paired by seed below. ``jobs``:
    worker processes drawing the figures (:func:`sim.analysis.figures.render`)."""
    ncol = min(4, len(countries))
    blocks = -(-len(countries) // ncol)
    look = _look(scenarios, (2.0, 1.4))
    frames = {iso: per_country[per_country["country"] == iso] for iso in countries}

    def one(outcome: str) -> str:
        plt = figures.pyplot()
        label = stats.COUNTRY_OUTCOMES[outcome][0]
        fig, axes = plt.subplots(
            2 * blocks, ncol, figsize=(3.4 * ncol + 0.6, 4.6 * blocks + 0.8), sharex=True, squeeze=False
        )
        for i in range(blocks * ncol):
            top, bottom = axes[2 * (i // ncol), i % ncol], axes[2 * (i // ncol) + 1, i % ncol]
            if i >= len(countries):
                top.axis("off")
                bottom.axis("off")
                continue
            iso = countries[i]
            levels = _bands(frames[iso], outcome, level)
            for sc in scenarios:
                _draw_band(top, levels, sc, look, 2.5)
            changes = _bands(paired_changes(frames[iso], outcome, scenarios[0]), "diff", level)
            for sc in scenarios[1:]:
                _draw_band(bottom, changes, sc, look, 2.5)
            bottom.axhline(0, color=look[scenarios[0]][0], lw=1.0)
            for ax in (top, bottom):
                ax.axvline(0, color="0.4", ls=":", lw=1)
                ax.grid(alpha=0.3)
                ax.tick_params(labelsize=8)
            top.set_title(iso, fontsize=11)
            if i % ncol == 0:
                top.set_ylabel(label, fontsize=9)
                bottom.set_ylabel(f"change against {scenarios[0]}", fontsize=9)
        fig.suptitle(f"{label} by country: mean and {round(level * 100)}% band across seeds; below, paired change")
        fig.supxlabel("years after the policies start (yearly means; left of the dotted line: last burn-in year)")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(scenarios)), frameon=False
        )
        fig.tight_layout()
        name = f"country_{outcome}.png"
        fig.savefig(out / name, dpi=100, bbox_inches="tight")
        plt.close(fig)
        return name

    return figures.render(one, list(COUNTRY_PLOTS), jobs)


def write_countries(
    country_summary: pd.DataFrame,
    per_country: pd.DataFrame,
    scenarios,
    out: Path,
    years=(5, 10),
    note: str = "",
    jobs: int = 1,
) -> list[str]:
    """Write countries_table.csv, countries_table.md, countries_yearly.csv and the country plots into
    ``out``; return the lines of the report's "By country" section (``note``: how the countries were
    chosen; ``jobs``: worker processes drawing the plots)."""
    countries = list(dict.fromkeys(country_summary["country"]))
    baseline = scenarios[0]
    country_summary.to_csv(out / "countries_table.csv", index=False)
    per_country.to_csv(out / "countries_yearly.csv", index=False)
    md: list[str] = []
    for iso in countries:
        s = country_summary[country_summary["country"] == iso]
        md += [f"## {iso}"]
        for y in years:
            table = stats.markdown_table(s, y, list(scenarios), baseline=baseline, outcomes=_present(s))
            md += ["", f"### {iso}, year {y}", "", table, ""]
    (out / "countries_table.md").write_text("\n".join(md))
    plots = plot_countries(per_country, scenarios, countries, out, jobs=jobs)
    lines = [
        "",
        "## By country",
        "",
        f"Countries: {', '.join(countries)}{f' ({note})' if note else ''}. The same statistics, from each run's",
        "`countries.parquet`: figures over all of a country's territories (the regional tables above cover",
        "the world's report regions); members, pre-trial detainees and prisons of the groups based in the",
        "country. Tables: `countries_table.md`, `countries_table.csv` (long format, a `country` column).",
    ]
    for iso in countries:
        s = country_summary[country_summary["country"] == iso]
        lines += ["", f"### {iso}"]
        for y in years:
            table = stats.markdown_table(s, y, list(scenarios), baseline=baseline, outcomes=_present(s))
            lines += ["", f"Year {y}:", "", table]
    lines += ["", "Plots by country (a column per country):", ""]
    lines += [f"- [{stats.COUNTRY_OUTCOMES[p[len('country_') : -4]][0]}]({p})" for p in plots]
    return lines


def _present(summary: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """The country outcomes that are not zero in every scenario and year of one country's summary
    (a regime's revenue outside the countries it rules, gold where none is mined: rows of zeros)."""
    values = summary[["mean", "lo", "hi"]].abs().sum(axis=1).groupby(summary["outcome"]).sum()
    return {k: v for k, v in stats.COUNTRY_OUTCOMES.items() if values.get(k, 0.0) > 0}


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
    country_summary: pd.DataFrame | None = None,
    per_country: pd.DataFrame | None = None,
    why: pd.DataFrame | None = None,
    jobs: int = 1,
) -> None:
    """Write table.csv, table.md, runs_yearly.csv, the plots and report.md into ``out``; with
    ``country_summary`` (:func:`summarise_countries`) and ``per_country``, the country tables and
    plots too (:func:`write_countries`); with ``why`` (every run's accounts, :func:`yearly_runs`), the
    changes by cause (:func:`sim.analysis.decompose.write`). ``info["targets"]``: each scenario's
    countries (:func:`scenario_countries`), named in the report and where the changes by cause are read.
    ``jobs``: worker processes drawing the plots (:func:`sim.analysis.figures.render`)."""
    info = info or {}
    baseline = scenarios[0]
    summary.to_csv(out / "table.csv", index=False)
    per_run.to_csv(out / "runs_yearly.csv", index=False)
    tables = {y: stats.markdown_table(summary, y, list(scenarios), baseline=baseline) for y in years}
    (out / "table.md").write_text("\n\n".join(f"## Year {y}\n\n{t}" for y, t in tables.items()) + "\n")
    plots = plot(per_run, scenarios, out, jobs=jobs)
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
        info.get("spread", "not parameter uncertainty (the parameters are fixed here)."),
        "",
        "The model's levels are fitted to the seeds' figures but miss several of them, country by",
        "country, and the baseline itself drifts over the ten years (the README's \"How far to trust the",
        'numbers": targets, calibration, status quo); read the paired changes rather than the levels.',
        "",
        "## Scenarios",
        "",
    ]
    targets = info.get("targets", {})
    lines += [
        f"- `{sc}`: {info.get('descriptions', {}).get(sc, '')}"
        + (f" (acts in: {target_label(targets[sc])})" if sc in targets else "")
        for sc in scenarios
    ]
    for y in years:
        lines += ["", f"## Year {y}", "", tables[y]]
    lines += ["", "## Plots", ""]
    lines += [f"- [{stats.OUTCOMES[p[:-4]][0]}]({p})" for p in plots]
    if country_summary is not None and per_country is not None and not country_summary.empty:
        lines += write_countries(
            country_summary, per_country, scenarios, out, years, note=info.get("countries_note", ""), jobs=jobs
        )
    if why is not None and not why.empty and len(scenarios) > 1:
        lines += decompose.write(why, scenarios, targets, out, jobs=jobs)
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
    ap.add_argument(
        "--countries",
        default=None,
        help="comma-separated ISO codes (e.g. SLV,HND,MEX), 'all' or 'none': per-country tables and plots "
        "(default: the countries the scenarios target, if any)",
    )
    ap.add_argument(
        "--ensemble",
        type=int,
        default=0,
        help="run every scenario over the first N members of the world's ensemble (configs/ensemble.yaml, or configs/ensemble_<world>.yaml) x the seeds, so the "
        "intervals carry parameter uncertainty; the report says which effects keep their sign (default 0: off)",
    )
    ap.add_argument("--ensemble-file", default=None, help=argparse.SUPPRESS)
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
    ensemble_file = None
    if a.ensemble > 0:  # the world's own ensemble, or the default world's (ensemble.ensemble_for)
        from sim.analysis import ensemble as ens

        world = str(compose([o for o in a.overrides if o.split("=", 1)[0] == "world"]).world.name)
        try:
            ensemble_file = Path(a.ensemble_file) if a.ensemble_file else ens.ensemble_for(world)
        except ValueError as err:
            raise SystemExit(f"error: --ensemble: {err}") from None
    expanded = [f"[{s.replace('+', ',')}]" if "+" in s else s for s in scenarios]
    descriptions = {}
    targets: dict[str, list[str] | None] = {}
    jobs = a.jobs if a.jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + a.jobs)
    # the runs' configs (but the seed), composed once, in parallel: run_all_countries sends them to the
    # workers; a bad scenario or override stops here, in one line
    composed = compose_scenarios(expanded, tuple(a.overrides), jobs)
    for name, s in zip(scenarios, expanded):
        cfg = pickle.loads(composed[s])
        descriptions[name] = str(cfg.scenario.description)
        targets[name] = scenario_countries(cfg)
    countries, countries_note = _countries(ap, a.countries, cfg, targets)
    for name in scenarios:  # a combination is described by its parts (each file sets its own description)
        if "+" in name:
            parts = [
                descriptions.get(part) or str(compose([f"scenario={part}"]).scenario.description)
                for part in name.split("+")
            ]
            descriptions[name] = " + ".join(parts)
    out = Path(a.out) if a.out else PROJECT_ROOT / "results" / a.name
    t0 = time.perf_counter()
    if ensemble_file is not None:
        try:
            members = ens.load_ensemble(ensemble_file)
            per_run, per_country, why = ens.run_members(
                expanded, a.seeds, members, a.ensemble, a.overrides, countries, a.jobs, composed=composed
            )
        except (OSError, ValueError) as err:
            raise SystemExit(f"error: --ensemble: {err}") from None
    else:
        per_run, per_country, why = run_all_countries(
            expanded, a.seeds, a.overrides, countries, a.jobs, composed=composed
        )
    for frame in (per_run, per_country, why):
        frame["scenario"] = frame["scenario"].map(dict(zip(expanded, scenarios)))
    wall = time.perf_counter() - t0
    summary = stats.summarise(per_run, years=years, baseline=scenarios[0])
    country_summary = summarise_countries(per_country, countries, years, scenarios[0])
    chosen = [f"--countries={a.countries}"] if a.countries is not None else []
    chosen += [f"--ensemble={a.ensemble}"] if a.ensemble > 0 else []
    command = "python experiments/compare.py " + shlex.join(
        [f"--seeds={a.seeds}", f"--scenarios={','.join(scenarios)}", f"--years={a.years}", *chosen, *a.overrides]
    )
    info = {
        "world": str(cfg.world.name),
        "steps": int(cfg.steps),
        "burn_in": int(cfg.burn_in),
        "jobs": jobs,
        "commit": _git_commit()[:10],
        "descriptions": descriptions,
        "targets": targets,
        "countries_note": countries_note,
        "command": command,
    }
    if a.ensemble > 0:  # a run is one (member, seed) pair: "seed" k is member k // seeds, seed k % seeds
        info["spread"] = (
            f"and here parameter uncertainty too: each 'seed' is one (member, seed) pair, {a.ensemble} members x {a.seeds} seeds."
        )
    out.mkdir(parents=True, exist_ok=True)
    runs = a.seeds * max(a.ensemble, 1)
    write_report(
        summary, per_run, scenarios, out, runs, wall, a.overrides, info, years, country_summary, per_country, why, jobs
    )
    if ensemble_file is not None:
        signs = pd.concat([ens.sign_table(per_run, list(stats.OUTCOMES), scenarios[0], y) for y in years])
        signs.to_csv(out / "signs.csv", index=False)
        country_signs = pd.concat([ens.country_sign_table(per_country, targets, scenarios[0], y) for y in years])
        if not country_signs.empty:
            country_signs.to_csv(out / "signs_countries.csv", index=False)
        lines = ens.report_lines(signs, members, a.ensemble, a.seeds, str(_shown(ensemble_file)), country_signs)
        with open(out / "report.md", "a") as fh:
            fh.write("\n".join(lines) + "\n")
    print((out / "table.md").read_text())
    if (out / "countries_table.md").exists():  # not written when no run reaches the years asked for
        print((out / "countries_table.md").read_text())
    shown = _shown(out)
    over = f" x {a.ensemble} ensemble members" if a.ensemble > 0 else ""
    print(f"{len(scenarios)} scenarios{over} x {a.seeds} seeds in {wall:.0f} s; report: {shown / 'report.md'}")


def _shown(path: Path) -> Path:
    """``path`` as the user reads it: relative to the project if inside it."""
    full = path.resolve()
    return full.relative_to(PROJECT_ROOT) if full.is_relative_to(PROJECT_ROOT) else full


def _countries(
    ap: argparse.ArgumentParser, arg: str | None, cfg: Any, targets: dict[str, list[str] | None]
) -> tuple[list[str], str]:
    """The countries of the per-country tables, in world order, and how they were chosen: ``arg``
    (``--countries``: ISO codes, ``all`` or ``none``) or, without it, every country some scenario
    targets by its ISO code (not those acting everywhere or in the whole ``region``: the regional
    tables show them)."""
    codes = country_codes(cfg.world)
    if arg is None:
        wanted = {c for t in targets.values() if t for c in t}
        return [c for c in codes if c in wanted], "the countries the scenarios target"
    text = arg.strip()
    if text.lower() == "all":
        return codes, "every country of the world"
    if text.lower() in ("", "none"):
        return [], ""
    chosen = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in codes]
    if unknown:
        ap.error(f"--countries: unknown country {unknown[0]}; allowed: {', '.join(codes)}, all, none")
    return list(dict.fromkeys(chosen)), "chosen with --countries"


if __name__ == "__main__":  # pragma: no cover
    main()
