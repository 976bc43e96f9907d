"""Phase 10: leadership and fragmentation after a leader is removed (M7, M18).

When a leader is removed (killed, jailed without command, extradited) the group either finds a
successor among its lieutenants, with probability ``cohesion`` while lieutenants remain, or
splits with probability ``split_base`` into a parent and a splinter that take their share of the
members in every plaza and become rivals: contested plazas, so violence spikes where the group
operated (004 l.236-238, l.2760, l.3022-3036; 000 l.263-267). Either way operations are disrupted
for ``succession_weeks`` (successors retake markets within weeks). Only a group larger than
``split_min_multiple`` x ``min_members`` can split. Splinters start with little cohesion
(``splinter_cohesion``) and ``splinter_lieutenants`` lieutenants: smaller, less stable groups; each
alliance of the parent passes to the splinter with probability ``ally_inheritance``, every
rivalry does. Groups below ``min_members`` dissolve.

Extradited leaders never command (M18, 000 l.214); some return after ``return_years`` and found
a new group at home (000 l.267: "extradited, released, rejoined an armed group") of
``returned_members_multiple`` x ``min_members`` members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Cartel, Gang, Leader
from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.agents import Organisation
    from sim.model.model import CrimeModel


def remove_leader(model: CrimeModel, org: Organisation, how: str, commands: bool = False) -> None:
    """Called by enforcement when a leader is removed; decides succession or split now.

    Writes the group's leadership (``leader``, ``leader_commands``, ``cohesion``,
    ``disrupted_until``, ``lieutenants``), a splinter (:func:`split`), ``tally.removals``,
    ``tally.extraditions`` and events.
    """
    lp = model.p.leadership
    model.tally.removals += 1
    model.event("leader_removed", actors=[org.name], territory=org.home, how=how)
    if how == "extradited":
        model.tally.extraditions += 1
        model.event("extradition", actors=[org.name], territory=org.home)
    if commands:  # command from a domestic prison: no succession crisis
        org.leader_commands = True
        return
    org.leader_commands = False
    org.cohesion = max(0.0, org.cohesion - lp.cohesion_loss)
    org.disrupted_until = model.steps + int(round(lp.succession_weeks))
    rng = model.rng
    if org.lieutenants > 0 and rng.random() < org.cohesion:
        org.lieutenants -= 1
        model.event("succession", actors=[org.name], territory=org.home)
    elif rng.random() < lp.split_base and org.members > lp.split_min_multiple * lp.min_members:
        split(model, org)
    else:  # nobody ready: a weak successor takes over and the group loses depth
        org.lieutenants = max(org.lieutenants - 1, 0)
        model.event("succession_crisis", actors=[org.name], territory=org.home)
    org.leader = Leader.FREE  # a new (or the same, commanding) leader is in place
    org.leader_commands = True


def split(model: CrimeModel, org: Organisation) -> Cartel | Gang:
    """A splinter takes ``splinter_share`` of the group's members in every plaza and of its cash,
    and becomes its rival (``tally.splits``, a ``split`` event)."""
    lp = model.p.leadership
    share = lp.splinter_share
    presence = org.presence * share
    org.presence -= presence
    held = np.flatnonzero(presence > 0)
    home = int(held[np.argmax(presence[held])]) if held.size else org.home
    cls = type(org)
    model.orgs.n_splinters += 1
    child = cls(
        model,
        f"{org.name} splinter {model.orgs.n_splinters}",
        presence,
        home,
        cash=org.cash * share,
        lieutenants=lp.splinter_lieutenants,
        cohesion=lp.splinter_cohesion,
        founded_by=org.unique_id,
        origin="splinter",
    )
    cash = org.cash
    org.cash *= 1.0 - share
    if child.country != org.country:  # a splinter based abroad takes members and cash there
        acc, moved = model.accounts, float(presence.sum())
        for sign, country, taken in ((-1.0, org.country, cash - org.cash), (1.0, child.country, child.cash)):
            acc.add_at("members", "split", country, sign * moved)
            acc.add_at("members_free", "split", country, sign * moved)
            acc.add_at("money", "split", country, sign * taken)
    ties = model.ties
    for ally in ties.neighbours(Tie.ALLIANCE, org.unique_id):
        if model.rng.random() < lp.ally_inheritance:
            ties.set(Tie.ALLIANCE, child.unique_id, ally)
    for rival in ties.neighbours(Tie.RIVALRY, org.unique_id):
        ties.set(Tie.RIVALRY, child.unique_id, rival)
    ties.set(Tie.RIVALRY, child.unique_id, org.unique_id)
    model.tally.splits += 1
    model.event("split", actors=[org.name, child.name], territory=home)
    return child


def dissolve(model: CrimeModel, org: Organisation) -> None:
    """A group ends: its members in prison stay as ordinary inmates, its plazas have no controller
    until the next control update (``violence.control``), and it leaves the model."""
    model.prisons.others[org.country] += org.pretrial + org.sentenced
    acc, free = model.accounts, float(org.presence.sum())  # its prisoners stay inmates, its cash is gone
    acc.add_at("members", "dissolved", org.country, -(free + org.pretrial + org.sentenced))
    acc.add_at("members_free", "dissolved", org.country, -free)
    acc.add_at("pretrial", "dissolved", org.country, -org.pretrial)
    acc.add_at("money", "dissolved", org.country, -org.cash)
    # routing, earlier in next week, must not ship for a group that no longer exists
    model.terr.controller[model.terr.controller == org.unique_id] = -1
    model.event("dissolved", actors=[org.name], territory=org.home)
    org.remove()


def step(model: CrimeModel) -> None:
    """Phase 10: leadership and fragmentation after a leader is removed (M7, M18).

    Reads the groups' members (``orgs.members_by_row``), ``pretrial``, ``sentenced``,
    ``prisons.extradited``. Writes the groups' ``cohesion``, ``prisons.others`` and
    ``terr.controller`` (:func:`dissolve`), ``prisons.extradited``, new groups and events.
    """
    lp = model.p.leadership
    members = model.orgs.members_by_row().tolist()
    for org, m in zip(list(model.orgs.agents), members):
        org.cohesion = min(1.0, org.cohesion + lp.cohesion_recovery * (1.0 - org.cohesion))
        if m < lp.min_members and org.pretrial + org.sentenced < lp.min_members:
            dissolve(model, org)
    # extradited leaders coming back (000 l.267)
    keep = []
    for name, home, when in model.prisons.extradited:
        if model.steps < when:
            keep.append((name, home, when))
            continue
        presence = np.zeros(model.world.n)
        presence[home] = lp.returned_members_multiple * lp.min_members
        back = Cartel(
            model,
            f"{name} (returned leader)",
            presence,
            home,
            lieutenants=lp.returned_lieutenants,
            cohesion=lp.returned_cohesion,
            origin="returned",
        )
        model.accounts.add_at("members", "founded", back.country, presence[home])
        model.accounts.add_at("members_free", "founded", back.country, presence[home])
        model.event("leader_returned", actors=[name, back.name], territory=home)
    model.prisons.extradited = keep
