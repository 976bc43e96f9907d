"""The criminal-state network model: one step is one week, run as a list of phases.

The phases are described in docs/ODD.md, sections 3 and 7; each lives in its own module under
``sim/model/phases`` and cites its sources. Policies reach the phases only through ``model.fx``, the
effects of the levers active this week (``sim/model/policies.py``).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from mesa import Agent, Model
from mesa.discrete_space import Network
from omegaconf import OmegaConf

from sim.model import metrics, policies, replay
from sim.model.accounts import Accounts
from sim.model.agents import Cartel, Community, Facilitator, Gang, Organisation, Police
from sim.model.config import ParamsConfig, ScenarioConfig
from sim.model.phases import (
    arms,
    community,
    corruption,
    cultivation,
    enforcement,
    gangs,
    gold,
    interdiction,
    laundering,
    leadership,
    politics,
    prisons,
    recruitment,
    regime,
    services,
    shippers,
    trade,
    violence,
)
from sim.model.phases.prisons import Prisons
from sim.model.state import CountryState, Tally, TerritoryState, Totals
from sim.model.state.organisations import Organisations
from sim.model.ties import Tie, TieGraph
from sim.model.world import build_world

#: The weekly step, in order (docs/ODD.md section 3, "Process overview and scheduling").
PHASES = (
    ("cultivation", cultivation.step),  # 0: coca area (eradication, replanting, new area)
    ("production", trade.production),  # 1
    ("routing", trade.routing),  # 2
    ("interdiction", interdiction.step),  # interdiction effort moves toward seizures
    ("shippers", shippers.step),  # shippers open new routes (monthly)
    ("market", trade.market),  # 3
    ("gold", gold.step),  # illicit gold mined and taxed
    ("regime", regime.step),  # captured states: revenue, shelter, forces that operate the trade
    ("services", services.step),  # facilitators (M10)
    ("laundering", laundering.step),  # the groups' money through their launderers (M10)
    ("arms", arms.step),  # groups buy arms; their firepower against the police and rivals
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
    """Cartels, gangs, facilitators, politicians, police and communities on a world of territories.

    The state lives in owners, each in one place: ``terr`` (per territory), ``countries`` (per
    country), ``orgs`` (the organisations, their presence matrix and ledger), ``offices`` (the
    politicians), ``prisons``, ``routes`` (candidate routes and drugs in transit), ``shippers``
    (what traffickers know: perceived risk, open routes), ``interdiction`` (effort per territory),
    ``coca`` (area per production territory), ``laundering`` (the week's money through the
    launderers), ``gold`` (illicit gold per territory), ``regimes`` (captured states and what they
    shelter), ``arms`` (the groups' arms and firepower), ``ties``,
    ``tally`` (this week's counts), ``accounts`` (the week's flows by cause, observed only), ``totals``
    (the run's drug totals), ``truce``, ``pinned`` (a replay's pact before its episode); ``fx`` holds the effects of this week's policies. The phases
    read and write these, never the model itself.
    """

    def __init__(self, cfg) -> None:
        self.by_uid: dict[int, Agent] = {}
        super().__init__(rng=int(cfg.seed))
        params = cfg.params
        # a structured config's to_object is the dataclass instance
        self.p = cast(ParamsConfig, OmegaConf.to_object(params) if OmegaConf.is_config(params) else params)
        self.use_scenario(cfg)
        self.territory_every = int(cfg.output.territory_every)
        self.burn_in = int(cfg.burn_in)
        self.world = w = build_world(cfg.world, self.rng)
        n = w.n
        # a plaza's value to a group decays with distance from the group's home (violence.expansion)
        self.home_decay = np.exp(-w.distance_km / self.p.violence.expansion_range_km)
        self.space = Network(
            w.graph, random=self.random, layout={i: (float(w.lon[i]), float(w.lat[i])) for i in range(n)}
        )
        self.ties = TieGraph()
        self.terr = TerritoryState.zeros(n)
        self._init_territories()
        self.countries = CountryState.start(w)
        self.police = [Police(self, i, self.space._cells[i]) for i in range(n)]
        self.communities = [Community(self, i, self.space._cells[i]) for i in range(n)]
        self.accounts = Accounts(w.country, [c.iso for c in w.countries])  # the week's flows by cause
        self.orgs = Organisations(w, self.ties, self.p.violence.neutral_hostility, self.accounts)
        self._init_organisations()
        self._init_facilitators()
        self.laundering = laundering.Laundering.start(self)  # launderers' channels; the week's money flows
        self.offices = politics.Offices.elect(self)
        self.routes = trade.Routes(w, self.p.routing)
        self.shippers = shippers.Shippers.start(self.routes, self.p.routing.base_seizure)
        self.interdiction = interdiction.Interdiction.start(w, self.p.interdiction.mobile_share)
        self.coca = cultivation.Coca.start(w, self.p.cultivation, self.p.market.price_source)
        self.prisons = Prisons(w, self.p.prisons)
        self.truce = policies.Truce()
        self.pinned = replay.Pinned()  # a replay's state pinned before its episode (sim/model/replay.py)
        self.gold = gold.Gold(cfg.world, n)  # illicit gold per territory
        self.regimes = regime.Regimes(self)  # captured states (world input regimes)
        self.arms = arms.Arms(len(w.countries))  # the groups' arms stocks and firepower
        self.tally = Tally()
        self.totals = Totals()
        self.fx = policies.effects(self)
        self.events: list[dict] = []
        self.datacollector = metrics.Collector(model_reporters=metrics.model_reporters())
        self.territory_frames: list[dict] = []
        self.country_frames: list[dict] = []  # one per week: countries.parquet (metrics.record_countries)
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
        low = cp.min_tenure_years  # uniform with mean mean_tenure_years
        t.tenure[:] = self.rng.uniform(low, 2.0 * cp.mean_tenure_years - low, w.n)
        t.local[:] = cp.local_recruitment
        t.investigative[:] = np.array([cn[c].investigative_capacity for c in w.country])
        t.fear[:] = w.base_homicide_rate
        t.trust[:] = np.clip(self.p.community.initial_trust - community.violence_penalty(self, t.fear), 0.0, 1.0)
        t.tips[:] = t.trust**self.p.community.tips_exponent
        t.capacity[:] = 1.0
        t.risk[:] = self.p.routing.base_seizure
        t.price[:] = np.where(w.consumption_kg > 0, self.p.market.price_market, 0.0)
        t.supply_ema[:] = w.consumption_kg

    def _init_organisations(self) -> None:
        w = self.world
        by_name: dict[str, Organisation] = {}
        for spec in w.organisations:
            presence = np.zeros(w.n)
            terr = spec["territories"]
            weights = np.array([float(self.cfg.world.home_weight)] + [1.0] * (len(terr) - 1))
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
                self.ties.set(Tie.ALLIANCE, a, by_name[other].unique_id)
            for other in spec["rivals"]:
                self.ties.set(Tie.RIVALRY, a, by_name[other].unique_id)

    def _init_facilitators(self) -> None:
        alpha = float(self.cfg.world.facilitator_pareto_alpha)
        for i in range(int(self.cfg.world.n_facilitators)):
            kind = Facilitator.KINDS[i % len(Facilitator.KINDS)]
            cap = 1.0 + self.rng.pareto(alpha)
            Facilitator(self, kind, cap, self.p.facilitators.fee)

    def use_scenario(self, cfg) -> None:
        """Run on under ``cfg``, a config that differs from the one the model was built with at most in
        its scenario (:mod:`sim.fork`: copies of a burnt-in model, one per scenario)."""
        self.cfg = cfg
        scn = cfg.scenario
        self.scenario_cfg = cast(ScenarioConfig, OmegaConf.to_object(scn) if OmegaConf.is_config(scn) else scn)
        self.pin_week = replay.pin_week(cfg)  # a replay's pin (sim/model/replay.py), None without one
        self.reaches: dict[tuple[str, str], policies.Reach] = {}  # where each lever acts, by (programme, lever)

    # ------------------------------------------------------------------ agents by unique_id
    def register_agent(self, agent: Agent) -> None:
        super().register_agent(agent)
        self.by_uid[agent.unique_id] = agent

    def deregister_agent(self, agent: Agent) -> None:
        super().deregister_agent(agent)
        self.by_uid.pop(agent.unique_id, None)

    def agent_by_uid(self, uid: int) -> Agent | None:
        return self.by_uid.get(uid)

    # ------------------------------------------------------------------ time and events
    @property
    def week(self) -> int:
        """Weeks since the end of the burn-in: 0 in the first policy week, negative during the burn-in."""
        return self.steps - self.burn_in - 1

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
    def step(self) -> None:
        self.tally = Tally()
        self.orgs.new_week()
        self.accounts.open(self)
        if replay.due(self):  # a replay sets its countries to their year's state (sim/model/replay.py)
            replay.pin(self, self.cfg.replay)
        self.fx = policies.effects(self)
        self.truce.check(self)
        for _name, phase in PHASES:
            phase(self)
        self.accounts.close(self)
        self.datacollector.collect(self)
        metrics.record_territories(self)
        metrics.record_countries(self)
