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
l.14). A captured state's forces operate the trade in its territory for whoever ships, for the
regime's protection fee (sim/model/phases/regime.py).

Mass is conserved exactly: produced = delivered + seized + in transit + stock.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from sim.model.phases import cultivation
from sim.model.phases.shippers import learn as shippers_learn
from sim.model.state import clip, sorted_union
from sim.model.world.paths import PathFinder

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def candidate_paths(
    g: nx.Graph, s: int, t: int, k: int, penalty: float, avoid: frozenset[int] = frozenset()
) -> list[list[int]]:
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
        for a, b in itertools.pairwise(path):
            cost[(a, b) if a < b else (b, a)] *= penalty
    return found


def _all_candidate_paths(g: nx.Graph, n: int, prod: np.ndarray, mkts: np.ndarray, k: int, penalty: float):
    """``(s, t, candidate_paths(g, s, t, k, penalty, avoid=mkts))`` for every producer s and market t.

    The searches run in :class:`sim.paths.PathFinder` (compiled Dijkstra, one shared first search
    per producer); a pair whose routes networkx might break a tie on differently is searched with
    networkx itself, so the routes are exactly those of :func:`candidate_paths`.
    """
    finder = PathFinder(g, n)
    fast = finder.usable(k, penalty)
    is_mkt = np.zeros(n, dtype=bool)
    is_mkt[mkts] = True
    avoid = frozenset(mkts.tolist())
    for s in prod.tolist():
        blocked = is_mkt.copy()
        blocked[s] = False
        first = finder.search(s, finder.cost0, blocked) if fast else None
        for t in mkts.tolist():
            if s == t:
                continue
            found = None
            if first is not None:  # the fast search is usable
                if np.isfinite(first[0][t]):
                    found = finder.penalty_paths(s, t, k, penalty, blocked, first)
                else:  # reachable only through another market: no node avoided (see candidate_paths)
                    none = np.zeros(n, dtype=bool)
                    if np.isfinite(finder.search(s, finder.cost0, none)[0][t]):
                        found = finder.penalty_paths(s, t, k, penalty, none)
                    else:
                        found = []
            if found is None:
                found = candidate_paths(g, s, t, k, penalty, avoid)
            yield s, t, found


class Routes:
    """Candidate paths as padded index arrays (dummy territory index ``n`` pads short paths)."""

    def __init__(self, world, rp) -> None:
        n = world.n
        mode_cost = {
            "land": rp.mode_cost_land,
            "river": rp.mode_cost_river,
            "sea": rp.mode_cost_sea,
            "air": rp.mode_cost_air,
        }
        g = world.graph
        for _a, _b, d in g.edges(data=True):
            d["cost"] = d["km"] * mode_cost[d["mode"]]
        prod = np.flatnonzero(world.production_kg > 0)
        mkts = np.flatnonzero(world.consumption_kg > 0)
        edge_km = {(a, b) if a < b else (b, a): d["km"] for a, b, d in g.edges(data=True)}
        edge_cost = {(a, b) if a < b else (b, a): d["cost"] for a, b, d in g.edges(data=True)}
        paths, pair_prod, pair_mkt, km, cost = [], [], [], [], []
        for s, t, found in _all_candidate_paths(g, n, prod, mkts, rp.k_paths, rp.path_penalty):
            for path in found:
                hops = [(a, b) if a < b else (b, a) for a, b in itertools.pairwise(path)]
                paths.append(path)
                pair_prod.append(s)
                pair_mkt.append(t)
                km.append(sum([edge_km[h] for h in hops]))
                cost.append(sum([edge_cost[h] for h in hops]))
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
        pair_of = {pair: i for i, pair in enumerate(self.pairs)}
        self.pair_index = np.array([pair_of[pair] for pair in zip(self.prod.tolist(), self.mkt.tolist())])
        self.pair_prod = np.array([a for a, _ in self.pairs], dtype=np.int64)
        self.pair_mkt = np.array([b for _, b in self.pairs], dtype=np.int64)
        # the paths of each pair as rows of a (pairs, k) index array, one array per number k of
        # paths: routing's route choice is then a row-wise logit (same floats as pair by pair)
        by_pair = np.argsort(self.pair_index, kind="stable")
        count = np.bincount(self.pair_index, minlength=len(self.pairs))
        first = np.cumsum(count) - count
        self.pair_groups = [by_pair[first[count == k][:, None] + np.arange(k)] for k in np.unique(count)]
        # the valid (path, position) entries in row-major order, for per-territory sums
        self.flat = np.flatnonzero(self.valid)
        self.flat_nodes = self.nodes.ravel()[self.flat]
        self.flat_mkt = np.repeat(self.mkt, self.length)
        self.flat_position = self.position.ravel()[self.flat]
        self.flat_row = np.repeat(np.arange(len(paths)), self.length)
        self.flat_first = np.cumsum(self.length) - self.length  # entry of each path's producer in flat
        self.buffer = np.zeros((int(self.delay.max()) + 1, len(paths)))  # kg arriving by week slot
        self.work = np.zeros(self.nodes.shape)  # scratch for routing
        self.arriving_flat: np.ndarray | None = None  # kg reaching each valid entry (flat) last week
        self._arriving: np.ndarray | None = None
        self._at: tuple[bytes, np.ndarray] | None = None

    @property
    def n_paths(self) -> int:
        return len(self.nodes)

    @property
    def arriving(self) -> np.ndarray | None:
        """(paths, positions) kg reaching each position of each path last week (None before routing).

        Made from ``arriving_flat`` when asked for (corridor flows, maps); 0 at the padding.
        """
        if self._arriving is None and self.arriving_flat is not None:
            self._arriving = np.zeros(self.nodes.shape)
            self._arriving.ravel()[self.flat] = self.arriving_flat
        return self._arriving

    def entries(self, row: np.ndarray, width: int) -> np.ndarray:
        """Index of each (path, position) in a (rows, ``width``) matrix whose row ``row[path]``
        describes the territories seen by that path's shipper (column ``n``: the padding).

        Cached: the shippers change rarely (the controllers of the production territories).
        """
        key = row.tobytes() + width.to_bytes(8, "little")
        if self._at is None or self._at[0] != key:
            self._at = (key, self.nodes + (row * width)[:, None])
        return self._at[1]


def _pad(x: np.ndarray, fill: float = 0.0) -> np.ndarray:
    return np.append(x, fill)


def production(model: CrimeModel) -> None:
    """Phase 1: coca area x yield adds to stock; the controller taxes it at the farm-gate price
    (M11, 004 l.3328). The area moves in phase 0 (:mod:`sim.model.phases.cultivation`).

    Reads ``coca``, ``terr.controller``. Writes ``terr.stock``, ``totals.produced_kg`` and the
    controllers' income (``orgs.credit``, source ``production_tax``).
    """
    t, mp, c = model.terr, model.p.market, model.coca
    made = c.production_kg(cultivation.growth(model))
    t.stock += made
    model.totals.produced_kg += float(made.sum())
    tax = made * c.price * mp.production_tax
    model.orgs.credit(t.controller, tax, "production_tax", drug=True)


def seizure_probability(model: CrimeModel) -> np.ndarray:
    """Weekly probability that a shipment passing a territory is seized (before protection), with
    this week's interdiction effort (:mod:`sim.model.phases.interdiction`)."""
    t, rp = model.terr, model.p.routing
    honest = 1.0 - t.corrupt
    return clip(rp.base_seizure * t.capacity * honest * model.interdiction.effort, 0.0, rp.max_seizure)


def rival_share(model: CrimeModel, shippers: np.ndarray) -> np.ndarray:
    """(shippers, territories): the share of each territory's armed members hostile to each
    shipping organisation (uids), weighted by hostility (``orgs.hostility``)."""
    n, orgs = model.world.n, model.orgs
    r, c = orgs.held()  # members v of group r in territory c
    v = orgs.presence[r, c]
    hostile = orgs.hostility()
    armed = np.bincount(c, weights=v, minlength=n) + 1.0
    # one bincount over the shippers' rows, shipper by shipper (each row's sums in entry order, as
    # a bincount per shipper would make them)
    rows = orgs.rows_of(shippers)
    at = (np.arange(rows.size)[:, None] * n + c).ravel()
    hostile_members = np.bincount(at, weights=(hostile[rows][:, r] * v).ravel(), minlength=rows.size * n)
    return hostile_members.reshape(rows.size, n) / armed


def routing(model: CrimeModel) -> None:
    """Phase 2: ship, choose routes, interdict, tax transit, schedule deliveries (M1, M11, M16).

    Each shipper chooses among its open routes by its own perceived risk and drops the routes that
    no longer pay (:mod:`sim.model.phases.shippers`); seizures follow this week's interdiction
    effort (:mod:`sim.model.phases.interdiction`).

    Reads ``terr.stock``, ``terr.controller``, ``terr.patron``, ``terr.corrupt``, ``terr.capacity``,
    ``terr.price``, ``terr.smuggling``, ``gold.to_groups``, ``regimes.operated``, ``orgs`` (presence,
    hostility), ``fx.seizure_mult``, ``shippers``. Writes ``interdiction.effort``, ``terr.risk``, ``terr.stock``, ``terr.flow``,
    ``terr.seized``, ``terr.drug_value``, ``terr.value``, ``routes`` (buffer, the week's shipments),
    ``shippers`` (perceived risk, losses, open routes), ``totals.seized_kg``, ``tally.shipped_kg``,
    ``tally.seized_kg`` and the controllers' income (``transit_tax``).
    """
    w, t, rp, mp, R, sh = model.world, model.terr, model.p.routing, model.p.market, model.routes, model.shippers
    n = w.n
    model.interdiction.budget(model.fx.seizure_mult, model.p.interdiction.mobile_share)
    s = seizure_probability(model)
    # the public's perceived risk follows actual risk with memory (seizures are news)
    t.risk += rp.risk_memory * (s - t.risk)

    shipped = t.stock * rp.ship_share
    t.stock -= shipped
    owners = t.controller[R.prod]  # who ships (controller of the production territory)

    # route cost per path: distance + the shipper's perceived risk + rival presence - protection (M16)
    # one row per shipping organisation (last row: no owner) of its view of every territory
    shippers = sorted_union(owners[owners >= 0]) if model.orgs.agents else np.zeros(0, dtype=np.int64)  # np.unique
    rival = np.zeros((shippers.size + 1, n + 1))  # hostile share of armed presence
    operates = np.zeros((shippers.size + 1, n + 1))  # police units that protect its shipments
    if shippers.size:
        rival[:-1, :n] = rival_share(model, shippers)
        corrupt_enough = t.corrupt >= model.p.corruption.operate_threshold
        operates[:-1, :n] = (t.patron[None, :] == shippers[:, None]) & corrupt_enough
    # a regime's forces move the drugs passing its territory themselves, whoever ships them (phases/regime.py)
    np.maximum(operates[:, :n], model.regimes.operated[None, :], out=operates[:, :n])
    shipper_row = np.searchsorted(shippers, owners)
    shipper_row[owners < 0] = shippers.size
    at = R.entries(shipper_row, n + 1)  # (path, position) -> entry of its shipper's row
    work = R.work  # (paths, positions) scratch array, reused every week
    rival_cost = rival.ravel().take(at, out=work).sum(1)
    # 0 where a protecting unit waves the shipment through: per shipper and territory, then per entry
    exposed = 1.0 - operates
    risk_eff = sh.perceived.ravel().take(sh.at, out=work)
    risk_eff *= exposed.ravel().take(at)
    cost = R.base_cost + rp.risk_cost * risk_eff.sum(1) + rp.rival_cost * rival_cost
    # route choice: logit of cost among the open paths of each production-market pair; a path whose
    # weight relative to the pair's best open one is below drop_share is dropped after its trial (shippers.py)
    path_share = np.empty(R.n_paths)
    drop, trial = model.p.trafficking.drop_share, model.p.trafficking.trial_weeks
    for paths in R.pair_groups:
        c = cost[paths]
        is_open = sh.open[paths]
        best = np.where(is_open, c, np.inf).min(1, keepdims=True)
        weight = np.exp(-(c - best) / rp.route_temperature)
        sh.weight[paths] = weight
        is_open &= (weight >= drop) | (model.steps - sh.opened_at[paths] < trial)
        sh.closed += int(sh.open[paths].sum() - is_open.sum())
        sh.open[paths] = is_open
        e = weight * is_open
        path_share[paths] = e / e.sum(1, keepdims=True)
    # demand split across markets (scarcity raises price and attracts shipments)
    pull = w.consumption_kg * t.price / mp.price_market
    pair_pull = pull[R.pair_mkt]
    pull_sum = np.bincount(R.pair_prod, weights=pair_pull, minlength=n)
    pair_share = pair_pull / np.maximum(pull_sum[R.pair_prod], 1e-12)
    kg = shipped[R.prod] * pair_share[R.pair_index] * path_share

    # interdiction along each path, in order
    s_nodes = (_pad(s)[None, :] * exposed).ravel().take(at)
    survive = np.cumprod(np.subtract(1.0, s_nodes, out=work), axis=1, out=work)
    # the valid (path, position) entries only: what reached each one, and what was seized there
    before = survive.ravel().take(R.flat - 1)  # survival up to the previous position
    before[R.flat_first] = 1.0
    arriving_flat = kg[R.flat_row] * before
    R.arriving_flat, R._arriving = arriving_flat, None  # R.arriving: the same, padded
    s_flat = s_nodes.ravel().take(R.flat)
    seized_flat = arriving_flat * s_flat
    delivered = kg * survive[:, -1]
    shippers_learn(model, kg, arriving_flat, seized_flat, s_flat)

    t.flow[:] = np.bincount(R.flat_nodes, weights=arriving_flat, minlength=n)
    t.seized[:] = np.bincount(R.flat_nodes, weights=seized_flat, minlength=n)
    seized = s_nodes.reshape(-1)  # summed as a (path, position) array, padding included
    seized.fill(0.0)
    seized[R.flat] = seized_flat
    seized_kg = float(seized.sum())
    model.totals.seized_kg += seized_kg
    model.tally.seized_kg = seized_kg
    model.tally.shipped_kg = float(kg.sum())

    # transit taxes to each territory's controller (M11), valued along the chain
    value = mp.price_source + (t.price[R.flat_mkt] - mp.price_source) * R.flat_position
    passing = np.bincount(R.flat_nodes, weights=arriving_flat * value, minlength=n)
    t.drug_value[:] = passing
    tax = passing * mp.transit_tax
    # with last week's smuggling rents (phase 6, M19) and gold taken (phases/gold.py): what groups fight and bribe for
    t.value[:] = tax + t.smuggling + model.gold.to_groups
    model.orgs.credit(t.controller, tax, "transit_tax", drug=True)

    slot = (model.steps + R.delay) % R.buffer.shape[0]
    R.buffer[slot, np.arange(R.n_paths)] += delivered


def market(model: CrimeModel) -> None:
    """Phase 3: deliveries arrive; wholesale prices respond to supply; revenue is credited.

    Price follows an inverse-demand curve around the market's consumption:
    price = price_market * (consumption / smoothed supply) ** price_elasticity.

    Reads ``routes.buffer``, ``terr.controller``. Writes ``routes.buffer``, ``terr.supply_ema``,
    ``terr.price``, ``totals.delivered_kg``, ``tally.delivered_kg`` and the last plazas'
    controllers' income (``wholesale``).
    """
    w, t, mp, R = model.world, model.terr, model.p.market, model.routes
    slot = model.steps % R.buffer.shape[0]
    arriving = R.buffer[slot].copy()
    R.buffer[slot] = 0.0
    delivered = np.bincount(R.mkt, weights=arriving, minlength=w.n)
    model.totals.delivered_kg += float(arriving.sum())
    model.tally.delivered_kg = float(arriving.sum())
    mk = w.consumption_kg > 0
    t.supply_ema[mk] += mp.supply_memory * (delivered[mk] - t.supply_ema[mk])
    ratio = w.consumption_kg[mk] / np.maximum(t.supply_ema[mk], 1e-6 * w.consumption_kg[mk])
    t.price[mk] = mp.price_market * clip(ratio, mp.price_ratio_min, mp.price_ratio_max) ** mp.price_elasticity
    # wholesale sale by whoever holds the last plaza before the market
    sale = np.bincount(R.last_mile, weights=arriving * t.price[R.mkt] * mp.last_mile_share, minlength=w.n)
    model.orgs.credit(t.controller, sale, "wholesale", drug=True)


def corridor_flows(model: CrimeModel) -> dict[tuple[int, int], float]:
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


def in_transit(model: CrimeModel) -> float:
    return float(model.routes.buffer.sum())


def mass_balance(model: CrimeModel) -> float:
    """produced - (delivered + seized + in transit + stock); zero up to rounding."""
    tot = model.totals
    return tot.produced_kg - (tot.delivered_kg + tot.seized_kg + in_transit(model) + float(model.terr.stock.sum()))


def footprint(model: CrimeModel, min_kg: float = 1.0) -> int:
    """Number of territories a week's shipments pass through (excluding producers and markets)."""
    w = model.world
    mid = (w.production_kg == 0) & (w.consumption_kg == 0)
    return int(((model.terr.flow > min_kg) & mid).sum())
