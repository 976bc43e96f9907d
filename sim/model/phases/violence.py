"""Phase 5: territorial competition and violence over plazas (M7, M8, M2, M4).

Organisations redeploy a share of their members each week toward valuable neighbouring plazas
(drug value passing through, people to extort), discounted by distance (corridors) from their
home base. A plaza is *monopolised* when one organisation
holds at least ``dominance`` of the armed presence, *contested* when hostile organisations share
it. Killings come from five sources, each a rate times the people engaged:

* combat between hostile organisations in a plaza: ``conflict_kill_rate`` per engaged member
  (the smaller side's fighters), plus bystanders (``civilian_ratio``) (004 l.2622-2628). A
  cartel's members are its armed wing; of a gang's members only ``gang_engagement`` fight (the
  rest extort, sell and keep watch: 004 l.2630-2634), so a war between two mass gangs is not
  as lethal per member as a war between cartels' gunmen;
* gang violence (extortion enforcement, retail, contract killings): ``gang_kill_rate`` per gang
  member (004 l.2630-2634, l.308), cut by a truce (003 l.245), and divided by
  ``1 + gang_crowding x`` the territory's gang members per 100k residents: where the gangs are
  dense, their turf is divided to the block and a member's killing falls (El Salvador had about
  twice Honduras' maras per resident, ~20,000 against ~12,000, UNODC 2012, *Transnational Organized Crime in Central America and the Caribbean*, at a similar homicide rate; its homicide rate
  fell from 51 to 18 per 100k in 2019-2021 with its gangs intact, 003 l.245);
* abuses by militarised units (004 l.711-713);
* fresh troops deter: combat and gang violence are divided by ``1 + deterrence * boost``, where
  the boost decays as troops stay (004 l.522: a short-term fall in crime);
* arms: combat and gang violence are x the firepower of the groups present
  (sim/model/phases/arms.py ``lethality``; 004 l.452-454);
* background violence not tied to organised crime: ``background_share`` of the baseline rate.

*Pax mafiosa* (M8, 004 l.2622-2628, l.2662): in a monopolised plaza whose police take the
controller's money, combat and gang violence are multiplied by ``pax_factor``. The calm ends as
soon as a rival enters (after a split, a leader's removal, an expansion): the factor no longer
applies, so violence jumps abruptly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.phases import arms
from sim.model.state import sorted_union

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def expansion(model: CrimeModel) -> None:
    """Members drift toward valuable, reachable plazas (004 l.304-308: violence follows flows).

    Each group moves independently of the others, so all groups move at once, on the entries of
    ``orgs.presence`` they hold or can reach (the rest of a group's row is zero and stays so).
    The new entries become ``orgs.held()``.
    """
    w, t, vp, orgs = model.world, model.terr, model.p.violence, model.orgs
    value = t.value + vp.extortion_value * t.population / 1000.0
    value[~w.plazas] = 0.0  # consumer markets and the US crossings are not fought over (world.plazas)
    P = orgs.presence
    k, n = P.shape
    r0, c0 = orgs.held()
    p0 = P[r0, c0]
    members = np.bincount(r0, weights=p0, minlength=k)
    movers = ~orgs.is_militia & (members > 0)
    if not movers.any():
        return
    sel = movers[r0] & (p0 != 0)
    held = r0[sel] * n + c0[sel]  # flat entries, row by row
    p_held = p0[sel]
    # reachable: next to a foothold (corridors, world.adjacency), or where the group already is
    foot = p_held >= vp.foothold
    group, at = r0[sel][foot], c0[sel][foot]
    adj = w.adjacency  # CSR with self-loops: row i lists i and its neighbours
    start, count = adj.indptr[at], np.diff(adj.indptr)[at]
    near = np.repeat(group, count) * n + adj.indices[_ranges(start, count)]
    flat = sorted_union(held, near)  # the entries that can change, row by row
    r, c = np.divmod(flat, n)
    p_rc = np.zeros(flat.size)
    p_rc[np.searchsorted(flat, held)] = p_held
    reach = p_rc > 0
    reach[np.searchsorted(flat, near)] = True
    gang = orgs.is_gang[r]  # gangs are local: stay within their country (004 l.2630-2632)
    reach[gang] &= w.country[c[gang]] == orgs.country[r[gang]]
    keep = reach | (p_rc != 0)  # reachable, or held (a gang's plazas abroad)
    r, c, p_rc, reach = r[keep], c[keep], p_rc[keep], reach[keep]
    # groups are territorial: a plaza is worth less the farther it lies from the home base
    v_rc = np.where(reach, value[c] * model.home_decay[orgs.home[r], c], 0.0)
    v_sum = np.bincount(r, weights=v_rc, minlength=k)
    moving = (v_sum > 0)[r]
    r, c, p_rc, v_rc = r[moving], c[moving], p_rc[moving], v_rc[moving]
    target = members[r] * v_rc / v_sum[r]
    disrupted = model.steps < orgs.disrupted_until  # = [o.disrupted for o in orgs.agents]
    rate = vp.expansion_rate * np.where(disrupted, 1.0 - model.p.leadership.disruption, 1.0)
    p_rc += rate[r] * (target - p_rc)
    # scattered members rejoin elsewhere; a group all of whose plazas fell below the threshold
    # regroups where it was strongest (its members are not lost)
    strongest = _first_of_each(r, -p_rc)
    scattered = p_rc < vp.scatter_share * vp.foothold
    scattered[strongest] &= np.bincount(r, weights=~scattered, minlength=k)[r[strongest]] > 0
    p_rc[scattered] = 0.0
    p_sum = np.bincount(r, weights=p_rc, minlength=k)
    back = p_sum[r] > 0
    p_rc[back] *= (members / np.where(p_sum > 0, p_sum, 1.0))[r[back]]
    P[r, c] = p_rc
    orgs.set_held(np.concatenate([r0 * n + c0, r * n + c]))


def _first_of_each(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Index of the entry with the smallest ``key`` in each group (first in order on ties)."""
    order = np.lexsort((key, group))
    g = group[order]
    return order[np.concatenate(([True], g[1:] != g[:-1]))] if g.size else order


def _ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each ``s, c``."""
    return np.arange(count.sum()) - np.repeat(np.cumsum(count) - count - start, count)


def control(model: CrimeModel) -> np.ndarray:
    """Controller, contested status and members engaged in fighting in every territory; returns
    the controller's share of the armed members in each territory (0 where nobody is)."""
    t, vp, orgs = model.terr, model.p.violence, model.orgs
    n = model.world.n
    if not orgs.agents:
        model.accounts.fights = ()
        t.controller[:] = -1
        t.contested[:] = False
        t.engaged[:] = 0.0  # else last week's fighters would still kill (test_violence_ends_with_the_last_group)
        return np.zeros(n)
    r, c = orgs.held()
    v = orgs.presence[r, c]
    total = np.bincount(c, weights=v, minlength=n)  # column sums, row by row: = s.sum(0)
    top, top_members = orgs.strongest()
    share = np.where(total > 0, top_members / np.maximum(total, 1e-9), 0.0)
    t.controller[:] = np.where(total > 0, orgs.uid[top], -1)
    # only ``gang_engagement`` of a gang's members fight; contested compares like with like
    fighters = v * np.where(orgs.is_gang, vp.gang_engagement, 1.0)[r]
    fights = _fights(r, c, fighters, orgs.hostility(), n)
    model.accounts.fights = fights  # who fought whom, for the homicides account
    engaged = np.bincount(fights[0], weights=fights[3], minlength=n)
    armed = np.bincount(c, weights=fighters, minlength=n)
    t.contested[:] = (engaged > vp.contest_threshold * np.maximum(armed, 1.0)) & (share < vp.dominance)
    t.engaged[:] = engaged
    return share


def _fights(
    org: np.ndarray, terr: np.ndarray, s: np.ndarray, hostile: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The hostile pairs of groups present in the same territory: territory, the two organisation
    rows and the members engaged (hostility x the smaller side), pair by pair. Their sum by
    territory is the members engaged in fighting there (``terr.engaged``).

    ``org, terr, s``: the members ``s`` of organisation ``org`` in territory ``terr`` (of ``n``), entry
    by entry, row by row. Only the pairs of groups present in the same territory are visited; each
    territory's pairs come pair by pair (a < b), the order of a sum over every hostile pair and
    every territory, so the sums are the same floats (``tests/test_fast_paths.py``).
    """
    here = s > 0
    org, terr, s = org[here], terr[here], s[here]
    by_territory = np.argsort(terr, kind="stable")  # by territory, then organisation
    terr, org, s = terr[by_territory], org[by_territory], s[by_territory]
    n_here = np.bincount(terr, minlength=n)
    first = np.cumsum(n_here) - n_here
    after = first[terr] + n_here[terr] - np.arange(terr.size) - 1  # later groups in the same territory
    i = np.repeat(np.arange(terr.size), after)
    j = i + 1 + np.arange(i.size) - np.repeat(np.cumsum(after) - after, after)
    h = hostile[org[i], org[j]]
    hit = h != 0
    i, j, h = i[hit], j[hit], h[hit]
    order = np.lexsort((org[j], org[i]))  # pair order of the dense sum
    i, j, h = i[order], j[order], h[order]
    return terr[i], org[i], org[j], h * np.minimum(s[i], s[j])


def step(model: CrimeModel) -> None:
    """Phase 5: territorial competition and violence over plazas (M7, M8, M2, M4).

    Reads ``orgs`` (presence, homes, hostility, disruption), ``terr.value``, ``terr.population``,
    ``terr.patron``, ``terr.corrupt``, ``terr.boost``, ``terr.officers``, ``terr.militarised``,
    ``fx.truce_cut``, ``fx.abuse_mult``, ``arms.firepower``. Writes ``orgs.presence`` (moves and deaths),
    ``terr.controller``, ``terr.contested``, ``terr.engaged``, ``terr.pact``,
    ``terr.organised_violence``, ``terr.gang_violence``, ``terr.homicides``.
    """
    w, t, vp, fx = model.world, model.terr, model.p.violence, model.fx
    expansion(model)
    share = control(model)
    n = w.n
    orgs = model.orgs
    P = orgs.presence
    r, c = orgs.held()
    v = P[r, c]
    gang_members = np.bincount(c, weights=v * orgs.is_gang[r], minlength=n)
    total = np.bincount(c, weights=v, minlength=n)
    pact = (share >= vp.dominance) & (t.patron == t.controller) & (t.corrupt > vp.pact_corruption)
    pax = np.where(pact, vp.pax_factor, 1.0)
    deter = 1.0 / (1.0 + vp.deterrence * t.boost)  # visible troops cut violence fast (004 l.522)
    # better-armed groups kill more (sim/model/phases/arms.py; 004 l.452-454)
    deter *= arms.lethality(model, r, c, v * np.where(orgs.is_gang, vp.gang_engagement, 1.0)[r])
    combat = vp.conflict_kill_rate * t.engaged * pax * deter
    # where gangs are dense their turf is divided and each member kills less (gang_crowding; 003 l.245)
    crowded = 1.0 + vp.gang_crowding * gang_members / np.maximum(t.population, 1.0) * 1e5
    gang = vp.gang_kill_rate * gang_members / crowded * pax * deter * (1.0 - fx.truce_cut)
    abuse = vp.abuse_kill_rate * t.officers * t.militarised / 1000.0 * fx.abuse_mult
    background = vp.background_share * w.base_homicide_rate * t.population / 1e5 / 52.0
    war = combat * (1.0 + vp.civilian_ratio)  # fighters and bystanders
    t.organised_violence[:] = war + gang  # expected, per territory
    t.gang_violence[:] = gang
    expected = t.organised_violence + abuse + background
    homicides = model.rng.poisson(expected).astype(float)
    t.homicides[:] = homicides
    model.accounts.homicides(
        model,
        war,
        {"gang_violence": gang, "state_abuse": abuse, "background": background},
        expected,
        homicides,
    )
    t.pact[:] = pact
    # combatant deaths remove members, split over the organisations present by strength
    if orgs.agents and combat.any():
        dead = np.minimum(combat, total)
        frac = np.where(total > 0, dead / np.maximum(total, 1e-9), 0.0)
        held = v - v * frac[c]  # (the rest of P is 0 and stays so)
        held[held < 0] = 0.0
        P[r, c] = held
        model.accounts.members("killed", -model.accounts.by_home(model, r, v - held))
