"""Phase 6: gangs and communities: extortion, subcontracting, diversification, smuggling, militias.

* Extortion (004 l.2630-2634): gang members (and cartel members to the extent the cartel has
  diversified, and predatory militias) extort residents; the share of residents paying is
  ``1 - exp(-reach * extorters / population)``.
* Subcontracting (M2, 004 l.308): the cartel controlling a plaza pays the gangs present there a
  share of the drug value passing through (retail, contract killing, shipment protection), so
  gang income, and through recruitment gang size, rise where transit rises.
* Diversification (M17, 004 l.202, l.3024-3026, l.3366): an organisation whose drug income per
  falls below ``squeeze_ratio`` of its own yearly norm, or cannot pay its members' upkeep,
  shifts effort into extortion, illegal mining and migrant smuggling.
* Migrant smuggling (M19, 004 l.2766, l.388-390): emigrants of the countries whose emigrants
  travel north overland pay smugglers at the border territories on their land path to the nearest
  crossing into a market, the fee split equally among them (``World.smuggling_crossings``; 004
  l.300); the harder a border, the larger the share that must pay and the higher the fee, which
  raises the rents (and the bribes, phase 4) where criminals control the crossings.
* Militias (M9, 004 l.2974-3118, l.3328-3330): where extortion passes the community's tolerance
  and the state is weak, residents form an autodefensa, in countries whose law or history arms
  communities (world input ``armed_self_defence``: Mexico's constitutional indigenous community
  police, 004 l.2992, l.3038-3040; Peru's *rondas campesinas*, l.3178; Colombia's AUC, l.286);
  elsewhere the seeds' residents under extortion emigrate (004 l.326-328). It first suppresses extortion and fights
  the groups present, then may turn predatory or be captured by a cartel; predatory and
  captured militias extort like gangs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Cartel, Gang, Militia, MilitiaPhase
from sim.model.state import clip
from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def _extorting_share(model: CrimeModel) -> np.ndarray:
    """Per organisation row, the share of its members who extort: all of a gang's and of a
    predatory or captured militia's, none of a protective militia's, a cartel's diversification."""
    orgs = model.orgs
    share = np.where(orgs.is_gang, 1.0, orgs.diversification)
    for row in np.flatnonzero(orgs.is_militia).tolist():
        share[row] = 0.0 if orgs.agents[row].phase == MilitiaPhase.PROTECTIVE else 1.0
    return share


def subcontracts(model: CrimeModel) -> Iterator[tuple[Cartel, float, list[tuple[Gang, float]]]]:
    """This week's subcontracts (M2), plaza by plaza: the cartel controlling a plaza pays
    ``subcontract_share`` of the drug value passing through it to the gangs with members there,
    shared by their members. Yields the cartel, its pay and each gang (in row order) with its part."""
    orgs, t, n = model.orgs, model.terr, model.world.n
    if not orgs.is_gang.any():
        return
    r, c = orgs.held()
    held = orgs.presence[r, c]
    gang = orgs.is_gang[r] & (held > 0)
    g_r, g_c, g_held = r[gang], c[gang], held[gang]
    g_tot = np.bincount(g_c, weights=g_held, minlength=n)
    pay = model.p.gangs.subcontract_share * t.drug_value * (g_tot > 0)
    by_territory = np.argsort(g_c, kind="stable")  # each territory's gangs, in row order
    g_r, g_c, g_held = g_r[by_territory], g_c[by_territory], g_held[by_territory]
    first = np.searchsorted(g_c, np.arange(n + 1))
    for i in np.flatnonzero(pay > 0).tolist():
        boss = orgs.by_uid.get(int(t.controller[i]))
        if not isinstance(boss, Cartel):
            continue
        rows, members = g_r[first[i] : first[i + 1]].tolist(), g_held[first[i] : first[i + 1]].tolist()
        yield boss, pay[i], [(orgs.agents[row], pay[i] * m / g_tot[i]) for row, m in zip(rows, members)]


def subcontract_ties(model: CrimeModel) -> dict[tuple[int, int], float]:
    """``subcontract`` ties (cartel -> gang, USD a week) as :func:`subcontracts` gives them now."""
    out: dict[tuple[int, int], float] = {}
    for boss, _pay, parts in subcontracts(model):
        for g, amount in parts:
            key = (boss.unique_id, g.unique_id)
            out[key] = out.get(key, 0.0) + amount
    return out


def step(model: CrimeModel) -> None:
    """Phase 6: gangs and communities: extortion, subcontracting, diversification, smuggling, militias.

    Reads ``orgs`` (presence, diversification, drug revenue), ``terr.population``,
    ``terr.drug_value``, ``terr.controller``, ``terr.emigration``, ``fx.migrant_control``,
    ``world.communities_arm``. Writes
    ``terr.extortion``, ``terr.migrants``, ``terr.smuggling``; the organisations' cash, income,
    ``drug_norm`` and ``diversification`` (through ``orgs.credit``); new militias and their
    ``phase`` (``militia_*`` events).
    """
    w, t, gp = model.world, model.terr, model.p.gangs
    orgs = model.orgs.agents
    n = w.n
    # --- protective militias suppress extortion where they stand
    P = model.orgs.presence
    k = len(orgs)
    protective = np.array([isinstance(o, Militia) and o.phase == MilitiaPhase.PROTECTIVE for o in orgs], dtype=bool)
    r, c = model.orgs.held()  # the groups' members, entry by entry (the rest of P is 0)
    held = P[r, c]
    guard = np.bincount(c, weights=held * protective[r], minlength=n)  # militia by militia, in row order
    ext = held * _extorting_share(model)[r]  # extorting members, entry by entry
    extorters = np.bincount(c, weights=ext, minlength=n)  # group by group, in row order
    suppress = np.where(extorters > 0, clip(1.0 - guard / np.maximum(extorters, 1e-9), 0.0, 1.0), 1.0)
    t.extortion[:] = 1.0 - np.exp(-gp.extortion_reach * extorters * suppress / np.maximum(t.population, 1.0))
    takes = np.bincount(r, weights=ext * suppress[c], minlength=k)
    model.orgs.credit_rows(np.arange(k), takes * gp.extortion_per_member, "extortion")

    # --- subcontracting: plaza controllers pay local gangs a share of the transit value (M2)
    # (the cartels pay and the gangs are paid in plaza order; no group is both)
    deals = list(subcontracts(model))
    model.orgs.debit_each([boss for boss, _, _ in deals], [pay for _, pay, _ in deals], "subcontracts_paid")
    parts = [part for _, _, parts in deals for part in parts]
    model.orgs.credit_each([g for g, _ in parts], [amount for _, amount in parts], "subcontract", drug=True)

    # --- diversification under squeeze (M17), mining income: every group but the militias
    rows = np.flatnonzero(~model.orgs.is_militia)
    members = np.bincount(r, weights=held, minlength=k)[rows]
    in_mines = np.bincount(r, weights=held * w.role("mining")[c], minlength=k)[rows]
    drug, norm = model.orgs.drug_revenue[rows], model.orgs.drug_norm[rows]
    norm += (drug - norm) / gp.drug_norm_weeks
    below_norm = drug < gp.squeeze_ratio * norm
    rp = model.p.recruitment
    cannot_pay = drug < np.where(model.orgs.is_gang[rows], rp.gang_upkeep, rp.upkeep) * members
    div = model.orgs.diversification[rows]
    div = np.where(below_norm | cannot_pay, div + gp.diversify_rate * (1.0 - div), div - gp.diversify_decay * div)
    model.orgs.drug_norm[rows] = norm
    model.orgs.diversification[rows] = div
    model.orgs.credit_rows(rows, in_mines * div * gp.mining_per_member, "mining")

    # --- migrant smuggling at the border crossings emigrants pass on their way north (M19)
    origin, crossing, share = w.smuggling_paths  # share of an emigrant's fee paid at each crossing on the way
    passing = t.emigration[origin]
    t.migrants[:] = np.bincount(crossing, weights=passing, minlength=n)  # emigrants passing each crossing this week
    control = model.fx.migrant_control
    smuggled = gp.smuggling_base_share + (1.0 - gp.smuggling_base_share) * control
    fee = gp.smuggling_fee * (1.0 + gp.smuggling_fee_control * control)
    rent = np.bincount(crossing, weights=passing * share, minlength=n) * smuggled * fee
    t.smuggling[:] = rent  # local criminal value next week (routing): draws groups and bribes
    model.orgs.credit(t.controller, rent, "smuggling")

    _militias(model)


def _militias(model: CrimeModel) -> None:
    w, t, gp = model.world, model.terr, model.p.gangs
    has = np.zeros(w.n, dtype=bool)
    has[model.orgs.home[model.orgs.is_militia]] = True
    forming = (t.extortion > gp.militia_tolerance) & (w.state_presence < gp.militia_max_state) & ~has
    forming &= w.communities_arm
    for i in np.flatnonzero(forming):
        presence = np.zeros(w.n)
        presence[i] = gp.militia_size * t.population[i]
        m = Militia(model, f"Autodefensa {w.names[i]}", presence, int(i))
        model.accounts.add_at("members", "founded", int(w.country[i]), presence[i])
        model.accounts.add_at("members_free", "founded", int(w.country[i]), presence[i])
        model.event("militia_formed", actors=[m.name], territory=int(i))
    for m in [o for o in model.orgs.agents if isinstance(o, Militia)]:
        if m.phase != MilitiaPhase.PROTECTIVE:
            continue
        u = model.rng.random()
        if u < gp.militia_predation_prob:
            m.phase = MilitiaPhase.PREDATORY
            model.event("militia_predatory", actors=[m.name], territory=m.home)
        elif u < gp.militia_predation_prob + gp.militia_capture_prob:
            captor = model.orgs.by_uid.get(int(t.controller[m.home]))
            if isinstance(captor, Cartel):
                m.phase = MilitiaPhase.CAPTURED
                model.ties.set(Tie.ALLIANCE, m.unique_id, captor.unique_id)
                model.event("militia_captured", actors=[m.name, captor.name], territory=m.home)
