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

import numpy as np

from sim.model.agents import Gang, Militia


class Prisons:
    """Per-country non-member inmates and capacity."""

    def __init__(self, world, params) -> None:
        n_c = len(world.countries)
        pop = np.bincount(world.country, weights=world.population, minlength=n_c)
        self.capacity = np.array([c.prison_capacity_per_100k for c in world.countries]) * pop / 1e5
        self.others = params.initial_other_occupancy * self.capacity  # non-member inmates (ordinary crime)
        self.others_baseline = self.others.copy()  # ordinary admissions keep this level absent shocks

    def admit_innocents(self, model, number: float) -> None:
        c = model.world.country
        weights = np.bincount(c, weights=model.terr.capacity * model.terr.population, minlength=len(self.others))
        if weights.sum() > 0:
            self.others += number * weights / weights.sum()

    def population(self, model) -> np.ndarray:
        """Inmates per country (members and non-members)."""
        pop = self.others.copy()
        for org, country in zip(model.organisations, model.org_country.tolist()):
            pop[country] += org.pretrial + org.sentenced
        return pop


def step(model) -> None:
    pp, fx, pr = model.p.prisons, model.fx, model.prisons
    capacity = pr.capacity * fx.prison_capacity_mult
    inmates = pr.population(model)
    crowding = np.maximum(0.0, inmates / np.maximum(capacity, 1.0) - 1.0)
    pretrial_weeks = fx.pretrial_weeks if fx.pretrial_weeks is not None else pp.pretrial_weeks
    conv_by_country = np.bincount(
        model.world.country, weights=model.conviction_p, minlength=len(capacity)
    ) / np.maximum(np.bincount(model.world.country, minlength=len(capacity)), 1)
    release_rate = 1.0 / (52.0 * pp.sentence_years)
    gang_jailed = np.zeros(len(capacity))
    orgs, countries = model.organisations, model.org_country.tolist()
    for org, country in zip(orgs, countries):
        if isinstance(org, Gang):
            gang_jailed[country] += org.pretrial + org.sentenced
    recruited = np.minimum(
        pr.others,
        model.p.recruitment.prison_recruit_rate * pp.crowding_recruitment * crowding * pr.others * (gang_jailed > 0),
    )
    pr.others -= recruited
    pr.others += (pr.others_baseline - pr.others) * release_rate  # ordinary admissions and releases
    for org, c in zip(orgs, countries):
        if isinstance(org, Militia):
            continue
        decided = org.pretrial / pretrial_weeks
        p_conv = conv_by_country[c]
        if fx.release_share is not None:
            p_conv *= 1.0 - fx.release_share
        convicted = decided * p_conv
        released = decided - convicted + org.sentenced * release_rate
        org.pretrial -= decided
        org.sentenced += convicted - org.sentenced * release_rate
        if isinstance(org, Gang) and gang_jailed[c] > 0:
            org.sentenced += recruited[c] * (org.pretrial + org.sentenced) / gang_jailed[c]
        org.presence[org.home] += released
    model.crowding = crowding
