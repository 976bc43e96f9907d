"""Laundering: the groups' money moves through their launderers (M10 extended; 004 l.2404-2454).

Every week each cartel's and gang's income of the last week (all sources: drugs, extortion, mining,
smuggling, whatever the ledger credited) must be laundered. A group splits it over its launderer
ties (services phase) in proportion to their capacity; a launderer carries at most ``capacity x
usd_per_capacity`` USD a week (heavy-tailed: a few super-fixers carry most of the money, 004
l.2448: up to $200M a month through one bank), shared in proportion to what its clients bring (a
sponsor's rail carries its regime's blocked money first: sim/model/phases/regime.py).
The group pays the launderer ``fee`` on what it carries; part is confiscated (``confiscation``,
UNODC 2011: about 0.2% of laundered proceeds); what no launderer carries the group moves itself
(bulk cash, its own fronts: 004 l.2422, l.2448, l.3334) and loses ``unserved_loss`` of it. A group
whose income overflowed its launderers looks for one more in the next services phase.

Each launderer works through one channel (banks, trade-based schemes and fronts, crypto and
foreign sponsors' rails: ``CHANNELS``), whose exposure scales what anti-laundering does to it.
Under ``anti_laundering`` (``fx.laundering_fee_mult``, ``fx.laundering_risk``, by the client's home
country) fees and confiscation rise; investigators take down launderers: a launderer is taken down
this week with probability ``fx.takedowns`` (the expected takedowns a week were every country
following its groups' money) x the share of all laundered money that it carries for groups based
in the countries applying the lever, so the super-fixers go first (PROTON-OC's policy of
imprisoning facilitators: Calderoni et al. 2022). A launderer taken down (or removed by the
``remove_facilitator`` lever) loses its ties, and ``seized_weeks`` of what it carried for each
client is seized with it (004 l.2424-2426). Its clients take no new launderer for ``vetting_weeks``
(they contract vetted middlemen, 004 l.2404, and a newcomer may be an undercover agent, l.2430-2436:
the services phase skips them); meanwhile their other launderers, or their own bulk cash at
``unserved_loss``, move their money. So a takedown costs in proportion to what the launderer
carried, and the expected cost of the lever grows with the concentration of the market (the
volume-weighted chance of a takedown times the volume it hits). Its place is taken by a newcomer
after ``entry_weeks`` on average (capacity drawn afresh, 004 l.2452). At baseline the phase draws
no random number.

Outputs (``model.laundering``): this week's volumes by the group's home country (laundered, fees,
confiscated, unserved loss) and by launderer; the money account's ``laundering_fees``,
``confiscated`` and ``unlaundered`` causes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Facilitator, Militia, Organisation
from sim.model.config import CHANNELS
from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.model import CrimeModel

#: Rows of :attr:`Laundering.week` (USD this week, by the group's home country).
FLOWS = ("laundered", "fees", "confiscated", "unlaundered_lost")
#: A group is hit this week when confiscation and unlaundered losses take over this share of the
#: income it had to launder (an output threshold: the baseline's losses stay well below it).
HIT = 0.01


@dataclass
class Laundering:
    """The laundering state of a run (``model.laundering``)."""

    week: np.ndarray  # (FLOWS, countries) USD this week, by the home country of the group
    by_launderer: dict[int, float] = field(default_factory=dict)  # USD carried this week, by launderer uid
    short: set[int] = field(default_factory=set)  # groups whose income overflowed their launderers
    hit: set[int] = field(default_factory=set)  # groups that lost over HIT of their income this week
    hit_by_country: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (countries,) hit groups by home
    vacancies: list[tuple[str, str]] = field(default_factory=list)  # (kind, channel) of removed facilitators
    wary: dict[int, int] = field(default_factory=dict)  # group uid -> week from which it takes a new launderer

    def vetting(self, group: int, week: int) -> bool:
        """Whether a group still vets newcomers this week (its launderer was taken down or removed
        under ``vetting_weeks`` ago): it takes no new launderer."""
        return self.wary.get(group, week) > week

    @classmethod
    def start(cls, model: CrimeModel) -> Laundering:
        """Give the launderers their channels in turn, in unique_id order (an assumption: the three
        channels equally common)."""
        launderers = sorted(
            (f for f in model.agents_by_type.get(Facilitator, []) if f.kind == "launderer"), key=lambda f: f.unique_id
        )
        for j, f in enumerate(launderers):
            f.channel = CHANNELS[j % len(CHANNELS)]
        n_c = len(model.world.countries)
        return cls(np.zeros((len(FLOWS), n_c)), hit_by_country=np.zeros(n_c))


def exposure(model: CrimeModel, channels: list[str]) -> np.ndarray:
    """Each channel's exposure to anti-laundering (``params.laundering.exposure_<channel>``)."""
    lp = model.p.laundering
    of = {c: getattr(lp, f"exposure_{c}") for c in set(channels)}
    return np.array([of[c] for c in channels])


def _refill(model: CrimeModel) -> None:
    """Each vacancy is filled this week with probability ``1 / entry_weeks`` by a newcomer of the
    same kind and channel, its capacity drawn as at the start (1 + Pareto)."""
    state = model.laundering
    if not state.vacancies:
        return
    filled = model.rng.random(len(state.vacancies)) < 1.0 / model.p.laundering.entry_weeks
    alpha = float(model.cfg.world.facilitator_pareto_alpha)
    for (kind, channel), now in zip(list(state.vacancies), filled.tolist()):
        if now:
            f = Facilitator(model, kind, 1.0 + model.rng.pareto(alpha), model.p.facilitators.fee)
            f.channel = channel
            state.vacancies.remove((kind, channel))


def take_down(model: CrimeModel, f: Facilitator, how: str) -> None:
    """Remove a facilitator (its ties go with it); its place falls vacant (:func:`_refill`). The
    clients of a launderer vet newcomers for ``vetting_weeks`` (:meth:`Laundering.vetting`)."""
    if f.kind == "launderer":
        until = model.week + 1 + round(model.p.laundering.vetting_weeks)
        model.laundering.wary.update((c, until) for c in f.clients if c in model.orgs.by_uid)
    clients = [model.orgs.names.get(c, str(c)) for c in f.clients]
    model.ties.drop_agent(f.unique_id)
    f.remove()
    model.laundering.vacancies.append((f.kind, f.channel))
    model.event("facilitator_removed", actors=clients, territory=-1, service=f.kind, capacity=f.capacity, how=how)


def chosen(model: CrimeModel, rank: int, facilitator_id: int, kind: str, countries: np.ndarray) -> Facilitator | None:
    """The facilitator a ``remove_facilitator`` lever names: by ``facilitator_id`` (>= 0), else by
    ``rank`` by capacity (1 the largest, -1 the smallest) among those of ``kind`` (``any``: every
    kind) with a client based in ``countries`` (bool per country); None when there is none."""
    facs = model.agents_by_type.get(Facilitator, [])
    if facilitator_id >= 0:
        found = [f for f in facs if f.unique_id == facilitator_id]
        if not found:
            raise ValueError(f"scenario.remove_facilitator.facilitator_id={facilitator_id}: no such facilitator")
        return found[0]
    if rank == 0:
        raise ValueError("scenario.remove_facilitator.rank=0: 1 is the largest, -1 the smallest")
    if kind != "any" and kind not in Facilitator.KINDS:
        raise ValueError(f"scenario.remove_facilitator.kind={kind}: one of any, {', '.join(Facilitator.KINDS)}")
    by_uid = model.orgs.by_uid
    home = model.world.country
    cands = sorted(
        (
            f
            for f in facs
            if (kind == "any" or f.kind == kind)
            and any(c in by_uid and countries[home[by_uid[c].home]] for c in f.clients)
        ),
        key=lambda f: (-f.capacity, f.unique_id),
    )
    if not cands:
        return None
    return cands[min(rank - 1, len(cands) - 1)] if rank > 0 else cands[max(rank, -len(cands))]


def _positions(uids: list[int], size: int) -> np.ndarray:
    """(size,) the position of each unique_id in ``uids`` (-1: not there)."""
    out = np.full(size, -1, dtype=np.int64)
    out[uids] = np.arange(len(uids))
    return out


def step(model: CrimeModel) -> None:
    """Laundering: the groups' income moves through their launderers (M10 extended; 004 l.2404-2454).

    Reads ``orgs`` (agents, revenue), ``ties`` (service), the facilitators, ``fx`` (laundering
    fees, risk, takedowns and removals). Writes the organisations' cash (``orgs.debit_org``),
    ``laundering`` (volumes, groups short of laundering, vacancies, groups vetting newcomers), the
    facilitators (removed and new ones) and ``ties`` (a removed facilitator's).
    """
    lp, fx, state = model.p.laundering, model.fx, model.laundering
    n_c = len(model.world.countries)
    state.week = np.zeros((len(FLOWS), n_c))
    state.by_launderer = {}
    state.wary = {g: w for g, w in state.wary.items() if w > model.week + 1}
    _refill(model)
    orgs: list[Organisation] = [o for o in model.orgs.agents if not isinstance(o, Militia)]
    facs = sorted(
        (f for f in model.agents_by_type.get(Facilitator, []) if f.kind == "launderer"), key=lambda f: f.unique_id
    )
    k, m = len(orgs), len(facs)
    rows = np.flatnonzero(~model.orgs.is_militia)  # the rows of orgs
    demand = model.orgs.revenue[rows]
    country = model.orgs.country[~model.orgs.is_militia]  # = [o.country for o in orgs]
    # ties group (row i) -> launderer (column j), in tie order
    col = {f.unique_id: j for j, f in enumerate(facs)}
    uids = [o.unique_id for o in orgs]
    a, b = model.ties.edge_array(Tie.SERVICE).T
    size = max([*uids, *col, int(a.max(initial=-1)), int(b.max(initial=-1))], default=-1) + 1
    row_of, col_of = _positions(uids, size), _positions(list(col), size)
    first = (row_of[a] >= 0) & (col_of[b] >= 0)  # (group, launderer)
    either = first | ((row_of[b] >= 0) & (col_of[a] >= 0))  # or (launderer, group)
    i = np.where(first, row_of[a], row_of[b])[either]
    j = np.where(first, col_of[b], col_of[a])[either]
    # a sponsor's rail carries its regime's blocked money first (sim/model/phases/regime.py)
    own, own_country = model.regimes.load_of(facs)
    cap = np.maximum(np.array([f.capacity for f in facs]) * lp.usd_per_capacity - own, 0.0)
    # a group's income is split over its launderers by capacity; each carries at most its capacity
    per_group = np.bincount(i, weights=cap[j], minlength=k)[i]
    split = np.divide(cap[j], per_group, out=np.zeros(len(i)), where=per_group > 0)
    brought = demand[i] * split
    load = np.bincount(j, weights=brought, minlength=m)
    carried = brought * np.minimum(1.0, np.divide(cap, load, out=np.ones(m), where=load > 0))[j]
    expo = exposure(model, [f.channel for f in facs])[j]
    c = country[i]
    fees = carried * lp.fee * (1.0 + (fx.laundering_fee_mult[c] - 1.0) * expo)
    confiscated = carried * np.minimum(1.0, (lp.confiscation + fx.laundering_risk[c]) * expo)
    laundered = np.bincount(i, weights=carried, minlength=k)
    unserved = np.maximum(demand - laundered, 0.0)
    state.short = {o.unique_id for o, u, d in zip(orgs, unserved.tolist(), demand.tolist()) if u > 1e-9 * d}
    pipeline = np.bincount(j, weights=carried, minlength=m)  # what each launderer carries this week
    state.by_launderer = {f.unique_id: float(v) for f, v in zip(facs, pipeline.tolist())}
    # launderers taken down this week (anti_laundering), then the lever's named removals
    seized_tie = np.zeros(len(i))
    gone: dict[Facilitator, str] = {}  # in the order found: how each goes
    total = float(carried.sum() + own.sum())
    if fx.takedowns.any() and total > 0:
        followed = np.bincount(j, weights=carried * fx.takedowns[c], minlength=m)  # x takedowns a week
        followed += own * fx.takedowns[own_country]  # a regime's money, followed as its country's groups' money
        p_down = np.minimum(followed / total, 1.0)
        gone.update((f, "takedown") for f, down in zip(facs, (model.rng.random(m) < p_down).tolist()) if down)
    for rank, uid, kind, where in fx.removals:
        f = chosen(model, rank, uid, kind, where)
        if f is not None:
            gone.setdefault(f, "removed")
    for f, how in gone.items():
        if f.unique_id in col:
            its = j == col[f.unique_id]
            seized_tie[its] = carried[its] * lp.seized_weeks
        take_down(model, f, how)
    # the week's costs, by group: fees, confiscation (and seizure), the loss on what no launderer carried
    cost_fees = np.bincount(i, weights=fees, minlength=k)
    cost_conf = np.bincount(i, weights=confiscated + seized_tie, minlength=k)
    cost_lost = unserved * lp.unserved_loss
    # each group pays its fees, then what was confiscated, then its loss, in that order; groups do
    # not share cash, so paying use by use (each use over all groups) gives the same cash
    for use, cost in (("laundering_fees", cost_fees), ("confiscated", cost_conf), ("unlaundered", cost_lost)):
        pay = cost > 0
        model.orgs.debit_rows(rows[pay], cost[pay], use)
    hit = (demand > 0) & (cost_conf + cost_lost > HIT * demand)
    state.hit = {o.unique_id for o, h in zip(orgs, hit.tolist()) if h}
    state.hit_by_country = np.bincount(country[hit], minlength=n_c).astype(float)
    for r, v in enumerate((laundered, cost_fees, cost_conf, cost_lost)):
        state.week[r] = np.bincount(country, weights=v, minlength=n_c)
