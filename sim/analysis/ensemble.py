"""An ensemble of parameter sets consistent with the targets (history matching), and scenario
comparisons over it, so that intervals carry parameter uncertainty as well as seed noise.

**Fit** (:func:`fit`, ``experiments/ensemble.py``): one wave of history matching (Craig et al. 1997;
Vernon, Goldstein and Bower 2010, Bayesian Analysis 5:619-670; Andrianakis et al. 2015, PLoS Comput
Biol 11:e1003968, for an agent-based model). Candidates fill the search space of
``configs/calibration.yaml`` by a Latin hypercube (log scale where the space says so); each is run on
``seeds`` seeds of the default world at baseline (:func:`sim.analysis.targets.measure`). The
implausibility of a candidate for target *t* (rows of ``data/targets.csv`` with ``calibrate=yes`` or
``constraint``; a ``constraint`` row must also have its mean inside its band, :func:`rescore`) is

    I_t = |mean_k log z_t - log c_t| / sqrt(sd_obs^2 + sd_disc^2 + var_k(log z_t) / k)

with ``c_t = sqrt(low * high)`` the band's centre on a log scale, ``sd_obs = log(high / low) / 4``
(the band is +-2 sd of the observation), ``sd_disc`` the model discrepancy (``discrepancy``, log
units) and the seed-to-seed variance over the ``k`` seeds. A target that every candidate misses
(``I_t > cutoff``) is *structural*: no set in the searched box reaches it, so it cannot tell sets
apart; it is named in the report and left out of the choice (:func:`rescore`). Among the other
targets a candidate is kept (not implausible) when its ``tolerate + 1``-th largest ``I_t`` is at
most ``cutoff`` (3, Pukelsheim's three-sigma rule; Vernon et al. use the second or third largest
in the same way). No emulator: a 3-year
run costs ~1.5 s, so the simulator itself is evaluated at every candidate. The kept candidates,
at most ``max_members`` of the lowest implausibility, are the ensemble, written to
``configs/ensemble.yaml`` and checked on seeds the fit did not use.

**Another world** (``--world mexico``): the search space and ``history_matching`` settings of
``configs/calibration_<world>.yaml``, its rows of ``data/targets.csv``, every run starting from that
world and its own fit; written to ``configs/ensemble_<world>.yaml`` (:func:`ensemble_yaml`). Two
settings serve a series: ``exempt`` names targets reported but not chosen on (a feature the model
is known not to reproduce), and ``min_correlation`` keeps only candidates whose series correlates
with the figures at least that much (:func:`rescore`). **Later waves** (``--refocus`` an earlier
wave's candidates.csv): new candidates fill the box of the earlier wave's kept ones
(:func:`refocus`), and the members are chosen over all the waves' candidates.

**Use** (``experiments/compare.py --ensemble N``): every scenario runs over the first N members x the
seeds (:func:`run_members`); each (member, seed) pair is one run, paired with the baseline of the same
member and seed, so the intervals of the report span both. A pair's scenarios share one burn-in
(:mod:`sim.fork`), and a member's values are set in each scenario's composed config rather than
composed again (:func:`sim.analysis.compare.with_values`). :func:`sign_table` says, per scenario and
outcome, whether the mean paired change keeps its sign in every member.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim.analysis.calibrate import SPACE_YAML, correlation, declared_range, load_space, overrides_for, series_targets
from sim.analysis.targets import DEFAULT_WORLD, Target
from sim.resources import CONFIG_DIR

ENSEMBLE_YAML = CONFIG_DIR / "ensemble.yaml"  # not a Hydra group: read by compare --ensemble


def ensemble_yaml(world: str) -> Path:
    """The ensemble file of ``world``: configs/ensemble.yaml for the default world, else
    configs/ensemble_<world>.yaml (fitted on that world, on top of its own fit)."""
    return ENSEMBLE_YAML if world == DEFAULT_WORLD else CONFIG_DIR / f"ensemble_{world}.yaml"


def ensemble_for(world: str) -> Path:
    """The ensemble ``compare --ensemble`` runs on ``world``: the world's own
    (:func:`ensemble_yaml`) if it has one; else the default world's, unless the world runs its own
    fit (``configs/fit/<world>.yaml`` holds values), which those members would overwrite."""
    own = ensemble_yaml(world)
    if own.exists():
        return own
    fit = CONFIG_DIR / "fit" / f"{world}.yaml"
    if fit.exists() and OmegaConf.load(fit):
        raise ValueError(
            f"world={world} runs its own fitted set (configs/fit/{world}.yaml), which the default world's "
            f"members would overwrite, and has no ensemble of its own: fit one with "
            f"experiments/ensemble.py --world {world}"
        )
    return ENSEMBLE_YAML


SIGN_COLUMNS = [
    "scenario",
    "outcome",
    "year",
    "members",
    "mean",
    "member_min",
    "member_max",
    "above",
    "below",
    "keeps_sign",
    "param_share",
]


# ----------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class Ensemble:
    """Parameter sets {``group.name``: value}, each inside its searched and declared ranges."""

    members: list[dict[str, float]]
    space: dict[str, tuple[float, float, bool]]
    method: str = ""

    def overrides(self, i: int) -> tuple[str, ...]:
        """Hydra overrides (``params.group.name=value``) for member ``i``."""
        return tuple(overrides_for(self.members[i]))


def load_settings(path: str | Path = SPACE_YAML) -> dict:
    """The ``history_matching`` settings of ``configs/calibration.yaml`` (or of another world's
    search space, ``configs/calibration_<world>.yaml``)."""
    cfg = OmegaConf.to_container(OmegaConf.load(path))
    if not isinstance(cfg, dict) or "history_matching" not in cfg:
        raise ValueError(f"{path}: no history_matching settings")
    return dict(cfg["history_matching"])


def load_ensemble(path: str | Path = ENSEMBLE_YAML) -> Ensemble:
    """Read the ensemble file; raise ValueError naming the member and key that leave a range."""
    raw = OmegaConf.to_container(OmegaConf.load(path))
    if not isinstance(raw, dict) or not raw.get("members"):
        raise ValueError(f"{path}: expected 'parameters' and a non-empty list 'members'")
    space = {k: (float(v["low"]), float(v["high"]), bool(v.get("log", False))) for k, v in raw["parameters"].items()}
    members = []
    for i, m in enumerate(raw["members"]):
        if set(m) != set(space):
            raise ValueError(f"{path}: member {i}: keys {sorted(m)} differ from the parameters {sorted(space)}")
        for key, value in m.items():
            lo, hi, _ = space[key]
            dlo, dhi = declared_range(key)
            if not (dlo <= lo <= float(value) <= hi <= dhi):
                raise ValueError(
                    f"{path}: member {i}: {key}={value} outside its searched range [{lo}, {hi}] "
                    f"or the declared range [{dlo}, {dhi}]"
                )
        members.append({k: float(v) for k, v in m.items()})
    return Ensemble(members, space, str(raw.get("method", "")))


def write_ensemble(path: str | Path, members: list[dict], space: dict, header: str, method: str) -> None:
    doc = {
        "method": method,
        "parameters": {k: {"low": lo, "high": hi, "log": lg} for k, (lo, hi, lg) in space.items()},
        "members": [{k: float(f"{v:.4g}") for k, v in m.items()} for m in members],
    }
    text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    Path(path).write_text(text + OmegaConf.to_yaml(OmegaConf.create(doc)))


# ----------------------------------------------------------------------------- history matching


def sample(space: dict, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` points of a Latin hypercube over ``space`` (log scale where ``log``)."""
    from scipy.stats import qmc

    keys = list(space)
    u = qmc.LatinHypercube(d=len(keys), seed=seed).random(n)
    out = []
    for row in u:
        point = {}
        for key, x in zip(keys, row):
            lo, hi, lg = space[key]
            point[key] = float(math.exp(math.log(lo) + x * math.log(hi / lo)) if lg else lo + x * (hi - lo))
        out.append(point)
    return out


def implausibility(frame: pd.DataFrame, targets: list[Target], discrepancy: float) -> pd.Series:
    """Implausibility per fitted target from a (seed x target id) frame of simulated values; a
    non-positive or missing value is infinitely implausible."""
    out = {}
    for t in targets:
        if not t.calibrate:
            continue
        z = frame[t.id].to_numpy(dtype=float)
        if not np.all(np.isfinite(z)) or np.any(z <= 0):
            out[t.id] = math.inf
            continue
        logs = np.log(z)
        seed_var = float(logs.var(ddof=1)) / len(logs) if len(logs) > 1 else 0.0
        sd_obs = math.log(t.high / t.low) / 4.0
        centre = 0.5 * math.log(t.low * t.high)
        out[t.id] = abs(float(logs.mean()) - centre) / math.sqrt(sd_obs**2 + discrepancy**2 + seed_var)
    return pd.Series(out, dtype=float)


def kept(imp: pd.Series, cutoff: float, tolerate: int) -> bool:
    """Not implausible: the ``tolerate + 1``-th largest implausibility is at most ``cutoff``."""
    ordered = np.sort(imp.to_numpy(dtype=float))[::-1]
    return bool(len(ordered) <= tolerate or ordered[tolerate] <= cutoff)


def fit(
    space: dict,
    settings: dict,
    targets: list[Target],
    jobs: int = 1,
    progress: bool = True,
    save: Path | None = None,
    base: tuple[str, ...] = (),
    box: dict | None = None,
) -> pd.DataFrame:
    """Run every candidate on ``settings['seeds']`` seeds; one row per candidate: parameters,
    ``imp:<target>`` and ``sim:<target>`` (mean over seeds). ``base``: overrides every run starts
    from (``("world=mexico",)``: that world with its own fit). Candidate 0 is the current set,
    unless ``box`` (a later wave: the candidates fill that part of ``space``, :func:`refocus`). With
    ``save``, the rows so far are written there after every batch (a long fit can be rescored before
    it ends)."""
    from sim.analysis.calibrate import current_values, simulate

    n = int(settings["candidates"])
    if box is None:
        cands = [current_values(space, base), *sample(space, n - 1, int(settings["sampler_seed"]))]
    else:  # another stream of the same hypercube seed: wave 2 does not repeat wave 1's strata
        cands = sample(box, n, int(settings["sampler_seed"]) + 1)
    seeds = list(range(int(settings["seeds"])))
    disc = float(settings["discrepancy"])
    rows = []
    batch = 10  # candidates per pool: a progress line every batch
    for start in range(0, n, batch):
        chunk = cands[start : start + batch]
        frames = simulate([(*base, *overrides_for(c)) for c in chunk], seeds, targets, jobs)
        for c, frame in zip(chunk, frames):
            imp = implausibility(frame, targets, disc)
            rows.append(
                {**c, **{f"imp:{k}": v for k, v in imp.items()}, **{f"sim:{k}": v for k, v in frame.mean().items()}}
            )
        if save is not None:
            pd.DataFrame(rows).to_csv(save, index=False)
        if progress:
            done = len(rows)
            print(f"history matching: {done}/{n} candidates", flush=True)
    return pd.DataFrame(rows)


def series_correlations(trials: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Per candidate (row of ``sim:<target>`` means over its seeds) and fitted series
    (:func:`sim.analysis.calibrate.series_targets`): the correlation of its series with the figures,
    column ``corr:<statistic>``."""
    out = pd.DataFrame(index=trials.index)
    for stat, ts in series_targets([t for t in targets if t.calibrate]).items():
        cols = [f"sim:{t.id}" for t in ts]
        out[f"corr:{stat}"] = [correlation(row, ts) for row in trials[cols].to_numpy(dtype=float)]
    return out


def refocus(previous: pd.DataFrame, space: dict, widen: float = 0.1) -> dict:
    """The part of ``space`` a later wave samples: the box spanned by the earlier wave's kept
    candidates (column ``kept``), widened by ``widen`` of each searched range on each side (on its
    log scale where the space says so) and clipped to the space. A box, not the not-implausible
    region itself: without an emulator (Vernon et al. 2010 sample each wave from one) this is the
    crude refocusing of Andrianakis et al. (2015)'s later waves. One kept candidate is enough: the
    box is then a tenth of each range either side of it (a wave at the model's frontier may keep
    only the point fit, and the next wave looks around it)."""
    ok = previous[previous["kept"].astype(bool)]
    if ok.empty:
        raise ValueError("refocus: the earlier wave kept no candidate; there is no box to refocus on")
    out = {}
    for key, (lo, hi, lg) in space.items():
        f = np.log if lg else (lambda x: x)
        a, b, span = f(float(ok[key].min())), f(float(ok[key].max())), f(hi) - f(lo)
        a, b = max(f(lo), a - widen * span), min(f(hi), b + widen * span)
        out[key] = (float(np.exp(a)), float(np.exp(b)), lg) if lg else (float(a), float(b), lg)
    return out


def rescore(
    trials: pd.DataFrame,
    cutoff: float,
    tolerate: int,
    targets: list[Target] = (),  # type: ignore[assignment]
    min_correlation: float | None = None,
    exempt: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """From the candidates' implausibilities (``imp:<target>``): the structural targets (missed by
    every candidate) and the candidates with ``max_imp`` (the ``tolerate + 1``-th largest
    implausibility over the other targets, less the ``exempt`` ones: targets named in the settings
    as ones the model is known not to reproduce, reported but not chosen on) and ``kept``. With ``min_correlation``, a candidate is
    kept only if each fitted series of ``targets`` also correlates with its figures at least that
    much (column ``corr:<statistic>``): the implausibility reads each year's band, not the series'
    shape (issue 19 asks the Mexico preset for a correlation of at least 0.8). A required target
    (``calibrate=constraint``) keeps only candidates whose mean lies inside its band. Cheap: a fit can be
    rescored under another cutoff, tolerance or criterion without running it again."""
    cols = [c for c in trials.columns if c.startswith("imp:")]
    structural = [c[4:] for c in cols if (trials[c] > cutoff).all()]
    scored = trials[[c for c in cols if c[4:] not in structural and c[4:] not in exempt]]
    out = trials.drop(columns=[c for c in trials.columns if c.startswith("corr:") or c in ("max_imp", "kept")])
    out = pd.concat([out, series_correlations(out, list(targets))], axis=1)
    if scored.shape[1] == 0:  # nothing left to tell the candidates apart
        out["max_imp"], out["kept"] = math.inf, False
        return out, structural
    ordered = -np.sort(-scored.to_numpy(dtype=float), axis=1)
    out["max_imp"] = ordered[:, min(tolerate, ordered.shape[1] - 1)]
    out["kept"] = [kept(row, cutoff, tolerate) for _, row in scored.iterrows()]
    if min_correlation is not None:
        corr = out[[c for c in out.columns if c.startswith("corr:")]]
        out["kept"] &= (corr.fillna(-1.0) >= min_correlation).all(axis=1)
    for t in targets:  # a required target (calibrate=constraint) must be met: its mean inside its band
        if t.constraint:
            out["kept"] &= out[f"sim:{t.id}"].map(lambda x, t=t: t.inside(float(x))).astype(bool)
    return out, structural


def choose(trials: pd.DataFrame, space: dict, max_members: int) -> list[dict[str, float]]:
    """The kept candidates of lowest implausibility, at most ``max_members``."""
    ok = trials[trials["kept"]].sort_values("max_imp").head(max_members)
    return [{k: float(r[k]) for k in space} for _, r in ok.iterrows()]


# ----------------------------------------------------------------------------- comparisons


def _member_runs(
    scenarios: Sequence[str],
    member: int,
    seed: int,
    n_seeds: int,
    values: tuple[str, ...],
    extra: tuple[str, ...],
    countries: tuple[str, ...],
    composed: dict[str, bytes],
) -> list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """The frames of :func:`sim.analysis.compare.seed_runs` for one member (its ``values``) and seed,
    labelled: every scenario from one burn-in (:mod:`sim.fork`). ``composed``: the scenarios' configs
    under ``extra`` (:func:`sim.analysis.compare.composed_config`); the member's values are set in
    them, then ``extra``'s own values again, so that ``extra`` wins as on a command line."""
    from sim.analysis.compare import seed_runs, with_values
    from sim.run import is_group_override

    again = tuple(o for o in extra if not is_group_override(o))
    mine = {sc: with_values(composed[sc], (*values, *again)) for sc in scenarios}
    runs = seed_runs(scenarios, seed, extra, countries, mine)
    for frames in runs:
        for frame in frames:
            frame["seed"] = member * n_seeds + seed  # one run = one (member, seed) pair, paired as such
            frame["member"] = member
    return runs


def run_members(
    scenarios: Sequence[str],
    seeds: int,
    ensemble: Ensemble,
    n_members: int,
    extra: Sequence[str] = (),
    countries: Sequence[str] = (),
    jobs: int = -1,
    progress: bool = True,
    composed: dict[str, bytes] | None = None,
) -> tuple[pd.DataFrame, ...]:
    """The frames of :func:`sim.analysis.compare.run_all_countries` over the first ``n_members``
    members x ``seeds`` seeds: column ``seed`` is the run (``member * seeds + seed``), column
    ``member`` the member. A (member, seed) pair's scenarios share their burn-in (one task each);
    ``composed``: the scenarios' configs under ``extra``, when the caller has them
    (:func:`sim.analysis.compare.compose_scenarios`)."""
    from joblib import Parallel, delayed

    from sim.analysis.compare import composed_config
    from sim.run import progress as progress_bar

    if not 1 <= n_members <= len(ensemble.members):
        raise ValueError(f"--ensemble {n_members}: the ensemble file holds {len(ensemble.members)} members")
    extra = tuple(extra)
    composed = {sc: (composed or {}).get(sc) or composed_config(sc, extra) for sc in scenarios}
    tasks = [(m, s) for m in range(n_members) for s in range(seeds)]
    gen = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_member_runs)(scenarios, m, s, seeds, ensemble.overrides(m), extra, tuple(countries), composed)
        for m, s in tasks
    )
    runs = (frames for batch in gen for frames in batch)
    results = list(
        progress_bar(runs, total=len(tasks) * len(scenarios), desc="scenario x member x seed runs", enabled=progress)
    )
    return tuple(
        pd.concat([r[i] for r in results], ignore_index=True).sort_values(
            ["scenario", "seed"], kind="stable", ignore_index=True
        )
        for i in range(len(results[0]))
    )


def sign_table(per_run: pd.DataFrame, outcomes: Sequence[str], baseline: str, year: int) -> pd.DataFrame:
    """Per scenario and outcome at ``year``: the mean paired change against ``baseline`` in each
    member (over its seeds), how many members put it above and below zero, and whether it keeps its
    sign across the ensemble (every member's mean on the same side of zero)."""
    at = per_run[per_run["year_index"] == year]
    base = at[at["scenario"] == baseline].set_index("seed")
    rows: list[dict] = []
    if base.empty:  # no run reaches the year
        return pd.DataFrame(rows, columns=SIGN_COLUMNS)
    for sc in [s for s in dict.fromkeys(at["scenario"]) if s != baseline]:
        this = at[at["scenario"] == sc].set_index("seed")
        for out in outcomes:
            diff = (this[out] - base[out].reindex(this.index)).dropna()
            members = this["member"].reindex(diff.index)
            by_member = diff.groupby(members).mean()
            pos, neg = int((by_member > 0).sum()), int((by_member < 0).sum())
            rows.append(
                {
                    "scenario": sc,
                    "outcome": out,
                    "year": year,
                    "members": len(by_member),
                    "mean": float(diff.mean()),
                    "member_min": float(by_member.min()),
                    "member_max": float(by_member.max()),
                    "above": pos,
                    "below": neg,
                    "keeps_sign": bool(len(by_member) > 0 and (pos == len(by_member) or neg == len(by_member))),
                    "param_share": parameter_share(diff, members),
                }
            )
    return pd.DataFrame(rows, columns=SIGN_COLUMNS)


def parameter_share(values: pd.Series, members: pd.Series) -> float:
    """The share of the variance of ``values`` (paired changes, one per run) that lies between the
    members (``members``: each run's member) rather than between the seeds of a member: the
    one-way random-effects estimate sigma_b^2 / (sigma_b^2 + sigma_w^2), with sigma_w^2 the mean
    square within members and sigma_b^2 = max(0, (MSB - MSW) / n0) (Searle, Casella and McCulloch
    1992, *Variance Components*, ch. 3; n0 the seeds per member, or its unbalanced analogue). Near 1:
    the members disagree beyond seed noise (parameter uncertainty); near 0: a sign change within the
    ensemble is what the seeds alone would give. NaN without two members and a member with two seeds,
    or when every run gives the same value."""
    groups = values.groupby(members)
    n = groups.size()
    big_n, m = int(n.sum()), len(n)
    if m < 2 or big_n <= m:
        return float("nan")
    means = groups.mean()
    within = float(((values - means.reindex(members).to_numpy()) ** 2).sum()) / (big_n - m)
    between = float((n * (means - values.mean()) ** 2).sum()) / (m - 1)
    n0 = (big_n - float((n**2).sum()) / big_n) / (m - 1)
    sigma_b = max(0.0, (between - within) / n0)
    total = sigma_b + within
    return sigma_b / total if total > 0 else float("nan")


def country_sign_table(
    per_country: pd.DataFrame, targets: Mapping[str, list[str] | None], baseline: str, year: int
) -> pd.DataFrame:
    """:func:`sign_table` of each scenario in the countries it acts in (``targets``: each scenario's
    ISO codes, :func:`sim.analysis.compare.scenario_countries`), from the yearly means by country
    (``per_country``), with a ``country`` column first: the effect where the government's policy acts.
    Scenarios acting everywhere or in the whole region are left out (the regional table has them),
    and so are outcomes that are zero in every run of a country."""
    from sim.analysis.stats import COUNTRY_OUTCOMES

    parts = []
    for sc, codes in targets.items():
        if sc == baseline:
            continue
        for iso in [c for c in codes or () if c in set(per_country["country"])]:
            here = per_country[(per_country["country"] == iso) & per_country["scenario"].isin((baseline, sc))]
            outcomes = [o for o in COUNTRY_OUTCOMES if o in here and here[o].abs().sum() > 0]
            parts.append(sign_table(here, outcomes, baseline, year).assign(country=iso))
    if not parts:
        return pd.DataFrame(columns=["country", *SIGN_COLUMNS])
    table = pd.concat(parts, ignore_index=True)
    return table[["country", *SIGN_COLUMNS]]


def report_lines(
    signs: pd.DataFrame,
    ensemble: Ensemble,
    n_members: int,
    seeds: int,
    source: str = "configs/ensemble.yaml",
    country_signs: pd.DataFrame | None = None,
) -> list[str]:
    """The report's section on parameter uncertainty (``source``: the ensemble file, as shown), with
    the effects in the countries each scenario acts in when ``country_signs`` has rows
    (:func:`country_sign_table`)."""
    from sim.analysis.stats import COUNTRY_OUTCOMES, OUTCOMES

    lines = [
        "",
        "## Parameter uncertainty",
        "",
        f"Every scenario ran over {n_members} members of the calibrated ensemble (`{source}`; "
        f"{ensemble.method}) x {seeds} seeds; each (member, seed) pair is one run, paired with the baseline of the "
        "same member and seed, so the intervals above span seed noise and parameter uncertainty. Below: the mean "
        "paired change in each member (over its seeds); an effect keeps its sign when every member's mean lies on "
        "the same side of zero. Parameters' share: how much of the spread of the paired changes lies between the "
        "members rather than between a member's seeds (`sim.analysis.ensemble.parameter_share`); a sign change "
        "with a small share is what seed noise alone would give, one with a large share comes from the parameters.",
        "",
    ]
    lines += _sign_tables(signs, "###", OUTCOMES)
    if country_signs is None or country_signs.empty:
        return lines
    lines += [
        "### Where each government acts",
        "",
        "The same, for each scenario in the countries it acts in (its own country's figures, from",
        "`countries_yearly.csv`; `signs_countries.csv`).",
        "",
    ]
    return lines + _sign_tables(country_signs, "####", COUNTRY_OUTCOMES)


_SIGN_HEADER = (
    "scenario",
    "outcome",
    "mean change",
    "member means [min, max]",
    "members above / below 0",
    "keeps sign",
    "parameters' share",
)


def _sign_tables(signs: pd.DataFrame, heading: str, formats: Mapping[str, tuple[str, str]]) -> list[str]:
    """One markdown table a year of :func:`sign_table`'s rows (with a first column ``country`` when
    ``signs`` has one), under ``heading`` (``###``)."""
    lead = ("country",) if "country" in signs else ()
    lines: list[str] = []
    for year, part in signs.groupby("year"):
        lines += [f"{heading} Year {year}", "", "| " + " | ".join((*lead, *_SIGN_HEADER)) + " |"]
        lines += ["|" + "---|" * (len(lead) + len(_SIGN_HEADER))]
        lines += [_sign_row(r, formats, lead) for r in part.to_dict("records")] + [""]
    return lines


def _sign_row(r: dict, formats: Mapping[str, tuple[str, str]], lead: tuple[str, ...] = ()) -> str:
    fmt = formats.get(r["outcome"], ("", "{:.3g}"))[1]
    return (
        "".join(f"| {r[c]} " for c in lead) + f"| `{r['scenario']}` | {r['outcome']} | {fmt.format(r['mean'])} | "
        f"[{fmt.format(r['member_min'])}, {fmt.format(r['member_max'])}] | {r['above']} / {r['below']} | "
        f"{'yes' if r['keeps_sign'] else '**no**'} | {_share(r['param_share'])} |"
    )


def _share(x: float) -> str:
    return "" if x != x else f"{100 * x:.0f}%"  # NaN: one seed per member


# ----------------------------------------------------------------------------- command


def series_lines(checked: pd.DataFrame, targets: list[Target], min_corr: float | None) -> list[str]:
    """The report's lines on each fitted series over unseen seeds: the correlation of each member's
    mean series with the figures, and of each (member, seed) run's."""
    lines: list[str] = []
    for stat, ts in series_targets([t for t in targets if t.calibrate]).items():
        cols = [t.id for t in ts]
        by_member = [correlation(v, ts) for v in checked.groupby("member")[cols].mean().to_numpy(dtype=float)]
        by_run = [correlation(v, ts) for v in checked[cols].to_numpy(dtype=float)]
        bar = min_corr if min_corr is not None else 0.8
        lines += [
            "",
            f"Series `{stat}` (policy years {ts[0].first_year}-{ts[-1].first_year}): correlation with the figures of each "
            f"member's mean over the unseen seeds {min(by_member):.2f} to {max(by_member):.2f} (median "
            f"{np.median(by_member):.2f}); {np.mean(np.array(by_member) >= bar):.0%} of members and "
            f"{np.mean(np.array(by_run) >= bar):.0%} of single runs reach {bar}.",
        ]
    return lines


def check(
    members: list[dict], targets: list[Target], seeds: Sequence[int], jobs: int, base: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Each member on ``seeds`` the fit did not use: one row per member and seed of simulated values."""
    from sim.analysis.calibrate import simulate

    frames = simulate([(*base, *overrides_for(m)) for m in members], list(seeds), targets, jobs)
    return pd.concat([f.assign(member=i).reset_index() for i, f in enumerate(frames)], ignore_index=True)


def check_table(checked: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Per target: the ensemble's mean and 5th-95th percentile over members x seeds, the share of
    members whose mean over the seeds is inside the band, and whether the ensemble mean is."""
    means = checked.groupby("member")[[t.id for t in targets]].mean()
    rows = []
    for t in targets:
        v = checked[t.id].to_numpy(dtype=float)
        lo, hi = np.nanpercentile(v, [5, 95])
        rows.append(
            {
                "target": t.id,
                "quantity": t.quantity,
                "low": t.low,
                "value": t.value,
                "high": t.high,
                "source": t.source,
                "calibrated": t.calibrate,
                "mean": float(np.nanmean(v)),
                "lo": float(lo),
                "hi": float(hi),
                "members_in": float(np.mean([t.inside(x) for x in means[t.id]])),
                "inside": t.inside(float(np.nanmean(v))),
            }
        )
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    import argparse
    import datetime as dt
    import shlex
    import sys
    import time

    from sim.analysis.calibrate import _num, space_yaml, world_targets
    from sim.run import PROJECT_ROOT

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--world",
        default=DEFAULT_WORLD,
        help="the world preset to fit (default hemisphere; another world reads the history_matching "
        "settings of configs/calibration_<world>.yaml and writes configs/ensemble_<world>.yaml)",
    )
    ap.add_argument("--candidates", type=int, help="candidates (default: configs/calibration.yaml)")
    ap.add_argument("--seeds", type=int, help="seeds per candidate (default: configs/calibration.yaml)")
    ap.add_argument("--check-seeds", type=int, help="unseen seeds per member for the report")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--out", help="report folder (default results/ensemble, or results/ensemble_<world>)")
    ap.add_argument(
        "--write",
        help="where to write the ensemble (default configs/ensemble.yaml, or configs/ensemble_<world>.yaml; '' = don't)",
    )
    ap.add_argument(
        "--rescore",
        default=None,
        help="a candidates.csv of an earlier fit: choose and check members under the current settings, no new fit",
    )
    ap.add_argument("--tolerate", type=int, help="targets a candidate may miss (default: the settings')")
    ap.add_argument(
        "--refocus",
        default=None,
        help="a candidates.csv of an earlier wave: run a new wave in the box of its kept candidates, then "
        "choose over both waves under the settings' rule",
    )
    args = ap.parse_args(argv)
    world = args.world
    default_world = world == DEFAULT_WORLD
    try:
        space, space_settings = load_space(space_yaml(world))
        if str(space_settings.get("world", DEFAULT_WORLD)) != world:
            raise ValueError(f"{space_yaml(world).name} is for world {space_settings.get('world', DEFAULT_WORLD)}")
        settings = load_settings(space_yaml(world))
        targets = world_targets(world)
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # every run starts from the world and its own fit (configs/fit/<world>.yaml); the members are
    # applied on top, so they replace exactly the values that fit searched
    base: tuple[str, ...] = () if default_world else (f"world={world}",)
    min_corr = settings.get("min_correlation")
    min_corr = None if min_corr is None else float(min_corr)
    write = args.write if args.write is not None else str(ensemble_yaml(world).relative_to(PROJECT_ROOT))
    for key, arg in (
        ("candidates", args.candidates),
        ("seeds", args.seeds),
        ("check_seeds", args.check_seeds),
        ("tolerate", args.tolerate),
    ):
        if arg is not None:
            settings[key] = arg
    exempt = [str(t) for t in settings.get("exempt", [])]
    t0 = time.time()
    out = Path(args.out or ("results/ensemble" if default_world else f"results/ensemble_{world}"))
    out.mkdir(parents=True, exist_ok=True)
    waves = ""
    if args.rescore:
        raw = pd.read_csv(args.rescore)
        if "wave" in raw and raw["wave"].nunique() > 1:  # the candidates of later waves (--refocus)
            waves = f"the {len(raw)} candidates of {raw['wave'].nunique()} waves in {args.rescore}"
    elif args.refocus:
        previous = pd.read_csv(args.refocus)
        wave = int(previous["wave"].max()) + 1 if "wave" in previous else 2
        try:
            box = refocus(previous, space)
        except (KeyError, ValueError) as err:
            print(f"error: --refocus {args.refocus}: {err}", file=sys.stderr)
            return 2
        new = fit(space, settings, targets, args.jobs, save=out / f"wave{wave}.csv", base=base, box=box)
        # the earlier wave's own choice (kept, max_imp, corr:*) is recomputed by rescore over both waves
        raw = pd.concat([previous.assign(wave=previous.get("wave", 1)), new.assign(wave=wave)], ignore_index=True)
        waves = (
            f"wave {wave}: {len(new)} Latin-hypercube candidates in the box of the {int(previous['kept'].sum())} "
            f"candidates the earlier wave kept ({args.refocus}), widened by 10% of each range; chosen over all "
            f"{len(raw)} candidates of the waves"
        )
    else:
        raw = fit(space, settings, targets, args.jobs, save=out / "candidates.csv", base=base)
    trials, structural = rescore(raw, float(settings["cutoff"]), int(settings["tolerate"]), targets, min_corr, exempt)
    members = choose(trials, space, int(settings["max_members"]))
    trials.to_csv(out / "candidates.csv", index=False)
    command = "experiments/ensemble.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    n, k = len(trials), int(settings["seeds"])
    shape = "" if min_corr is None else f" and every fitted series correlates with its figures >= {min_corr}"
    left_out = f" (exempt: {', '.join(exempt)})" if exempt else ""
    nth = "largest" if int(settings["tolerate"]) == 0 else f"{int(settings['tolerate']) + 1}-th largest"
    method = (
        f"history matching{'' if default_world else f' on world={world}'}, "
        f"{waves or f'one wave: {n} Latin-hypercube candidates'} x {k} seeds, kept where the "
        f"{nth} implausibility over the non-structural targets{left_out} "
        f"<= {settings['cutoff']} (discrepancy {settings['discrepancy']}){shape}; {len(members)} members"
    )
    spent = f"rescored from {args.rescore}" if args.rescore else f"{n * k} runs, {time.time() - t0:.0f} s"
    fitted = [t for t in targets if t.calibrate]
    imp_cols = [f"imp:{t.id}" for t in fitted]
    missed = (trials[imp_cols] > float(settings["cutoff"])).mean().sort_values(ascending=False)
    lines = [
        "# Ensemble (history matching)",
        "",
        f"`{command.strip()}` on {dt.date.today()}: {method}; {spent}.",
        "",
        f"Structural (missed by every candidate, so left out of the choice): "
        f"{', '.join(f'`{t}`' for t in structural) or 'none'}.",
        "",
        f"Kept {int(trials['kept'].sum())} of {n} candidates. Share of all candidates missing each fitted target "
        f"(implausibility > {settings['cutoff']}), most missed first:",
        "",
        *[f"- `{str(key)[4:]}`: {share:.0%}" for key, share in missed.items()],
    ]
    if min_corr is not None:
        plain, _ = rescore(raw, float(settings["cutoff"]), int(settings["tolerate"]), exempt=exempt)
        lines += [
            "",
            f"Series criterion: {int(plain['kept'].sum())} candidates pass the implausibility cutoff, "
            f"{int(trials['kept'].sum())} of them also have every fitted series correlating >= {min_corr} with its figures.",
        ]
    chosen = trials[trials["kept"]].sort_values("max_imp").head(len(members))
    if members:
        by_member = (chosen[imp_cols] > float(settings["cutoff"])).mean().sort_values(ascending=False)
        lines += [
            "",
            f"Targets the {len(members)} members miss (implausibility > {settings['cutoff']}; share of members):",
            "",
            *[f"- `{str(key)[4:]}`: {share:.0%}" for key, share in by_member.items() if share > 0],
        ]
    if members:
        n_check = int(settings["check_seeds"])
        checked = check(members, targets, range(1000, 1000 + n_check), args.jobs, base)
        checked.to_csv(out / "check.csv", index=False)
        tab = check_table(checked, targets)
        tab.to_csv(out / "table.csv", index=False)
        inside = int(tab.loc[tab["calibrated"], "inside"].sum())
        lines += [
            "",
            f"## Targets on unseen seeds ({len(members)} members x {n_check} seeds 1000-{999 + n_check})",
            "",
            f"{inside} of {len(fitted)} fitted targets have the ensemble mean inside their band.",
            "",
            "| target | figure [band] | source | ensemble mean [90% of members x seeds] | members in band |",
            "|---|---|---|---|---|",
        ]
        for r in tab.to_dict("records"):
            mark = "" if r["calibrated"] else " (not fitted)"
            bold = "**" if r["inside"] else ""
            lines.append(
                f"| {r['quantity']}{mark} | {_num(r['value'])} [{_num(r['low'])}, {_num(r['high'])}] | {r['source']} "
                f"| {bold}{_num(r['mean'])}{bold} [{_num(r['lo'])}, {_num(r['hi'])}] | {r['members_in']:.0%} |"
            )
        lines += series_lines(checked, targets, min_corr)
    else:
        lines += ["", "No candidate was kept: no ensemble written."]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if members and write:
        header = (
            f"Parameter ensemble: generated by {command.strip()} ({dt.date.today()}).\n"
            "Read by experiments/compare.py --ensemble N (sim/analysis/ensemble.py); regenerate rather than edit."
        )
        target = PROJECT_ROOT / write if not Path(write).is_absolute() else Path(write)
        write_ensemble(target, members, space, header, method)
    return 0 if members else 1
