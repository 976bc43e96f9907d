"""Policy levers: each scenario is data (``configs/scenario/*.yaml``) switching on small levers.

Every week :func:`effects` turns the active levers into one :class:`Effects` record of plain
multipliers and per-territory arrays. The phases read only ``model.fx``; no phase asks which
scenario is running. Levers combine by composition: two levers that touch the same knob multiply.
The gang truce also has a state of its own over the run (:class:`Truce`, ``model.truce``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.config import LEVERS, REGION, programmes

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


@dataclass
class Effects:
    """What the active policies do this week, where they act. Neutral values = baseline.

    Per-territory arrays ``(n,)`` hold what a government does on its own ground; per-country arrays
    ``(countries,)`` what acts through a country's institutions (its prisons, courts, extradition).
    A lever acts in the countries of its ``countries`` list (every country when the list is empty).
    The arrays of the neutral record are shared and read-only (:meth:`neutral`): a lever, or a script
    changing a week's record by hand, replaces an array (``fx.seizure_mult = ...``), never writes into it.
    """

    arrest_mult: np.ndarray  # (n,) x arrest rate
    gang_arrest_mult: np.ndarray  # (n,) extra x arrest rate applied to gang members
    innocent_share: np.ndarray  # (countries,) share of a country's arrests that hit non-members
    military_target: np.ndarray  # (n,) share of the unit that should be military
    seizure_mult: np.ndarray  # (n,) x interdiction
    pretrial_weeks: np.ndarray  # (countries,) mean pre-trial detention, weeks
    evidentiary_bar: np.ndarray  # (n,) share of arrests needing investigation to convict (1 = all)
    release_share: np.ndarray  # (countries,) share of pre-trial detainees released without charge
    prison_capacity_mult: np.ndarray  # (countries,) x prison places
    abuse_mult: np.ndarray  # (n,) x abuse risk
    vetting: np.ndarray  # (n,) weekly share of corrupt officers removed
    pay_mult: np.ndarray  # (n,) x police pay
    oversight: np.ndarray  # (n,) 0..1 internal-affairs strength
    investigative_boost: np.ndarray  # (n,) absolute rise in investigative capacity
    rotation: np.ndarray  # (n,) weekly share of officers rotated
    capacity_mult: np.ndarray  # (n,) transition dip of a reform
    targeting_mult: np.ndarray  # (n,) x leader targeting (at the group's home)
    extradition_return_weeks: np.ndarray  # (countries,) mean weeks before a leader returns (0: default)
    migrant_control: np.ndarray  # (n,) 0..1 control of irregular crossings
    prevention: np.ndarray  # (n,) share cut of recruitment
    truce_cut: np.ndarray  # (n,) share of gang violence suspended
    eradication: np.ndarray  # (n,) weekly share of the standing coca area eradicated
    sanctions_formal: np.ndarray  # (countries,) share of a regime's formal revenue blocked by sanctions
    sanctions_finance: np.ndarray  # (countries,) share of a regime's illicit proceeds lost for want of formal finance
    sanctions_secondary: np.ndarray  # (countries,) share of the regime's sponsors' rail capacity closed
    laundering_fee_mult: np.ndarray  # (countries,) x launderers' fee (full exposure), by the client's home
    laundering_risk: np.ndarray  # (countries,) extra share of laundered money confiscated (full exposure)
    takedowns: np.ndarray  # (countries,) launderer takedowns a week, were all money followed as the country's
    removals: list  # (rank, facilitator_id, kind, countries) of the facilitators removed this week
    arms_cut: np.ndarray  # (countries,) share of the US arms supply to the groups based there stopped

    @classmethod
    def neutral(cls, n: int, n_countries: int, pretrial_weeks: float) -> Effects:
        """The record of a week with no lever on. Its arrays are read-only and shared by every such
        record (a lever replaces an array of its week's record, never writes into one): 6 us a week
        against 21 us for thirty new arrays on the default world."""
        return replace(_neutral(n, n_countries, float(pretrial_weeks)), removals=[])

    @classmethod
    def _make_neutral(cls, n: int, n_countries: int, pretrial_weeks: float) -> Effects:
        def ones() -> np.ndarray:
            return np.ones(n)

        def zeros() -> np.ndarray:
            return np.zeros(n)

        return cls(
            arrest_mult=ones(),
            gang_arrest_mult=ones(),
            innocent_share=np.zeros(n_countries),
            military_target=zeros(),
            seizure_mult=ones(),
            pretrial_weeks=np.full(n_countries, float(pretrial_weeks)),
            evidentiary_bar=ones(),
            release_share=np.zeros(n_countries),
            prison_capacity_mult=np.ones(n_countries),
            abuse_mult=ones(),
            vetting=zeros(),
            pay_mult=ones(),
            oversight=zeros(),
            investigative_boost=zeros(),
            rotation=zeros(),
            capacity_mult=ones(),
            targeting_mult=ones(),
            extradition_return_weeks=np.zeros(n_countries),
            migrant_control=zeros(),
            prevention=zeros(),
            truce_cut=zeros(),
            eradication=zeros(),
            sanctions_formal=np.zeros(n_countries),
            sanctions_finance=np.zeros(n_countries),
            sanctions_secondary=np.zeros(n_countries),
            laundering_fee_mult=np.ones(n_countries),
            laundering_risk=np.zeros(n_countries),
            takedowns=np.zeros(n_countries),
            removals=[],
            arms_cut=np.zeros(n_countries),
        )


@functools.lru_cache(maxsize=8)
def _neutral(n: int, n_countries: int, pretrial_weeks: float) -> Effects:
    """:meth:`Effects._make_neutral` made once, its arrays read-only."""
    fx = Effects._make_neutral(n, n_countries, pretrial_weeks)
    for value in vars(fx).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return fx


@dataclass
class Reach:
    """Where a lever acts: its countries, and their territories."""

    countries: np.ndarray  # (countries,) bool
    territories: np.ndarray  # (n,) bool

    @classmethod
    def of(cls, lever: Any, model: CrimeModel) -> Reach:
        w = model.world
        if not lever.countries:
            mask = np.ones(len(w.countries), dtype=bool)
        else:
            codes = [c.iso for c in w.countries]
            unknown = [c for c in lever.countries if c not in codes and c != REGION]
            if unknown:  # validate() refuses these before a run; a lever built by hand is checked here
                raise ValueError(f"unknown country {unknown[0]}; allowed: {REGION}, {', '.join(codes)}")
            mask = np.isin(np.array(codes), list(lever.countries))
            if REGION in lever.countries:
                mask |= w.report_countries
        territories = mask[w.country]
        mask.flags.writeable = territories.flags.writeable = False  # a scenario's run keeps it (CrimeModel.reaches)
        return cls(mask, territories)


def active(lever, week: int) -> bool:
    """Whether a lever is on ``week`` weeks after the burn-in."""
    if not lever.enabled or week < lever.start:
        return False
    return lever.duration < 0 or week < lever.start + lever.duration


def most_violent(model: CrimeModel, share: float, where: np.ndarray) -> np.ndarray:
    """1 in the most violent ``share`` of the territories ``where`` (by fear, markets abroad
    excluded), else 0: where mano dura sends troops."""
    w = model.world
    eligible = ~w.role("market") & where
    rate = np.where(eligible, model.terr.fear, -1.0)
    k = int(round(share * eligible.sum()))
    out = np.zeros(w.n)
    if k > 0:
        out[np.argsort(-rate)[:k]] = 1.0
    return out


def _mano_dura(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """003 l.241-252 (2022: >65,000 arrested, detention without charge); 004 l.691-693, l.1083 (2003:
    mass arrests, most released, prisons as recruitment hubs); 004 l.522-524 (troops). Arrests, troops
    and abuses on the government's territory; detention, releases and prison places in its prisons;
    the innocents it sweeps up are held there too (enforcement.step)."""
    T, C = at.territories, at.countries
    if lv.target_gangs:  # the 2003 and 2022 campaigns targeted gang members (003 l.241)
        fx.gang_arrest_mult = np.where(T, fx.gang_arrest_mult * lv.arrest_multiplier, fx.gang_arrest_mult)
    else:
        fx.arrest_mult = np.where(T, fx.arrest_mult * lv.arrest_multiplier, fx.arrest_mult)
    fx.innocent_share = np.where(C, lv.innocent_share, fx.innocent_share)
    fx.military_target = np.maximum(fx.military_target, most_violent(model, lv.military_deployment, T))
    fx.pretrial_weeks = np.where(C, lv.pretrial_weeks, fx.pretrial_weeks)
    fx.evidentiary_bar = np.where(T, lv.evidentiary_bar, fx.evidentiary_bar)
    fx.release_share = np.where(C, lv.release_share, fx.release_share)
    fx.prison_capacity_mult = np.where(
        C, fx.prison_capacity_mult * lv.prison_capacity_multiplier, fx.prison_capacity_mult
    )
    fx.abuse_mult = np.where(T, fx.abuse_mult * lv.abuse_multiplier, fx.abuse_mult)


def captured_share_by_country(model: CrimeModel) -> np.ndarray:
    """Share of each country's politicians (mayors, executive, brokers) who are captured."""
    n_c = len(model.world.countries)
    offices = model.offices
    count = np.bincount(offices.country, minlength=n_c)
    return np.bincount(offices.country, weights=offices.captured, minlength=n_c) / np.maximum(count, 1)


def _police_reform(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.522-554: vetting, pay, oversight, investigation; resisted by captured politicians
    (004 l.400). The resistance scales every lever by the captured share of the reforming
    country's own politicians."""
    T = at.territories
    resist = (1.0 - captured_share_by_country(model))[model.world.country]
    fx.vetting = np.where(T, fx.vetting + lv.vetting * resist / 52.0, fx.vetting)
    fx.pay_mult = np.where(T, fx.pay_mult * (1.0 + lv.pay_increase * resist), fx.pay_mult)
    fx.oversight = np.where(T, np.maximum(fx.oversight, lv.oversight * resist), fx.oversight)
    fx.investigative_boost = np.where(
        T, fx.investigative_boost + lv.investigative_boost * resist, fx.investigative_boost
    )
    fx.rotation = np.where(T, fx.rotation + lv.rotation / 52.0, fx.rotation)
    if since < lv.transition_weeks:
        fx.capacity_mult = np.where(T, fx.capacity_mult * (1.0 - lv.transition_dip), fx.capacity_mult)


def _extradition(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """000 l.214, l.267; 004 l.212: the government targets leaders harder (004 l.236-238) and sends
    those it captures to the US, unless its own captured executive blocks it
    (enforcement._target_leader). Extradition applies only where the country's law allows it
    (``CountrySpec.extradites``): Venezuela's regime does not extradite (000 l.267), nor do the
    countries whose constitutions bar extraditing nationals; there the lever only raises targeting."""
    fx.targeting_mult = np.where(at.territories, fx.targeting_mult * lv.targeting_multiplier, fx.targeting_mult)
    fx.extradition_return_weeks = np.where(at.countries, lv.return_years * 52.0, fx.extradition_return_weeks)


def _border_hardening(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.388-390, l.2766: more interdiction and migrant control at the government's crossings
    (and ports), or at the territories it names in ``targets``."""
    w = model.world
    if lv.targets:
        unknown = sorted(set(lv.targets) - set(w.ids))
        if unknown:
            raise ValueError(f"scenario.border_hardening.targets: unknown territories {unknown}")
        mask = np.isin(np.array(w.ids), list(lv.targets))
    else:
        mask = w.role("border") | (w.role("port") if lv.include_ports else False)
    mask = mask & at.territories
    fx.seizure_mult = np.where(mask, fx.seizure_mult * lv.interdiction_multiplier, fx.seizure_mult)
    fx.migrant_control = np.where(mask, np.maximum(fx.migrant_control, lv.migrant_control), fx.migrant_control)


def _eradication(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.3588 (Colombia 2014: 68,000 ha eradicated): the government eradicates ``share`` of its
    standing coca a year plus ``hectares``, spread over its coca in proportion to area and over the
    weeks of the year (sim/model/phases/cultivation.py)."""
    area = model.coca.area * at.territories
    by_country = np.bincount(model.world.country, weights=area, minlength=len(model.world.countries))
    of = by_country[model.world.country]
    yearly = lv.share + np.divide(lv.hectares, of, out=np.zeros_like(of), where=of > 0)
    weekly = np.where(area > 0, np.minimum(yearly / 52.0, 1.0), 0.0)
    fx.eradication = 1.0 - (1.0 - fx.eradication) * (1.0 - weekly)


def _anti_laundering(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.2424-2428, l.1750: the government follows its groups' money: fees and confiscation
    rise on the laundering of the groups based in its countries, and investigators take down the
    launderers that carry that money, the largest first (PROTON-OC's facilitator policy, Calderoni et
    al. 2022; sim/model/phases/laundering.py)."""
    C = at.countries
    fx.laundering_fee_mult = np.where(C, fx.laundering_fee_mult * lv.fee_multiplier, fx.laundering_fee_mult)
    fx.laundering_risk = np.where(C, fx.laundering_risk + lv.confiscation, fx.laundering_risk)
    fx.takedowns = np.where(C, fx.takedowns + lv.takedowns_per_year / 52.0, fx.takedowns)


def _remove_facilitator(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.2436 (Bout arrested and extradited), l.2404-2454: in the lever's first week, the named
    facilitator (by default the largest super-fixer serving the groups based in its countries) is
    removed; what it holds for its clients is seized (sim/model/phases/laundering.py)."""
    if since == 0:
        fx.removals = [*fx.removals, (int(lv.rank), int(lv.facilitator_id), str(lv.kind), at.countries)]


def _sanctions(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """000 l.92, l.331, l.371-373; 001 l.60, l.168: sanctions on the regimes of the lever's countries (the
    countries sanctioned) block part of their formal revenue and of their access to formal finance;
    ``secondary`` closes part of their sponsors' rails (sim/model/phases/regime.py). Two sanctions
    programmes on one country combine as independent cuts."""
    C = at.countries
    for name, cut in (
        ("sanctions_formal", lv.formal_cut),
        ("sanctions_finance", lv.finance_cut),
        ("sanctions_secondary", lv.secondary),
    ):
        now = getattr(fx, name)
        setattr(fx, name, np.where(C, 1.0 - (1.0 - now) * (1.0 - cut), now))


def _arms_interdiction(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.452, l.456: stemming the flow of US guns and ammunition into the lever's countries stops
    ``supply_cut`` of the US channel of the groups based there (sim/model/phases/arms.py). Two
    programmes on one country combine as independent cuts."""
    fx.arms_cut = np.where(at.countries, 1.0 - (1.0 - fx.arms_cut) * (1.0 - lv.supply_cut), fx.arms_cut)


def _prevention(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach) -> None:
    """004 l.360, l.374-376: youth programmes cut recruitment of the youth they reach."""
    reached = 1.0 - (1.0 - fx.prevention) * (1.0 - lv.coverage * lv.effect)
    fx.prevention = np.where(at.territories, reached, fx.prevention)


def _truce(lv: Any, model: CrimeModel, fx: Effects, since: int, at: Reach, label: str = "") -> None:
    """003 l.245: a gang pact lowers homicides in the government's territory until it breaks
    (March 2022, 003 l.250)."""
    if not model.truce.broken.get(label, False):
        fx.truce_cut = np.where(at.territories, lv.violence_cut, fx.truce_cut)


@dataclass
class Truce:
    """The gang truces over the run, one per programme (003 l.245): announced in the week the lever
    starts; each week it holds it breaks for good with ``weekly_break_prob`` (March 2022, 003
    l.250). A break is felt from the next week's effects on."""

    broken: dict[str, bool] = field(default_factory=dict)  # by programme label ("" = the scenario's own)

    def check(self, model: CrimeModel) -> None:
        """Run at the start of each week, after :func:`effects`."""
        for label, levers in programmes(model.scenario_cfg):
            lv = levers.truce
            if active(lv, model.week) and not self.broken.get(label, False):
                who = "gangs" + (f" ({', '.join(lv.countries)})" if lv.countries else "")
                if model.week == lv.start:
                    model.event("truce", actors=[who], territory=-1)
                if model.rng.random() < lv.weekly_break_prob:
                    self.broken[label] = True
                    model.event("truce_broken", actors=[who], territory=-1)


APPLY = {
    "mano_dura": _mano_dura,
    "police_reform": _police_reform,
    "extradition": _extradition,
    "border_hardening": _border_hardening,
    "prevention": _prevention,
    "eradication": _eradication,
    "sanctions": _sanctions,
    "anti_laundering": _anti_laundering,
    "remove_facilitator": _remove_facilitator,
    "arms_interdiction": _arms_interdiction,
}


def effects(model: CrimeModel) -> Effects:
    """Combine the levers active this week, programme by programme, each where it acts."""
    w = model.world
    fx = Effects.neutral(w.n, len(w.countries), model.p.prisons.pretrial_weeks)
    week = model.week
    if week < 0 and model.pinned.pact is not None:  # a replay's pact in force before its episode (003 l.245)
        fx.truce_cut = model.pinned.pact.copy()
    for label, levers in programmes(model.scenario_cfg):
        for name in LEVERS:
            lv = getattr(levers, name)
            if not active(lv, week):
                continue
            at = model.reaches.get((label, name))
            if at is None:  # found once per scenario (CrimeModel.reaches, reset by use_scenario)
                at = model.reaches[label, name] = Reach.of(lv, model)
            if name == "truce":
                _truce(lv, model, fx, week - lv.start, at, label)
            else:
                APPLY[name](lv, model, fx, week - lv.start, at)
    return fx
