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

from sim.model.agents import Gang, Militia

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
        for org, country in zip(model.orgs.agents, model.orgs.country.tolist()):
            pop[country] += org.pretrial + org.sentenced
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
    pretrial_weeks = fx.pretrial_weeks.tolist()  # by country (the lever's, else the parameter)
    keep_share = (1.0 - fx.release_share).tolist()  # of the decided cases, those not released uncharged
    conv_by_country = np.bincount(
        model.world.country, weights=model.terr.conviction_p, minlength=len(capacity)
    ) / np.maximum(np.bincount(model.world.country, minlength=len(capacity)), 1)
    release_rate = 1.0 / (52.0 * pp.sentence_years)
    gang_jailed = np.zeros(len(capacity))
    orgs, countries = model.orgs.agents, model.orgs.country.tolist()
    for org, country in zip(orgs, countries):
        if isinstance(org, Gang):
            gang_jailed[country] += org.pretrial + org.sentenced
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
    # the week's flows by country, for the accounts: convicted, released uncharged or at the end of a
    # sentence, inmates joining gangs
    flows = {k: [0.0] * len(capacity) for k in ("convicted", "uncharged", "served", "joined")}
    for org, c in zip(orgs, countries):
        if isinstance(org, Militia):
            continue
        # the gang's share of the recruits: its inmates before this week's decisions, like the total
        share = (org.pretrial + org.sentenced) / gang_jailed[c] if isinstance(org, Gang) and gang_jailed[c] > 0 else 0.0
        decided = org.pretrial / pretrial_weeks[c]
        p_conv = conv_by_country[c] * keep_share[c]
        convicted = decided * p_conv
        released = decided - convicted + org.sentenced * release_rate
        flows["convicted"][c] += convicted
        flows["uncharged"][c] += decided - convicted
        flows["served"][c] += org.sentenced * release_rate
        org.pretrial -= decided
        org.sentenced += convicted - org.sentenced * release_rate
        if share > 0.0:
            joined = recruited[c] * share
            org.sentenced += joined
            flows["joined"][c] += joined
        org.presence[org.home] += released
    by_country = {k: np.array(v) for k, v in flows.items()}
    acc.add("pretrial", "convicted", -by_country["convicted"])
    for account, sign in (("pretrial", -1.0), ("prisoners", -1.0), ("members_free", 1.0)):
        acc.add(account, "released_uncharged", sign * by_country["uncharged"])
    acc.add("prisoners", "released_served", -by_country["served"])
    acc.add("members_free", "released_served", by_country["served"])
    acc.add("prisoners", "joined_gangs", by_country["joined"])
    acc.add("members", "recruited_prison", by_country["joined"])
    model.countries.crowding[:] = crowding
