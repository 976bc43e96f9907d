"""Replays: a world whose episode countries start from their inputs as of the episode's year.

The world presets are a stylised present (``configs/world/hemisphere.yaml``: about 2013-2015). A
replay (the ``replay`` group, ``configs/replay/<episode>.yaml``; schema ``ReplayConfig`` in
``sim/model/config.py``) overwrites, for each country it lists, the inputs the year's sources give
(each figure cited on its line there) and nothing else:

* the country's institutions (``police_per_100k``, ``prison_capacity_per_100k``,
  ``prisoners_per_100k``, ``extradites``) replace the preset's;
* ``homicide_rate`` is the country's observed rate in the year before the episode: the observed
  baseline rates of its territories (``TerritorySpec.homicide_rate``, the input the preset already
  takes from the observed rates of its own year) are rescaled together so that their
  population-weighted mean is that figure; the territories keep their ranking;
* ``members`` is the membership of the organisations based in the country (home territory there):
  their members are rescaled together to that total, wherever they are present;
* ``gang_pact`` is a pact between the government and the gangs in force in the years before the
  episode (El Salvador's, 2019 to March 2022, which "sought to lower the homicide rate", 003 l.245):
  during the burn-in it suspends that share of the country's gang violence, as the ``truce`` lever
  does, and it ends at week 0, when the episode begins (the government ended it after a spate of
  murders in March 2022, 003 l.245) (``World.pact_before``, :func:`sim.model.policies.effects`).

Other countries, and every parameter, are left as the preset has them. The model then runs its
burn-in from these inputs, so the pinned country's state at the end of the burn-in is the model's
answer to them (``sim/analysis/replay.py`` checks it against the year's figure).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.world import World

#: Inputs of ``CountryAsOf`` copied onto the world's ``Country`` as they stand.
INSTITUTIONS = ("police_per_100k", "prison_capacity_per_100k", "prisoners_per_100k", "extradites")


def pin(world: World, replay: Any) -> World:
    """``world`` with the inputs of each country listed in ``replay.countries`` as of ``replay.year``
    (in place; returned for chaining). An empty replay leaves the world as it is."""
    iso = {c.iso: i for i, c in enumerate(world.countries)}
    for code, inputs in replay.countries.items():
        c = iso[code]
        for name in INSTITUTIONS:
            if inputs[name] is not None:
                setattr(world.countries[c], name, inputs[name])
        sel = world.country == c
        if inputs.homicide_rate is not None:
            now = np.average(world.base_homicide_rate[sel], weights=world.population[sel])
            if now <= 0:
                raise ValueError(f"replay.countries.{code}.homicide_rate: the world's rates in {code} are all 0")
            world.base_homicide_rate[sel] *= float(inputs.homicide_rate) / now
        if inputs.members is not None:
            based = [o for o in world.organisations if world.country[o["territories"][0]] == c]
            total = sum(o["members"] for o in based)
            if not based:
                raise ValueError(f"replay.countries.{code}.members: no organisation is based in {code}")
            for o in based:
                o["members"] *= float(inputs.members) / total
        if inputs.gang_pact is not None:
            if world.pact_before is None:
                world.pact_before = np.zeros(world.n)
            world.pact_before[sel] = float(inputs.gang_pact)
    return world
