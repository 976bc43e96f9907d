"""Signatures of violence and leadership: M7 decapitation and splits, M8 pax mafiosa."""

from __future__ import annotations

import numpy as np
from conftest import compose

from sim.model import CrimeModel
from sim.model.agents import Cartel
from sim.model.phases import leadership

WORLD = [
    "world=synthetic",
    "world.n_territories=40",
    "burn_in=0",
    "steps=200",
    "params.enforcement.leader_target_rate=0",
]  # removals only where the test makes them


def _model(*extra, seed=5):
    return CrimeModel(compose(*WORLD, f"seed={seed}", *extra))


def _biggest_cartel(m):
    return max(m.agents_by_type[Cartel], key=lambda o: o.members)


def test_m7_removing_a_leader_can_split_the_cartel_and_violence_rises_in_its_plazas():
    """004 l.236-238, l.3022-3036; 000 l.263-267: decapitation -> split, rivals, a violence spike."""
    spikes = []
    for seed in (1, 2, 3):
        runs = {}
        for remove in (False, True):
            m = _model("params.leadership.split_base=1.0", seed=seed)
            for _ in range(60):
                m.step()
            org = _biggest_cartel(m)
            plazas = org.presence > 0
            org.cohesion = 0.0  # no successor: the split branch
            if remove:
                n_orgs = len(m.orgs.agents)
                leadership.remove_leader(m, org, how="killed")
                assert len(m.orgs.agents) == n_orgs + 1
                child = m.orgs.agents[-1]
                assert child.founded_by == org.unique_id
                assert m.ties.has("rivalry", org.unique_id, child.unique_id)
            hom = []
            for _ in range(26):
                m.step()
                hom.append(m.terr.homicides[plazas].sum())
            runs[remove] = np.array(hom)
        spikes.append(runs[True][:13].sum() / max(runs[False][:13].sum(), 1.0))
    assert np.mean(spikes) > 1.1, spikes


def test_m7_a_successor_retakes_the_market_within_weeks():
    # cohesion 1 and no cohesion lost at the removal: a lieutenant succeeds for sure (the split
    # branch is the test above)
    m = _model("params.leadership.succession_weeks=6", "params.leadership.cohesion_loss=0")
    for _ in range(60):
        m.step()
    org = _biggest_cartel(m)
    org.cohesion, org.lieutenants = 1.0, 3
    plazas_before = set(org.plazas.tolist())
    leadership.remove_leader(m, org, how="killed")
    assert org.lieutenants == 2 and org.disrupted
    for _ in range(10):
        m.step()
    assert not org.disrupted
    assert len(set(org.plazas.tolist()) & plazas_before) >= 0.7 * len(plazas_before)


def test_m8_contested_plazas_are_more_violent_than_pacted_monopolies():
    """004 l.2622-2628, l.2662: one dominant group with a pact -> low violence. Pooled over four
    synthetic worlds (seeds 1-4): on one world the ratio swings with where the groups happen to
    settle (seed 5 alone gave 4.6, then 1.5 once extortion_value became 430; seeds 1-4 pooled 2.7
    and 3.5)."""
    contested, pacted = [], []
    for seed in (1, 2, 3, 4):
        m = _model("steps=300", seed=seed)
        for _ in range(300):
            m.step()
            rate = m.terr.homicides / (m.terr.population / 1e5)
            contested.extend(rate[m.terr.contested])
            pacted.extend(rate[m.terr.pact])
    assert len(contested) > 200 and len(pacted) > 200
    assert np.mean(contested) > 1.5 * np.mean(pacted)


def test_m8_the_calm_breaks_abruptly_when_a_rival_enters():
    m = _model("steps=300")
    for _ in range(150):
        m.step()
    pacts = np.flatnonzero(m.terr.pact)
    assert pacts.size
    i = int(pacts[np.argmax(m.terr.population[pacts])])
    before = m.terr.organised_violence[i]
    ctrl = m.orgs.by_uid[int(m.terr.controller[i])]
    rival = next(o for o in m.orgs.agents if o is not ctrl)
    m.ties.set("rivalry", ctrl.unique_id, rival.unique_id)
    rival.presence[i] += ctrl.presence[i]  # a rival moves in with equal strength
    after = []
    for _ in range(4):
        m.step()
        after.append(m.terr.organised_violence[i])
    assert not m.terr.pact[i]
    assert after[0] > 2 * before  # expected organised violence jumps in the first week


def test_groups_hold_no_armed_plazas_in_a_country_whose_input_says_so():
    """World input ``armed_plazas`` (configs/world/hemisphere.yaml, USA: the border counties' rates
    stayed near the national ~5 per 100k through Mexico's wars): the Mexican cartels reach the US
    crossings through their corridors but send no gunmen there, so none of the US territories sees
    organised killings. With the input on, ~4,700 cartel members fought over Laredo/Rio Grande
    Valley (355 homicides per 100k a year) and Mexico's own plazas lost them."""
    from sim.run import compose as compose_run

    m = CrimeModel(compose_run(["seed=3", "progress=false", "burn_in=0"]))
    usa = np.array([m.world.countries[c].iso == "USA" for c in m.world.country])
    assert not m.world.plazas[usa].any() and m.world.plazas[~usa & ~m.world.role("market")].all()
    organised = np.zeros(m.world.n)
    for _ in range(104):
        m.step()
        organised += m.terr.organised_violence
    assert m.orgs.presence[:, usa].sum() == 0.0
    assert organised[usa].sum() == 0.0
    # the same world with the input on (as every other country's): the cartels go to the crossings
    k = [c.iso for c in m.world.countries].index("USA")
    on = CrimeModel(compose_run(["seed=3", "progress=false", "burn_in=0", f"world.countries.{k}.armed_plazas=true"]))
    for _ in range(104):
        on.step()
    assert on.orgs.presence[:, usa].sum() > 1000.0
