"""The criminal-state network model: one step is one week, run as a list of phases.

The phases follow DESIGN.md "One week, in phases"; each lives in its own module under
``sim/model/phases`` and cites its sources. Policies reach the phases only through ``model.fx``, the
effects of the levers active this week (``sim/model/policies.py``).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from mesa import DataCollector, Model
from mesa.discrete_space import Network
from omegaconf import OmegaConf
from scipy.sparse import csr_array, identity

from sim.model import metrics, policies
from sim.model.agents import Cartel, Community, Facilitator, Gang, Militia, Organisation, Police, Politician
from sim.model.config import ParamsConfig, ScenarioConfig
from sim.model.phases import (
    community,
    corruption,
    enforcement,
    gangs,
    leadership,
    politics,
    prisons,
    recruitment,
    services,
    trade,
    violence,
)
from sim.model.phases.prisons import Prisons
from sim.model.state import TerritoryState, sorted_union
from sim.model.ties import TieGraph
from sim.model.world import build_world

#: The weekly step, in order (DESIGN.md "One week, in phases").
PHASES = (
    ("production", trade.production),  # 1
    ("routing", trade.routing),  # 2
    ("market", trade.market),  # 3
    ("services", services.step),  # facilitators (M10)
    ("corruption", corruption.step),  # 4
    ("violence", violence.step),  # 5
    ("gangs", gangs.step),  # 6
    ("recruitment", recruitment.step),  # 7
    ("enforcement", enforcement.step),  # 8
    ("prisons", prisons.step),  # 9
    ("leadership", leadership.step),  # 10
    ("politics", politics.step),  # 11
    ("community", community.step),  # 12
)


class CrimeModel(Model):
    """Cartels, gangs, facilitators, politicians, police and communities on a world of territories."""

    def __init__(self, cfg) -> None:
        self.by_uid: dict[int, object] = {}
        super().__init__(rng=int(cfg.seed))
        self.cfg = cfg
        params = cfg.params
        self.p: ParamsConfig = OmegaConf.to_object(params) if OmegaConf.is_config(params) else params
        scn = cfg.scenario
        self.scenario_cfg: ScenarioConfig = OmegaConf.to_object(scn) if OmegaConf.is_config(scn) else scn
        self.territory_every = int(cfg.output.territory_every)
        self.burn_in = int(cfg.burn_in)
        self.world = w = build_world(cfg.world, self.rng)
        n = w.n
        # corridors as a sparse 0/1 matrix with self-loops (violence.expansion: next to a foothold)
        self.adjacency = csr_array(
            nx.to_scipy_sparse_array(w.graph, nodelist=range(n), weight=None) + identity(n, format="csr")
        )
        # a plaza's value to a group decays with distance from the group's home (violence.expansion)
        self.home_decay = np.exp(-w.distance_km / self.p.violence.expansion_range_km)
        self.space = Network(
            w.graph, random=self.random, layout={i: (float(w.lon[i]), float(w.lat[i])) for i in range(n)}
        )
        self.ties = TieGraph()
        self.org_names: dict[int, str] = {}
        self.terr = TerritoryState.zeros(n)
        self._init_territories()
        self.police = [Police(self, i, self.space._cells[i]) for i in range(n)]
        self.communities = [Community(self, i, self.space._cells[i]) for i in range(n)]
        self.police_uid = np.array([p.unique_id for p in self.police], dtype=np.int64)
        self.police_uid_set = set(self.police_uid.tolist())
        self._init_organisations()
        self._init_facilitators()
        self._init_politicians()
        # trade
        self.routes = trade.Routes(w, self.p.routing)
        self.stock = np.zeros(n)
        self.price = np.where(w.consumption_kg > 0, self.p.market.price_market, 0.0)
        self.supply_ema = w.consumption_kg.copy()
        self.produced = self.delivered_total = self.seized_total = 0.0
        # institutions
        self.prisons = Prisons(w, self.p.prisons)
        self.court_capture = np.zeros(len(w.countries))
        self.pressure = np.ones(len(w.countries))
        self.fear0 = np.maximum(
            np.bincount(w.country, weights=w.base_homicide_rate * w.population, minlength=len(w.countries))
            / np.bincount(w.country, weights=w.population, minlength=len(w.countries)),
            1.0,
        )
        self.crowding = np.zeros(len(w.countries))
        self.conviction_p = np.zeros(n)
        self.engaged = np.zeros(n)
        self.organised_violence = np.zeros(n)
        self.pact = np.zeros(n, dtype=bool)
        self.extradited: list[tuple[str, int, int]] = []
        self.truce_broken = False
        self.n_splinters = 0
        self.emigrants_total = 0.0
        self.smuggling_rent = 0.0
        self.income_by_source: dict[str, float] = {}  # cumulative USD by source
        self.fx = policies.effects(self)
        self._reset_week()
        self.events: list[dict] = []
        self.datacollector = DataCollector(model_reporters=metrics.model_reporters())
        self.territory_frames: list[dict] = []
        self.running = True

    # ------------------------------------------------------------------ setup
    def _init_territories(self) -> None:
        w, t = self.world, self.terr
        t.population[:] = w.population
        cn = w.countries
        t.officers[:] = np.array([cn[c].police_per_100k for c in w.country]) * w.population / 1e5
        cp = self.p.corruption
        t.integrity[:] = np.clip(
            np.array([cn[c].police_integrity for c in w.country]) + self.rng.normal(0, cp.integrity_sd, w.n), 0.0, 1.0
        )
        t.pay[:] = np.array([cn[c].police_pay for c in w.country])
        t.tenure[:] = self.rng.uniform(1.0, 2.0 * cp.mean_tenure_years - 1.0, w.n)
        t.local[:] = cp.local_recruitment
        t.investigative[:] = np.array([cn[c].investigative_capacity for c in w.country])
        t.fear[:] = w.base_homicide_rate
        t.trust[:] = np.clip(self.p.community.initial_trust - community.violence_penalty(self, t.fear), 0.0, 1.0)
        t.tips[:] = t.trust**self.p.community.tips_exponent
        t.capacity[:] = 1.0
        t.risk[:] = self.p.routing.base_seizure

    def _init_organisations(self) -> None:
        w = self.world
        by_name: dict[str, Organisation] = {}
        for spec in w.organisations:
            presence = np.zeros(w.n)
            terr = spec["territories"]
            weights = np.array([2.0] + [1.0] * (len(terr) - 1))
            np.add.at(presence, terr, spec["members"] * weights / weights.sum())
            cls = Cartel if spec["kind"] == "cartel" else Gang
            cash = spec["members"] * self.p.recruitment.upkeep * self.p.recruitment.initial_cash_weeks
            org = cls(
                self,
                spec["name"],
                presence,
                terr[0],
                cash=cash,
                lieutenants=spec["lieutenants"],
                cohesion=spec["cohesion"],
            )
            by_name[spec["name"]] = org
        for spec in w.organisations:
            a = by_name[spec["name"]].unique_id
            for other in spec["allies"]:
                self.ties.set("alliance", a, by_name[other].unique_id)
            for other in spec["rivals"]:
                self.ties.set("rivalry", a, by_name[other].unique_id)
        self.organisations_changed()

    def _init_facilitators(self) -> None:
        alpha = float(self.cfg.world.facilitator_pareto_alpha)
        for i in range(int(self.cfg.world.n_facilitators)):
            kind = Facilitator.KINDS[i % len(Facilitator.KINDS)]
            cap = 1.0 + self.rng.pareto(alpha)
            Facilitator(self, kind, cap, self.p.facilitators.fee)

    def _init_politicians(self) -> None:
        w, pp = self.world, self.p.politics
        rng = self.rng
        self.mayors = [Politician(self, "mayor", w.country[i], i, politics.draw_integrity(self)) for i in range(w.n)]
        self.executives = {}
        self.brokers_by_country: dict[int, list[Politician]] = {}
        for ci in range(len(w.countries)):
            terr = np.flatnonzero(w.country == ci)
            seat = int(terr[np.argmax(w.population[terr])])
            self.executives[ci] = Politician(self, "executive", ci, seat, politics.draw_integrity(self))
            brokers = []
            for _ in range(pp.brokers_per_country):
                leg = Politician(self, "legislator", ci, int(rng.choice(terr)), politics.draw_integrity(self))
                leg.broker = True
                brokers.append(leg)
                for m in terr:
                    self.ties.set("brokerage", leg.unique_id, self.mayors[m].unique_id)
                self.ties.set("brokerage", leg.unique_id, self.executives[ci].unique_id)
            self.brokers_by_country[ci] = brokers
        self.politicians = sorted(self.agents_by_type[Politician], key=lambda a: a.unique_id)

    # ------------------------------------------------------------------ organisation registry
    def organisations_changed(self) -> None:
        """Refresh the ordered organisation list after one joins or leaves.

        The organisations' ``presence`` arrays become the rows of one matrix, ``self.presence``
        (organisations x territories), so that phases can act on all groups at once: each
        ``org.presence`` is a view of its row, and writing to either writes to both.
        """
        orgs = []
        for cls in (Cartel, Gang, Militia):
            orgs.extend(self.agents_by_type.get(cls, []))
        self.organisations: list[Organisation] = sorted(orgs, key=lambda o: o.unique_id)
        self.org_index = {o.unique_id: k for k, o in enumerate(self.organisations)}
        self.org_by_uid = {o.unique_id: o for o in self.organisations}
        self.org_names.update({o.unique_id: o.name for o in self.organisations})
        k, n = len(self.organisations), self.world.n
        self.presence = np.array([o.presence for o in self.organisations], dtype=float).reshape(k, n)
        for row, org in enumerate(self.organisations):
            org.presence = self.presence[row]
        # fixed attributes of the organisations, by row
        self.org_uid = np.array([o.unique_id for o in self.organisations], dtype=np.int64)
        self.org_home = np.array([o.home for o in self.organisations], dtype=np.int64)
        self.org_country = self.world.country[self.org_home]
        self.is_gang = np.array([isinstance(o, Gang) for o in self.organisations], dtype=bool)
        self.is_militia = np.array([isinstance(o, Militia) for o in self.organisations], dtype=bool)
        self._uid_row = np.full(int(self.org_uid.max(initial=-1)) + 1, -1, dtype=np.int64)
        self._uid_row[self.org_uid] = np.arange(k)
        self._hostility_key = None
        self._held = None  # rows changed: held() recomputes its entries

    def register_agent(self, agent) -> None:
        super().register_agent(agent)
        self.by_uid[agent.unique_id] = agent

    def deregister_agent(self, agent) -> None:
        super().deregister_agent(agent)
        self.by_uid.pop(agent.unique_id, None)

    def agent_by_uid(self, uid: int):
        return self.by_uid.get(uid)

    # ------------------------------------------------------------------ where the groups are
    def held(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the entries of ``self.presence`` that may be non-zero, row by row
        (columns ascending within a row): every non-zero entry, and each group's home.

        A group holds a few plazas of a large map (at 1,600 territories, about 2,000 of 780,000
        entries), so phases work on these entries rather than on the whole matrix, and their cost
        grows with the groups' footprint rather than with groups x territories. The entries are
        found afresh at the start of each week (so writes to ``presence`` between steps, from a
        script or a test, are seen) and when a group joins or leaves (``organisations_changed``).
        Within the week only the move of members to new plazas adds entries
        (``violence.expansion``, which passes them to :meth:`set_held`); arrests, deaths,
        recruitment and releases at home change values at held entries only.
        ``tests/test_held.py`` checks this after every phase of runs with splits, militias and
        returning leaders.
        """
        if self._held is None:
            self.set_held(np.flatnonzero(self.presence != 0))
        return self._held

    def set_held(self, flat: np.ndarray) -> None:
        """Set the held entries from flat indices into ``self.presence`` (any order, repeats
        allowed) that include every non-zero entry; entries now zero are dropped, homes kept."""
        k, n = self.presence.shape
        homes = np.arange(k) * n + self.org_home
        flat = sorted_union(flat, homes)
        keep = self.presence.ravel()[flat] != 0
        keep[np.searchsorted(flat, homes)] = True
        r, c = np.divmod(flat[keep], n)
        r.flags.writeable = c.flags.writeable = False
        self._held = (r, c)

    def members_by_row(self) -> np.ndarray:
        """Free members of each organisation (row sums of ``self.presence``, over held entries)."""
        r, c = self.held()
        return np.bincount(r, weights=self.presence[r, c], minlength=self.presence.shape[0])

    def strongest(self) -> tuple[np.ndarray, np.ndarray]:
        """Row in ``self.presence`` of the strongest organisation in each territory (the first on
        ties, 0 where nobody is) and its members: ``s.argmax(0)`` and ``s.max(0)`` of the strength
        matrix ``s``, found from the held entries."""
        P = self.presence
        k, n = P.shape
        r, c = self.held()
        v = P[r, c]
        if (v < 0).any():  # not reached by the model; argmax semantics kept for any input
            return P.argmax(0), P.max(0)
        top = np.zeros(n)
        np.maximum.at(top, c, v)
        hit = (v == top[c]) & (v > 0)
        row = np.full(n, k, dtype=np.intp)
        np.minimum.at(row, c[hit], r[hit])  # the first (smallest) row among equals
        row[row == k] = 0
        return row, top

    def rows_of(self, uids: np.ndarray) -> np.ndarray:
        """Row in ``self.presence`` of each organisation uid (-1: not an organisation)."""
        uids = np.asarray(uids, dtype=np.int64)
        if self._uid_row.size == 0:  # no organisations left
            return np.full(uids.shape, -1, dtype=np.int64)
        ok = (uids >= 0) & (uids < self._uid_row.size)
        return np.where(ok, self._uid_row[np.where(ok, uids, 0)], -1)

    def hostility_matrix(self) -> np.ndarray:
        """(organisations, organisations) hostility: 1 rivals, 0 allies/self, ``neutral`` otherwise.

        Militias that are not captured are hostile to every criminal group (004 l.2974-3118).
        Read-only; rebuilt only when alliances, rivalries, militias or the organisations change.
        """
        hostile_militias = tuple(
            int(o.unique_id) for o in self.organisations if isinstance(o, Militia) and o.phase != "captured"
        )
        key = (self.ties.version("rivalry"), self.ties.version("alliance"), hostile_militias)
        if key != self._hostility_key:
            k = len(self.organisations)
            h = np.full((k, k), self.p.violence.neutral_hostility)
            for kind, value in (("rivalry", 1.0), ("alliance", 0.0)):
                pairs = self.ties.edge_array(kind)
                a, b = self.rows_of(pairs[:, 0]), self.rows_of(pairs[:, 1])
                keep = (a >= 0) & (b >= 0)
                h[a[keep], b[keep]] = h[b[keep], a[keep]] = value
            rows = self.rows_of(np.array(hostile_militias, dtype=np.int64))
            h[rows, :] = 1.0
            h[:, rows] = 1.0
            np.fill_diagonal(h, 0.0)
            h.flags.writeable = False
            self._hostility, self._hostility_key = h, key
        return self._hostility

    def dissolve(self, org: Organisation) -> None:
        self.prisons.others[org.country] += org.pretrial + org.sentenced
        # its plazas have no controller until the next control update (violence.control); routing,
        # earlier in next week, must not ship for a group that no longer exists
        self.terr.controller[self.terr.controller == org.unique_id] = -1
        self.event("dissolved", actors=[org.name], territory=org.home)
        org.remove()
        self.organisations_changed()

    # ------------------------------------------------------------------ money
    def credit(self, owners: np.ndarray, amounts: np.ndarray, source: str, drug: bool = False) -> None:
        """Credit per-territory amounts (USD) to each territory's owner organisation (uid or -1).

        Territory by territory, as ``credit_org`` would (the same sums in the same order).
        """
        sel = (owners >= 0) & (amounts > 0)
        if not sel.any():
            return
        by_uid = self.org_by_uid
        total = self.income_by_source.get(source, 0.0)
        credited = False
        for uid, amt in zip(owners[sel].tolist(), amounts[sel].tolist()):
            org = by_uid.get(uid)
            if org is not None:
                org.cash += amt
                org.income += amt
                total += amt
                if drug:
                    org.drug_income += amt
                credited = True
        if credited:
            self.income_by_source[source] = total

    def debit(self, owners: np.ndarray, amounts: np.ndarray) -> None:
        sel = (owners >= 0) & (amounts > 0)
        for uid, amt in zip(owners[sel].tolist(), amounts[sel].tolist()):
            org = self.org_by_uid.get(uid)
            if org is not None:
                self.debit_org(org, amt)

    def credit_org(self, org: Organisation, amount: float, source: str, drug: bool = False) -> None:
        """Add income to an organisation; ``source`` feeds ``income_by_source`` (M11, M17)."""
        org.cash += amount
        org.income += amount
        self.income_by_source[source] = self.income_by_source.get(source, 0.0) + amount
        if drug:
            org.drug_income += amount

    @staticmethod
    def debit_org(org: Organisation, amount: float) -> None:
        org.cash = max(0.0, org.cash - amount)

    # ------------------------------------------------------------------ policy hooks
    @property
    def week(self) -> int:
        """Weeks since the end of the burn-in: 0 in the first policy week, negative during the burn-in."""
        return self.steps - self.burn_in - 1

    @property
    def captured_politician_share(self) -> float:
        pols = self.politicians  # the share of an integer count: = np.mean of the flags
        return float(sum(bool(p.captured) for p in pols) / len(pols)) if pols else 0.0

    def executive_captured(self, country: int) -> bool:
        return bool(self.executives[country].captured)

    def mano_dura_targets(self, share: float) -> np.ndarray:
        """Troops go to the most violent ``share`` of territories (excluding markets abroad)."""
        w = self.world
        eligible = ~w.role("market")
        rate = np.where(eligible, self.terr.fear, -1.0)
        k = int(round(share * eligible.sum()))
        out = np.zeros(w.n)
        if k > 0:
            out[np.argsort(-rate)[:k]] = 1.0
        return out

    def return_delay(self, fx) -> int:
        mean = fx.extradition_return_weeks or 52.0 * self.scenario_cfg.extradition.return_years
        return int(self.rng.exponential(mean))

    def leader_removed(self, org: Organisation, how: str, commands: bool = False) -> None:
        leadership.remove_leader(self, org, how, commands)

    def event(self, kind: str, actors: list[str], territory: int, **extra) -> None:
        self.events.append(
            dict(
                step=self.steps,
                year=self.week / 52.0,
                kind=kind,
                actors="; ".join(actors),
                territory=self.world.ids[territory] if territory >= 0 else "",
                **{k: (float(v) if isinstance(v, (int, float, np.number)) else str(v)) for k, v in extra.items()},
            )
        )

    # ------------------------------------------------------------------ the week
    def _reset_week(self) -> None:
        self._held = None
        self.week_removals = self.week_extraditions = self.week_splits = 0
        self.week_arrests = self.week_recruits = self.week_seized = 0.0
        self.week_delivered = self.week_shipped = 0.0
        self.week_arrests_by_country = np.zeros(len(self.world.countries))
        for org in self.organisations:
            org.revenue, org.drug_revenue = org.income, org.drug_income
            org.income = org.drug_income = 0.0

    def step(self) -> None:
        self._reset_week()
        self.fx = policies.effects(self)
        self._truce_check()
        for _name, phase in PHASES:
            phase(self)
        self.datacollector.collect(self)
        metrics.record_territories(self)

    def _truce_check(self) -> None:
        lv = self.scenario_cfg.truce
        if policies.active(lv, self.week) and not self.truce_broken:
            if self.week == lv.start:
                self.event("truce", actors=["gangs"], territory=-1)
            if self.rng.random() < lv.weekly_break_prob:
                self.truce_broken = True
                self.event("truce_broken", actors=["gangs"], territory=-1)
