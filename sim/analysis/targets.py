"""Targets: the seeds' figures the default world should reproduce at baseline, and how a run is
measured against them.

The table is ``data/targets.csv``: one row per figure, with the seed line it comes from, the
acceptable band ``[low, high]`` around the figure, the simulated years it is compared over and a
``statistic`` saying how to compute it from a run:

* ``homicide_rate(sel)``: homicides per 100,000 residents per year over the window;
* ``emigration_rate(sel)``: emigrants per 100,000 residents per year;
* ``organised_share(sel)``: share of the homicides that organised crime committed (the rest is
  the background rate, ``params.violence.background_share``);
* ``exports_t(sel)``: tonnes per year of cocaine carried along corridors that leave ``sel`` for a
  territory outside it (003 l.5 counts what "leaves" Venezuela);
* ``seizure_share(sel)``: seized / (seized + delivered) over the window (``sel`` must be ``all``);
* ``neet_share(sel)``: population-weighted NEET share (an input of the world, checked as data);
* ``homicides(sel)``, ``arrests(sel)``: homicides and arrests (members and non-members swept up)
  per year, counts (the Mexico series of ``data/bacrim2020/Trends2012_2021.csv``);
* ``seized_t(sel)``: tonnes of cocaine per year seized in the selected territories;
* ``transit_t(sel)``: tonnes of cocaine per year reaching the selected territories (``terr.flow``:
  what passes a transit territory or arrives at a market; a shipment is counted in each territory
  of the selection it passes);
* ``incarceration_rate(sel)``: inmates per 100,000 residents of the countries the selection
  touches (prisons are national), mean over the window;
* ``recruits(sel)``: members recruited per year in the selected territories (communities and
  prisons' non-member inmates are not split: community recruits, ``terr.recruits``);
* ``members(sel)``: members present in the selected territories (free, not held), mean over the window;
* ``members_growth(sel)``: how fast those members grow, in % a year: the mean of the window's last
  year over that of its first, as a yearly compound rate (a window of at least two years);
* ``members_change(sel)``: the same two years' ratio, last over first (1 = no change; positive, so
  that a fit can take its log-distance to a band around 1);
* ``top_share(sel)``: the largest group's share of the members present in the selected territories,
  week by week, mean over the window (how concentrated the groups are: Prieto-Curiel et al. 2023
  give 17.9% of Mexico's cartel members to the largest, the CJNG);
* ``A / B``: the ratio of two statistics.

A selection ``sel`` is ``all`` (the headline territories, ``world.report_regions``), or
``country=ISO``, ``region=name`` or ``territory=id``, each with several values joined by ``|``.

The window ``years = a-b`` counts policy-free years after the burn-in: the default world is pinned
to about 2013-2015 (``configs/world/hemisphere.yaml``), so years 1-3 stand for 2013-2015; a row
with ``years = k`` is one year of a series. The column ``world`` names the world preset a row is
measured on (``hemisphere``, the default world, or ``mexico``); :func:`load_targets` returns one
world's rows. :func:`measure` runs once and fills one recorder per window.

:class:`Recorder` is an observer for :func:`sim.run.run` that keeps what the statistics need, week
by week; :func:`measure` turns it into one value per target.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.resources import DATA_DIR

if TYPE_CHECKING:
    from sim.model import CrimeModel

TARGETS_CSV = DATA_DIR / "targets.csv"
KINDS = (
    "homicide_rate",
    "emigration_rate",
    "organised_share",
    "exports_t",
    "seizure_share",
    "neet_share",
    "homicides",
    "arrests",
    "seized_t",
    "transit_t",
    "incarceration_rate",
    "recruits",
    "members",
    "members_growth",
    "members_change",
    "top_share",
)
DEFAULT_WORLD = "hemisphere"
_TERM = re.compile(r"^\s*(\w+)\(([^)]*)\)\s*$")


@dataclass(frozen=True)
class Target:
    """One figure of ``data/targets.csv``."""

    id: str
    quantity: str
    statistic: str
    low: float
    value: float
    high: float
    units: str
    first_year: int
    last_year: int
    source: str
    note: str
    calibrate: bool  # used by experiments/calibrate.py (False: reported only)
    world: str = DEFAULT_WORLD  # the world preset the row is measured on
    # a fitted target that must be met (calibrate=constraint): a parameter set that misses it is
    # not chosen by the calibration (infeasible) nor kept in the ensemble, whatever its other targets
    constraint: bool = False

    def inside(self, x: float) -> bool:
        return self.low <= x <= self.high

    def loss(self, x: float) -> float:
        """Log-distance to the band in units of the band's log half-width (0 inside it).

        Not squared: a target the model cannot reach (a structural miss) then does not drown out
        the ones a parameter change can bring into their band.
        """
        if not math.isfinite(x) or x <= 0:
            return 10.0  # ten half-widths: a missing or zero statistic is far from every figure
        half = max(math.log(self.high / self.low) / 2.0, 0.05)
        if x < self.low:
            return math.log(self.low / x) / half
        if x > self.high:
            return math.log(x / self.high) / half
        return 0.0


#: Values of the targets table's ``calibrate`` column: fitted, fitted and required, reported only.
CALIBRATE = ("yes", "constraint", "no")


def load_targets(path: str | Path = TARGETS_CSV, world: str | None = DEFAULT_WORLD) -> list[Target]:
    """Read the targets table (the rows of ``world``; every row if None); raise ValueError naming
    the row if a statistic cannot be parsed."""
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(row for row in fh if not row.startswith("#")):
            first, _, last = row["years"].partition("-")
            fitted = row["calibrate"].strip()
            if fitted not in CALIBRATE:
                raise ValueError(f"{path}: target {row['id']}: calibrate={fitted!r}; allowed: {', '.join(CALIBRATE)}")
            t = Target(
                id=row["id"],
                quantity=row["quantity"],
                statistic=row["statistic"],
                low=float(row["low"]),
                value=float(row["value"]),
                high=float(row["high"]),
                units=row["units"],
                first_year=int(first),
                last_year=int(last or first),
                source=row["source"],
                note=row["note"],
                calibrate=fitted in ("yes", "constraint"),
                world=(row.get("world") or DEFAULT_WORLD).strip(),
                constraint=fitted == "constraint",
            )
            if not (0 < t.low <= t.value <= t.high):
                raise ValueError(f"{path}: target {t.id}: needs 0 < low <= value <= high")
            for term in t.statistic.split("/"):
                _parse(term, t.id)
            if world is None or t.world == world:
                out.append(t)
    return out


#: the calibration and the ensemble run the first ``FIT_YEARS`` policy years of each candidate; rows
#: with longer windows (the ten-year status quo trends) are checked by experiments/validate.py
FIT_YEARS = 3


def fit_targets() -> list[Target]:
    """The default world's rows that calibrate.py and ensemble.py measure (windows within ``FIT_YEARS``)."""
    return [t for t in load_targets() if t.last_year <= FIT_YEARS]


def _parse(term: str, target_id: str = "") -> tuple[str, str]:
    m = _TERM.match(term)
    if not m or m.group(1) not in KINDS:
        raise ValueError(
            f"target {target_id}: cannot read statistic {term.strip()!r} "
            f"(allowed: {', '.join(KINDS)}, each as kind(selection), or A / B)"
        )
    return m.group(1), m.group(2).strip()


class Recorder:
    """Observer for :func:`sim.run.run`: per-territory weekly sums over policy weeks ``[first, last)``."""

    def __init__(self, first_week: int = 0, last_week: int = 3 * 52):
        self.first, self.last = first_week, last_week
        self.weeks = 0
        self.sums: dict[str, np.ndarray] = {}
        self.model: CrimeModel | None = None  # the run's model, once a week in the window is seen

    def _add(self, key: str, values) -> None:
        v = np.asarray(values, dtype=float)
        if key in self.sums:
            self.sums[key] += v
        else:
            self.sums[key] = v.copy()

    def __call__(self, model) -> None:
        if not (self.first <= model.week < self.last):
            return
        self.model = model
        t = model.terr
        self.weeks += 1
        self._add("homicides", t.homicides)
        self._add("organised", t.organised_violence)
        self._add("gang", t.gang_violence)
        self._add("emigration", t.emigration)
        self._add("population", t.population)
        self._add("seized", [model.tally.seized_kg])
        self._add("delivered", [model.tally.delivered_kg])
        self._add("arrests", t.arrests)
        self._add("seized_kg", t.seized)
        self._add("flow_kg", t.flow)
        self._add("inmates", model.prisons.population(model))  # by country
        self._add("recruits", t.recruits)
        r, c = model.orgs.held()
        members = np.bincount(c, weights=model.orgs.presence[r, c], minlength=model.world.n)
        self._add("members", members)
        self._add(f"members@{(model.week - self.first) // 52}", members)  # by year of the window


def _exports(model, sel: np.ndarray) -> float:
    """kg carried last week along hops from a selected territory to an unselected one."""
    R = model.routes
    if R.arriving is None:
        return 0.0
    inside = np.append(sel, False)  # the padding index n is outside every selection
    up, down, kg = R.nodes[:, :-1], R.nodes[:, 1:], R.arriving[:, 1:]
    crossing = R.valid[:, 1:] & inside[up] & ~inside[down]
    return float(kg[crossing].sum())


def selection(world, spec: str) -> np.ndarray:
    """Boolean mask over territories for ``all`` | ``country=A|B`` | ``region=...`` | ``territory=...``."""
    spec = spec.strip()
    if spec == "all":
        return world.report_mask.copy() if world.report_mask is not None else np.ones(world.n, dtype=bool)
    key, _, values = spec.partition("=")
    wanted = set(v.strip() for v in values.split("|"))
    if key == "country":
        labels = [world.countries[c].iso for c in world.country]
    elif key == "region":
        labels = list(world.regions)
    elif key == "territory":
        labels = list(world.ids)
    else:
        raise ValueError(f"selection {spec!r}: use all, country=ISO, region=name or territory=id")
    mask = np.array([x in wanted for x in labels], dtype=bool)
    missing = wanted - set(labels)
    if missing:
        raise ValueError(f"selection {spec!r}: not in this world: {', '.join(sorted(missing))}")
    return mask


def _top_share(model, sel: np.ndarray) -> float:
    """The largest group's share of the members present in ``sel`` this week (0 if none are)."""
    per_group = model.orgs.presence[:, sel].sum(axis=1)
    total = per_group.sum()
    return float(per_group.max() / total) if total > 0 else 0.0


class ExportRecorder(Recorder):
    """A :class:`Recorder` that also sums, for the selections the ``targets`` name, their exports
    (``exports_t``) and the largest group's share of their members (``top_share``)."""

    EXTRA: ClassVar[dict[str, tuple[str, Callable[..., float]]]] = {
        "exports_t": ("exports:", _exports),
        "top_share": ("top_share:", _top_share),
    }

    def __init__(self, targets: list[Target], first_week: int = 0, last_week: int = 3 * 52):
        super().__init__(first_week, last_week)
        self.extra_specs = sorted(
            {
                (kind, sel)
                for t in targets
                for term in t.statistic.split("/")
                for kind, sel in [_parse(term, t.id)]
                if kind in self.EXTRA
            }
        )
        self._masks: dict[str, np.ndarray] = {}

    def __call__(self, model) -> None:
        super().__call__(model)
        if not (self.first <= model.week < self.last):
            return
        for kind, spec in self.extra_specs:
            if spec not in self._masks:
                self._masks[spec] = selection(model.world, spec)
            prefix, measure_week = self.EXTRA[kind]
            self._add(prefix + spec, [measure_week(model, self._masks[spec])])


def statistic(rec: Recorder, term: str) -> float:
    """Value of one ``kind(selection)`` term from a filled recorder."""
    kind, spec = _parse(term)
    if rec.model is None:
        raise ValueError(f"{term}: the recorder saw no week in [{rec.first}, {rec.last})")
    w, s = rec.model.world, rec.sums
    years = rec.weeks / 52.0
    if kind == "exports_t":
        return s["exports:" + spec][0] / 1000.0 / years
    if kind == "top_share":
        return float(s["top_share:" + spec][0] / rec.weeks)
    if kind == "seizure_share":
        if spec != "all":
            raise ValueError("seizure_share is global: use seizure_share(all)")
        tot = s["seized"][0] + s["delivered"][0]
        return s["seized"][0] / tot if tot > 0 else float("nan")
    mask = selection(w, spec)
    mean_pop = s["population"][mask].sum() / rec.weeks
    if kind == "neet_share":
        return float(np.average(w.neet_share[mask], weights=s["population"][mask]))
    if kind == "organised_share":
        hom = s["homicides"][mask].sum()
        return s["organised"][mask].sum() / hom if hom > 0 else float("nan")
    if kind == "incarceration_rate":
        touched = np.zeros(len(w.countries), dtype=bool)
        touched[w.country[mask]] = True
        whole = touched[w.country]  # every territory of the countries the selection touches
        return float(s["inmates"][touched].sum() / (s["population"][whole].sum() / 1e5))
    if kind in ("homicides", "arrests", "recruits"):
        return float(s[kind][mask].sum() / years)
    if kind == "members":
        return float(s["members"][mask].sum() / rec.weeks)
    if kind in ("members_growth", "members_change"):
        last = rec.weeks // 52 - 1
        if last < 1:
            raise ValueError(f"{term}: needs a window of at least two whole years")
        first_year, last_year = s["members@0"][mask].sum(), s[f"members@{last}"][mask].sum()
        if first_year <= 0:
            return float("nan")
        if kind == "members_change":
            return float(last_year / first_year)
        return float(100.0 * ((last_year / first_year) ** (1.0 / last) - 1.0))
    if kind == "seized_t":
        return float(s["seized_kg"][mask].sum() / 1000.0 / years)
    if kind == "transit_t":
        return float(s["flow_kg"][mask].sum() / 1000.0 / years)
    column = {"homicide_rate": "homicides", "emigration_rate": "emigration"}[kind]
    return float(s[column][mask].sum() / years / (mean_pop / 1e5))


def evaluate(rec: Recorder, target: Target) -> float:
    terms = target.statistic.split("/")
    values = [statistic(rec, term) for term in terms]
    if len(values) == 1:
        return values[0]
    num, den = values
    return num / den if den > 0 else float("nan")


#: The causes :func:`causes` splits a selection's homicides into: killings in fights between
#: groups (fighters and bystanders, violence.step's combat), killings by gang members, and the rest
#: (the background, ``violence.background_share`` of the observed rate, and state abuse).
CAUSES = ("war", "gang", "other")


def causes(rec: Recorder, target: Target) -> list[tuple[str, dict[str, float]]] | None:
    """For a homicide-rate target (one term, or the two of a ratio): each term's selection and the
    shares of its homicides by cause (:data:`CAUSES`), from a filled recorder; None for any other
    statistic. War and gang are the expected killings of the window (``terr.organised_violence``,
    ``terr.gang_violence``), other the realised homicides less both (at least 0): where a target
    misses, this says which mechanism carries, or fails to carry, its violence."""
    specs = homicide_rate_specs(target)
    if specs is None:
        return None
    if rec.model is None:
        raise ValueError(f"target {target.id}: the recorder saw no week in [{rec.first}, {rec.last})")
    s, out = rec.sums, []
    for spec in specs:
        mask = selection(rec.model.world, spec)
        total, organised, gang = (float(s[k][mask].sum()) for k in ("homicides", "organised", "gang"))
        if total <= 0:
            out.append((spec, dict.fromkeys(CAUSES, float("nan"))))
            continue
        war = organised - gang
        out.append((spec, {"war": war / total, "gang": gang / total, "other": max(total - organised, 0.0) / total}))
    return out


def homicide_rate_specs(target: Target) -> list[str] | None:
    """The selections of ``target``'s terms when every term is a ``homicide_rate`` (one, or the two
    of a ratio); None for any other statistic."""
    terms = [_parse(term, target.id) for term in target.statistic.split("/")]
    return None if any(kind != "homicide_rate" for kind, _ in terms) else [spec for _, spec in terms]


def _rate_weights(world, spec: str) -> np.ndarray:
    """(n,) weights that turn each territory's homicides a year into the selection's rate per 100k."""
    mask = selection(world, spec)
    return mask / (mask * world.population / 1e5).sum()


def at_inputs(world, target: Target) -> float | None:
    """What ``target`` would read in a world whose every territory sat at its own input homicide rate
    (``world.base_homicide_rate``, the observed rates the world is built from): ``homicide_rate``
    terms and their ratios only, None for any other statistic.

    It tells a structural miss from a fitting one: where this value lies outside the band, no
    parameter set that reproduces the territories' observed rates can meet the target; the seed's
    figure and the world's inputs then describe different populations or years.
    """
    specs = homicide_rate_specs(target)
    if specs is None:
        return None
    homicides = world.base_homicide_rate * world.population / 1e5
    values = [float(_rate_weights(world, spec) @ homicides) for spec in specs]
    if len(values) == 1:
        return values[0]
    num, den = values
    return num / den if den > 0 else math.nan


def joint_spread(world, targets: list[Target], largest: float = 20.0) -> tuple[float, np.ndarray]:
    """How far the territories' homicide rates must move from their inputs for the homicide-rate
    ``targets`` (terms and ratios of ``homicide_rate``; the others are ignored) to lie in their
    bands all at once: the smallest factor k such that rates within [input / k, input x k] of each
    territory meet every band (a linear feasibility problem in the territories' homicides, solved
    by bisection on k with scipy's HiGHS), and one such set of rates per 100k. k = 1: the inputs
    themselves meet them; ``inf``: not even ``largest`` does.
    """
    from scipy.optimize import linprog

    pop = world.population / 1e5
    base = world.base_homicide_rate
    rows, bounds = [], []
    for t in targets:
        specs = homicide_rate_specs(t)
        if specs is None:
            continue
        weights = [_rate_weights(world, spec) for spec in specs]
        if len(weights) == 1:  # low <= rate <= high
            rows += [weights[0], -weights[0]]
            bounds += [t.high, -t.low]
        else:  # low <= rate(num) / rate(den) <= high, linear once multiplied out
            num, den = weights
            rows += [num - t.high * den, t.low * den - num]
            bounds += [0.0, 0.0]
    if not rows:
        return 1.0, base.copy()
    a_ub, b_ub = np.array(rows), np.array(bounds)

    def solve(k: float):
        box = list(zip(base / k * pop, base * k * pop))
        res = linprog(np.zeros(world.n), A_ub=a_ub, b_ub=b_ub, bounds=box, method="highs")
        return res.x / pop if res.status == 0 else None

    if (rates := solve(1.0)) is not None:
        return 1.0, rates
    if solve(largest) is None:
        return math.inf, base.copy()
    lo, hi = 1.0, largest
    while hi - lo > 1e-3:
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if solve(mid) is not None else (mid, hi)
    rates = solve(hi)
    assert rates is not None
    return hi, rates


def recorder_for(targets: list[Target]) -> ExportRecorder:
    """One recorder covering the windows of all ``targets`` (they must share one window)."""
    windows = {(t.first_year, t.last_year) for t in targets}
    if len(windows) != 1:
        raise ValueError(f"targets use several windows {sorted(windows)}: measure them in separate runs")
    ((a, b),) = windows
    return ExportRecorder(targets, first_week=52 * (a - 1), last_week=52 * b)


def measure(cfg, targets: list[Target] | None = None, with_causes: bool = False) -> dict[str, float]:
    """Run ``cfg`` once (only as long as the last window needs), one recorder per window, and return
    {target id: simulated value}. The targets must belong to the world ``cfg`` runs. ``with_causes``:
    also, for each homicide-rate target, the shares of its terms' homicides by cause
    (:func:`causes`), as ``"<id>@<term>:<cause>"`` keys (term 0, or 0 and 1 of a ratio)."""
    from omegaconf import OmegaConf

    from sim.run import run

    targets = load_targets() if targets is None else targets
    worlds = {t.world for t in targets} - {str(cfg.world.name)}
    if worlds:
        raise ValueError(f"targets of world {', '.join(sorted(worlds))} measured on world {cfg.world.name}")
    groups: dict[tuple[int, int], list[Target]] = {}
    for t in targets:
        groups.setdefault((t.first_year, t.last_year), []).append(t)
    recs = {window: recorder_for(group) for window, group in groups.items()}
    cfg = cfg.copy()
    OmegaConf.set_struct(cfg, False)
    cfg.steps = max(1, max(rec.last for rec in recs.values()))
    cfg.progress = False
    cfg.output.write = False
    run(cfg, observers=tuple(recs.values()))
    if any(rec.weeks == 0 for rec in recs.values()):
        raise ValueError("the run ended before a target's window")
    values = {t.id: float(evaluate(recs[(t.first_year, t.last_year)], t)) for t in targets}
    if with_causes:
        for t in targets:
            for k, (_, shares) in enumerate(causes(recs[(t.first_year, t.last_year)], t) or []):
                values.update({f"{t.id}@{k}:{cause}": share for cause, share in shares.items()})
    return values
