"""The speed-ups return the same numbers as the straightforward code they replace (bit for bit)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import compose, run

import sim
from sim.model.phases import trade, violence
from sim.model.phases.shippers import learn as shippers_learn


def _graph(kind: str, seed: int) -> nx.Graph:
    rng = np.random.default_rng(seed)
    if kind == "grid":  # equal corridor costs: many equally short routes (ties)
        g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(6, 7))
        for a, b in g.edges:
            g.edges[a, b]["cost"] = 10.0
    else:
        g = nx.connected_watts_strogatz_graph(60, 4, 0.3, seed=seed)
        for a, b in g.edges:
            g.edges[a, b]["cost"] = float(rng.uniform(10.0, 500.0))
    return g


@pytest.mark.parametrize("kind,seed", [("grid", 0), ("random", 1), ("random", 2)])
def test_fast_candidate_paths_equal_networkx(kind, seed):
    g = _graph(kind, seed)
    n = g.number_of_nodes()
    rng = np.random.default_rng(seed)
    nodes = rng.permutation(n)
    prod, mkts = np.sort(nodes[:4]), np.sort(nodes[4:9])
    fast = {(s, t): paths for s, t, paths in trade._all_candidate_paths(g, n, prod, mkts, 4, 2.0)}
    avoid = frozenset(mkts.tolist())
    slow = {(int(s), int(t)): trade.candidate_paths(g, int(s), int(t), 4, 2.0, avoid) for s in prod for t in mkts}
    assert fast == slow


def test_fast_candidate_paths_through_another_market():
    """A market reachable only through another market (candidate_paths drops the avoid rule)."""
    g = nx.path_graph(5)
    for a, b in g.edges:
        g.edges[a, b]["cost"] = 1.0 + a
    prod, mkts = np.array([0]), np.array([2, 4])
    fast = {(s, t): p for s, t, p in trade._all_candidate_paths(g, 5, prod, mkts, 3, 2.0)}
    assert fast == {(0, t): trade.candidate_paths(g, 0, t, 3, 2.0, frozenset({2, 4})) for t in (2, 4)}
    assert fast[(0, 4)] == [[0, 1, 2, 3, 4]]


def _engaged_dense(s: np.ndarray, hostile: np.ndarray) -> np.ndarray:
    """Engaged members per territory over every hostile pair and every territory (the dense sum)."""
    present = s > 0
    a, b = np.nonzero(np.triu(hostile, 1))
    both = (present[a] & present[b]).any(1)  # only pairs that meet somewhere
    a, b = a[both], b[both]
    if a.size == 0:
        return np.zeros(s.shape[1])
    return (hostile[a, b][:, None] * np.minimum(s[a], s[b])).sum(0)


@pytest.mark.parametrize("seed", range(5))
def test_sparse_engagement_equals_dense(seed):
    rng = np.random.default_rng(seed)
    k, n = 30, 50
    s = rng.lognormal(3.0, 2.0, (k, n)) * (rng.random((k, n)) < 0.2)
    h = rng.choice([0.0, 0.3, 1.0], (k, k))
    h = np.triu(h, 1) + np.triu(h, 1).T
    r, c = np.nonzero(s)
    where, _a, _b, fight = violence._fights(r, c, s[r, c], h, n)
    assert np.array_equal(np.bincount(where, weights=fight, minlength=n), _engaged_dense(s, h))


def test_presence_rows_are_views_of_the_presence_matrix():
    m = run("steps=30", "params.enforcement.leader_target_rate=0.05", keep_model=True).model
    assert m.orgs.n_splinters > 0  # organisations joined during the run
    assert m.orgs.presence.shape == (len(m.orgs.agents), m.world.n)
    for row, org in enumerate(m.orgs.agents):
        assert np.shares_memory(org.presence, m.orgs.presence[row])
        assert org.members == float(m.orgs.presence[row].sum())


def _routing_padded(model) -> None:
    """Phase 2 as it was written before the flat-entry version: every quantity on the padded
    (paths, positions) arrays, the shipper's view gathered entry by entry."""
    w, t, rp, mp, R, sh = model.world, model.terr, model.p.routing, model.p.market, model.routes, model.shippers
    tp = model.p.trafficking
    n = w.n
    model.interdiction.budget(model.fx.seizure_mult, model.p.interdiction.mobile_share)
    s = trade.seizure_probability(model)
    t.risk += rp.risk_memory * (s - t.risk)
    shipped = model.terr.stock * rp.ship_share
    model.terr.stock -= shipped
    owners = t.controller[R.prod]
    shippers = np.unique(owners[owners >= 0]) if model.orgs.agents else np.zeros(0, dtype=np.int64)
    rival = np.zeros((shippers.size + 1, n + 1))
    operates = np.zeros((shippers.size + 1, n + 1))
    if shippers.size:
        rival[:-1, :n] = trade.rival_share(model, shippers)
        operates[:-1, :n] = (t.patron[None, :] == shippers[:, None]) & (
            t.corrupt >= model.p.corruption.operate_threshold
        )
    operates[:, :n] = np.maximum(operates[:, :n], model.regimes.operated[None, :])  # a regime's forces
    shipper_row = np.searchsorted(shippers, owners)
    shipper_row[owners < 0] = shippers.size
    at = R.nodes + (shipper_row * (n + 1))[:, None]
    rival_cost = rival.ravel().take(at).sum(1)
    exposed = 1.0 - operates.ravel().take(at)
    risk_eff = sh.perceived.ravel().take(sh.at) * exposed
    cost = R.base_cost + rp.risk_cost * risk_eff.sum(1) + rp.rival_cost * rival_cost
    path_share = np.empty(R.n_paths)
    for pair in range(len(R.pairs)):
        paths = np.flatnonzero(R.pair_index == pair)
        best = cost[paths][sh.open[paths]].min()
        weight = np.exp(-(cost[paths] - best) / rp.route_temperature)
        sh.weight[paths] = weight
        keep = sh.open[paths] & ((weight >= tp.drop_share) | (model.steps - sh.opened_at[paths] < tp.trial_weeks))
        sh.closed += int(sh.open[paths].sum() - keep.sum())
        sh.open[paths] = keep
        e = weight * keep
        path_share[paths] = e / e.sum()
    pull = w.consumption_kg * model.terr.price / mp.price_market
    pair_pull = pull[R.pair_mkt]
    pull_sum = np.bincount(R.pair_prod, weights=pair_pull, minlength=n)
    kg = shipped[R.prod] * (pair_pull / np.maximum(pull_sum[R.pair_prod], 1e-12))[R.pair_index] * path_share
    s_nodes = np.append(s, 0.0).take(R.nodes) * exposed
    survive = np.cumprod(1.0 - s_nodes, axis=1)
    before = np.empty_like(survive)
    before[:, 0] = 1.0
    before[:, 1:] = survive[:, :-1]
    arriving = kg[:, None] * before * R.valid
    seized = arriving * s_nodes
    model.padded_arriving = arriving
    flat = arriving.ravel()[R.flat]
    R.arriving_flat, R._arriving = flat, None  # what routing leaves for the phases that read routes.arriving
    shippers_learn(model, kg, flat, seized.ravel()[R.flat], s_nodes.ravel()[R.flat])
    t.flow[:] = np.bincount(R.flat_nodes, weights=arriving.ravel()[R.flat], minlength=n)
    t.seized[:] = np.bincount(R.flat_nodes, weights=seized.ravel()[R.flat], minlength=n)
    model.totals.seized_kg += float(seized.sum())
    model.tally.seized_kg = float(seized.sum())
    model.tally.shipped_kg = float(kg.sum())
    value = mp.price_source + (model.terr.price[R.flat_mkt] - mp.price_source) * R.flat_position
    passing = np.bincount(R.flat_nodes, weights=arriving.ravel()[R.flat] * value, minlength=n)
    t.drug_value[:] = passing
    t.value[:] = passing * mp.transit_tax + t.smuggling + model.gold.to_groups
    model.orgs.credit(t.controller, passing * mp.transit_tax, "transit_tax", drug=True)
    R.buffer[(model.steps + R.delay) % R.buffer.shape[0], np.arange(R.n_paths)] += kg * survive[:, -1]


@pytest.mark.parametrize("world", [(), ("world=synthetic", "world.n_territories=120", "world.n_facilitators=20")])
def test_flat_routing_equals_padded(world, monkeypatch):
    """Routing on the valid (path, position) entries, with each shipper's view of the territories
    computed once per shipper, gives the floats of the padded entry-by-entry computation; the
    lazily computed ``Routes.arriving`` equals the padded array."""
    from sim.model import model as model_module

    fast = sim.run(compose(*world, "steps=40", "burn_in=0"), keep_model=True)
    phases = tuple((name, _routing_padded if name == "routing" else f) for name, f in model_module.PHASES)
    monkeypatch.setattr(model_module, "PHASES", phases)
    slow = sim.run(compose(*world, "steps=40", "burn_in=0"), keep_model=True)
    assert fast.model.routes.n_paths > 1
    assert fast.timeseries.equals(slow.timeseries)
    assert fast.territories.equals(slow.territories)
    assert fast.events.equals(slow.events)
    assert np.array_equal(fast.model.routes.arriving, slow.model.padded_arriving)
    assert np.array_equal(fast.model.terr.seized, slow.model.terr.seized)
    assert np.array_equal(fast.model.routes.buffer, slow.model.routes.buffer)


class _Held:
    """The presence matrix and held entries of ``model.orgs``, without the model."""

    def __init__(self, presence: np.ndarray) -> None:
        from sim.model.state.organisations import Organisations

        self.presence, self.home, self._held = presence, presence.argmax(1), None
        for name in ("held", "set_held", "strongest", "members_by_row"):
            setattr(self, name, getattr(Organisations, name).__get__(self))


@pytest.mark.parametrize("seed", range(5))
def test_strongest_equals_argmax_and_max(seed):
    rng = np.random.default_rng(seed)
    k, n = 60, 1000
    s = np.round(rng.lognormal(2.0, 1.0, (k, n)), 0) * (rng.random((k, n)) < 0.02)  # rounded: ties
    s[:, :5] = 0.0  # territories nobody holds
    s[3:9, 7] = 5.0  # a tie between six groups
    m = _Held(s)
    row, top = m.strongest()
    assert np.array_equal(row, s.argmax(0))
    assert np.array_equal(top, s.max(0))
    r, c = m.held()
    assert set(zip(*np.nonzero(s))) <= set(zip(r.tolist(), c.tolist()))
    assert np.all(np.diff(r * n + c) > 0)  # row by row, columns ascending


def _expansion_dense(model) -> None:
    """Phase 5's expansion as it was written before the entry-by-entry version (every territory)."""
    w, t, vp = model.world, model.terr, model.p.violence
    value = t.value + vp.extortion_value * t.population / 1000.0
    value[~w.plazas] = 0.0  # markets and the countries without armed plazas
    P = model.orgs.presence
    members = P.sum(1)
    rows = np.flatnonzero(~model.orgs.is_militia & (members > 0))
    if rows.size == 0:
        return
    p = P[rows]
    group, at = np.nonzero(p >= vp.foothold)
    adj = w.adjacency
    start, count = adj.indptr[at], np.diff(adj.indptr)[at]
    reach = p > 0
    reach[np.repeat(group, count), adj.indices[violence._ranges(start, count)]] = True
    gang = model.orgs.is_gang[rows]
    reach[gang] &= w.country[None, :] == model.orgs.country[rows][gang][:, None]
    v = np.where(reach, value[None, :] * model.home_decay[model.orgs.home[rows]], 0.0)
    v_sum = v.sum(1)
    m = members[rows]
    moving = v_sum > 0
    rows, p, v, v_sum, m = rows[moving], p[moving], v[moving], v_sum[moving], m[moving]
    target = m[:, None] * v / v_sum[:, None]
    disruption = model.p.leadership.disruption
    rate = np.array(
        [vp.expansion_rate * (1.0 - disruption if model.orgs.agents[r].disrupted else 1.0) for r in rows.tolist()]
    )
    p += rate[:, None] * (target - p)
    p[p < 0.1 * vp.foothold] = 0.0
    p_sum = p.sum(1)
    keep = p_sum > 0
    p[keep] *= (m[keep] / p_sum[keep])[:, None]
    P[rows] = p


@pytest.mark.parametrize("world", [(), ("world=synthetic", "world.n_territories=150", "world.n_facilitators=20")])
def test_expansion_on_entries_equals_dense(world):
    """The move computed on the reachable or held entries only equals the move over every territory."""
    model = sim.run(
        compose(*world, "steps=30", "burn_in=0", "params.enforcement.leader_target_rate=0.05"), keep_model=True
    ).model
    assert model.orgs.n_splinters > 0 or not world  # groups joined during the run
    for _ in range(10):
        before = model.orgs.presence.copy()
        violence.expansion(model)
        fast = model.orgs.presence.copy()
        model.orgs.presence[:] = before
        _expansion_dense(model)
        # the same move; a group's members are summed over its entries, not its whole row, so
        # the last bits may differ
        assert np.array_equal(fast != 0, model.orgs.presence != 0)
        assert np.allclose(fast, model.orgs.presence, rtol=1e-12, atol=0.0)
        assert not np.array_equal(before, model.orgs.presence)
        model.orgs.presence[:] = fast
        model.step()


@pytest.mark.parametrize("seed", range(5))
def test_sums_over_held_entries_equal_sums_over_the_matrix(seed):
    """Phases sum the presence matrix over its held entries: column sums give the floats of the
    full-matrix sums (rows are added one after another in both); row sums agree to rounding."""
    rng = np.random.default_rng(seed)
    k, n = int(rng.integers(2, 300)), int(rng.integers(2, 1800))
    a = rng.lognormal(0.0, 3.0, (k, n)) * (rng.random((k, n)) < 0.05)
    m = _Held(a)
    r, c = m.held()
    assert np.array_equal(np.bincount(c, weights=a[r, c], minlength=n), a.sum(0))
    assert np.allclose(m.members_by_row(), a.sum(1), rtol=1e-12, atol=0.0)


def test_synthetic_worlds_cap_producers_and_markets():
    """Producer-market pairs must not grow with the square of the map (issue 7: linear scaling)."""
    import numpy as np

    from sim.model.world import build_world
    from sim.run import compose

    for n, expect in ((100, 4), (400, 16), (1600, 16)):
        w = build_world(compose(["world=synthetic", f"world.n_territories={n}"]).world, np.random.default_rng(0))
        assert (w.production_kg > 0).sum() == expect and (w.consumption_kg > 0).sum() == expect
