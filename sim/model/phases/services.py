"""Facilitators' services: short-lived ties with many clients; heavy-tailed capacity (M10).

Each facilitator serves up to ``capacity * clients_per_capacity`` organisations at once; ties end
at rate ``1/tie_weeks``; an organisation that lacks a launderer or a transporter looks for one,
choosing among facilitators with spare slots in proportion to their capacity (so the few
super-fixers gather many clients and bridge otherwise separate groups); one whose income overflowed
its launderers last week (``laundering.short``) looks for one more launderer; one whose launderer
was taken down takes no new one while it vets newcomers (``Laundering.vetting``: ``vetting_weeks``,
004 l.2404, l.2430-2436). An organisation pays its transporter ``fee`` of its revenue, or loses
``unserved_cost`` of it without one (004 l.2404-2454, l.2422); its money moves through its
launderers in the laundering phase (``sim/model/phases/laundering.py``). Removing a super-fixer
therefore raises costs for many groups at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Cartel, Facilitator, Gang, Organisation
from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.model import CrimeModel

NEEDED = ("launderer", "transporter")  # without these, costs rise (004 l.2422)


def coverage(model: CrimeModel, org: Organisation) -> float:
    """Share of the needed service kinds an organisation has this week."""
    agents = (model.agent_by_uid(f) for f in model.ties.neighbour_set(Tie.SERVICE, org.unique_id))
    kinds = {a.kind for a in agents if isinstance(a, Facilitator)}
    return sum(k in kinds for k in NEEDED) / len(NEEDED)


def seek_services(
    org: Organisation,
    open_: dict[str, list[Facilitator]],
    load: dict[int, int],
    slots: dict[int, int],
    kind_of: dict[int, str],
) -> None:
    """An organisation lacking a needed service picks a facilitator with a free slot, with
    probability proportional to capacity (preferential attachment to super-fixers).

    ``open_``: the facilitators of each needed kind with a free slot, in unique_id order (one
    leaves the list when its last slot is taken); ``slots``: clients each can serve at once
    (:attr:`Facilitator.slots`); ``kind_of``: each facilitator's kind, by
    unique_id."""
    model, ties = org.model, org.model.ties
    mine = ties.neighbour_set(Tie.SERVICE, org.unique_id)
    have = {kind_of[f] for f in mine}
    short = org.unique_id in model.laundering.short  # its income overflowed its launderers
    if not short and have.issuperset(NEEDED):
        return  # served, and wants no more (the loop below would pass over every kind)
    vetting = model.laundering.vetting(org.unique_id, model.week)  # its launderer was taken down lately
    for kind in NEEDED:
        more = short and kind == "launderer"
        if (kind in have and not more) or (vetting and kind == "launderer"):
            continue
        cands = [f for f in open_[kind] if f.unique_id not in mine] if more else open_[kind]
        if not cands:
            continue
        f = cands[weighted_pick(model.rng, np.array([f.capacity for f in cands]))]
        ties.set(Tie.SERVICE, f.unique_id, org.unique_id, f.capacity)
        load[f.unique_id] += 1
        if load[f.unique_id] >= slots[f.unique_id]:
            open_[kind].remove(f)


def weighted_pick(rng: np.random.Generator, weights: np.ndarray) -> int:
    """``rng.choice(len(weights), p=weights / weights.sum())``, the same draw from the same uniform
    (NumPy's algorithm: the first normalised cumulative weight above it), without ``choice``'s
    checks of ``p``, which cost more than the draw."""
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random(), side="right"))


def step(model: CrimeModel) -> None:
    """Facilitators' services: short-lived ties with many clients; heavy-tailed capacity (M10).

    Reads ``ties`` (service), the facilitators, ``orgs`` (agents, revenue), ``laundering.short``
    and ``laundering.wary``.
    Writes ``ties`` (service), the organisations' cash (``orgs.debit_org``) and ``service_coverage``.
    """
    fp = model.p.facilitators
    ties = model.ties
    rng = model.rng
    facs = sorted(model.agents_by_type.get(Facilitator, []), key=lambda f: f.unique_id)
    if not facs:
        return
    # ties expire (one draw per tie, in tie order); a sponsor's rail keeps its regime's clients
    rails = {f.unique_id for f in facs if f.patron >= 0}
    edges = (
        [e for e in ties.edges(Tie.SERVICE) if e[0] not in rails and e[1] not in rails]
        if rails
        else list(ties.edges(Tie.SERVICE))
    )
    if edges:
        ends = rng.random(len(edges)) < 1.0 / fp.tie_weeks
        ties.remove_many(Tie.SERVICE, [e for e, end in zip(edges, ends.tolist()) if end])
    load = {f.unique_id: len(ties.neighbour_set(Tie.SERVICE, f.unique_id)) for f in facs}
    # first come, first served at the super-fixers: clients look for services in random order
    # (the cartels and gangs in the order of model.agents, as model.agents.select would give them)
    clients = [o for o in model.orgs.agents if isinstance(o, (Cartel, Gang))]
    slots = {f.unique_id: f.slots for f in facs}
    kind_of = {f.unique_id: f.kind for f in facs}
    # a sponsor's rail serves only its regime and the groups it shelters (sim/model/phases/regime.py)
    open_ = {
        kind: [f for f in facs if f.kind == kind and f.patron < 0 and load[f.unique_id] < slots[f.unique_id]]
        for kind in NEEDED
    }
    model.random.shuffle(clients)  # as Mesa's AgentSet.shuffle_do shuffles them
    for org in clients:
        seek_services(org, open_, load, slots, kind_of)
    # the transporter's fee or the cost of going without one, on last week's revenue (laundering
    # is settled in the laundering phase)
    orgs = model.orgs
    rows = np.flatnonzero(~orgs.is_militia)
    moved = []
    for row in rows.tolist():
        kinds = {kind_of[f] for f in ties.neighbour_set(Tie.SERVICE, orgs.agents[row].unique_id) if f in kind_of}
        orgs.service_coverage[row] = sum(k in kinds for k in NEEDED) / len(NEEDED)  # = coverage(model, org)
        moved.append("transporter" in kinds)
    orgs.debit_rows(rows, orgs.revenue[rows] * np.where(moved, fp.fee, fp.unserved_cost), "services")
