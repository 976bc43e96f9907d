"""The geography: territories (as arrays, one entry per territory) and the corridors between them.

A world comes from a preset (``configs/world/*.yaml``: the default ``hemisphere``, built from the
seeds' figures) or is generated (``synthetic``, any size). Territory state that every phase
reads or writes is kept here as numpy arrays, so that the weekly phases are vectorised; the
Community and Police agents of a territory are views onto their entry (see ``agents.py``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_array, identity

from sim.model.config import ROLES

EARTH_KM = 6371.0


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Country:
    iso: str
    name: str
    police_per_100k: float
    police_pay: float
    police_integrity: float
    investigative_capacity: float
    prison_capacity_per_100k: float
    extradites: bool
    election_every_years: int
    natural_increase: float = 0.0  # share a year: births less deaths (phases/community.py)
    prisoners_per_100k: float = 0.0  # inmates at the start; 0: params.prisons.initial_other_occupancy x capacity
    arms_us_share: float = 0.0  # share of its groups' arms bought on the US market (phases/arms.py)
    armed_self_defence: bool = True  # whether its communities form militias (phases/gangs.py, M9)
    emigrants_overland: bool = True  # whether its emigrants pay smugglers at the crossings on their way north (M19)
    armed_plazas: bool = True  # whether groups hold and contest its territories with armed members (phases/violence.py)


@dataclass
class World:
    """Static description of a world plus the per-territory arrays the phases update."""

    ids: list[str]
    names: list[str]
    regions: list[str]
    countries: list[Country]
    country: np.ndarray  # (n,) int index into countries
    population: np.ndarray  # (n,) persons at the start (emigration changes terr.population, not this)
    youth_share: np.ndarray
    neet_share: np.ndarray
    poverty: np.ndarray
    state_presence: np.ndarray
    base_homicide_rate: np.ndarray  # per 100k per year
    roles: np.ndarray  # (n, len(ROLES)) bool
    lon: np.ndarray
    lat: np.ndarray
    production_kg: np.ndarray  # kg per week
    consumption_kg: np.ndarray  # kg per week
    interdiction: np.ndarray  # multiplier of the local seizure rate
    graph: nx.Graph  # nodes 0..n-1; edge attrs: mode, km
    organisations: list = field(default_factory=list)  # OrgSpec-like dicts
    report_mask: np.ndarray | None = None  # territories counted in headline rates (whole countries)

    @property
    def report_countries(self) -> np.ndarray:
        """(countries,) bool: the countries of the headline figures (all when no report regions)."""
        if self.report_mask is None:
            return np.ones(len(self.countries), dtype=bool)
        return np.bincount(self.country, weights=self.report_mask, minlength=len(self.countries)) > 0

    @property
    def n(self) -> int:
        return len(self.ids)

    def role(self, name: str) -> np.ndarray:
        return self.roles[:, ROLES.index(name)]

    @property
    def distance_km(self) -> np.ndarray:
        """(n, n) length in km of the shortest corridor path between two territories."""
        from scipy.sparse.csgraph import shortest_path

        a = nx.to_scipy_sparse_array(self.graph, nodelist=range(self.n), weight="km")
        return shortest_path(a, directed=False)

    @cached_property
    def natural_increase_weekly(self) -> np.ndarray:
        """(n,) weekly growth factor less one of each territory's residents by births less deaths:
        its country's yearly ``natural_increase``, compounded weekly."""
        yearly = np.array([c.natural_increase for c in self.countries])[self.country]
        return (1.0 + yearly) ** (1.0 / 52.0) - 1.0

    @cached_property
    def communities_arm(self) -> np.ndarray:
        """(n,) whether each territory's communities may form militias: its country's
        ``armed_self_defence`` (phases/gangs.py, M9)."""
        return np.array([c.armed_self_defence for c in self.countries], dtype=bool)[self.country]

    @cached_property
    def plazas(self) -> np.ndarray:
        """(n,) whether groups send armed members to a territory for what passes through it or the
        residents to extort (phases/violence.py): not the consumer markets, where retail is not
        modelled, nor the territories of a country whose ``armed_plazas`` is false."""
        armed = np.array([c.armed_plazas for c in self.countries], dtype=bool)[self.country]
        return armed & ~self.role("market")

    @cached_property
    def smuggling_crossings(self) -> csr_array:
        """(n, n), sparse: the share of the smuggling fee an emigrant from territory i pays at border
        territory k (M19, phases/gangs.py). Emigrants of a country whose ``emigrants_overland`` is
        true travel over land (land and river corridors, not through a market) to the nearest
        crossing into a market (a border territory next to a market: the US-Mexico crossings in the
        default world) and pay the fee in equal parts at each border territory on the way (004 l.300:
        children handed to coyotes for the trip north; l.388-390: Hondurans apprehended crossing
        Mexico). The others (islands, or emigrants who fly) pay no land smugglers: their row is 0.
        Sparse: a path passes a handful of crossings (0.5% of the entries at 1,600 territories)."""
        n, border, market = self.n, self.role("border"), self.role("market")
        land = nx.Graph()
        land.add_nodes_from(range(n))
        land.add_edges_from(
            (a, b, {"km": d["km"]})
            for a, b, d in self.graph.edges(data=True)
            if d["mode"] in ("land", "river") and not market[a] and not market[b]
        )
        exits = [k for k in range(n) if border[k] and any(market[j] for j in self.graph.neighbors(k))]
        overland = np.array([c.emigrants_overland for c in self.countries], dtype=bool)[self.country]
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        if exits:
            _, paths = nx.multi_source_dijkstra(land, exits, weight="km")
            for i, path in paths.items():
                crossings = [k for k in path if border[k]]
                if overland[i] and crossings:
                    rows += [i] * len(crossings)
                    cols += crossings
                    vals += [1.0 / len(crossings)] * len(crossings)
        return csr_array((vals, (rows, cols)), shape=(n, n))

    @cached_property
    def smuggling_paths(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries of :attr:`smuggling_crossings`, row by row: the emigrants' territory, the
        crossing and its share of the fee. Summed with ``np.bincount`` (phases/gangs.py), they give
        the sparse products' floats (the same terms, added in the same row order) at a tenth of
        their cost on the default world's 70 territories."""
        route = self.smuggling_crossings
        origin = np.repeat(np.arange(self.n), np.diff(route.indptr))
        return origin, route.indices.astype(np.intp), route.data

    @cached_property
    def arms_us_share(self) -> np.ndarray:
        """(countries,) share of each country's groups' arms bought on the US market (phases/arms.py)."""
        return np.array([c.arms_us_share for c in self.countries])

    @cached_property
    def adjacency(self) -> csr_array:
        """The corridors as a sparse 0/1 matrix with self-loops: row i lists i and its neighbours
        (``violence.expansion``: members move next to a foothold)."""
        n = self.n
        return csr_array(
            nx.to_scipy_sparse_array(self.graph, nodelist=range(n), weight=None) + identity(n, format="csr")
        )


def from_preset(wcfg, rng: np.random.Generator) -> World:
    """Build a world from a preset's tables (``world.territories`` etc.)."""
    del rng  # presets are deterministic; signature shared with ``synthetic``
    countries = [Country(**{k: c[k] for k in Country.__dataclass_fields__}) for c in wcfg.countries]
    iso = {c.iso: i for i, c in enumerate(countries)}
    ts = list(wcfg.territories)
    idx = {t.id: i for i, t in enumerate(ts)}
    roles = np.array([[r in t.roles for r in ROLES] for t in ts], dtype=bool)
    g = nx.Graph()
    g.add_nodes_from(range(len(ts)))
    for c in wcfg.corridors:
        a, b = idx[c.a], idx[c.b]
        km = haversine_km(ts[a].lon, ts[a].lat, ts[b].lon, ts[b].lat)
        g.add_edge(a, b, mode=c.mode, km=max(km, 10.0))
    if not nx.is_connected(g):
        parts = [sorted(ts[i].id for i in comp)[:3] for comp in nx.connected_components(g)]
        raise ValueError(f"world.corridors: the corridor graph is not connected; components start {parts}")
    orgs = [
        dict(
            name=o.name,
            kind=o.kind,
            members=float(o.members),
            territories=[idx[t] for t in o.territories],
            allies=list(o.allies),
            rivals=list(o.rivals),
            lieutenants=int(o.lieutenants),
            cohesion=float(o.cohesion),
        )
        for o in wcfg.organisations
    ]
    report = set(wcfg.report_regions) if wcfg.report_regions else None
    return World(
        ids=[t.id for t in ts],
        names=[t.name for t in ts],
        regions=[t.region for t in ts],
        countries=countries,
        country=np.array([iso[t.country] for t in ts]),
        population=np.array([t.population for t in ts], dtype=float),
        youth_share=np.array([t.youth_share for t in ts]),
        neet_share=np.array([t.neet_share for t in ts]),
        poverty=np.array([t.poverty for t in ts]),
        state_presence=np.array([t.state_presence for t in ts]),
        base_homicide_rate=np.array([t.homicide_rate for t in ts]),
        roles=roles,
        lon=np.array([t.lon for t in ts]),
        lat=np.array([t.lat for t in ts]),
        production_kg=np.array([t.production_t for t in ts]) * 1000.0 / 52.0,
        consumption_kg=np.array([t.consumption_t for t in ts]) * 1000.0 / 52.0,
        interdiction=np.array([t.interdiction for t in ts], dtype=float),
        graph=g,
        organisations=orgs,
        report_mask=None
        if report is None
        else report_countries_mask(
            np.array([iso[t.country] for t in ts]),
            np.array([t.population for t in ts], dtype=float),
            np.array([t.region in report for t in ts]),
        ),
    )


def report_countries_mask(country: np.ndarray, population: np.ndarray, in_regions: np.ndarray) -> np.ndarray:
    """Territories counted in the headline figures: every territory of each country that has most
    of its population in the report regions. Headline rates, prisons and incarceration then cover
    whole countries: the USA, with Puerto Rico in the Caribbean but its border cities and markets
    outside Latin America, is not counted, nor is its prison system (issue: "headline scope")."""
    n_c = int(country.max(initial=-1)) + 1
    inside = np.bincount(country, weights=population * in_regions, minlength=n_c)
    total = np.bincount(country, weights=population, minlength=n_c)
    return (inside > 0.5 * total)[country]


def synthetic(wcfg, rng: np.random.Generator) -> World:
    """Generate a world of ``wcfg.n_territories`` territories for tests and scaling.

    Territories are scattered over a Latin-America-sized box; corridors join each territory to
    its three nearest neighbours (plus a spanning tree, so the graph is connected). About 4% of
    territories produce and 4% are consumer markets (placed at the northern edge, as the US market
    is), at most 16 of each: a bigger map is finer, not richer in coca zones and markets (the
    default world has 7 production territories and 4 market nodes), and the routes between every
    producer and every market would otherwise grow with the square of the map. The rest are
    transit, ports and border crossings. Countries are longitude bands of about
    ten territories. Populations are log-normal around 1 million; figures are illustrative.
    Each of these numbers, and the ranges of the uniform draws (countries' institutions, territories'
    youth, NEET, poverty and state presence, organisations' sizes), is a default of
    ``world.generator`` (``SyntheticWorld`` in ``sim/model/config.py``, with its range, units and
    source).
    """
    n = int(wcfg.n_territories)
    gen = wcfg.generator  # the generator's settings (SyntheticWorld in sim/model/config.py)
    lon = rng.uniform(gen.lon_min, gen.lon_max, n)
    lat = rng.uniform(gen.lat_min, gen.lat_max, n)
    n_prod = max(1, min(n // gen.territories_per_producer, gen.producers_max))
    n_mkt = max(1, min(n // gen.territories_per_market, gen.markets_max))
    order = np.argsort(lat)
    prod = order[:n_prod]  # southernmost territories produce
    mkt = order[-n_mkt:]  # northernmost are markets
    roles = np.zeros((n, len(ROLES)), dtype=bool)
    roles[prod, ROLES.index("production")] = True
    roles[mkt, ROLES.index("market")] = True
    rest = order[n_prod:-n_mkt] if n > n_prod + n_mkt else np.array([], dtype=int)
    roles[rest, ROLES.index("transit")] = True
    roles[rest[rng.random(rest.size) < gen.port_share], ROLES.index("port")] = True
    border_band = rest[lat[rest] > np.quantile(lat, gen.border_quantile)] if rest.size else rest
    roles[border_band, ROLES.index("border")] = True
    roles[rest[rng.random(rest.size) < gen.mining_share], ROLES.index("mining")] = True

    n_countries = max(1, n // gen.territories_per_country)
    band = np.argsort(np.argsort(lon)) * n_countries // n
    countries = [
        Country(
            iso=f"C{i:03d}",
            name=f"Country {i}",
            police_per_100k=float(rng.uniform(gen.police_per_100k_min, gen.police_per_100k_max)),
            police_pay=float(rng.uniform(gen.police_pay_min, gen.police_pay_max)),
            police_integrity=float(rng.uniform(gen.police_integrity_min, gen.police_integrity_max)),
            investigative_capacity=float(rng.uniform(gen.investigative_capacity_min, gen.investigative_capacity_max)),
            prison_capacity_per_100k=float(
                rng.uniform(gen.prison_capacity_per_100k_min, gen.prison_capacity_per_100k_max)
            ),
            extradites=bool(rng.random() < gen.extradition_share),
            election_every_years=int(gen.election_every_years),
        )
        for i in range(n_countries)
    ]
    g = nx.Graph()
    g.add_nodes_from(range(n))
    xy = np.column_stack([lon, lat])
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    k = min(gen.neighbours, n - 1)
    nearest = np.argsort(d2, axis=1)[:, 1 : k + 1]
    full = nx.Graph()
    for i in range(n):
        for j in nearest[i]:
            g.add_edge(i, int(j))
    if not nx.is_connected(g):
        comps = [sorted(c) for c in nx.connected_components(g)]
        for a, b in itertools.pairwise(comps):
            full.add_edge(a[0], b[0])
        g.add_edges_from(full.edges)
    for a, b in g.edges:
        km = haversine_km(lon[a], lat[a], lon[b], lat[b])
        sea = roles[a, ROLES.index("port")] and roles[b, ROLES.index("port")]
        g.edges[a, b].update(mode="sea" if sea else "land", km=max(km, 10.0))

    population = np.exp(rng.normal(np.log(gen.population_median), gen.population_sigma, n))
    population[mkt] *= gen.market_population_factor
    base_hr = np.exp(rng.normal(np.log(gen.homicide_rate_median), gen.homicide_rate_sigma, n))
    base_hr[mkt] = gen.market_homicide_rate
    production_kg = np.zeros(n)
    production_kg[prod] = gen.production_t * 1000.0 / 52.0 / n_prod  # tonnes a year in all, kg a week each
    consumption_kg = np.zeros(n)
    consumption_kg[mkt] = gen.consumption_t * 1000.0 / 52.0 / n_mkt

    orgs: list[dict[str, Any]] = []
    n_cartels = max(gen.cartels_min, n // gen.territories_per_cartel)
    n_gangs = max(gen.gangs_min, n // gen.territories_per_gang)
    n_near = max(gen.cartel_territories_min, min(gen.cartel_territories_max, n // gen.territories_per_cartel_territory))
    transit_nodes = rest if rest.size else np.arange(n)
    for c in range(n_cartels):
        home = int(rng.choice(transit_nodes))
        near = [int(j) for j in np.argsort(d2[home])[:n_near]]
        orgs.append(
            dict(
                name=f"Cartel {c}",
                kind="cartel",
                members=float(rng.integers(gen.cartel_members_min, gen.cartel_members_max)),
                territories=near,
                allies=[],
                rivals=[],
                lieutenants=int(gen.cartel_lieutenants),
                cohesion=float(gen.cartel_cohesion),
            )
        )
    for i in range(n_gangs):
        home = int(rng.choice(transit_nodes))
        orgs.append(
            dict(
                name=f"Gang {i}",
                kind="gang",
                members=float(rng.integers(gen.gang_members_min, gen.gang_members_max)),
                territories=[home],
                allies=[],
                rivals=[],
                lieutenants=int(gen.gang_lieutenants),
                cohesion=float(gen.gang_cohesion),
            )
        )
    # production zones are held by the first cartels
    for j, t in enumerate(prod):
        orgs[j % n_cartels]["territories"].append(int(t))
    names = [o["name"] for o in orgs]
    rival = float(gen.rival_share)
    rival_or_ally = float(gen.rival_share + gen.ally_share)
    for i, o in enumerate(orgs):
        for j in range(i + 1, len(orgs)):
            u = rng.random()
            if u < rival:
                o["rivals"].append(names[j])
            elif u < rival_or_ally:
                o["allies"].append(names[j])

    return World(
        ids=[f"t{i:04d}" for i in range(n)],
        names=[f"Territory {i}" for i in range(n)],
        regions=[f"band{int(b)}" for b in band],
        countries=countries,
        country=band.astype(int),
        population=population,
        youth_share=rng.uniform(gen.youth_share_min, gen.youth_share_max, n),
        neet_share=rng.uniform(gen.neet_share_min, gen.neet_share_max, n),
        poverty=rng.uniform(gen.poverty_min, gen.poverty_max, n),
        state_presence=rng.uniform(gen.state_presence_min, gen.state_presence_max, n),
        base_homicide_rate=base_hr,
        roles=roles,
        lon=lon,
        lat=lat,
        production_kg=production_kg,
        consumption_kg=consumption_kg,
        interdiction=np.ones(n),
        graph=g,
        organisations=orgs,
        report_mask=None,
    )


def build_world(wcfg, rng: np.random.Generator) -> World:
    """A preset with territory tables, or a synthetic world."""
    return from_preset(wcfg, rng) if len(wcfg.territories) else synthetic(wcfg, rng)
