"""Policy levers: each scenario is data (``configs/scenario/*.yaml``) switching on small levers.

Every week :func:`effects` turns the active levers into one :class:`Effects` record of plain
multipliers and per-territory arrays. The phases read only ``model.fx``; no phase asks which
scenario is running. Levers combine by composition: two levers that touch the same knob multiply.
The gang truce also has a state of its own over the run (:class:`Truce`, ``model.truce``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel

LEVERS = ("mano_dura", "police_reform", "extradition", "border_hardening", "prevention", "truce")


@dataclass
class Effects:
    """What the active policies do this week. Neutral values = baseline."""

    arrest_mult: np.ndarray  # (n,) x arrest rate
    gang_arrest_mult: float  # extra x arrest rate applied to gang members
    innocent_share: float  # share of extra arrests that hit non-members
    military_target: np.ndarray  # (n,) share of the unit that should be military
    seizure_mult: np.ndarray  # (n,) x interdiction
    pretrial_weeks: float | None  # override of mean pre-trial detention
    evidentiary_bar: float | None  # share of arrests needing investigation (None = all)
    release_share: float | None  # share of pre-trial detainees released without charge
    prison_capacity_mult: float
    abuse_mult: float
    vetting: float  # weekly share of corrupt officers removed
    pay_mult: float
    oversight: float
    investigative_boost: float
    rotation: float  # weekly share of officers rotated
    capacity_mult: float  # transition dip of a reform
    targeting_mult: float  # x leader targeting
    extradite: bool
    extradition_return_weeks: float
    migrant_control: float
    prevention: float  # share cut of recruitment
    truce_cut: float  # share of gang violence suspended

    @classmethod
    def neutral(cls, n: int) -> Effects:
        return cls(
            arrest_mult=np.ones(n),
            gang_arrest_mult=1.0,
            innocent_share=0.0,
            military_target=np.zeros(n),
            seizure_mult=np.ones(n),
            pretrial_weeks=None,
            evidentiary_bar=None,
            release_share=None,
            prison_capacity_mult=1.0,
            abuse_mult=1.0,
            vetting=0.0,
            pay_mult=1.0,
            oversight=0.0,
            investigative_boost=0.0,
            rotation=0.0,
            capacity_mult=1.0,
            targeting_mult=1.0,
            extradite=False,
            extradition_return_weeks=0.0,
            migrant_control=0.0,
            prevention=0.0,
            truce_cut=0.0,
        )


def active(lever, week: int) -> bool:
    """Whether a lever is on ``week`` weeks after the burn-in."""
    if not lever.enabled or week < lever.start:
        return False
    return lever.duration < 0 or week < lever.start + lever.duration


def most_violent(model: CrimeModel, share: float) -> np.ndarray:
    """1 in the most violent ``share`` of territories (by fear, excluding markets abroad), else 0:
    where mano dura sends troops."""
    w = model.world
    eligible = ~w.role("market")
    rate = np.where(eligible, model.terr.fear, -1.0)
    k = int(round(share * eligible.sum()))
    out = np.zeros(w.n)
    if k > 0:
        out[np.argsort(-rate)[:k]] = 1.0
    return out


def _mano_dura(lv, model: CrimeModel, fx: Effects, since: int) -> None:
    """003 l.241-252 (2022: >65,000 arrested, detention without charge); 004 l.691-693, l.1083 (2003:
    mass arrests, most released, prisons as recruitment hubs); 004 l.522-524 (troops)."""
    if lv.target_gangs:  # the 2003 and 2022 campaigns targeted gang members (003 l.241)
        fx.gang_arrest_mult *= lv.arrest_multiplier
    else:
        fx.arrest_mult = fx.arrest_mult * lv.arrest_multiplier
    fx.innocent_share = lv.innocent_share
    deploy = most_violent(model, lv.military_deployment)
    fx.military_target = np.maximum(fx.military_target, deploy)
    fx.pretrial_weeks = lv.pretrial_weeks
    fx.evidentiary_bar = lv.evidentiary_bar
    fx.release_share = lv.release_share
    fx.prison_capacity_mult *= lv.prison_capacity_multiplier
    fx.abuse_mult *= lv.abuse_multiplier


def _police_reform(lv, model: CrimeModel, fx: Effects, since: int) -> None:
    """004 l.522-554: vetting, pay, oversight, investigation; resisted by captured politicians
    (004 l.400). The resistance scales every lever by the captured share of politicians."""
    resist = 1.0 - model.offices.captured_share
    fx.vetting += lv.vetting * resist / 52.0
    fx.pay_mult *= 1.0 + lv.pay_increase * resist
    fx.oversight = max(fx.oversight, lv.oversight * resist)
    fx.investigative_boost += lv.investigative_boost * resist
    fx.rotation += lv.rotation / 52.0
    if since < lv.transition_weeks:
        fx.capacity_mult *= 1.0 - lv.transition_dip


def _extradition(lv, model: CrimeModel, fx: Effects, since: int) -> None:
    """000 l.214, l.267; 004 l.212: captured leaders go to the US unless a captured executive blocks."""
    fx.extradite = True
    fx.targeting_mult *= lv.targeting_multiplier
    fx.extradition_return_weeks = lv.return_years * 52.0


def _border_hardening(lv, model: CrimeModel, fx: Effects, since: int) -> None:
    """004 l.388-390, l.2766: more interdiction at crossings (and ports), migrant control."""
    w = model.world
    if lv.targets:
        unknown = sorted(set(lv.targets) - set(w.ids))
        if unknown:
            raise ValueError(f"scenario.border_hardening.targets: unknown territories {unknown}")
        mask = np.isin(np.array(w.ids), list(lv.targets))
    else:
        mask = w.role("border") | (w.role("port") if lv.include_ports else False)
    fx.seizure_mult = np.where(mask, fx.seizure_mult * lv.interdiction_multiplier, fx.seizure_mult)
    fx.migrant_control = max(fx.migrant_control, lv.migrant_control)


def _prevention(lv, model: CrimeModel, fx: Effects, since: int) -> None:
    """004 l.360, l.374-376: youth programmes cut recruitment of the youth they reach."""
    fx.prevention = 1.0 - (1.0 - fx.prevention) * (1.0 - lv.coverage * lv.effect)


def _truce(lv, model: CrimeModel, fx: Effects, since: int) -> None:
    """003 l.245: a gang pact lowers homicides until it breaks (March 2022, 003 l.250)."""
    if not model.truce.broken:
        fx.truce_cut = lv.violence_cut


@dataclass
class Truce:
    """The gang truce over the run (003 l.245): announced in the week the lever starts; each week
    it holds it breaks for good with ``weekly_break_prob`` (March 2022, 003 l.250). A break is
    felt from the next week's effects on."""

    broken: bool = False

    def check(self, model: CrimeModel) -> None:
        """Run at the start of each week, after :func:`effects`."""
        lv = model.scenario_cfg.truce
        if active(lv, model.week) and not self.broken:
            if model.week == lv.start:
                model.event("truce", actors=["gangs"], territory=-1)
            if model.rng.random() < lv.weekly_break_prob:
                self.broken = True
                model.event("truce_broken", actors=["gangs"], territory=-1)


APPLY = {
    "mano_dura": _mano_dura,
    "police_reform": _police_reform,
    "extradition": _extradition,
    "border_hardening": _border_hardening,
    "prevention": _prevention,
    "truce": _truce,
}


def effects(model: CrimeModel) -> Effects:
    """Combine the levers active this week."""
    fx = Effects.neutral(model.world.n)
    week = model.week
    for name in LEVERS:
        lv = getattr(model.scenario_cfg, name)
        if active(lv, week):
            APPLY[name](lv, model, fx, week - lv.start)
    return fx
