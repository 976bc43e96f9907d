"""Replays: a run whose episode countries are pinned to their state of the episode's year.

The world presets are a stylised present (``configs/world/hemisphere.yaml``: about 2013-2015). A
replay (the ``replay`` group, ``configs/replay/<episode>.yaml``; schema ``ReplayConfig`` in
``sim/model/config.py``) runs the world's burn-in as it is, then, ``settle_weeks`` before the
episode begins (week ``-settle_weeks``: the start of year 0, the year before the episode), sets each
country it lists to the figures its year's sources give (each cited on its line there) and nothing
else:

* ``police_per_100k``: the country's officers, per resident as the territories stand;
* ``prison_capacity_per_100k``: its prison places;
* ``prisoners_per_100k``: its inmates, members of its groups held included (the non-member inmates
  make up the rest, and ordinary admissions keep that level from then on, ``Prisons.others_baseline``);
* ``extradites``: whether its law extradites;
* ``homicide_rate``: the observed rate in the year before the episode: the observed baseline rates of
  its territories (``World.base_homicide_rate``, the input of the background violence the preset takes
  from the observed rates of its own year) are rescaled together so that their population-weighted mean
  is that figure (the territories keep their ranking), and the crackdown demand takes it as its
  reference (``CountryState.fear0``);
* ``members``: the members (free and held) of the organisations based in the country (home territory
  there): their free members are rescaled together so that the total is that figure, wherever they are;
* ``gang_pact``: a pact between the government and the gangs in force before the episode (El
  Salvador's, 2019 to March 2022, which "sought to lower the homicide rate", 003 l.245): from the pin
  it suspends that share of the country's gang violence, as the ``truce`` lever does, and it ends at
  week 0, when the episode begins (the government ended it after a spate of murders in March 2022,
  003 l.245) (:func:`sim.model.policies.effects` reads :attr:`Pinned.pact`).

Other countries, and every parameter, stay as the settled world has them. Pinning the state after
the burn-in, not the inputs before it, keeps a pinned country from drifting for the burn-in's years
away from its year's figures; the year between the pin and the episode is the model's answer to the
pinned state (``sim/analysis/replay.py`` checks it, the ``start`` criteria, against the year's figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


@dataclass
class Pinned:
    """What a replay's pin leaves for the weeks before its episode: ``pact``, the share of gang
    violence a pact in force suspends in each territory until week 0 (``None``: no pact)."""

    pact: np.ndarray | None = None


def pin_week(cfg: Any) -> int | None:
    """The week of the replay's pin (``-settle_weeks``), or None for a run that pins no country. Read
    once per scenario (``CrimeModel.use_scenario``), not every week: a config lookup costs more than
    the rest of the check."""
    replay = cfg.replay
    return -int(replay.settle_weeks) if replay.countries else None


def due(model: CrimeModel) -> bool:
    """Whether this week is the replay's pin (a replay that pins countries, at week ``-settle_weeks``)."""
    return model.pin_week is not None and model.week == model.pin_week


def pin(model: CrimeModel, replay: Any) -> None:
    """Set each country listed in ``replay.countries`` to its state as of ``replay.year`` (in place)."""
    w, t = model.world, model.terr
    iso = {c.iso: i for i, c in enumerate(w.countries)}
    pop_c = np.bincount(w.country, weights=t.population, minlength=len(w.countries)) / 1e5  # 100k residents
    for code, inputs in replay.countries.items():
        c = iso[code]
        sel = w.country == c
        if inputs.police_per_100k is not None:
            t.officers[sel] = float(inputs.police_per_100k) * t.population[sel] / 1e5
        if inputs.prison_capacity_per_100k is not None:
            model.prisons.capacity[c] = float(inputs.prison_capacity_per_100k) * pop_c[c]
        if inputs.extradites is not None:
            w.countries[c].extradites = bool(inputs.extradites)
        if inputs.homicide_rate is not None:
            now = np.average(w.base_homicide_rate[sel], weights=w.population[sel])
            if now <= 0:
                raise ValueError(f"replay.countries.{code}.homicide_rate: the world's rates in {code} are all 0")
            w.base_homicide_rate[sel] *= float(inputs.homicide_rate) / now
            model.countries.fear0[c] = max(float(inputs.homicide_rate), 1.0)
        orgs = model.orgs
        based = orgs.country == c
        held = float((orgs.pretrial + orgs.sentenced)[based].sum())  # members held, in their country's prisons
        if inputs.members is not None:
            free = float(orgs.presence[based].sum())
            if free <= 0:
                raise ValueError(f"replay.countries.{code}.members: no organisation based in {code} has members")
            orgs.presence[based] *= max(float(inputs.members) - held, 0.0) / free
        if inputs.prisoners_per_100k is not None:
            pr = model.prisons
            others = max(float(inputs.prisoners_per_100k) * pop_c[c] - held, 0.0)
            pr.innocents[c] = min(pr.innocents[c], others)
            pr.others[c] = pr.others_baseline[c] = others
        if inputs.gang_pact is not None:
            pinned = model.pinned
            if pinned.pact is None:
                pinned.pact = np.zeros(w.n)
            pinned.pact[sel] = float(inputs.gang_pact)
