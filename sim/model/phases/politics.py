"""Phase 11: politics: illicit campaign finance, capture, elections, brokers, crackdown demand.

* Organisations give ``finance_rate`` of their weekly income to politicians where
  they operate (mayors of their plazas; legislators and the executive of their home country
  through brokers). A politician is captured when illicit money x (1 - integrity) passes
  ``capture_threshold`` (M13, 004 l.2668-2700, l.3334).
* Elections every ``election_every_years`` (per country, each country ``election_stagger_weeks``
  after the previous one): a candidate financed by crime wins with a logistic advantage in illicit
  money and starts captured above ``elected_capture_share`` x ``capture_threshold``; a clean
  winner starts uncaptured.
* A few brokers per country (legislators) hold brokerage ties to many mayors: they link local
  crime to national power (004 l.3334). A captured broker's illicit money also reaches the
  executive: each week ``broker_passthrough / 52`` of it is added to the executive's, without
  being taken from the broker (it measures influence, not a ledger).
* Captured executives block extraditions (000 l.214) and captured politicians resist police
  reform (004 l.400; see ``policies._police_reform``).
* Public demand for a crackdown (004 l.384): enforcement pressure rises with the national homicide
  rate relative to its starting level.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import POLITICIAN_LEDGER, Office, Organisation, Politician

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


@dataclass
class Offices:
    """The politicians (``model.offices``): a mayor per territory and, per country, an executive and
    ``brokers_per_country`` legislators who are brokers (brokerage ties to the country's mayors and
    executive). Their numbers (``agents.POLITICIAN_LEDGER``) are kept here, a column each in the
    order of ``politicians`` (each politician's ``column``): ``integrity``, ``illicit_money`` and
    ``captured`` (0 or 1) are the rows of ``ledger``, and each politician's attributes of those names
    read and write its column."""

    mayors: list[Politician]  # by territory
    executives: dict[int, Politician]  # by country
    brokers: dict[int, list[Politician]]  # by country
    politicians: list[Politician]  # all of them, in unique_id order

    def __post_init__(self) -> None:
        k = len(self.politicians)
        self._bind(np.array([p.ledger for p in self.politicians]).reshape(k, len(POLITICIAN_LEDGER)).T.copy())

    def _bind(self, ledger: np.ndarray) -> None:
        """Keep the politicians' numbers in ``ledger``: each politician's ``ledger`` becomes a view of its column."""
        self.ledger = ledger
        for column, p in enumerate(self.politicians):
            p.ledger, p.column = ledger[:, column], column
        self.integrity, self.illicit_money, self.captured = ledger
        self.country = np.array([p.country for p in self.politicians], dtype=np.int64)
        # the columns of each territory's mayor, and by country those of its brokers (-1 past the last)
        self.mayor_columns = np.array([p.column for p in self.mayors], dtype=np.int64)
        n_c = max(max(self.brokers, default=-1), int(self.country.max(initial=-1))) + 1
        self.broker_columns = np.full((n_c, max(map(len, self.brokers.values()), default=0)), -1, dtype=np.int64)
        for country, brokers in self.brokers.items():
            self.broker_columns[country, : len(brokers)] = [b.column for b in brokers]
        self.broker_count = np.count_nonzero(self.broker_columns >= 0, axis=1)

    def __deepcopy__(self, memo: dict) -> Offices:
        """A copy (of a whole model: ``sim.fork``) whose politicians' columns are views of its own ledger
        again (the deep copy of a view is an array of its own)."""
        new = object.__new__(Offices)
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        new._bind(new.ledger)
        return new

    @classmethod
    def elect(cls, model: CrimeModel) -> Offices:
        """The first office holders: every mayor, then country by country the executive (seated in
        the most populous territory) and the brokers (in a random territory)."""
        w, pp, rng = model.world, model.p.politics, model.rng
        mayors = [Politician(model, Office.MAYOR, w.country[i], i, draw_integrity(model)) for i in range(w.n)]
        executives: dict[int, Politician] = {}
        brokers: dict[int, list[Politician]] = {}
        for ci in range(len(w.countries)):
            terr = np.flatnonzero(w.country == ci)
            seat = int(terr[np.argmax(w.population[terr])])
            executives[ci] = Politician(model, Office.EXECUTIVE, ci, seat, draw_integrity(model))
            brokers[ci] = []
            for _ in range(pp.brokers_per_country):
                leg = Politician(model, Office.LEGISLATOR, ci, int(rng.choice(terr)), draw_integrity(model))
                leg.broker = True
                brokers[ci].append(leg)
        everyone = [*mayors, *executives.values(), *(b for bs in brokers.values() for b in bs)]
        return cls(mayors, executives, brokers, sorted(everyone, key=lambda a: a.unique_id))

    @property
    def captured_share(self) -> float:
        """Share of the politicians who are captured."""
        pols = self.politicians  # the share of an integer count: = np.mean of the flags
        return float(np.count_nonzero(self.captured) / len(pols)) if pols else 0.0


def draw_integrity(model: CrimeModel) -> float:
    """Integrity of a new politician: Beta with mean ``integrity_mean`` and concentration
    ``integrity_concentration``."""
    pp = model.p.politics
    m, k = pp.integrity_mean, pp.integrity_concentration
    return float(model.rng.beta(k * m, k * (1.0 - m)))


def step(model: CrimeModel) -> None:
    """Phase 11: politics: illicit campaign finance, capture, elections, brokers, crackdown demand.

    Reads ``orgs`` (agents, cash, revenue), ``terr.controller``, ``terr.fear``, ``terr.population``,
    ``countries.fear0``, ``offices``. Writes the organisations' ``cash``; the politicians'
    ``illicit_money``, ``captured`` and (at elections) ``integrity``; ``countries.pressure``;
    ``election`` events.
    """
    pp, t, w = model.p.politics, model.terr, model.world
    offices = model.offices
    # illicit finance: each organisation funds the mayors of its plazas and its national brokers
    f = Funding.now(model)
    model.orgs.debit_rows(f.rows, f.budgets, "campaign_finance")
    money = offices.illicit_money
    # each politician is paid payment by payment in the order funding lists them: a mayor by one
    # group at most (the one that holds the plaza), a broker by its country's groups in row order
    money[offices.mayor_columns[f.plazas]] += f.each[f.payer]
    paid = f.brokers >= 0
    np.add.at(money, f.brokers[paid], np.broadcast_to(f.each[:, None], f.brokers.shape)[paid])
    # captured brokers pass money up to the executive (local crime -> national power)
    for country, brokers in offices.brokers.items():
        columns = [b.column for b in brokers]
        given = zip(money[columns].tolist(), offices.captured[columns].tolist())
        money[offices.executives[country].column] += sum(pp.broker_passthrough * m for m, c in given if c) / 52.0
    offices.captured[:] = (offices.captured > 0) | (money * (1.0 - offices.integrity) > pp.capture_threshold)
    _elections(model)
    # public demand for a crackdown, by country
    c = w.country
    n_c = len(w.countries)
    hom = np.bincount(c, weights=t.fear * t.population, minlength=n_c) / np.maximum(
        np.bincount(c, weights=t.population, minlength=n_c), 1.0
    )
    ratio = np.maximum(hom, 1e-6) / np.maximum(model.countries.fear0, 1e-6)
    model.countries.pressure[:] = 1.0 + pp.crackdown_demand * np.maximum(0.0, np.log2(ratio))


@dataclass
class Funding:
    """The week's campaign money of all organisations at once (:func:`funding` lists it group by
    group): ``rows``, the rows of the groups that fund politicians, ascending; ``budgets``, what each
    gives (USD); ``each``, what each of its politicians gets (M USD: the budget shared equally);
    ``plazas``, the territories whose mayor is funded, ascending, and ``payer``, the group that
    funds each (its index in ``rows``); ``brokers``, per group of ``rows``, the columns of
    ``Offices.ledger`` of the brokers it funds (-1 past the last)."""

    rows: np.ndarray
    budgets: np.ndarray
    each: np.ndarray
    plazas: np.ndarray
    payer: np.ndarray
    brokers: np.ndarray

    @classmethod
    def now(cls, model: CrimeModel) -> Funding:
        """This week's: see :func:`funding`."""
        pp, offices, orgs = model.p.politics, model.offices, model.orgs
        owner = orgs.rows_of(model.terr.controller)  # by territory, the row of the group that holds it
        held = np.flatnonzero(owner >= 0)
        targets = np.bincount(owner[held], minlength=len(orgs.agents)) + offices.broker_count[orgs.country]
        # militias, groups without revenue and groups with nobody to fund fund nobody
        funds = ~orgs.is_militia & ~(orgs.revenue <= 0) & (targets > 0)
        rows = np.flatnonzero(funds)
        budgets = np.minimum(orgs.cash[rows], orgs.revenue[rows] * pp.finance_rate)
        plazas = held[funds[owner[held]]]
        payer = (np.cumsum(funds) - 1)[owner[plazas]]
        return cls(
            rows, budgets, budgets / targets[rows] / 1e6, plazas, payer, offices.broker_columns[orgs.country[rows]]
        )


def funding(model: CrimeModel) -> Iterator[tuple[Organisation, list[Politician], float]]:
    """Each organisation's campaign money this week, in row order: the politicians it funds (the
    mayors of its plazas, then its home country's brokers) and its budget, ``finance_rate`` of last
    week's revenue within its cash. Militias and groups without revenue fund nobody. A budget reads
    only its own group's cash, so :func:`step` finds them all (:class:`Funding`) before the groups pay."""
    f = Funding.now(model)
    offices, orgs = model.offices, model.orgs
    mayors: list[list[Politician]] = [[] for _ in range(f.rows.size)]
    for i, j in zip(f.plazas.tolist(), f.payer.tolist()):
        mayors[j].append(offices.mayors[i])
    for j, (row, budget) in enumerate(zip(f.rows.tolist(), f.budgets.tolist())):
        yield orgs.agents[row], mayors[j] + offices.brokers.get(int(orgs.country[row]), []), budget


def finance_ties(model: CrimeModel) -> dict[tuple[int, int], float]:
    """``finance`` ties (organisation -> politician, M USD a week) as :func:`funding` gives them now."""
    return {
        (org.unique_id, pol.unique_id): budget / len(targets) / 1e6
        for org, targets, budget in funding(model)
        for pol in targets
    }


def brokerage_ties(model: CrimeModel) -> dict[tuple[int, int], float]:
    """``brokerage`` ties (symmetric, weight 1): each broker with the mayors and the executive of
    its country."""
    w, offices = model.world, model.offices
    out: dict[tuple[int, int], float] = {}
    for ci, brokers in offices.brokers.items():
        others = [offices.mayors[i].unique_id for i in np.flatnonzero(w.country == ci)]
        others.append(offices.executives[ci].unique_id)
        for leg in brokers:
            for uid in others:
                out[(min(leg.unique_id, uid), max(leg.unique_id, uid))] = 1.0
    return out


def _elections(model: CrimeModel) -> None:
    pp, w = model.p.politics, model.world
    week = model.steps
    for ci, country in enumerate(w.countries):
        period = 52 * country.election_every_years
        if (week + pp.election_stagger_weeks * ci) % period != 0 or week == 0:  # countries' election weeks staggered
            continue
        pols = [p for p in model.offices.politicians if p.country == ci]
        for pol in pols:
            money = pol.illicit_money
            p_funded = 1.0 / (1.0 + np.exp(-pp.money_vote_weight * np.log1p(money)))
            funded_wins = model.rng.random() < p_funded and money > 0
            pol.integrity = draw_integrity(model)
            pol.captured = (
                funded_wins and money * (1.0 - pol.integrity) > pp.elected_capture_share * pp.capture_threshold
            )
            pol.illicit_money = money if funded_wins else 0.0
        model.event(
            "election", actors=[country.iso], territory=-1, captured=sum(p.captured for p in pols), seats=len(pols)
        )
