"""Phase 5: territorial competition and violence over plazas (M7, M8, M2, M4).

Organisations redeploy a share of their members each week toward valuable neighbouring plazas
(drug value passing through, people to extort), discounted by distance (corridors) from their
home base. A plaza is *monopolised* when one organisation
holds at least ``dominance`` of the armed presence, *contested* when hostile organisations share
it. Killings come from four sources, each a rate times the people engaged:

* combat between hostile organisations in a plaza: ``conflict_kill_rate`` per engaged member
  (the smaller side's strength), plus bystanders (``civilian_ratio``) (004 l.2622-2628);
* gang violence (extortion enforcement, retail, contract killings): ``gang_kill_rate`` per gang
  member (004 l.2630-2634, l.308), cut by a truce (003 l.245);
* abuses by militarised units (004 l.711-713);
* fresh troops deter: combat and gang violence are divided by ``1 + deterrence * boost``, where
  the boost decays as troops stay (004 l.522: a short-term fall in crime);
* background violence not tied to organised crime: ``background_share`` of the baseline rate.

*Pax mafiosa* (M8, 004 l.2622-2628, l.2662): in a monopolised plaza whose police take the
controller's money, combat and gang violence are multiplied by ``pax_factor``. The calm ends as
soon as a rival enters (after a split, a leader's removal, an expansion): the factor no longer
applies, so violence jumps abruptly.
"""

from __future__ import annotations

import numpy as np

from ..agents import Gang, Militia


def expansion(model) -> None:
    """Members drift toward valuable, reachable plazas (004 l.304-308: violence follows flows)."""
    w, t, vp = model.world, model.terr, model.p.violence
    adj = model.adjacency
    value = t.value + vp.extortion_value * t.population / 1000.0
    value[w.role("market")] = 0.0  # consumer markets abroad are not fought over (retail there is not modelled)
    for org in model.organisations:
        if isinstance(org, Militia) or org.members <= 0:
            continue
        reach = (adj @ (org.presence >= vp.foothold)) > 0  # next to a foothold, or where it already is
        reach |= org.presence > 0
        if isinstance(org, Gang):  # gangs are local: stay within their country (004 l.2630-2632)
            reach &= w.country == org.country
        # groups are territorial: a plaza is worth less the farther it lies from the home base
        v = np.where(reach, value * model.home_decay[org.home], 0.0)
        if v.sum() <= 0:
            continue
        members = org.members
        target = members * v / v.sum()
        rate = vp.expansion_rate * (1.0 - model.p.leadership.disruption if org.disrupted else 1.0)
        org.presence += rate * (target - org.presence)
        org.presence[org.presence < 0.1 * vp.foothold] = 0.0  # scattered members rejoin elsewhere
        if org.presence.sum() > 0:
            org.presence *= members / org.presence.sum()


def control(model) -> None:
    """Controller and contested status of every territory."""
    t, vp = model.terr, model.p.violence
    orgs = model.organisations
    if not orgs:
        t.controller[:] = -1
        t.contested[:] = False
        return
    s = model.strength_matrix()
    total = s.sum(0)
    top = s.argmax(0)
    uid = np.array([o.unique_id for o in orgs])
    share = np.where(total > 0, s.max(0) / np.maximum(total, 1e-9), 0.0)
    t.controller[:] = np.where(total > 0, uid[top], -1)
    hostile = model.hostility_matrix()
    engaged = _engaged(s, hostile)
    t.contested[:] = (engaged > vp.contest_threshold * np.maximum(total, 1.0)) & (share < vp.dominance)
    model.engaged = engaged


def _engaged(s: np.ndarray, hostile: np.ndarray) -> np.ndarray:
    """Members engaged in fighting per territory: sum over hostile pairs of the smaller side."""
    present = s > 0
    a, b = np.nonzero(np.triu(hostile, 1))
    both = (present[a] & present[b]).any(1)  # only pairs that meet somewhere
    a, b = a[both], b[both]
    if a.size == 0:
        return np.zeros(s.shape[1])
    return (hostile[a, b][:, None] * np.minimum(s[a], s[b])).sum(0)


def step(model) -> None:
    w, t, vp, fx = model.world, model.terr, model.p.violence, model.fx
    expansion(model)
    control(model)
    s = model.strength_matrix()
    orgs = model.organisations
    gang_rows = np.array([isinstance(o, Gang) for o in orgs], dtype=bool)
    gang_members = s[gang_rows].sum(0) if gang_rows.any() else np.zeros(w.n)
    total = s.sum(0)
    share = np.where(total > 0, s.max(0) / np.maximum(total, 1e-9), 0.0) if len(orgs) else np.zeros(w.n)
    pact = (share >= vp.dominance) & (t.patron == t.controller) & (t.corrupt > vp.pact_corruption)
    pax = np.where(pact, vp.pax_factor, 1.0)
    deter = 1.0 / (1.0 + vp.deterrence * t.boost)  # visible troops cut violence fast (004 l.522)
    combat = vp.conflict_kill_rate * model.engaged * pax * deter
    gang = vp.gang_kill_rate * gang_members * pax * deter * (1.0 - fx.truce_cut)
    abuse = vp.abuse_kill_rate * t.officers * t.militarised / 1000.0 * fx.abuse_mult
    background = vp.background_share * w.base_homicide_rate * t.population / 1e5 / 52.0
    expected = combat * (1.0 + vp.civilian_ratio) + gang + abuse + background
    model.organised_violence = combat * (1.0 + vp.civilian_ratio) + gang  # expected, per territory
    homicides = model.rng.poisson(expected).astype(float)
    t.homicides[:] = homicides
    model.pact = pact
    # combatant deaths remove members, split over the organisations present by strength
    if len(orgs) and combat.any():
        dead = np.minimum(combat, total)
        frac = np.where(total > 0, dead / np.maximum(total, 1e-9), 0.0)
        for org in orgs:
            org.presence -= org.presence * frac
            org.presence[org.presence < 0] = 0.0
    model.combat_deaths = float(combat.sum())
