"""Phases 1-3: production and taxing, routing and interdiction, the market (M1, M11, M16).

Candidate routes are the ``k_paths`` shortest corridor paths from every production territory to
every market, found once. Each week a producer ships a share of its stock; the shipment splits
over markets by demand and price, and over routes by a logit of route cost
(distance + perceived seizure risk + rival armed presence). Police seize at every territory a
shipment passes (capacity x honesty x intensity); the perceived risk follows the seizures, so
interdiction on one corridor shifts flow to others: the balloon effect (004 l.304-308,
l.3322-3364; 003 l.12). Whoever controls a territory taxes what passes through it (M11,
004 l.2422, l.3222, l.3328). A unit whose officers are mostly on one organisation's payroll stops
seizing that organisation's drugs and protects its routes: it operates the trade (M16, 003 l.7,
l.14).

Mass is conserved exactly: produced = delivered + seized + in transit + stock.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


def candidate_paths(g: nx.Graph, s: int, t: int, k: int, penalty: float,
                    avoid: frozenset[int] = frozenset()) -> list[list[int]]:
    """Up to ``k`` distinct, dissimilar routes from ``s`` to ``t`` (penalty method).

    After each least-cost path is found the cost of its corridors is multiplied by ``penalty``,
    so the next search prefers other corridors. This yields real alternatives (a Caribbean and a
    Pacific route) rather than the near-copies that k-shortest-simple-paths returns. Nodes in
    ``avoid`` (other markets: drugs sold there are not carried on) are not passed through unless
    the market can be reached no other way.
    """
    if avoid and not _reachable(g, s, t, avoid):
        avoid = frozenset()  # this market can only be reached through another one
    try:
        return _penalty_paths(g, s, t, k, penalty, avoid)
    except nx.NetworkXNoPath:
        return []


def _reachable(g: nx.Graph, s: int, t: int, avoid: frozenset[int]) -> bool:
    keep = [v for v in g.nodes if v not in avoid or v in (s, t)]
    return nx.has_path(g.subgraph(keep), s, t)


def _penalty_paths(g: nx.Graph, s: int, t: int, k: int, penalty: float, avoid: frozenset[int]) -> list[list[int]]:
    cost = {tuple(sorted(e)): d["cost"] for *e, d in g.edges(data=True)}
    found: list[list[int]] = []

    def w(a, b, _d):
        return None if (b in avoid and b != t) or (a in avoid and a != s) else cost[(a, b) if a < b else (b, a)]

    for _ in range(3 * k):
        path = nx.dijkstra_path(g, s, t, weight=w)
        if path not in found:
            found.append(path)
            if len(found) == k:
                break
        for a, b in zip(path[:-1], path[1:]):
            cost[(a, b) if a < b else (b, a)] *= penalty
    return found


class Routes:
    """Candidate paths as padded index arrays (dummy territory index ``n`` pads short paths)."""

    def __init__(self, world, rp) -> None:
        n = world.n
        mode_cost = {"land": rp.mode_cost_land, "river": rp.mode_cost_river, "sea": rp.mode_cost_sea,
                     "air": rp.mode_cost_air}
        g = world.graph
        for _a, _b, d in g.edges(data=True):
            d["cost"] = d["km"] * mode_cost[d["mode"]]
        prod = np.flatnonzero(world.production_kg > 0)
        mkts = np.flatnonzero(world.consumption_kg > 0)
        paths, pair_prod, pair_mkt, km, cost = [], [], [], [], []
        for s in prod:
            for t in mkts:
                if s == t:
                    continue
                for path in candidate_paths(g, int(s), int(t), rp.k_paths, rp.path_penalty, frozenset(mkts.tolist())):
                    paths.append(path)
                    pair_prod.append(s)
                    pair_mkt.append(t)
                    km.append(sum(g.edges[a, b]["km"] for a, b in zip(path[:-1], path[1:])))
                    cost.append(sum(g.edges[a, b]["cost"] for a, b in zip(path[:-1], path[1:])))
        if not paths:
            raise ValueError("world: no corridor path connects any production territory to a market")
        L = max(len(p) for p in paths)
        self.n = n
        self.nodes = np.full((len(paths), L), n, dtype=np.int64)
        for r, path in enumerate(paths):
            self.nodes[r, : len(path)] = path
        self.valid = self.nodes < n
        self.length = self.valid.sum(1)
        self.prod = np.array(pair_prod)
        self.mkt = np.array(pair_mkt)
        self.km = np.array(km)
        self.base_cost = np.array(cost) / 1000.0 * rp.km_cost
        self.delay = np.maximum(1, np.ceil(self.km / 1000.0 * rp.transit_weeks_per_1000km)).astype(int)
        # last territory before the market: whoever holds it sells wholesale (the "plaza")
        self.last_mile = self.nodes[np.arange(len(paths)), np.maximum(self.length - 2, 0)]
        # position of each node along its path, 0 at the producer, 1 at the market
        pos = np.arange(L)[None, :] / np.maximum(self.length - 1, 1)[:, None]
        self.position = np.where(self.valid, pos, 0.0)
        self.pairs = sorted(set(zip(self.prod.tolist(), self.mkt.tolist())))
        self.pair_index = np.array([self.pairs.index((a, b)) for a, b in zip(self.prod, self.mkt)])
        self.buffer = np.zeros((int(self.delay.max()) + 1, len(paths)))  # kg arriving by week slot
        self.arriving: np.ndarray | None = None  # (paths, positions) kg of the last week

    @property
    def n_paths(self) -> int:
        return len(self.nodes)


def _pad(x: np.ndarray, fill: float = 0.0) -> np.ndarray:
    return np.append(x, fill)


def production(model) -> None:
    """Phase 1: coca production adds to stock; the controller taxes it (M11, 004 l.3328)."""
    w, t, mp = model.world, model.terr, model.p.market
    growth = (1.0 + mp.production_growth) ** (model.steps / 52.0)
    made = w.production_kg * growth
    model.stock += made
    model.produced += float(made.sum())
    tax = made * mp.price_source * mp.production_tax
    model.credit(t.controller, tax, "production_tax", drug=True)


def seizure_probability(model) -> np.ndarray:
    """Weekly probability that a shipment passing a territory is seized (before protection)."""
    t, rp = model.terr, model.p.routing
    honest = 1.0 - t.corrupt
    w = model.world
    return np.clip(rp.base_seizure * t.capacity * honest * w.interdiction * model.fx.seizure_mult, 0.0, 0.95)


def routing(model) -> None:
    """Phase 2: ship, choose routes, interdict, tax transit, schedule deliveries (M1, M11, M16)."""
    w, t, rp, mp, R = model.world, model.terr, model.p.routing, model.p.market, model.routes
    n = w.n
    s = seizure_probability(model)
    # perceived risk follows actual risk with memory (seizures are news)
    t.risk += rp.risk_memory * (s - t.risk)

    shipped = model.stock * rp.ship_share
    model.stock -= shipped
    owners = t.controller[R.prod]  # who ships (controller of the production territory)
    strength = model.strength_matrix()  # (orgs, n)
    hostile = model.hostility_matrix()  # (orgs, orgs)
    org_index = model.org_index

    # route cost per path: distance + perceived risk + rival presence - protection (M16)
    protect = np.zeros((R.n_paths, R.nodes.shape[1]))
    rival_cost = np.zeros(R.n_paths)
    if len(org_index):
        for owner in np.unique(owners):
            sel = owners == owner
            if owner < 0:
                continue
            k = org_index[owner]
            rival = _pad(hostile[k] @ strength / (strength.sum(0) + 1.0))  # hostile share of armed presence
            rival_cost[sel] = rival[R.nodes[sel]].sum(1)
            operates = _pad((t.patron == owner) & (t.corrupt >= model.p.corruption.operate_threshold))
            protect[sel] = operates[R.nodes[sel]]
    risk = _pad(t.risk)[R.nodes]
    risk_eff = risk * (1.0 - protect)
    cost = R.base_cost + rp.risk_cost * risk_eff.sum(1) + rp.rival_cost * rival_cost
    # demand split across markets (scarcity raises price and attracts shipments)
    pull = w.consumption_kg * model.price / mp.price_market
    pair_pull = np.array([pull[m] for _, m in R.pairs])
    path_share = np.zeros(R.n_paths)
    for p_idx in range(len(R.pairs)):
        sel = R.pair_index == p_idx
        c = cost[sel]
        e = np.exp(-(c - c.min()) / rp.route_temperature)
        path_share[sel] = e / e.sum()
    pair_prod = np.array([a for a, _ in R.pairs])
    pull_sum = np.zeros(n)
    np.add.at(pull_sum, pair_prod, pair_pull)
    pair_share = pair_pull / np.maximum(pull_sum[pair_prod], 1e-12)
    kg = shipped[R.prod] * pair_share[R.pair_index] * path_share

    # interdiction along each path, in order
    s_nodes = _pad(s)[R.nodes] * (1.0 - protect)
    survive = np.cumprod(1.0 - s_nodes, axis=1)
    before = np.concatenate([np.ones((R.n_paths, 1)), survive[:, :-1]], axis=1)
    arriving = kg[:, None] * before * R.valid
    R.arriving = arriving  # kg reaching each position of each path this week (for corridor flows)
    seized = arriving * s_nodes
    delivered = kg * survive[:, -1]

    t.flow[:] = 0.0
    t.seized[:] = 0.0
    np.add.at(t.flow, R.nodes[R.valid], arriving[R.valid])
    np.add.at(t.seized, R.nodes[R.valid], seized[R.valid])
    model.seized_total += float(seized.sum())
    model.week_seized = float(seized.sum())
    model.week_shipped = float(kg.sum())

    # transit taxes to each territory's controller (M11), valued along the chain
    value = mp.price_source + (model.price[R.mkt][:, None] - mp.price_source) * R.position
    passing = np.zeros(n + 1)
    np.add.at(passing, R.nodes[R.valid], (arriving * value)[R.valid])
    t.drug_value[:] = passing[:n]
    tax = passing * mp.transit_tax
    t.value[:] = tax[:n]
    model.credit(t.controller, tax[:n], "transit_tax", drug=True)

    slot = (model.steps + R.delay) % R.buffer.shape[0]
    np.add.at(R.buffer, (slot, np.arange(R.n_paths)), delivered)


def market(model) -> None:
    """Phase 3: deliveries arrive; wholesale prices respond to supply; revenue is credited.

    Price follows an inverse-demand curve around the market's consumption:
    price = price_market * (consumption / smoothed supply) ** price_elasticity.
    """
    w, t, mp, R = model.world, model.terr, model.p.market, model.routes
    slot = model.steps % R.buffer.shape[0]
    arriving = R.buffer[slot].copy()
    R.buffer[slot] = 0.0
    delivered = np.zeros(w.n)
    np.add.at(delivered, R.mkt, arriving)
    model.delivered_total += float(arriving.sum())
    model.week_delivered = float(arriving.sum())
    mk = w.consumption_kg > 0
    model.supply_ema[mk] += 0.1 * (delivered[mk] - model.supply_ema[mk])
    ratio = w.consumption_kg[mk] / np.maximum(model.supply_ema[mk], 1e-6 * w.consumption_kg[mk])
    model.price[mk] = mp.price_market * np.clip(ratio, 0.05, 20.0) ** mp.price_elasticity
    # wholesale sale by whoever holds the last plaza before the market
    sale = np.zeros(w.n)
    np.add.at(sale, R.last_mile, arriving * model.price[R.mkt] * mp.last_mile_share)
    model.credit(t.controller, sale, "wholesale", drug=True)


def corridor_flows(model) -> dict[tuple[int, int], float]:
    """kg carried last week along each corridor (a, b), a < b: what leaves a toward b on every path."""
    R = model.routes
    out: dict[tuple[int, int], float] = {}
    if R.arriving is None:
        return out
    upstream, downstream = R.nodes[:, :-1], R.nodes[:, 1:]
    reached = R.arriving[:, 1:]  # kg that reached the downstream end of each hop
    mask = R.valid[:, 1:]
    for u, v, kg in zip(upstream[mask].tolist(), downstream[mask].tolist(), reached[mask].tolist()):
        key = (u, v) if u < v else (v, u)
        out[key] = out.get(key, 0.0) + kg
    return out


def in_transit(model) -> float:
    return float(model.routes.buffer.sum())


def mass_balance(model) -> float:
    """produced - (delivered + seized + in transit + stock); zero up to rounding."""
    return model.produced - (model.delivered_total + model.seized_total + in_transit(model) + float(model.stock.sum()))


def footprint(model, min_kg: float = 1.0) -> int:
    """Number of territories a week's shipments pass through (excluding producers and markets)."""
    w = model.world
    mid = (w.production_kg == 0) & (w.consumption_kg == 0)
    return int(((model.terr.flow > min_kg) & mid).sum())
