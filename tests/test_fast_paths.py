"""The speed-ups return the same numbers as the straightforward code they replace (bit for bit)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.phases import trade, violence

from conftest import run


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


@pytest.mark.parametrize("seed", range(5))
def test_sparse_engagement_equals_dense(seed):
    rng = np.random.default_rng(seed)
    k, n = 30, 50
    s = rng.lognormal(3.0, 2.0, (k, n)) * (rng.random((k, n)) < 0.2)
    h = rng.choice([0.0, 0.3, 1.0], (k, k))
    h = np.triu(h, 1) + np.triu(h, 1).T
    assert np.array_equal(violence._engaged(s, h), violence._engaged_dense(s, h))


def test_presence_rows_are_views_of_the_presence_matrix():
    m = run("steps=30", "params.enforcement.leader_target_rate=0.05", keep_model=True).model
    assert m.n_splinters > 0  # organisations joined during the run
    assert m.presence.shape == (len(m.organisations), m.world.n)
    for row, org in enumerate(m.organisations):
        assert np.shares_memory(org.presence, m.presence[row])
        assert org.members == float(m.presence[row].sum())
