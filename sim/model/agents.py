"""The agents: organisations (cartels, gangs, militias), facilitators, regimes, politicians, police, communities.

Organisations are agents and their members are counts (docs/ODD.md section 2). An organisation's
armed presence is an array over territories, so the phases can be vectorised. Police units and
communities are one per territory (``FixedAgent`` on the territory's cell); their state lives in
the model's territory arrays (``model.terr``) and the agent attributes below read and write it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


class Leader(StrEnum):
    """Where an organisation's leader is (M18)."""

    FREE = "free"
    PRISON = "prison"  # in a domestic prison, commanding from there or not (``leader_commands``)
    EXTRADITED = "extradited"  # for a moment: a successor takes over at once (leadership.remove_leader)


class MilitiaPhase(StrEnum):
    """A militia's course (M9, 004 l.3328-3330)."""

    PROTECTIVE = "protective"  # suppresses extortion where it stands
    PREDATORY = "predatory"  # extorts itself
    CAPTURED = "captured"  # an ally of the cartel that captured it


class Office(StrEnum):
    """A politician's office."""

    MAYOR = "mayor"  # one per territory
    LEGISLATOR = "legislator"  # brokers_per_country per country, all brokers
    EXECUTIVE = "executive"  # one per country


#: An organisation's ledger: numbers kept for every organisation in one array each, a row per
#: organisation (``model.orgs.<name>``, sim/model/state/organisations.py), so the phases update them
#: all at once; each organisation's attribute of the same name reads and writes its row.
LEDGER = (
    "cash",  # USD
    "income",  # USD income so far this week
    "drug_income",  # USD from drugs so far this week
    "revenue",  # USD income in the last week
    "drug_revenue",  # USD from drugs (taxes, deliveries, subcontracts) in the last week
    "drug_norm",  # yearly moving average of drug income (USD/week)
    "diversification",  # 0..1 share of effort in extortion, mining, smuggling (M17)
    "pretrial",  # members held without conviction
    "sentenced",  # members serving sentences
    "service_coverage",  # share of needed facilitator services (M10)
    "disrupted_until",  # step until which a succession crisis disrupts operations
)


#: A politician's numbers, kept for all politicians in the arrays of ``model.offices``
#: (sim/model/phases/politics.py), so the week's capture is found for all at once.
POLITICIAN_LEDGER = ("integrity", "illicit_money", "captured")


class _ArrayEntry:
    """Attribute that reads and writes an agent's entry of an array kept elsewhere: entry
    ``agent.idx`` of ``model.terr.<name>`` (``_ArrayEntry("terr")``, police and communities), or entry
    ``<name>`` of the agent's ``ledger`` (``_ArrayEntry("ledger")``: a view of its column of the
    organisations' ledger, :data:`LEDGER`, or of the politicians', ``fields``
    :data:`POLITICIAN_LEDGER`), read as ``kind`` (the float itself when None)."""

    def __init__(self, store: str, fields: tuple[str, ...] = LEDGER, kind: type | None = None) -> None:
        self.store, self.fields, self.kind = store, fields, kind

    def __set_name__(self, owner, name):
        self.name = name
        self.index = self.fields.index(name) if self.store == "ledger" else None

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        if self.index is not None:
            value = agent.ledger[self.index].item()
            return value if self.kind is None else self.kind(value)
        return getattr(agent.model.terr, self.name)[agent.idx].item()

    def __set__(self, agent, value):
        if self.index is not None:
            agent.ledger[self.index] = value
        else:
            getattr(agent.model.terr, self.name)[agent.idx] = value


class Organisation(Agent):
    """A criminal organisation. Members are counts spread over territories (``presence``); its
    money and detained members are its entries of the organisations' ledger (``LEDGER``)."""

    kind = "organisation"
    cash = _ArrayEntry("ledger")
    income = _ArrayEntry("ledger")
    drug_income = _ArrayEntry("ledger")
    revenue = _ArrayEntry("ledger")
    drug_revenue = _ArrayEntry("ledger")
    drug_norm = _ArrayEntry("ledger")
    diversification = _ArrayEntry("ledger")
    pretrial = _ArrayEntry("ledger")
    sentenced = _ArrayEntry("ledger")
    service_coverage = _ArrayEntry("ledger")
    disrupted_until = _ArrayEntry("ledger")

    def __init__(
        self,
        model: CrimeModel,
        name: str,
        presence: np.ndarray,
        home: int,
        *,
        cash: float = 0.0,
        lieutenants: int = 3,
        cohesion: float = 0.7,
        founded_by: int | None = None,
        origin: str = "founding",
    ) -> None:
        super().__init__(model)
        self.name = name
        self.origin = origin  # founding | splinter | returned | militia: how the group began (sim/model/accounts.py)
        self.presence = presence.astype(float)  # members per territory
        self.home = int(home)
        self.ledger = np.zeros(len(LEDGER))  # its entries of LEDGER (all 0 but these three)
        self.cash = float(cash)
        self.service_coverage = 1.0
        self.disrupted_until = -1
        self.lieutenants = int(lieutenants)  # succession depth
        self.cohesion = float(cohesion)  # 0..1
        self.leader = Leader.FREE
        self.leader_commands = True  # False while a successor has not taken over
        self.founded_by = founded_by
        # its row of the presence matrix and its column of the ledger (sim/model/state/organisations.py)
        model.orgs.add(self)

    @property
    def members(self) -> float:
        """Free members (not in prison)."""
        return float(self.presence.sum())

    @property
    def country(self) -> int:
        return int(self.model.world.country[self.home])

    @property
    def plazas(self) -> np.ndarray:
        """Indices of the territories this organisation controls."""
        return np.flatnonzero(self.model.terr.controller == self.unique_id)

    @property
    def disrupted(self) -> bool:
        return self.model.steps < self.disrupted_until

    def remove(self) -> None:
        self.model.ties.drop_agent(self.unique_id)
        super().remove()
        self.model.orgs.discard(self)


class Cartel(Organisation):
    """Trafficking organisation: moves product, taxes plazas, bribes, hires gangs (004 l.308)."""

    kind = "cartel"


class Gang(Organisation):
    """Mara or clique: extortion, retail, contract violence for cartels (004 l.2630-2634, l.308)."""

    kind = "gang"


class Militia(Organisation):
    """Autodefensa spawned by a community when extortion passes its tolerance (004 l.2974-3118).

    ``phase`` is ``protective`` at first, then ``predatory`` (extorts itself) or ``captured`` (an
    ally of the cartel that captured it) (004 l.3328-3330).
    """

    kind = "militia"

    def __init__(self, model: CrimeModel, name: str, presence: np.ndarray, home: int) -> None:
        super().__init__(
            model, name, presence, home, lieutenants=0, cohesion=model.p.gangs.militia_cohesion, origin="militia"
        )
        self.phase = MilitiaPhase.PROTECTIVE
        self.formed = model.steps


class Facilitator(Agent):
    """Launderer, transporter, forger, lawyer/accountant or broker serving several organisations
    at once with short-lived ties; capacity is heavy-tailed (a few super-fixers) (004 l.2404-2454).
    """

    KINDS = ("launderer", "transporter", "forger", "lawyer", "broker")

    def __init__(self, model: CrimeModel, kind: str, capacity: float, fee: float) -> None:
        super().__init__(model)
        self.kind = kind
        self.capacity = float(capacity)
        self.fee = float(fee)
        self.channel = ""  # a launderer's channel: bank | trade | crypto (sim/model/phases/laundering.py)
        self.patron = -1  # uid of the regime whose sponsor's rail this is (-1: none; sim/model/phases/regime.py)
        # clients it can serve at once (its capacity is fixed)
        self.slots = max(1, int(round(self.capacity * model.p.facilitators.clients_per_capacity)))

    @property
    def clients(self) -> list[int]:
        return self.model.ties.neighbours(Tie.SERVICE, self.unique_id)


class Regime(Agent):
    """A captured state: a government that runs or shelters the trade (Venezuela first; world input
    ``regimes``). Revenue by source (:data:`SOURCES`), spending on its forces' loyalty and on its
    allies, the groups it shelters, and an illicit effort that rises when its revenue is squeezed
    (000 l.58, l.92-114, l.331; 002 l.1, l.9; 003 l.7, l.14). Its weekly rules are
    sim/model/phases/regime.py."""

    SOURCES = ("formal", "drug_protection", "drug_operations", "gold", "sanctions_evasion")
    SPENDING = ("loyalty", "allies")

    def __init__(self, model: CrimeModel, country: int, forces: int, named: list[int], formal: float) -> None:
        super().__init__(model)
        self.country = int(country)
        self.forces = int(forces)  # uid of the organisation its security forces run (-1: none)
        self.named = list(named)  # uids of the groups it shelters besides its forces' allies
        self.formal = float(formal)  # formal revenue before sanctions, USD per week
        self.rails: dict[int, float] = {}  # uid of each sponsor's rail (a launderer) -> its cost
        self.revenue = dict.fromkeys(self.SOURCES, 0.0)  # USD in the last week
        self.spending = dict.fromkeys(self.SPENDING, 0.0)  # USD in the last week
        self.norm = self.formal  # yearly moving average of its total revenue, USD per week
        self.peak = self.formal  # the highest its norm has been, USD per week (what it is squeezed against)
        self.loyalty = 1.0  # 0..1 its security forces' loyalty
        self.effort = 0.0  # 0..1 its push into crime (protection, operations, gold)
        self.sheltered: list[int] = []  # uids of the groups it shelters this week

    @property
    def total(self) -> float:
        return float(sum(self.revenue.values()))


class Politician(Agent):
    """Mayor, legislator or executive; captured by illicit campaign money (004 l.2668-2700)."""

    integrity = _ArrayEntry("ledger", POLITICIAN_LEDGER)
    illicit_money = _ArrayEntry("ledger", POLITICIAN_LEDGER)
    captured = _ArrayEntry("ledger", POLITICIAN_LEDGER, bool)

    def __init__(self, model: CrimeModel, level: Office, country: int, territory: int, integrity: float) -> None:
        super().__init__(model)
        self.level = level  # mayor | legislator | executive
        self.country = int(country)
        self.territory = int(territory)
        self.ledger = np.zeros(len(POLITICIAN_LEDGER))  # its entries of POLITICIAN_LEDGER (model.offices binds it)
        self.integrity = float(integrity)
        self.illicit_money = 0.0  # M USD received this term
        self.captured = False
        self.broker = False


class Police(FixedAgent):
    """One police unit per territory (militarised when troops are deployed there).

    Patrols, arrests, interdicts, investigates; can be bribed or coerced (004 l.518-532, l.3338).
    """

    officers = _ArrayEntry("terr")
    integrity = _ArrayEntry("terr")
    pay = _ArrayEntry("terr")  # relative to the median wage
    tenure = _ArrayEntry("terr")  # years in post
    local = _ArrayEntry("terr")  # share locally recruited
    investigative = _ArrayEntry("terr")
    corrupt = _ArrayEntry("terr")  # share of officers on a criminal payroll
    militarised = _ArrayEntry("terr")  # share of the unit that is military
    capacity = _ArrayEntry("terr")  # effective enforcement capacity this week

    def __init__(self, model: CrimeModel, idx: int, cell) -> None:
        super().__init__(model)
        self.idx = idx
        self.cell = cell


class Community(FixedAgent):
    """The residents of one territory: recruits, tips, trust, fear, emigration (004 l.542-554)."""

    population = _ArrayEntry("terr")
    trust = _ArrayEntry("terr")
    fear = _ArrayEntry("terr")
    tips = _ArrayEntry("terr")
    extortion = _ArrayEntry("terr")  # share of residents paying extortion
    emigration = _ArrayEntry("terr")  # emigrants in the last week
    homicides = _ArrayEntry("terr")  # in the last week

    def __init__(self, model: CrimeModel, idx: int, cell) -> None:
        super().__init__(model)
        self.idx = idx
        self.cell = cell
