"""Fast, exact candidate-route search for :class:`sim.model.phases.trade.Routes`.

``trade.candidate_paths`` finds up to ``k`` dissimilar routes per production-market pair with the
penalty method: repeated networkx Dijkstra searches, each after multiplying the cost of the
corridors already used. On large worlds these searches dominate start-up (thousands of pairs,
about ``k`` searches each). :class:`PathFinder` runs the same searches with SciPy's compiled
Dijkstra and returns the same routes:

* the corridor costs are the same floats, multiplied by the penalty in the same order, and
  shortest distances are the same floats (each is the minimum over neighbours of
  ``distance + cost``, whatever the order nodes are settled in);
* networkx keeps, for each node, the first neighbour that reached its final distance. Where two
  neighbours reach it with exactly the same distance the two implementations may differ, so
  every node of every route is checked: if its distance is reached through more than one
  neighbour, :meth:`PathFinder.penalty_paths` returns ``None`` and the caller falls back to
  networkx for that pair.

The "avoid" rule of ``candidate_paths`` (other markets are not passed through) is a graph in
which the avoided nodes have no outgoing corridors: a route may end in them but not leave them.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra


class PathFinder:
    """Penalty-method route search on one corridor graph (edge attribute ``cost``)."""

    #: Above this ratio of the largest to the smallest (penalised) corridor cost, adding a corridor
    #: to a long route might not change its float length; the exactness argument needs it to.
    MAX_COST_RATIO = 2.0**40

    def __init__(self, g, n: int) -> None:
        self.n = n
        edges = [(a, b, d["cost"]) for a, b, d in g.edges(data=True) if a != b]
        self.edge_id = {}
        for e, (a, b, _c) in enumerate(edges):
            self.edge_id[(a, b) if a < b else (b, a)] = e
        self.cost0 = np.array([c for _a, _b, c in edges], dtype=float)
        ends = np.array([(a, b) for a, b, _c in edges], dtype=np.int64).reshape(-1, 2)
        # both directions of every corridor, grouped by the node they leave (CSR rows)
        rows = np.concatenate([ends[:, 0], ends[:, 1]])
        cols = np.concatenate([ends[:, 1], ends[:, 0]])
        eids = np.concatenate([np.arange(len(edges)), np.arange(len(edges))])
        order = np.lexsort((cols, rows))
        self.rows, self.cols, self.eids = rows[order], cols[order], eids[order]
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(self.rows, minlength=n))])
        self._graphs: dict[bytes, tuple] = {}

    def usable(self, k: int, penalty: float) -> bool:
        """Whether the exactness argument holds for these costs and penalties."""
        if self.cost0.size == 0 or self.cost0.min() <= 0:
            return False
        grow = max(penalty, 1.0 / penalty) ** (3 * k)
        return bool(self.cost0.max() * grow / self.cost0.min() < self.MAX_COST_RATIO)

    def _graph(self, blocked: np.ndarray) -> tuple[csr_array, np.ndarray]:
        """Sparse matrix without the corridors leaving ``blocked`` nodes, and the corridor of each
        of its entries (cached per blocked set; the entries' values are set by each search)."""
        key = np.packbits(blocked).tobytes()
        if key not in self._graphs:
            keep = ~blocked[self.rows]
            indptr = np.concatenate([[0], np.cumsum(np.bincount(self.rows[keep], minlength=self.n))])
            eids = self.eids[keep]
            a = csr_array((self.cost0[eids], self.cols[keep], indptr), shape=(self.n, self.n))
            self._graphs[key] = (a, eids)
        return self._graphs[key]

    def search(self, s: int, cost: np.ndarray, blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from ``s`` with corridor costs ``cost``."""
        a, eids = self._graph(blocked)
        np.take(cost, eids, out=a.data)
        return dijkstra(a, directed=True, indices=s, return_predecessors=True)

    def path(
        self, s: int, t: int, dist: np.ndarray, pred: np.ndarray, cost: np.ndarray, blocked: np.ndarray
    ) -> list[int] | None:
        """The route to ``t``, or None if networkx might have picked another one (a tie)."""
        if not np.isfinite(dist[t]):
            return None
        path = [t]
        while path[-1] != s:
            path.append(int(pred[path[-1]]))
        path.reverse()
        # every node after the source must be reached through exactly one neighbour
        v = np.array(path[1:], dtype=np.int64)
        start, stop = self.indptr[v], self.indptr[v + 1]
        lens = stop - start
        idx = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens - start, lens)
        u, e = self.cols[idx], self.eids[idx]  # neighbours of each route node (symmetric graph)
        target = np.repeat(dist[v], lens)
        hits = ~blocked[u] & (dist[u] + cost[e] == target)
        if not (np.bincount(np.repeat(np.arange(v.size), lens), weights=hits, minlength=v.size) == 1).all():
            return None
        return path

    def penalty_paths(
        self,
        s: int,
        t: int,
        k: int,
        penalty: float,
        blocked: np.ndarray,
        first: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> list[list[int]] | None:
        """Same result as ``trade._penalty_paths`` (``blocked`` = the avoided nodes other than
        ``s``), or None when a tie means networkx must decide. ``first``: a search from ``s`` with
        the initial costs and this blocked set, shared by all the markets of one producer."""
        cost = self.cost0.copy()
        found: list[list[int]] = []
        for i in range(3 * k):
            dist, pred = first if (i == 0 and first is not None) else self.search(s, cost, blocked)
            path = self.path(s, t, dist, pred, cost, blocked)
            if path is None:
                return None
            if path not in found:
                found.append(path)
                if len(found) == k:
                    break
            for a, b in itertools.pairwise(path):
                cost[self.edge_id[(a, b) if a < b else (b, a)]] *= penalty
        return found
