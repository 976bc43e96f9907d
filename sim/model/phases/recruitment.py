"""Phase 7: recruitment from the community youth pool, wages and attrition (M6, M14, M15).

Recruits per week in a territory = ``base_rate`` x youth neither studying nor working (NEET)
x the organisation's pull (income per member, saturating at ``revenue_pull``) x grievance from
state abuse (``1 + abuse_grievance * abuses per 100k per year / 10``, 004 l.747-751) x (1 - prevention). Organisations
present in a territory share its recruits by their strength there. Youth without school or work
feed recruitment (M14, 004 l.326, l.1028-1045). In prison, crowding turns non-member inmates into
gang members (M15, 003 l.241-252): see :func:`sim.model.phases.prisons.step`.

A territory's recruits never exceed its NEET youth not already in a group.

Members are paid ``upkeep`` a week (``gang_upkeep`` in gangs); a group that cannot pay loses ``unpaid_exit`` of the unpaid
share each week, so a group's size is bounded by its income.

Members leave on their own at ``attrition`` a week, gang members at ``gang_attrition``: the maras
allow no exit but death, prison or a credible religious conversion, so few leave (external: R. Brenneman,
*Homies and Hermanos*, Oxford UP 2012; J. M. Cruz et al., *The New Face of Street Gangs*, FIU 2017).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def neet_youth(model: CrimeModel) -> np.ndarray:
    """Youth neither in education, employment nor training, per territory."""
    w, t = model.world, model.terr
    return t.population * w.youth_share * w.neet_share


def step(model: CrimeModel) -> None:
    """Phase 7: recruitment from the community youth pool, wages and attrition (M6, M14, M15).

    Reads ``orgs`` (presence, revenue, cash), ``terr.population``, ``terr.abuse``,
    ``fx.prevention``. Writes ``orgs.presence``, the organisations' cash (``orgs.debit_org``),
    ``tally.recruits`` and ``terr.recruits``.
    """
    t, rp, fx = model.terr, model.p.recruitment, model.fx
    orgs = model.orgs.agents
    t.recruits[:] = 0.0
    if not orgs:
        return
    P = model.orgs.presence
    r, c = model.orgs.held()  # the groups' members, entry by entry (the rest of P is 0)
    held = P[r, c]
    here = np.bincount(c, weights=held, minlength=model.world.n)  # members per territory
    total = np.maximum(here, 1e-9)
    grievance = 1.0 + rp.abuse_grievance * t.abuse / 10.0
    neet = neet_youth(model)
    pool = rp.base_rate * neet * grievance * (1.0 - fx.prevention)
    # recruits are idle youth not yet in a group: a territory cannot give more than it has (without
    # this cap, abuses -> grievance -> recruits -> arrests -> abuses could grow without bound)
    pool = np.minimum(pool, np.maximum(neet - here, 0.0))
    militia = model.orgs.is_militia
    rows = np.flatnonzero(~militia)
    members = np.bincount(r, weights=held, minlength=len(orgs))[rows]
    per_member = model.orgs.revenue[rows] / np.maximum(members, 1.0)
    pull = per_member / (per_member + rp.revenue_pull)
    gang = model.orgs.is_gang[rows]
    wages = np.where(gang, rp.gang_upkeep, rp.upkeep) * members
    cash = model.orgs.cash[rows]  # before the wages
    unpaid = 1.0 - np.minimum(1.0, np.divide(cash, wages, out=np.ones(rows.size), where=wages > 0))
    leave = np.where(gang, rp.gang_attrition, rp.attrition)  # members leaving on their own
    exits = leave + rp.unpaid_exit * unpaid
    model.orgs.debit_rows(rows, wages, "wages")
    # each group takes its share of the pool by its strength in the territory (entry by entry:
    # only where a group has members does it recruit or lose any)
    keep = ~militia[r]
    P[r[~keep], c[~keep]] *= 1.0 - rp.attrition  # militias: only attrition
    acc = model.accounts
    acc.members("attrition", -acc.by_home(model, r[~keep], held[~keep] * rp.attrition))
    r, c, held = r[keep], c[keep], held[keep]
    k = (np.cumsum(~militia) - 1)[r]  # position of the entry's group in rows
    new = pool[c] * pull[k] * held / total[c]
    P[r, c] = held + (new - exits[k] * held)
    acc.members("recruited_community", acc.by_home(model, r, new))
    acc.members("attrition", -acc.by_home(model, r, held * leave[k]))
    acc.members("unpaid", -acc.by_home(model, r, held * (exits[k] - leave[k])))
    recruits_total = 0.0
    for recruits in np.bincount(r, weights=new, minlength=len(orgs))[rows].tolist():
        recruits_total += recruits
    model.tally.recruits = recruits_total
    t.recruits[:] = np.bincount(c, weights=new, minlength=model.world.n)  # by territory (countries.parquet)
