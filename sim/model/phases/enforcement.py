"""Phase 8: enforcement: capacity, military deployment, arrests, leader targeting, convictions.

* Capacity of a unit = officers per 100k residents / ``reference_police_per_100k`` x state
  presence x (1 + a military boost that decays with time since deployment: 004 l.522) x public
  pressure (phase 11) x policy, at most ``max_capacity``. Honesty is not in capacity: it enters
  where capacity is used, as (1 - corrupt share) (seizures, arrests, leader targeting). Military
  policing cuts crime fast, its effect decays, troops embedded long become corruptible (phase 4),
  abuses rise, and without investigations few convictions follow (M4, 004 l.522-532).
* Arrests of members go to pre-trial detention (phase 9). Corrupt officers do not arrest their
  patron's members; a group's firepower lowers the arrests of its members (sim/model/phases/arms.py;
  004 l.452-454, l.681-683). A captured state spares the groups it shelters on its ground, and their leaders
  take refuge there (sim/model/phases/regime.py; 000 l.267, 002 l.8-9).
* Leader targeting (M7, M18, 004 l.236-238): a leader is removed with weekly probability
  ``leader_target_rate`` x capacity x (1 - corrupt share) at home x policy. Under an extradition policy, captured leaders are
  extradited unless a captured executive blocks it (000 l.214); in a domestic prison a leader may
  go on commanding (``prison_command``), and stays a target for extradition.
* Convictions need investigation: probability = investigative capacity (less
  ``military_investigation_penalty`` x militarised share) x effectiveness, where effectiveness =
  (1 - ``tips_weight`` + ``tips_weight`` x tips) x (1 - court capture) x (1 - corrupt share)
  (M5, 004 l.542-554); a low evidentiary bar (mano dura 2022) convicts without investigation.
  Impunity = 1 - that probability.
* Abuses (M6, 004 l.711-713, l.747-751) rise with arrests, more so by militarised units and where
  cases rest on confessions rather than investigation (004 l.536-538, l.586).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Leader
from sim.model.phases import arms, leadership
from sim.model.state import clip, running_sum

if TYPE_CHECKING:
    from sim.model.agents import Organisation
    from sim.model.model import CrimeModel
    from sim.model.policies import Effects


def deploy(model: CrimeModel) -> None:
    """Move the military share of each unit toward the policy's target; track embedding."""
    t, fx = model.terr, model.fx
    target = fx.military_target
    rising = target > t.militarised
    ep = model.p.enforcement
    t.militarised += np.where(rising, ep.deploy_rate, ep.withdraw_rate) * (target - t.militarised)
    t.embed_weeks = np.where(t.militarised > ep.embed_threshold, t.embed_weeks + 1.0, 0.0)


def capacity(model: CrimeModel) -> np.ndarray:
    w, t, ep, fx = model.world, model.terr, model.p.enforcement, model.fx
    per_100k = t.officers / np.maximum(t.population / 1e5, 1e-9)
    boost = ep.military_boost * t.militarised * np.exp(-t.embed_weeks / ep.military_decay_weeks)
    t.boost[:] = boost
    pressure = model.countries.pressure[w.country]
    cap = (
        (per_100k / ep.reference_police_per_100k)
        * w.state_presence
        * (1.0 + boost)
        * pressure
        * fx.capacity_mult
        * fx.arrest_mult
    )
    return clip(cap, 0.0, ep.max_capacity)


def effectiveness(model: CrimeModel) -> np.ndarray:
    """Share of the state's investigative capacity that works: tips x clean courts x clean police."""
    t, ep = model.terr, model.p.enforcement
    tips_factor = (1.0 - ep.tips_weight) + ep.tips_weight * t.tips
    return tips_factor * (1.0 - model.countries.court_capture[model.world.country]) * (1.0 - t.corrupt)


def conviction_probability(model: CrimeModel) -> np.ndarray:
    t, ep, fx = model.terr, model.p.enforcement, model.fx
    invest = clip(t.investigative + fx.investigative_boost, 0.0, 1.0) * (
        1.0 - ep.military_investigation_penalty * t.militarised
    )
    p = invest * effectiveness(model)
    bar = fx.evidentiary_bar
    if (bar < 1.0).any():  # a low bar convicts without investigation (003 l.241-252)
        p = np.where(bar < 1.0, bar * p + (1.0 - bar), p)
    return clip(p, 0.0, 1.0)


def step(model: CrimeModel) -> None:
    """Phase 8: enforcement: capacity, military deployment, arrests, leader targeting, convictions.

    Reads ``fx`` (military target, multipliers, evidentiary bar, innocents, extradition),
    ``orgs`` (presence, leaders), the police columns of ``terr``, ``terr.tips``, ``terr.population``,
    ``countries.pressure``, ``countries.court_capture``, ``offices.executives``, ``arms.firepower``, ``regimes`` (shelter,
    refuge). Writes
    ``terr.militarised``, ``terr.embed_weeks``, ``terr.boost``, ``terr.capacity``,
    ``terr.impunity``, ``terr.effectiveness``, ``terr.conviction_p``, ``terr.arrests``,
    ``terr.abuse``, ``orgs.presence`` and the groups' ``pretrial``, leaders removed
    (``leadership.remove_leader``), ``prisons.extradited``, ``prisons.others`` and ``prisons.innocents`` (innocents swept up),
    ``tally.arrests``.
    """
    t, ep, fx = model.terr, model.p.enforcement, model.fx
    deploy(model)
    t.capacity[:] = capacity(model)
    conv = conviction_probability(model)
    t.impunity[:] = 1.0 - conv
    t.effectiveness[:] = effectiveness(model)
    t.conviction_p[:] = conv
    arrests_total = 0.0
    t.arrests[:] = 0.0
    # arrests of every group at once (one row each); corrupt officers shield their patron's members
    # (entry by entry: only where a group has members can it lose any)
    orgs = model.orgs.agents  # this week's groups: a splinter born below does not shift their rows
    is_militia = model.orgs.is_militia
    rows = np.flatnonzero(~is_militia)
    if rows.size:
        P = model.orgs.presence
        r, c = model.orgs.held()
        keep = ~is_militia[r]
        r, c = r[keep], c[keep]
        shielded = np.where(t.patron[c] == model.orgs.uid[r], t.corrupt[c], 0.0)
        rate = (ep.arrest_rate * t.capacity * (1.0 - t.corrupt))[c] * (1.0 - shielded)
        # a regime spares the groups it shelters on its ground (phases/regime.py)
        rate *= 1.0 - model.regimes.shelter[c] * model.regimes.sheltered_at(model.orgs.uid[r], c)
        rate *= arms.arrest_factor(model, r)  # out-gunned police arrest fewer (phases/arms.py)
        gang = model.orgs.is_gang[r]
        rate[gang] = rate[gang] * fx.gang_arrest_mult[c[gang]]
        arrested = P[r, c] * clip(rate, 0.0, ep.max_arrest_share)
        P[r, c] -= arrested
        acc = model.accounts
        by_country = acc.by_home(model, r, arrested)
        acc.add("members_free", "arrested", -by_country)
        acc.add("pretrial", "arrested", by_country)
        acc.add("prisoners", "arrested", by_country)
        t.arrests += np.bincount(c, weights=arrested, minlength=P.shape[1])  # group by group, in row order
        by_group = np.bincount(r, weights=arrested, minlength=len(orgs))[rows]
        model.orgs.pretrial[rows] += by_group
        arrests_total = running_sum(arrests_total, by_group)  # group by group
    # leaders are targeted group by group (a random draw for each leader within reach, in group
    # order); where each is and the chance he is targeted are found for all at once
    targeting = ep.leader_target_rate * t.capacity * (1.0 - t.corrupt) * fx.targeting_mult  # by territory
    for row, h, chance in zip(*_leader_chances(model, rows, targeting)):
        if model.rng.random() >= chance:
            continue  # not targeted this week
        _target_leader(model, orgs[row], h)
    # mass arrests sweep up non-members too (003 l.241: "thousands could be innocent"), where the
    # government runs them, into its own prisons
    if (fx.innocent_share > 0).any():
        w = model.world
        per_arrest = fx.innocent_share / (1.0 - fx.innocent_share)
        swept = t.arrests * per_arrest[w.country]
        model.prisons.admit_innocents(np.bincount(w.country, weights=swept, minlength=len(w.countries)))
        model.accounts.add("prisoners", "swept_up", np.bincount(w.country, weights=swept, minlength=len(w.countries)))
        arrests_total += float(swept.sum())
        t.arrests += swept
    # abuses per 100k residents per year, smoothed. Arrests made on confessions rather than evidence
    # breed abuse (004 l.536-538, l.586); troops without community ties abuse more (004 l.524, l.711-713)
    invest = clip(t.investigative + fx.investigative_boost, 0.0, 1.0)
    abuses = (
        ep.abuse_rate * fx.abuse_mult * t.arrests * (1.0 - invest) * (1.0 + ep.military_abuse * t.militarised) * 52.0
    )
    t.abuse += ep.abuse_memory * (abuses / np.maximum(t.population / 1e5, 1e-9) - t.abuse)
    model.tally.arrests = arrests_total


def _return_delay(model: CrimeModel, fx: Effects, country: int) -> int:
    """Weeks until an extradited leader comes back: exponential with mean ``return_years`` (of the
    extraditing government's lever, else of the scenario's own ``extradition`` lever)."""
    mean = fx.extradition_return_weeks[country] or 52.0 * model.scenario_cfg.extradition.return_years
    return int(model.rng.exponential(mean))


def _leader_chances(
    model: CrimeModel, rows: np.ndarray, targeting: np.ndarray
) -> tuple[list[int], list[int], list[float]]:
    """Leader targeting (M7, M18): of the groups of ``rows`` (ascending), those whose leader is
    within reach this week (free, or commanding from a domestic prison; not in a succession crisis),
    where their leader is and the weekly probability that he is targeted there (at most 1), as lists
    in row order. ``targeting``: by territory, that probability before a regime's shelter. A leader
    no regime shelters is at the group's home; a sheltered one takes refuge where a regime holds him,
    and is targeted there by that country's police and under its law (``Regimes.refuge``)."""
    orgs = model.orgs
    agents = orgs.agents
    reach = (
        np.array([agents[row].leader in (Leader.FREE, Leader.PRISON) for row in rows.tolist()], dtype=bool)
        & ~(orgs.disrupted_until[rows] > model.steps)  # not Organisation.disrupted
    )
    rows = rows[reach]
    where, chance = orgs.home[rows].tolist(), np.minimum(targeting[orgs.home[rows]], 1.0).tolist()
    sheltered = {uid for r in model.regimes.agents for uid in r.sheltered}
    if sheltered:
        for k, row in enumerate(rows.tolist()):
            if agents[row].unique_id in sheltered:  # a sheltered leader takes refuge with a regime
                h, spared = model.regimes.refuge(model, agents[row])
                where[k], chance[k] = h, min(targeting[h] * (1.0 - spared), 1.0)
    return rows.tolist(), where, chance


def _target_leader(model: CrimeModel, org: Organisation, h: int) -> None:
    """Leader targeting (M7, M18): a group's leader targeted this week where he is, territory ``h``
    (:func:`_leader_chances`), under the law of its country. A leader who commands from a domestic
    prison stays a target: where extradition applies he is extradited, which ends his command;
    elsewhere nothing changes, he is already held. (Assumption: 004 l.212 gives imprisonment and
    extradition as the fates of the AUC's leaders; that a jailed leader still in command is
    extradited is not in the seeds.)"""
    fx = model.fx
    jailed = org.leader == Leader.PRISON  # still commanding from prison (leadership.remove_leader)
    country = int(model.world.country[h])
    if model.world.countries[country].extradites:  # the law decides; the lever targets harder
        captured = bool(model.offices.executives[country].captured)
        blocked = captured and model.rng.random() < model.p.politics.block_extradition
        if not blocked:
            org.leader = Leader.EXTRADITED
            model.prisons.extradited.append((org.name, h, model.steps + _return_delay(model, fx, country)))
            leadership.remove_leader(model, org, how="extradited")
            return
        model.event("extradition_blocked", actors=[org.name], territory=h)
    if jailed:
        return
    org.leader = Leader.PRISON
    commands = model.rng.random() < model.p.prisons.prison_command
    leadership.remove_leader(model, org, how="imprisoned", commands=commands)
