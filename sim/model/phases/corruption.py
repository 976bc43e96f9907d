"""Phase 4: *plata o plomo* offers to police units, and the capture cascade (M3, M12, M16).

Where organisations operate they offer bribes to the local police unit. An officer accepts with
a logistic probability that rises with the bribe relative to pay, with local tenure (locally
recruited, long-serving officers are more corruptible: 004 l.3338, l.522-524) and with the armed
threat (*plomo*), and falls with integrity and oversight. Troops arrive incorruptible but
become as corruptible as police the longer they are embedded (004 l.524). The corrupt share of
a unit drifts toward acceptance and decays by turnover, vetting and rotation.

Capture cascade (M3, 004 l.518): once a country's police are largely corrupt, its courts follow
(``court_capture``), which cuts convictions; public faith follows through impunity (phase 12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import clip

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def acceptance(model: CrimeModel, bribe_ratio: np.ndarray, threat: np.ndarray) -> np.ndarray:
    """Probability an officer accepts an offer, per territory."""
    t, cp, fx = model.terr, model.p.corruption, model.fx
    mil_embed = np.minimum(1.0, t.embed_weeks / cp.military_corruptibility_weeks)
    # troops: high integrity that erodes toward the local police's with embedding (004 l.524)
    integ = (1.0 - t.militarised) * t.integrity + t.militarised * (1.0 - mil_embed * (1.0 - t.integrity))
    x = (
        cp.base_logit
        + cp.bribe_weight * np.log1p(bribe_ratio)
        - cp.integrity_weight * integ
        + cp.tenure_weight * t.tenure * t.local * (1.0 - t.militarised)
        + cp.threat_weight * threat
        - cp.oversight_weight * fx.oversight
    )
    return logistic(x)


def step(model: CrimeModel) -> None:
    """Phase 4: *plata o plomo* offers to police units, and the capture cascade (M3, M12, M16).

    Reads ``orgs`` (presence, the strongest group), ``terr.value``, the police columns of ``terr``
    (officers, pay, integrity, tenure, local, militarised, embed_weeks), ``fx.pay_mult``,
    ``fx.oversight``, ``fx.vetting``, ``fx.rotation``. Writes ``terr.corrupt``, ``terr.patron``,
    ``countries.court_capture`` and the patrons' cash (``orgs.debit``).
    """
    t, cp, fx = model.terr, model.p.corruption, model.fx
    n = model.world.n
    orgs = model.orgs
    r, c = orgs.held()
    armed = np.bincount(c, weights=orgs.presence[r, c], minlength=n)  # members per territory
    officers = np.maximum(t.officers, 1.0)
    # the strongest organisation present is the one making offers (and the patron)
    top_uid = orgs.uid[orgs.strongest()[0]] if orgs.agents else np.full(n, -1)
    top_uid = np.where(armed > 0, top_uid, -1)
    # bribe budget: a share of the criminal value generated in the territory (taxes, smuggling)
    weekly_wage = cp.wage_usd_week * t.pay * fx.pay_mult
    bribe_ratio = (t.value * cp.bribe_share + cp.bribe_per_member * armed) / (officers * weekly_wage)
    threat = armed / (armed + officers)
    presence = 1.0 - np.exp(-armed / (cp.presence_scale * officers))
    accept = acceptance(model, bribe_ratio, threat)
    offered = cp.offer_rate * presence * accept  # weekly rate at which honest officers join a payroll
    leaving = cp.turnover + fx.vetting + fx.rotation  # weekly rate at which corrupt officers leave it
    if model.steps == 1:
        # the payrolls start where the status quo holds them (gain = loss): the world is pinned to a
        # present in which the groups have long been bribing, not to a clean police force that the
        # burn-in would corrupt slowly (the turnover's ~2-year time scale) (issue 19, item 5)
        t.corrupt[:] = offered / np.maximum(offered + leaving, 1e-12)
    gain = offered * (1.0 - t.corrupt)
    loss = leaving * t.corrupt
    t.corrupt += gain - loss
    clip(t.corrupt, 0.0, 1.0, out=t.corrupt)
    # a change of patron (new dominant group) resets part of the payroll
    changed = (top_uid != t.patron) & (t.patron >= 0) & (top_uid >= 0)
    t.corrupt[changed] *= 1.0 - cp.patron_change_loss
    t.patron[:] = np.where(t.corrupt > cp.patron_threshold, np.where(top_uid >= 0, top_uid, t.patron), -1)
    # bribes paid come out of the patron's cash
    paid = gain * officers * weekly_wage * cp.bribe_cost_weeks
    orgs.debit(t.patron, paid, "bribes")
    # courts follow corrupt police, country by country (M3, 004 l.518)
    c = model.world.country
    n_c = len(model.world.countries)
    mean_corrupt = np.bincount(c, weights=t.corrupt * t.officers, minlength=n_c) / np.maximum(
        np.bincount(c, weights=t.officers, minlength=n_c), 1.0
    )
    push = np.maximum(0.0, mean_corrupt - cp.court_threshold)
    courts = model.countries.court_capture
    courts += cp.court_capture_rate * push * (1.0 - courts)
    courts -= cp.court_capture_rate * cp.court_recovery * (mean_corrupt < cp.court_threshold) * courts
    clip(courts, 0.0, 1.0, out=courts)


def payroll_ties(model: CrimeModel) -> dict[tuple[int, int], float]:
    """``corruption`` ties (organisation -> police unit): each unit's patron, weighted by the share
    of its officers on the payroll (``terr.patron``, ``terr.corrupt``)."""
    t, orgs = model.terr, model.orgs
    return {
        (patron, model.police[i].unique_id): float(t.corrupt[i])
        for i, patron in enumerate(t.patron.tolist())
        if patron in orgs.by_uid
    }
