"""Calibration: fit the free parameters named in ``configs/calibration.yaml`` to the targets table.

Optuna's TPE sampler proposes parameter sets; each is run on a few seeds of the default world at
baseline for the targets' window (``sim.analysis.targets.measure``), and scored by the sum over the
targets with ``calibrate=yes`` or ``constraint`` of :meth:`sim.analysis.targets.Target.loss` of the mean
over seeds (zero inside a target's band, growing with the log-distance outside it). A target with
``calibrate=constraint`` must also be met: a set that misses it is infeasible (Optuna's
``constraints_func``, :func:`violation`) and never chosen (:func:`best_feasible`), since a requirement
such as a status quo near stationary (issue 19, item 5) is not a figure to trade against others. The
first trial is the current default, so the fit never reports a feasible set worse than the one it
started from.

The fitted set is written to ``configs/params/calibrated.yaml``, which ``configs/config.yaml``
selects (``params: calibrated``); ``params=uncalibrated`` gives back the hand-set defaults of
``sim/model/config.py``. The report compares targets with the simulated values of both sets over
``check_seeds`` seeds that the fit did not use (mean and 90% interval across seeds).

Another world preset is fitted to its own rows of ``data/targets.csv`` with its own search space
(``--world mexico``: ``configs/calibration_mexico.yaml``, whose ``settings`` name the world, the set
the report compares with and the file written). Its fitted values go to ``configs/fit/<world>.yaml``,
which ``configs/config.yaml`` applies on top of the params set whenever that world is chosen
(``fit: ${world}``; ``fit=none`` leaves them out). For a series (a statistic measured year by
year), the report adds the correlation of the simulated mean with the figures.

Entry point: ``experiments/calibrate.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim.analysis.targets import (
    CAUSES,
    DEFAULT_WORLD,
    Target,
    at_inputs,
    fit_targets,
    homicide_rate_specs,
    joint_spread,
    load_targets,
    measure,
)
from sim.model import config as schema
from sim.resources import CONFIG_DIR
from sim.run import PROJECT_ROOT, compose

SPACE_YAML = CONFIG_DIR / "calibration.yaml"
CALIBRATED_YAML = CONFIG_DIR / "params" / "calibrated.yaml"


def space_yaml(world: str) -> Path:
    """The search space of ``world``: configs/calibration.yaml for the default world, else
    configs/calibration_<world>.yaml."""
    return SPACE_YAML if world == DEFAULT_WORLD else CONFIG_DIR / f"calibration_{world}.yaml"


def world_targets(world: str) -> list[Target]:
    """The rows a fit of ``world`` measures: the default world's within ``FIT_YEARS`` (the status quo
    trends are validation checks), another world's all (its series runs its ten years)."""
    return fit_targets() if world == DEFAULT_WORLD else load_targets(world=world)


def declared_range(key: str) -> tuple[float, float]:
    """The range sim/model/config.py declares for ``params.<key>`` (e.g. ``violence.pax_factor``)."""
    ranges = schema.declared_ranges()
    if key not in ranges:
        raise ValueError(
            f"calibration parameter {key}: not a documented parameter under params (e.g. violence.pax_factor)"
        )
    return ranges[key]


def load_space(path: str | Path = SPACE_YAML) -> tuple[dict, dict]:
    """Parameters {key: (low, high, log)} and settings; bounds must lie inside the declared ranges."""
    cfg = OmegaConf.to_container(OmegaConf.load(path))
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: expected a mapping with 'parameters' and 'settings'")
    space: dict[str, tuple[float, float, bool]] = {}
    for key, spec in cfg["parameters"].items():
        lo, hi = float(spec["low"]), float(spec["high"])
        dlo, dhi = declared_range(key)
        if not (dlo <= lo < hi <= dhi):
            raise ValueError(
                f"{path}: {key}: search bounds [{lo}, {hi}] must lie inside the declared range [{dlo}, {dhi}]"
            )
        space[key] = (lo, hi, bool(spec.get("log", False)))
    return space, cfg["settings"]


def narrowed(space: dict, center: dict, fraction: float) -> dict:
    """A local search box: each parameter's bounds pulled in to ``center`` +- ``fraction`` of its
    searched range (on a log scale, x/÷ (high/low) ** fraction), clipped to the range. A second,
    local stage after a global search (``experiments/calibrate.py --refine``), where the global
    sampler no longer improves on its best set: TPE then samples near it instead of across the box."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"refine fraction {fraction}: must lie in (0, 1]")
    out = {}
    for k, (lo, hi, log) in space.items():
        v = min(max(float(center[k]), lo), hi)
        if log:
            step = (hi / lo) ** fraction
            a, b = v / step, v * step
        else:
            a, b = v - fraction * (hi - lo), v + fraction * (hi - lo)
        out[k] = (max(lo, a), min(hi, b), log)
    return out


def overrides_for(values: dict) -> list[str]:
    return [f"params.{k}={v!r}" for k, v in values.items()]


def current_values(space: dict, base: tuple[str, ...] | list[str] = ()) -> dict:
    cfg = compose(list(base))
    return {k: float(OmegaConf.select(cfg, f"params.{k}")) for k in space}


def _one(overrides: tuple[str, ...], seed: int, targets: list[Target], with_causes: bool = False) -> dict:
    from sim.run import quiet_mesa

    quiet_mesa()
    return measure(compose([*overrides, f"seed={seed}"]), targets, with_causes)


def simulate(
    sets: list[tuple[str, ...]], seeds, targets: list[Target], jobs: int, with_causes: bool = False
) -> list[pd.DataFrame]:
    """For each override set, a frame (seed x target id) of simulated values; all runs in one pool.
    ``with_causes``: also the homicide-rate targets' shares by cause (:func:`sim.analysis.targets.measure`)."""
    from joblib import Parallel, delayed

    tasks = [(i, s) for i in range(len(sets)) for s in seeds]
    out = Parallel(n_jobs=jobs)(delayed(_one)(sets[i], s, targets, with_causes) for i, s in tasks)
    frames: list[list[dict]] = [[] for _ in sets]
    for (i, s), values in zip(tasks, out):
        frames[i].append({"seed": s, **values})
    return [pd.DataFrame(f).set_index("seed") for f in frames]


def loss(means: dict, targets: list[Target], miss_penalty: float = 0.0) -> float:
    """Sum over the fitted targets of the log-distance to the band (:meth:`Target.loss`), plus
    ``miss_penalty`` for each one outside its band (settings ``miss_penalty``): with it the fit
    prefers bringing a near miss into its band to moving a far, unreachable one a little closer."""
    return float(
        sum(t.loss(means[t.id]) + (0.0 if t.inside(means[t.id]) else miss_penalty) for t in targets if t.calibrate)
    )


def violation(means: dict, targets: list[Target]) -> float:
    """How far the required targets (``calibrate=constraint``) are from their bands (0: all met),
    in the units of :meth:`Target.loss`; a trial with a violation is infeasible (Optuna's
    ``constraints_func``) and never chosen."""
    return float(sum(t.loss(means[t.id]) for t in targets if t.constraint))


def best_feasible(rows: pd.DataFrame) -> pd.Series | None:
    """The trial of lowest loss among those that meet every required target (``violation`` 0), or
    None when none does."""
    ok = rows[rows["violation"] <= 0.0]
    return None if ok.empty else ok.iloc[int(ok["loss"].to_numpy().argmin())]


def fit(
    space: dict,
    settings: dict,
    targets: list[Target],
    jobs: int = 2,
    trials: int | None = None,
    seeds: int | None = None,
    progress: bool = True,
    base: tuple[str, ...] = (),
) -> tuple[dict, pd.DataFrame]:
    """Run the Optuna study; return the best parameter set and the table of all trials. ``base``:
    overrides every run starts from (``("world=mexico",)``); the first trial is its current values."""
    import optuna
    from tqdm import tqdm

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials = int(settings["trials"] if trials is None else trials)
    seed_list = list(range(int(settings["seeds"] if seeds is None else seeds)))
    # required targets are constraints: TPE models feasibility, and the best trial is a feasible one
    # (constraints_func is marked experimental in Optuna 4: its warning would read as an error in a log)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=int(settings["sampler_seed"]), constraints_func=lambda t: (t.user_attrs["violation"],)
        )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial(current_values(space, base))
    dists: dict[str, optuna.distributions.BaseDistribution] = {
        k: optuna.distributions.FloatDistribution(lo, hi, log=lg) for k, (lo, hi, lg) in space.items()
    }
    penalty = float(settings.get("miss_penalty", 0.0))  # per fitted target outside its band (loss)
    rows: list[dict] = []
    best_loss = math.inf  # lowest loss of a feasible trial so far (the progress line)
    batch = max(1, jobs)  # trials asked at once, so that trials x seeds keep every worker busy
    from sim.run import on_terminal

    bar = tqdm(total=trials, desc="calibrate", unit="trial", disable=not (progress and on_terminal()))
    while len(rows) < trials:
        asked = [study.ask(dists) for _ in range(min(batch, trials - len(rows)))]
        sets = [(*base, *overrides_for(t.params)) for t in asked]
        for trial, frame in zip(asked, simulate(sets, seed_list, targets, jobs)):
            means = frame.mean().to_dict()
            value = loss(means, targets, penalty)
            trial.set_user_attr("violation", violation(means, targets))
            study.tell(trial, value)
            rows.append(
                {
                    "trial": trial.number,
                    "loss": value,
                    "violation": trial.user_attrs["violation"],
                    **trial.params,
                    **{f"sim:{k}": v for k, v in frame.mean().items()},
                }
            )
            if rows[-1]["violation"] <= 0.0:
                best_loss = min(best_loss, value)
            shown = "none feasible yet" if best_loss == math.inf else f"{best_loss:.2f}"
            bar.update(1)
            bar.set_postfix(best=shown)
            if progress and bar.disable:  # not a terminal (a log): one line per trial
                print(f"calibrate: {len(rows)}/{trials} trials, best loss {shown}", file=sys.stderr, flush=True)
    bar.close()
    table = pd.DataFrame(rows)
    best = best_feasible(table)
    if best is None:  # reported, not hidden: the set that comes closest to the requirements
        required = ", ".join(t.id for t in targets if t.constraint)
        best = table.iloc[int(np.lexsort((table["loss"].to_numpy(), table["violation"].to_numpy()))[0])]
        print(
            f"calibrate: WARNING: no trial met the required targets ({required}); the set chosen is the "
            f"one closest to them (violation {best['violation']:.3g}); run more trials",
            file=sys.stderr,
        )
    return {k: float(best[k]) for k in space}, table


def rounded(value: float) -> float:
    """A fitted value as the params file keeps it (4 significant digits)."""
    return float(f"{value:.4g}")


def held_lines(path: str | Path) -> dict[str, str]:
    """The lines of an existing params file marked ``# held``, by key (``group.name``): values the fit
    does not search but pins (the Mexico preset holds some of the default fit's values). The fit
    ran on top of the file, held lines included, so a rewrite keeps them."""
    path = Path(path)
    if not path.exists():
        return {}
    held, group = {}, None
    for line in path.read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            group = line.rstrip(":").strip()
        elif group and line.startswith("  ") and "# held" in line:
            held[f"{group}.{line.split(':', 1)[0].strip()}"] = line
    return held


def write_calibrated(best: dict, space: dict, path: str | Path, header: str, package: str | None = None) -> None:
    """Write the fitted set as a params group file (nested keys, one comment per value); with
    ``package``, a ``# @package`` line first (a ``fit`` group file is placed under ``params``).
    Lines of the file being replaced that are marked ``# held`` (:func:`held_lines`) are kept unless
    the fit searched their key: the trials ran with them."""
    groups: dict[str, list[str]] = {}
    for key, value in best.items():
        group, name = key.split(".", 1)
        lo, hi, _ = space[key]
        groups.setdefault(group, []).append(f"  {name}: {rounded(value)!r}  # searched [{lo:.4g}, {hi:.4g}]")
    held = {k: line for k, line in held_lines(path).items() if k not in best}
    for key, line in held.items():
        groups.setdefault(key.split(".", 1)[0], []).append(line)
    if held:
        header += "\nLines marked 'held' are not searched: kept from the file this fit ran on top of (see its README section)."
    text = f"# @package {package}\n" if package else ""
    text += "\n".join(f"# {line}" if line else "#" for line in header.splitlines()) + "\n"
    for group in sorted(groups):
        text += f"{group}:\n" + "\n".join(groups[group]) + "\n"
    Path(path).write_text(text)


def describe(frame: pd.DataFrame, targets: list[Target]) -> dict:
    """Per target: mean and 5th-95th percentile across seeds, and whether the mean is in the band."""
    out = {}
    for t in targets:
        v = frame[t.id].to_numpy(dtype=float)
        lo, hi = np.percentile(v, [5, 95])
        out[t.id] = (float(v.mean()), float(lo), float(hi), t.inside(float(v.mean())))
    return out


def inputs_check(overrides: tuple[str, ...], targets: list[Target]) -> tuple[dict[str, float | None], float]:
    """Per target, the value a world at its own input homicide rates would give
    (:func:`sim.analysis.targets.at_inputs`; None where the statistic is not a homicide rate), and
    how far the territories' rates must move from their inputs for the fitted homicide-rate targets
    to be met together (:func:`sim.analysis.targets.joint_spread`)."""
    from sim.model.world import build_world

    world = build_world(compose(list(overrides)).world, np.random.default_rng(0))
    spread, _ = joint_spread(world, [t for t in targets if t.calibrate])
    return {t.id: at_inputs(world, t) for t in targets}, spread


def table(
    before: pd.DataFrame, after: pd.DataFrame, targets: list[Target], inputs: dict[str, float | None] | None = None
) -> pd.DataFrame:
    b, a = describe(before, targets), describe(after, targets)
    inputs = inputs or {}
    rows = []
    for t in targets:
        at = inputs.get(t.id)
        rows.append(
            {
                "target": t.id,
                "quantity": t.quantity,
                "units": t.units,
                "low": t.low,
                "value": t.value,
                "high": t.high,
                "source": t.source,
                "calibrated": t.calibrate,
                "before_mean": b[t.id][0],
                "before_lo": b[t.id][1],
                "before_hi": b[t.id][2],
                "before_in": b[t.id][3],
                "after_mean": a[t.id][0],
                "after_lo": a[t.id][1],
                "after_hi": a[t.id][2],
                "after_in": a[t.id][3],
                "inputs": math.nan if at is None else at,
                "inputs_in": None if at is None else t.inside(at),
                "causes": causes_text(after, t),
            }
        )
    return pd.DataFrame(rows)


def series_targets(targets: list[Target]) -> dict[str, list[Target]]:
    """The series among ``targets``: each statistic measured in three or more one-year windows
    (e.g. Mexico's homicides 2012-2021), its rows in year order."""
    by_stat: dict[str, list[Target]] = {}
    for t in targets:
        if t.first_year == t.last_year:
            by_stat.setdefault(t.statistic, []).append(t)
    return {s: sorted(ts, key=lambda t: t.first_year) for s, ts in by_stat.items() if len(ts) >= 3}


def correlation(simulated: list[float] | np.ndarray, ts: list[Target]) -> float:
    """Pearson correlation of a simulated series with the figures of its rows ``ts`` (NaN if flat)."""
    sim = np.asarray(simulated, dtype=float)
    return float(np.corrcoef(sim, [t.value for t in ts])[0, 1]) if sim.std() > 0 else float("nan")


def series(tab: pd.DataFrame, targets: list[Target]) -> list[tuple[str, float, int, int]]:
    """For each series (:func:`series_targets`): (statistic, correlation of the calibrated means
    with the figures over the years, years in band, years)."""
    out = []
    rows = tab.set_index("target")
    for stat, ts in series_targets(targets).items():
        r = correlation(rows.loc[[t.id for t in ts], "after_mean"].to_numpy(dtype=float), ts)
        out.append((stat, r, int(sum(bool(rows.loc[t.id, "after_in"]) for t in ts)), len(ts)))
    return out


def causes_text(frame: pd.DataFrame, target: Target) -> str:
    """The shares of a homicide-rate target's homicides by cause, mean over the seeds of ``frame``
    (the ``<id>@<term>:<cause>`` columns :func:`simulate` adds ``with_causes``), e.g. ``war 9%, gang
    40%, other 51%``, a ratio's two terms as ``A: ...; B: ...``; empty for other targets."""
    terms = homicide_rate_specs(target) or []
    parts = []
    for k, spec in enumerate(terms):
        cols = {c: f"{target.id}@{k}:{c}" for c in CAUSES}
        if not all(col in frame for col in cols.values()):
            return ""
        text = ", ".join(f"{c} {frame[col].mean():.0%}" for c, col in cols.items())
        parts.append(f"{spec.partition('=')[2] or spec}: {text}" if len(terms) > 1 else text)
    return "; ".join(parts)


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 10 else f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.1f}"


def markdown(tab: pd.DataFrame, seeds: int, before: str = "hand-set defaults", spread: float = 1.0) -> str:
    lines = [
        f"| target | seed figure [band] | source | world's inputs | {before}: mean [90% of {seeds} seeds] | "
        f"calibrated: mean [90% of {seeds} seeds] | homicides by cause, calibrated |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in tab.to_dict("records"):  # plain values (itertuples' fields are typed as any scalar)
        mark = "" if r["calibrated"] else " (not fitted)"

        def cell(m, lo, hi, ok):
            return f"{'**' if ok else ''}{_num(m)}{'**' if ok else ''} [{_num(lo)}, {_num(hi)}]"

        lines.append(
            f"| {r['quantity']}{mark} | {_num(r['value'])} [{_num(r['low'])}, {_num(r['high'])}] {r['units']} | "
            f"{r['source']} | {_inputs_cell(r.get('inputs', math.nan), r.get('inputs_in'))} | "
            f"{cell(r['before_mean'], r['before_lo'], r['before_hi'], r['before_in'])} | "
            f"{cell(r['after_mean'], r['after_lo'], r['after_hi'], r['after_in'])} | {r.get('causes') or ''} |"
        )
    out = (
        "\n".join(lines) + "\n\nBold: the mean over seeds lies inside the band. Homicides by cause (homicide-rate "
        "targets, each term of a ratio): killings in fights between groups (war), by gang members (gang), and the "
        "rest (other: the background and state abuse), as shares of the selection's homicides "
        "(sim.analysis.targets.causes): where a target misses, the mechanism that carries its violence, or none.\n"
    )
    return out + _inputs_note(tab, spread)


def _inputs_cell(value: float, inside: bool | None) -> str:
    if inside is None or not math.isfinite(value):
        return ""
    return f"**{_num(value)}**" if inside else _num(value)


def _inputs_note(tab: pd.DataFrame, spread: float = 1.0) -> str:
    """The note under the table: what the inputs column means, the fitted targets the world's own
    inputs miss (structural: no fit that reproduces the observed rates can meet them), and how far
    the territories must move from their inputs for all the fitted homicide-rate targets to hold."""
    if "inputs" not in tab or not tab["inputs"].notna().any():
        return ""
    miss = tab[tab["calibrated"] & tab["inputs_in"].eq(False)]
    text = (
        "World's inputs: the value the statistic would take if every territory sat at its own input "
        "homicide rate (the observed rates the world is built from; homicide-rate targets only)."
    )
    if len(miss):
        text += (
            f" {len(miss)} fitted target{'s' if len(miss) > 1 else ''} lie outside the band even there ("
            + ", ".join(f"{r['target']} {_num(r['inputs'])}" for r in miss.to_dict("records"))
            + "): a fit can meet them only by moving territories away from their observed rates."
        )
    if spread > 1.0:
        text += (
            f" All the fitted homicide-rate targets hold together only if the territories' rates may move up to "
            f"{spread:.2f} times (or 1/{spread:.2f}) their inputs (targets.joint_spread)."
        )
    return "\n" + text + "\n"


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--trials", type=int, help="Optuna trials (default: configs/calibration.yaml)")
    ap.add_argument("--seeds", type=int, help="seeds per trial (default: configs/calibration.yaml)")
    ap.add_argument(
        "--check-seeds", type=int, help="seeds for the before/after report (default: configs/calibration.yaml)"
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument(
        "--world",
        default=DEFAULT_WORLD,
        help="the world preset to fit (default hemisphere; another world reads configs/calibration_<world>.yaml)",
    )
    ap.add_argument("--out", help="report folder (default results/calibration, or results/calibration_<world>)")
    ap.add_argument(
        "--write",
        help="where to write the fitted params file (default configs/params/calibrated.yaml, or the space's "
        "settings.write for another world; '' = don't)",
    )
    ap.add_argument(
        "--refine",
        type=float,
        metavar="F",
        help="a local stage: search only within +-F of each range around the current fit (e.g. 0.1)",
    )
    ap.add_argument("--space", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    world = args.world
    try:
        space, settings = load_space(args.space or space_yaml(world))
        if str(settings.get("world", DEFAULT_WORLD)) != world:
            raise ValueError(f"the search space is for world {settings.get('world', DEFAULT_WORLD)}, not {world}")
        targets = world_targets(world)
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    default_world = world == DEFAULT_WORLD
    # every run starts from the world (and, for another world, its current fit); the report's
    # "before" is the hand-set defaults for the default world, the space's settings.before otherwise
    base: tuple[str, ...] = () if default_world else (f"world={world}",)
    before_set = ("params=uncalibrated",) if default_world else (*base, *settings.get("before", ["fit=none"]))
    after_base = ("params=uncalibrated",) if default_world else base
    out_dir = args.out or ("results/calibration" if default_world else f"results/calibration_{world}")
    write = args.write
    if write is None:
        write = str(CALIBRATED_YAML.relative_to(PROJECT_ROOT)) if default_world else str(settings["write"])
    box = ""
    if args.refine is not None:
        try:
            space = narrowed(space, current_values(space, base), args.refine)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        box = f", within +-{args.refine:g} of each range around the previous fit"
    t0 = time.time()
    best, trials = fit(space, settings, targets, jobs=args.jobs, trials=args.trials, seeds=args.seeds, base=base)
    best = {k: rounded(v) for k, v in best.items()}  # the values written, so the report measures the set shipped
    n_check = int(settings["check_seeds"] if args.check_seeds is None else args.check_seeds)
    check = range(1000, 1000 + n_check)  # seeds the fit did not use
    fitted = tuple(overrides_for(best))
    before, after = simulate([before_set, (*after_base, *fitted)], check, targets, args.jobs, with_causes=True)
    inputs, spread = inputs_check(after_base, targets)
    tab = table(before, after, targets, inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    trials.to_csv(out / "trials.csv", index=False)
    tab.to_csv(out / "table.csv", index=False)
    command = "experiments/calibrate.py " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    penalty = float(settings.get("miss_penalty", 0.0))
    l_before = loss(before.mean().to_dict(), targets, penalty)
    l_after = loss(after.mean().to_dict(), targets, penalty)
    inside = int(tab["after_in"][tab["calibrated"]].sum())
    n_cal = int(tab["calibrated"].sum())
    before_name = "hand-set defaults" if default_world else " ".join(before_set)
    fitted_series = series(tab, targets)
    lines = [
        f"- {stat}{'' if any(t.calibrate and t.statistic == stat for t in targets) else ' (not fitted)'}: "
        f"correlation of the fitted set's yearly means with the figures {r:.2f}; "
        f"{k} of {n} years inside their band"
        for stat, r, k, n in fitted_series
    ]
    report = (
        f"# Calibration{'' if default_world else f' of world={world}'}\n\n`{command.strip()}` on "
        f"{dt.date.today()}: {len(trials)} trials x "
        f"{args.seeds or settings['seeds']} seeds{box}, {time.time() - t0:.0f} s. Loss (sum over fitted targets of the "
        f"log-distance to the band{f', plus {penalty:g} for each outside it' if penalty else ''}, on the mean of {n_check} unseen seeds): {before_name} "
        f"{l_before:.2f}, calibrated {l_after:.2f}; {inside} of {n_cal} fitted targets inside their band.\n\n"
        + ("Series:\n\n" + "\n".join(lines) + "\n\n" if lines else "")
        + markdown(tab, n_check, before_name, spread)
        + "\nFitted values:\n\n"
        + "\n".join(
            f"- `params.{k}` = {v:.4g} (searched [{space[k][0]:.4g}, {space[k][1]:.4g}])" for k, v in best.items()
        )
        + "\n"
    )
    (out / "report.md").write_text(report)
    if write:
        space_file = Path(args.space or space_yaml(world)).name
        selected = (
            "Selected by configs/config.yaml (params: calibrated); params=uncalibrated gives the hand-set defaults.\n"
            if default_world
            else f"Applied on top of the params set whenever world={world} (configs/config.yaml: fit: ${{world}}); "
            "fit=none leaves it out.\n"
        )
        header = (
            f"Calibrated parameters{'' if default_world else f' of world={world}'}: generated by "
            f"{command.strip()} ({dt.date.today()}).\n"
            f"Fit: Optuna TPE, {len(trials)} trials x {args.seeds or settings['seeds']} seeds, to "
            f"{'' if default_world else f'the world={world} rows of '}data/targets.csv; search space configs/{space_file}{box}.\n"
            f"Loss on {n_check} unseen seeds: {before_name} {l_before:.2f} -> calibrated {l_after:.2f}; "
            f"{inside} of {n_cal} fitted targets inside their band.\n"
            + "".join(
                f"{stat}: correlation {r:.2f} with the figures, {k} of {n} years in band.\n"
                for stat, r, k, n in fitted_series
            )
            + selected
            + "Regenerate rather than edit by hand."
        )
        target = PROJECT_ROOT / write if not Path(write).is_absolute() else Path(write)
        write_calibrated(best, space, target, header, package=None if default_world else "params")
        if target.resolve() == CALIBRATED_YAML.resolve():  # the default set changed: so does docs/ODD.md
            from sim import odd

            odd.OUTPUT.write_text(odd.render())
    print(report)
    return 0 if math.isfinite(l_after) else 1
