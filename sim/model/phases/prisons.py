"""Phase 9: prisons: pre-trial detention, sentences, releases, recruitment inside (M15, M18).

Each organisation keeps counts of its members held pre-trial and serving sentences; each country
keeps non-member inmates. Every week a share ``1/pretrial_weeks`` of pre-trial detainees has its
case decided: convicted with the conviction probability of phase 8 (under mano dura, released
without charge with ``release_share``), else released back to the group. Sentences end at rate
``1/(52 * sentence_years)``. Crowding (inmates over capacity) turns prisons into recruitment and
command centres (003 l.241-252; 004 l.691-693, l.1083): non-member inmates join the gangs held in
the same country's prisons at ``prison_recruit_rate * crowding``, and come out as members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.config import PrisonParams
    from sim.model.model import CrimeModel
    from sim.model.world import World


class Prisons:
    """Per-country capacity and non-member inmates, and the leaders held abroad (members in prison
    are counts of their organisation: ``pretrial``, ``sentenced``)."""

    def __init__(self, world: World, params: PrisonParams) -> None:
        n_c = len(world.countries)
        pop = np.bincount(world.country, weights=world.population, minlength=n_c)
        self.capacity = np.array([c.prison_capacity_per_100k for c in world.countries]) * pop / 1e5
        # non-member inmates (ordinary crime): the country's sourced prison population where the world
        # gives one, else a share of capacity
        given = np.array([c.prisoners_per_100k for c in world.countries]) * pop / 1e5
        self.others = np.where(given > 0, given, params.initial_other_occupancy * self.capacity)
        self.others_baseline = self.others.copy()  # ordinary admissions keep this level absent shocks
        self.innocents = np.zeros(n_c)  # of ``others``: non-members swept up by mass arrests, still held
        # extradited leaders (M18): (group name, home territory, step of return), in order of extradition
        self.extradited: list[tuple[str, int, int]] = []

    def admit_innocents(self, by_country: np.ndarray) -> None:
        """Non-members swept up by mass arrests, held in each country's prisons."""
        self.others += by_country
        self.innocents += by_country

    def population(self, model: CrimeModel) -> np.ndarray:
        """Inmates per country (members and non-members)."""
        pop = self.others.copy()
        np.add.at(pop, model.orgs.country, model.orgs.pretrial + model.orgs.sentenced)  # group by group
        return pop


def step(model: CrimeModel) -> None:
    """Phase 9: prisons: pre-trial detention, sentences, releases, recruitment inside (M15, M18).

    Reads ``prisons``, the groups' ``pretrial`` and ``sentenced``, ``terr.conviction_p``,
    ``fx.prison_capacity_mult``, ``fx.pretrial_weeks``, ``fx.release_share``. Writes
    ``countries.crowding``, ``prisons.others`` and ``prisons.innocents``, the groups' ``pretrial`` and ``sentenced``, and
    ``orgs.presence`` at each group's home (released members).
    """
    pp, fx, pr = model.p.prisons, model.fx, model.prisons
    capacity = pr.capacity * fx.prison_capacity_mult
    inmates = pr.population(model)
    crowding = np.maximum(0.0, inmates / np.maximum(capacity, 1.0) - 1.0)
    n_c = len(capacity)
    conv_by_country = np.bincount(model.world.country, weights=model.terr.conviction_p, minlength=n_c) / np.maximum(
        np.bincount(model.world.country, minlength=n_c), 1
    )
    release_rate = 1.0 / (52.0 * pp.sentence_years)
    orgs = model.orgs
    pretrial, sentenced = orgs.pretrial.copy(), orgs.sentenced.copy()
    gang_jailed = np.bincount(  # group by group, as each group's inmates add up
        orgs.country[orgs.is_gang], weights=(pretrial + sentenced)[orgs.is_gang], minlength=n_c
    )
    recruited = np.minimum(
        pr.others,
        model.p.recruitment.prison_recruit_rate * pp.crowding_recruitment * crowding * pr.others * (gang_jailed > 0),
    )
    # innocents leave with the other non-member inmates: recruited in proportion, released at the same rate
    pr.innocents -= recruited * pr.innocents / np.maximum(pr.others, 1e-9)
    pr.others -= recruited
    ordinary = (pr.others_baseline - pr.others) * release_rate  # ordinary admissions and releases
    pr.others += ordinary
    acc = model.accounts
    acc.add("prisoners", "recruited_from_inmates", -recruited)
    acc.add("prisoners", "ordinary", ordinary)
    pr.innocents -= pr.innocents * release_rate
    # every group but the militias, each on its own: cases decided (convicted, or released uncharged),
    # sentences served, inmates joining gangs; the week's flows summed by country group by group
    rows = np.flatnonzero(~orgs.is_militia)
    c = orgs.country[rows]
    pre, sen = pretrial[rows], sentenced[rows]
    # the gang's share of the recruits: its inmates before this week's decisions, like the total
    gang = orgs.is_gang[rows] & (gang_jailed[c] > 0)
    share = np.divide(pre + sen, gang_jailed[c], out=np.zeros(rows.size), where=gang)
    decided = pre / fx.pretrial_weeks[c]  # (the lever's, else the parameter)
    convicted = decided * (conv_by_country[c] * (1.0 - fx.release_share)[c])  # not released uncharged
    served = sen * release_rate
    joins = share > 0.0
    joined = recruited[c[joins]] * share[joins]
    sen = sen + (convicted - served)
    sen[joins] += joined
    orgs.pretrial[rows] = pre - decided
    orgs.sentenced[rows] = sen
    orgs.presence[rows, orgs.home[rows]] += decided - convicted + served  # released members go home
    uncharged = np.bincount(c, weights=decided - convicted, minlength=n_c)
    served_by_country = np.bincount(c, weights=served, minlength=n_c)
    joined_by_country = np.bincount(c[joins], weights=joined, minlength=n_c)
    acc.add("pretrial", "convicted", -np.bincount(c, weights=convicted, minlength=n_c))
    for account, sign in (("pretrial", -1.0), ("prisoners", -1.0), ("members_free", 1.0)):
        acc.add(account, "released_uncharged", sign * uncharged)
    acc.add("prisoners", "released_served", -served_by_country)
    acc.add("members_free", "released_served", served_by_country)
    acc.add("prisoners", "joined_gangs", joined_by_country)
    acc.add("members", "recruited_prison", joined_by_country)
    model.countries.crowding[:] = crowding
