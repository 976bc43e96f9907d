"""Interdiction that adapts (M1; issue 14): each country's budget moves toward where it seizes.

A territory's interdiction effort starts at the world's allocation (``world.interdiction``: e.g.
patrolled sea approaches). Part of each country's budget is fixed at its posts; the rest
(``interdiction.mobile_share``) moves each week toward the territories where the country's
seizures per unit of effort were highest, with NarcoLogic's learning rate (Magliocca et al.,
PNAS 2019: interdiction forces put effort where they expect success, ``sl_learn``). Shippers
move away from what they learn is risky (:mod:`sim.model.phases.shippers`), interdictors follow
the flow: the two chase each other (004 l.304-308, l.3322-3364). Border hardening raises the
budget where it is targeted (``fx.seizure_mult``, 004 l.388-390): the added effort stays at the
targeted posts.

Reads ``terr.seized``, ``fx.seizure_mult``. Writes ``interdiction`` (the mobile effort).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel
    from sim.model.world import World


@dataclass
class Interdiction:
    """Interdiction effort per territory, in units of the world's base allocation."""

    country: np.ndarray  # (n,) country index of each territory
    base: np.ndarray  # (n,) the world's allocation (``world.interdiction``)
    mobile: np.ndarray  # (n,) effort of the mobile budget
    effort: np.ndarray  # (n,) this week's effort (fixed + mobile)

    @classmethod
    def start(cls, world: World, mobile_share: float) -> Interdiction:
        base = np.asarray(world.interdiction, dtype=float)
        return cls(world.country, base, base * mobile_share, base.copy())

    def budget(self, seizure_mult: np.ndarray, mobile_share: float) -> np.ndarray:
        """This week's effort: the fixed posts, the effort the levers add where they act
        (base x (multiplier - 1), fixed there), and the mobile effort, rescaled to the country's
        mobile budget (``mobile_share`` of its base)."""
        n_c = int(self.country.max()) + 1
        want = np.bincount(self.country, weights=self.base * mobile_share, minlength=n_c)
        have = np.bincount(self.country, weights=self.mobile, minlength=n_c)
        scale = np.divide(want, have, out=np.zeros(n_c), where=have > 0)
        self.mobile *= scale[self.country]
        self.effort = self.base * (seizure_mult - mobile_share) + self.mobile
        return self.effort


def step(model: CrimeModel) -> None:
    """Move each country's mobile budget toward where its seizures per unit of effort were
    highest last week (a country that seized nothing keeps its allocation)."""
    it, ip = model.interdiction, model.p.interdiction
    n_c = int(it.country.max()) + 1
    per_effort = np.divide(model.terr.seized, it.effort, out=np.zeros_like(it.effort), where=it.effort > 0)
    total = np.bincount(it.country, weights=per_effort, minlength=n_c)
    budget = np.bincount(it.country, weights=it.mobile, minlength=n_c)
    seized = total[it.country] > 0
    target = np.divide(per_effort * budget[it.country], total[it.country], out=it.mobile.copy(), where=seized)
    it.mobile += ip.learning_rate * (target - it.mobile)
