"""Signatures of group behaviour: M2 subcontracting, M9 militias, M10 facilitators, M13 politics,
M17 diversification."""

from __future__ import annotations

import networkx as nx
import numpy as np
from conftest import compose, run

from sim.model import CrimeModel
from sim.model.agents import Facilitator, Gang, Militia, Politician
from sim.model.phases import services

WORLD = ["world=synthetic", "world.n_territories=40", "burn_in=52"]


def _post(res, col, start=0.0):
    ts = res.timeseries
    return ts[ts["year"] >= start][col].mean()


def test_m2_cartels_subcontract_gangs_and_gang_activity_rises_with_transit():
    """004 l.308: cartels hire local gangs (retail, killings, protection); more transit, more pay,
    richer gangs recruit more."""
    from sim.model.agents import Cartel
    from sim.model.phases import gangs as gang_phase
    from sim.model.phases import recruitment

    m = CrimeModel(compose(*WORLD, "steps=200"))
    for _ in range(60):
        m.step()
    assert m.ties.count("subcontract") > 0
    boss, gang = next(iter(m.ties.edges("subcontract")))
    assert isinstance(m.org_by_uid[boss], Cartel) and isinstance(m.org_by_uid[gang], Gang)

    def pay_with_transit(scale):
        g = m.org_by_uid[gang]
        before = g.income
        saved = m.terr.drug_value.copy()
        m.terr.drug_value *= scale
        gang_phase.step(m)
        m.terr.drug_value[:] = saved
        return g.income - before

    low, high = pay_with_transit(1.0), pay_with_transit(2.0)
    assert high > 1.5 * low > 0  # pay follows the drugs passing through the gang's plazas
    g = m.org_by_uid[gang]
    presence, cash = g.presence.copy(), g.cash
    recruits = {}
    for revenue in (10.0 * g.members, 2000.0 * g.members):
        g.presence[:], g.cash, g.revenue = presence, cash, revenue
        recruitment.step(m)
        recruits[revenue > 100 * g.members] = g.members - presence.sum()
    assert recruits[True] > recruits[False]  # richer gangs recruit more


def test_m9_militias_form_where_extortion_overreaches_then_turn():
    """004 l.2974-3118, l.3328-3330."""
    ext_at_formation, before_after = [], []
    for seed in (0, 1, 2):  # pooled: a seed may form all its militias in the first weeks
        m = CrimeModel(
            compose(
                *WORLD,
                "steps=300",
                "params.gangs.militia_tolerance=0.02",
                f"seed={seed}",
                "params.gangs.militia_predation_prob=0",
                "params.gangs.militia_capture_prob=0",
            )
        )
        history = []
        for _ in range(300):
            m.step()
            history.append(m.terr.extortion.copy())
            for mil in m.agents_by_type.get(Militia, []):
                if mil.formed == m.steps:
                    ext_at_formation.append(history[-1][mil.home])
        for mil in m.agents_by_type.get(Militia, []):
            f = mil.formed - 1
            if f >= 10 and f + 20 < len(history):
                before_after.append((history[f - 1][mil.home], np.mean([h[mil.home] for h in history[f + 5 : f + 20]])))
    assert ext_at_formation, "no militia formed"
    # formation only where extortion passed the tolerance of the community (it is checked before
    # the militia itself acts, so the value recorded this week is still above tolerance)
    assert min(ext_at_formation) > 0.0
    assert len(before_after) >= 3
    assert np.mean([a < b for b, a in before_after]) > 0.7  # protective militias cut extortion

    # ... and predatory militias extort themselves: where militias stand, extortion is higher than
    # where they stay protective
    def extortion_at_militias(pred_prob):
        res = run(
            *WORLD,
            "steps=300",
            "params.gangs.militia_tolerance=0.02",
            f"params.gangs.militia_predation_prob={pred_prob}",
            "params.gangs.militia_capture_prob=0",
            keep_model=True,
        )
        homes = {res.model.world.ids[mil.home] for mil in res.model.agents_by_type.get(Militia, [])}
        t = res.territories
        return t[t["territory"].isin(homes) & (t["year"] >= 2)]["extortion"].mean()

    assert extortion_at_militias(0.1) > extortion_at_militias(0.0)


def test_m10_facilitators_are_heavy_tailed_brokers_and_a_super_fixer_matters():
    """004 l.2404-2454."""
    m = CrimeModel(compose(*WORLD, "steps=100", "world.n_facilitators=40"))
    for _ in range(60):
        m.step()
    facs = sorted(m.agents_by_type[Facilitator], key=lambda f: -len(f.clients))
    clients = np.array([len(f.clients) for f in facs])
    top = max(1, len(facs) // 10)
    assert clients[:top].sum() > 2.5 * top / len(facs) * clients.sum()  # top 10% serve far more than 10%
    g = nx.Graph()
    g.add_edges_from(m.ties.edges("service"))
    bc = nx.betweenness_centrality(g)
    fixers_bc = np.mean([bc.get(f.unique_id, 0) for f in facs[:top]])
    org_bc = np.median([bc.get(o.unique_id, 0) for o in m.organisations if not isinstance(o, Militia)])
    assert fixers_bc > org_bc  # super-fixers sit between otherwise separate groups
    # removing the super-fixer leaves many groups short of a service at once
    super_fixer = facs[0]
    served = [m.org_by_uid[c] for c in super_fixer.clients if c in m.org_by_uid]
    before = [services.coverage(m, o) for o in served]
    m.ties.drop_agent(super_fixer.unique_id)
    super_fixer.remove()
    after = [services.coverage(m, o) for o in served]
    assert len(served) >= 3 and all(a < b for a, b in zip(after, before))


def test_m13_criminal_money_captures_politicians_through_a_few_brokers():
    """004 l.2668-2700, l.3334."""
    dirty = run(*WORLD, "steps=260", keep_model=True).model
    clean = run(*WORLD, "steps=260", "params.politics.finance_rate=0", keep_model=True).model
    assert dirty.captured_politician_share > 0.1
    assert clean.captured_politician_share == 0.0
    g = nx.Graph()
    g.add_edges_from(dirty.ties.edges("brokerage"))
    bc = nx.betweenness_centrality(g)
    pols = dirty.agents_by_type[Politician]
    brokers = [bc.get(p.unique_id, 0) for p in pols if p.broker]
    others = [bc.get(p.unique_id, 0) for p in pols if not p.broker]
    assert min(brokers) > 5 * np.mean(others)
    assert sum(p.broker for p in pols) < 0.2 * len(pols)


def test_m17_squeezed_groups_diversify_into_extortion_and_mining():
    """004 l.202, l.3024-3026, l.3366: when drug income collapses, groups diversify."""
    models = {}
    for label in ("easy", "squeezed"):
        m = CrimeModel(compose(*WORLD, "steps=104", "params.enforcement.leader_target_rate=0"))
        for _ in range(52):
            m.step()
        traffickers = {o.name for o in m.organisations if o.drug_norm > 0 and o.diversification < 0.5}
        if label == "squeezed":
            m.world.production_kg *= 0.1  # an eradication shock: the drug business collapses
        for _ in range(52):
            m.step()
        models[label] = (m, traffickers)
    names = models["easy"][1] & models["squeezed"][1]
    assert names
    div = {k: np.mean([o.diversification for o in m.organisations if o.name in names]) for k, (m, _) in models.items()}
    assert div["squeezed"] > div["easy"] + 0.3
    ext = {k: m.income_by_source.get("extortion", 0.0) for k, (m, _) in models.items()}
    assert ext["squeezed"] > ext["easy"]
