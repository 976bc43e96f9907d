"""Phase 12: community update: fear, trust, tips, emigration (M5, M6, M12, M14).

Trust, reporting and impunity form a loop with two stable states (M5, 004 l.542-554): trust moves
toward a steep logistic function of the state's visible effectiveness (tips x clean courts x
clean police, the factor by which convictions fall short of investigative capacity), tips are
``trust ** tips_exponent``, and tips feed convictions (phase 8), so low trust -> few tips -> few
convictions -> high impunity -> lower trust, and high trust sustains itself. Homicides (fear) and state abuses (004 l.747-751) lower
the trust a community can reach; rotating officers breaks local ties and costs trust
(004 l.524, M12). Emigration rises with the homicide rate and with the NEET share
(M14, 004 l.302, l.326-328).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import clip

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def violence_penalty(model: CrimeModel, fear: np.ndarray) -> np.ndarray:
    """Trust lost to violence: ``violence_weight`` per ``violence_doublings`` doublings of
    (1 + homicide rate / ``violence_reference_rate``)."""
    cp = model.p.community
    return cp.violence_weight * np.log2(1.0 + fear / cp.violence_reference_rate) / cp.violence_doublings


def trust_target(model: CrimeModel, effectiveness: np.ndarray, fear: np.ndarray, abuse: np.ndarray) -> np.ndarray:
    """Trust a community moves toward: logistic in the state's visible effectiveness (tips x clean
    courts x clean police, see ``enforcement.effectiveness``), lowered by fear and abuses."""
    cp = model.p.community
    s = 1.0 / (1.0 + np.exp(-cp.effectiveness_weight * (effectiveness - cp.effectiveness_pivot)))
    base = cp.trust_floor + (1.0 - cp.trust_floor) * s
    return clip(base - violence_penalty(model, fear) - cp.abuse_weight * abuse / 10.0, 0.0, 1.0)


def step(model: CrimeModel) -> None:
    """Phase 12: community update: fear, trust, tips, emigration (M5, M6, M12, M14).

    Reads ``terr.homicides``, ``terr.effectiveness``, ``terr.abuse``, ``fx.rotation``,
    ``params.corruption.mean_tenure_years``. Writes
    ``terr.fear``, ``terr.trust``, ``terr.tips``, ``terr.emigration``, ``terr.population``,
    ``terr.tenure``.
    """
    w, t, cp, fx = model.world, model.terr, model.p.community, model.fx
    rate = t.homicides * 52.0 / np.maximum(t.population / 1e5, 1e-9)
    t.fear += cp.fear_memory * (rate - t.fear)
    target = trust_target(model, t.effectiveness, t.fear, t.abuse)
    if model.steps == 1:
        # trust starts where the state's first week's effectiveness, fear and abuses hold it, rather
        # than at ``initial_trust``, which the burn-in would leave slowly (``trust_rate``'s ~1-year
        # time scale) (issue 19, item 5)
        t.trust[:] = target
    t.trust += cp.trust_rate * (target - t.trust) - fx.rotation * cp.rotation_trust_cost * t.trust
    clip(t.trust, 0.0, 1.0, out=t.trust)
    t.tips[:] = t.trust**cp.tips_exponent
    # emigration (M14): violence and idle youth push people out
    share = (
        cp.emigration_base * (1.0 + cp.emigration_violence * t.fear / 10.0) * (1.0 + cp.emigration_neet * w.neet_share)
    )
    share = np.where(w.role("market"), 0.0, share)
    t.emigration[:] = t.population * clip(share, 0.0, cp.max_emigration)
    t.population -= t.emigration
    # natural increase (births less deaths, a country input): without it emigration alone drained every
    # country (El Salvador lost 29% of its residents in ten policy years, which alone raised its
    # homicide rate by 40%), where the region's populations grew (issue 19, item 5)
    t.population *= 1.0 + w.natural_increase_weekly
    # the police keep their strength per resident as births add residents (police_per_100k is a country
    # input of the present, not of a fixed head count); emigrants leave the force as it is (assumption)
    t.officers *= 1.0 + w.natural_increase_weekly
    # police tenure grows; officers leave and are replaced by new ones (exponential stays of mean
    # corruption.mean_tenure_years, so with no rotation the mean tenure stays where it starts instead
    # of growing a year every year: issue 19, the status quo's corruption drift); rotation resets more (M12)
    leave = 1.0 / (52.0 * model.p.corruption.mean_tenure_years)
    t.tenure += 1.0 / 52.0 - (leave + fx.rotation) * t.tenure
