"""Phase 10: leadership and fragmentation after a leader is removed (M7, M18).

When a leader is removed (killed, jailed without command, extradited) the group either finds a
successor among its lieutenants, with probability ``cohesion`` while lieutenants remain, or
splits with probability ``split_base`` into a parent and a splinter that take their share of the
members in every plaza and become rivals: contested plazas, so violence spikes where the group
operated (004 l.236-238, l.2760, l.3022-3036; 000 l.263-267). Either way operations are disrupted
for ``succession_weeks`` (successors retake markets within weeks). Splinters start with little
cohesion and one lieutenant: smaller, less stable groups. Groups below ``min_members`` dissolve.

Extradited leaders never command (M18, 000 l.214); some return after ``return_years`` and found
a new group at home (000 l.212: "extradited, released, rejoined an armed group").
"""

from __future__ import annotations

import numpy as np

from sim.model.agents import LEADER_FREE, Cartel, Gang


def remove_leader(model, org, how: str, commands: bool = False) -> None:
    """Called by enforcement when a leader is removed; decides succession or split now."""
    lp = model.p.leadership
    model.week_removals += 1
    model.event("leader_removed", actors=[org.name], territory=org.home, how=how)
    if how == "extradited":
        model.week_extraditions += 1
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
    elif rng.random() < lp.split_base and org.members > 2 * lp.min_members:
        split(model, org)
    else:  # nobody ready: a weak successor takes over and the group loses depth
        org.lieutenants = max(org.lieutenants - 1, 0)
        model.event("succession_crisis", actors=[org.name], territory=org.home)
    org.leader = LEADER_FREE  # a new (or the same, commanding) leader is in place
    org.leader_commands = True


def split(model, org) -> Cartel | Gang:
    lp = model.p.leadership
    share = lp.splinter_share
    presence = org.presence * share
    org.presence -= presence
    held = np.flatnonzero(presence > 0)
    home = int(held[np.argmax(presence[held])]) if held.size else org.home
    cls = type(org)
    model.n_splinters += 1
    child = cls(
        model,
        f"{org.name} splinter {model.n_splinters}",
        presence,
        home,
        cash=org.cash * share,
        lieutenants=1,
        cohesion=lp.splinter_cohesion,
        founded_by=org.unique_id,
    )
    org.cash *= 1.0 - share
    ties = model.ties
    for ally in ties.neighbours("alliance", org.unique_id):
        if model.rng.random() < 0.5:
            ties.set("alliance", child.unique_id, ally)
    for rival in ties.neighbours("rivalry", org.unique_id):
        ties.set("rivalry", child.unique_id, rival)
    ties.set("rivalry", child.unique_id, org.unique_id)
    model.organisations_changed()
    model.week_splits += 1
    model.event("split", actors=[org.name, child.name], territory=home)
    return child


def step(model) -> None:
    lp = model.p.leadership
    members = model.members_by_row().tolist()
    for org, m in zip(list(model.organisations), members):
        org.cohesion = min(1.0, org.cohesion + lp.cohesion_recovery * (1.0 - org.cohesion))
        if m < lp.min_members and org.pretrial + org.sentenced < lp.min_members:
            model.dissolve(org)
    # extradited leaders coming back (000 l.212)
    keep = []
    for name, home, when in model.extradited:
        if model.steps < when:
            keep.append((name, home, when))
            continue
        presence = np.zeros(model.world.n)
        presence[home] = 2 * lp.min_members
        back = Cartel(model, f"{name} (returned leader)", presence, home, lieutenants=1, cohesion=lp.returned_cohesion)
        model.organisations_changed()
        model.event("leader_returned", actors=[name, back.name], territory=home)
    model.extradited = keep
