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

from ..state import entries, row_sums


def expansion(model) -> None:
    """Members drift toward valuable, reachable plazas (004 l.304-308: violence follows flows).

    Each group moves independently of the others, so all groups move at once, one row each of
    ``model.presence``. Only the territories a group can reach or holds change, so the move is
    computed on those entries; the sums that rescale each group are still taken over its whole
    row (the floats of a move over every territory).
    """
    w, t, vp = model.world, model.terr, model.p.violence
    value = t.value + vp.extortion_value * t.population / 1000.0
    value[w.role("market")] = 0.0  # consumer markets abroad are not fought over (retail there is not modelled)
    P = model.presence
    members = P.sum(1)
    rows = np.flatnonzero(~model.is_militia & (members > 0))
    if rows.size == 0:
        return
    p = P[rows]
    # reachable: next to a foothold (corridors, model.adjacency), or where the group already is
    group, at = entries(p >= vp.foothold)
    adj = model.adjacency  # CSR with self-loops: row i lists i and its neighbours
    start, count = adj.indptr[at], np.diff(adj.indptr)[at]
    reach = p > 0
    reach[np.repeat(group, count), adj.indices[_ranges(start, count)]] = True
    gang = model.is_gang[rows]  # gangs are local: stay within their country (004 l.2630-2632)
    reach[gang] &= w.country[None, :] == model.org_country[rows][gang][:, None]
    # the entries that can change, row by row: reachable, or held (a gang's plazas abroad)
    r, c = entries(reach | (p != 0))
    # groups are territorial: a plaza is worth less the farther it lies from the home base
    v_rc = np.where(reach[r, c], value[c] * model.home_decay[model.org_home[rows][r], c], 0.0)
    v_sum = row_sums(p.shape, r, c, v_rc)
    m = members[rows]
    moving = v_sum > 0
    if not moving.all():
        keep = moving[r]
        r, c, v_rc = r[keep], c[keep], v_rc[keep]
    target = m[r] * v_rc / v_sum[r]
    disruption = model.p.leadership.disruption
    rate = np.array([vp.expansion_rate * (1.0 - disruption if model.organisations[k].disrupted else 1.0)
                     for k in rows.tolist()])
    p_rc = p[r, c]
    p_rc += rate[r] * (target - p_rc)
    p_rc[p_rc < 0.1 * vp.foothold] = 0.0  # scattered members rejoin elsewhere
    p_sum = row_sums(p.shape, r, c, p_rc)
    held = p_sum[r] > 0
    p_rc[held] *= (m / np.where(p_sum > 0, p_sum, 1.0))[r[held]]
    P[rows[r], c] = p_rc


def _ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each ``s, c``."""
    return np.arange(count.sum()) - np.repeat(np.cumsum(count) - count - start, count)


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
    top = model.strongest()  # = s.argmax(0)
    uid = model.org_uid
    share = np.where(total > 0, s.max(0) / np.maximum(total, 1e-9), 0.0)
    t.controller[:] = np.where(total > 0, uid[top], -1)
    hostile = model.hostility_matrix()
    # only ``gang_engagement`` of a gang's members fight; contested compares like with like
    fighters = s * np.where(model.is_gang, vp.gang_engagement, 1.0)[:, None]
    engaged = _engaged(fighters, hostile)
    t.contested[:] = (engaged > vp.contest_threshold * np.maximum(fighters.sum(0), 1.0)) & (share < vp.dominance)
    model.engaged = engaged


def _engaged(s: np.ndarray, hostile: np.ndarray) -> np.ndarray:
    """Members engaged in fighting per territory: sum over hostile pairs of the smaller side.

    Only the pairs of groups present in the same territory are visited; each territory's sum
    runs over its pairs in the order of ``_engaged_dense`` (pair by pair, a < b), so the floats
    are the same.
    """
    if (s < 0).any():
        return _engaged_dense(s, hostile)
    org, terr = entries(s > 0)
    by_territory = np.argsort(terr, kind="stable")  # by territory, then organisation
    terr, org = terr[by_territory], org[by_territory]
    n_here = np.bincount(terr, minlength=s.shape[1])
    first = np.cumsum(n_here) - n_here
    after = first[terr] + n_here[terr] - np.arange(terr.size) - 1  # later groups in the same territory
    i = np.repeat(np.arange(terr.size), after)
    j = i + 1 + np.arange(i.size) - np.repeat(np.cumsum(after) - after, after)
    a, b, where = org[i], org[j], terr[i]
    h = hostile[a, b]
    hit = h != 0
    a, b, where, h = a[hit], b[hit], where[hit], h[hit]
    order = np.lexsort((b, a))  # pair order of the dense sum
    a, b, where, h = a[order], b[order], where[order], h[order]
    fight = h * np.minimum(s[a, where], s[b, where])
    return np.bincount(where, weights=fight, minlength=s.shape[1])


def _engaged_dense(s: np.ndarray, hostile: np.ndarray) -> np.ndarray:
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
    gang_rows = model.is_gang
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
        P = model.presence
        r, c = entries(P != 0)  # (the rest of P is 0 and stays so)
        held = P[r, c]
        held -= held * frac[c]
        held[held < 0] = 0.0
        P[r, c] = held
    model.combat_deaths = float(combat.sum())
