"""The weekly accounts (``model.accounts``): every outcome split by the cause that moved it.

Each week and each country, six accounts (:data:`ACCOUNTS`), each a set of causes that add up to
the account's ``total``:

* ``homicides``: the week's homicides where they happened, split by the source of the killing. The
  violence phase draws one Poisson count per territory from the sum of expected killings
  (``violence.step``); the count is split in proportion to the expected killings of each source, and
  the killings in fights between groups by the kind of pair that fought (who the groups are:
  splinters, militias, returned leaders' groups, declared rivals, or groups that are neither allied
  nor rivals).
* ``members``, ``members_free``, ``pretrial``, ``prisoners``, ``money``: stocks. The total is the
  stock's observed change over the week (its value at the end of the week less its value at the
  start, read from the model's state, not from the flows), and the causes are the flows recorded
  where they happen in the phases. Members, detainees and cash count for the country of the group's
  home (as ``members`` in ``countries.parquet``); prisoners are the inmates of the country's prisons.

The accounts close: each week the causes of an account sum to its total (``tests/test_accounts.py``),
up to the rounding of floating-point sums. They only observe: recording a flow draws no random
number and changes no state of the model (so the phases' docstrings do not list ``accounts`` among
what they write). Where a flow happens: homicides and combat deaths in ``violence``, militias in
``gangs``, recruits and exits in ``recruitment``, arrests and mass sweeps in ``enforcement``, cases
decided, releases and prison recruitment in ``prisons``, splits, dissolutions and returned leaders
in ``leadership``, money wherever the ledger credits or debits cash (``Organisations.credit``,
``debit``: income by source, and each payment under its use).

Written as ``flows.parquet`` (:func:`flows_frame`); :func:`by_cause` gives the UI one account of
one country over the run so far.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.model.model import CrimeModel

#: The kinds of pairs of groups fighting in a plaza, in order of precedence: a pair with a militia
#: is a militia fight even if the other side is a splinter, and so on.
WAR_KINDS = ("war_militias", "war_splinters", "war_returned", "war_rivals", "war_encroachment")

#: Code of each origin of a group (``Organisation.origin``): the war kind of a pair of groups is the
#: smaller code of its two sides (militia before splinter before returned leader), rivals or not
#: when both are founding groups.
ORIGIN_CODE = {"militia": 0, "splinter": 1, "returned": 2, "founding": 3}

#: Every account, its causes and what they count (a negative flow lowers the stock). Killings in
#: fights count fighters and bystanders; a pair of groups is classed by the first kind that fits, in
#: the order of :data:`WAR_KINDS`.
ACCOUNTS: dict[str, dict[str, str]] = {
    "homicides": {
        "war_militias": "fights involving militias (autodefensas)",
        "war_splinters": "fights involving splinters (groups split after a leader's removal)",
        "war_returned": "fights involving returned extradited leaders' groups",
        "war_rivals": "fights between other declared rivals",
        "war_encroachment": "fights between other groups, neither allies nor rivals",
        "gang_violence": "gang violence (extortion, retail, contract killings)",
        "state_abuse": "killings by militarised police units",
        "background": "violence not tied to organised crime",
    },
    "members": {
        "recruited_community": "youth recruited in the communities",
        "recruited_prison": "non-member inmates recruited by gangs in crowded prisons",
        "founded": "members of new groups: militias formed, returned leaders' groups",
        "split": "members of a splinter based in another country than its parent (out of one, into the other)",
        "attrition": "members leaving (attrition)",
        "unpaid": "members leaving a group that cannot pay them",
        "killed": "members killed in fights",
        "dissolved": "members (free and held) of groups that dissolve (held ones become ordinary inmates)",
    },
    "members_free": {
        "recruited_community": "youth recruited in the communities",
        "founded": "members of new groups: militias formed, returned leaders' groups",
        "split": "members of a splinter based in another country than its parent",
        "attrition": "members leaving (attrition)",
        "unpaid": "members leaving a group that cannot pay them",
        "killed": "members killed in fights",
        "arrested": "members arrested (into pre-trial detention)",
        "released_uncharged": "detainees released when their case is decided without a conviction",
        "released_served": "members released at the end of their sentence",
        "dissolved": "free members of groups that dissolve",
    },
    "pretrial": {
        "arrested": "members arrested",
        "convicted": "detainees convicted (they go on to serve sentences)",
        "released_uncharged": "detainees released without a conviction",
        "dissolved": "detainees of groups that dissolve (they become ordinary inmates)",
    },
    "prisoners": {
        "arrested": "members arrested",
        "swept_up": "non-members swept up by mass arrests",
        "ordinary": "ordinary admissions less releases of non-member inmates (net)",
        "released_uncharged": "detainees released without a conviction",
        "released_served": "members released at the end of their sentence",
        "recruited_from_inmates": "non-member inmates recruited by gangs (leave the non-member count)",
        "joined_gangs": "recruited inmates counted among the gangs' sentenced members",
    },
    "money": {
        "production_tax": "income: tax on production in controlled territories",
        "transit_tax": "income: tax on drugs passing controlled territories",
        "wholesale": "income: wholesale sales at the markets",
        "extortion": "income: extortion of residents",
        "subcontract": "income: a cartel's pay to the gangs in its plazas",
        "mining": "income: illegal mining by diversified members (M17)",
        "gold": "income: the controller's take of illicit gold mined in its territories (sim/model/phases/gold.py)",
        "regime_support": "income: a regime's payments to the groups it shelters (sim/model/phases/regime.py)",
        "smuggling": "income: migrant smuggling at border crossings",
        "subcontracts_paid": "spending: a cartel's pay to the gangs in its plazas",
        "bribes": "spending: bribes to police units",
        "services": "spending: transporters' fees and the cost of going without one",
        "laundering_fees": "spending: launderers' fees (sim/model/phases/laundering.py)",
        "confiscated": "losses: laundered money confiscated, and money seized with a launderer taken down",
        "unlaundered": "losses: income no launderer could carry, lost moving it otherwise (bulk cash, own fronts)",
        "new_routes": "spending: opening territories to a shipper's routes (sim/model/phases/shippers.py)",
        "arms": "spending: arms and ammunition (sim/model/phases/arms.py)",
        "wages": "spending: members' wages",
        "campaign_finance": "spending: illicit campaign money to politicians",
        "split": "cash a splinter takes (out of its parent's country, into its own)",
        "dissolved": "cash of groups that dissolve",
    },
}

#: What each account's ``total`` is, in its unit.
TOTALS = {
    "homicides": "homicides in the week, in the country's territories",
    "members": "change in the week of the members (free, pre-trial, sentenced) of the groups based in the country",
    "members_free": "change in the week of the free members of the groups based in the country",
    "pretrial": "change in the week of the members of the groups based in the country held pre-trial",
    "prisoners": "change in the week of the inmates (members and non-members) of the country's prisons",
    "money": "change in the week of the cash (USD) of the groups based in the country",
}

#: Accounts whose total is a stock's change (the rest count events in the week).
STOCKS = ("members", "members_free", "pretrial", "prisoners", "money")


class Accounts:
    """This week's flows (a row per account and cause, a column per country) and the weeks so far."""

    def __init__(self, country_of: np.ndarray, isos: list[str]) -> None:
        self.country_of = country_of  # country of each territory
        self.isos = isos
        self.onehot = np.zeros((len(country_of), len(isos)))  # territories x countries: sums by country
        self.onehot[np.arange(len(country_of)), country_of] = 1.0
        self.keys = [(a, c) for a, causes in ACCOUNTS.items() for c in causes]
        self.row = {k: i for i, k in enumerate(self.keys)}
        self.now = np.zeros((len(self.keys), len(isos)))
        self.fights: tuple[np.ndarray, ...] = ()  # this week's fighting pairs (violence.control)
        # this week's single amounts (add_at): their rows, countries and amounts
        self._pending: tuple[list[int], list[int], list[float]] = ([], [], [])
        self._start = np.zeros((len(STOCKS), len(isos)))
        self.weeks: list[tuple[int, np.ndarray, np.ndarray]] = []  # (step, flows, totals)

    # ------------------------------------------------------------------ recording
    def add(self, account: str, cause: str, values: np.ndarray) -> None:
        """Add per-country amounts to a cause of an account."""
        self.now[self.row[account, cause]] += values

    def add_at(self, account: str, cause: str, country: int, amount: float) -> None:
        """Add one amount to a cause of an account in one country (kept in a list, added at the end
        of the week: many small payments cost less so)."""
        self.add_each(account, cause, [country], [amount])

    def add_each(self, account: str, cause: str, countries: list[int], amounts: list[float]) -> None:
        """:meth:`add_at` for each country and amount, in order."""
        rows, where, values = self._pending
        rows.extend([self.row[account, cause]] * len(countries))
        where.extend(countries)
        values.extend(amounts)

    def by_home(self, model: CrimeModel, rows: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Per-country sums of amounts by the home country of each organisation row."""
        return np.bincount(model.orgs.country[rows], weights=amounts, minlength=len(self.isos))

    def members(self, cause: str, values: np.ndarray, free: bool = True) -> None:
        """A flow of members (per country) in ``members`` and, if ``free``, in ``members_free``."""
        self.add("members", cause, values)
        if free:
            self.add("members_free", cause, values)

    def homicides(
        self,
        model: CrimeModel,
        combat: np.ndarray,
        sources: dict[str, np.ndarray],
        expected: np.ndarray,
        homicides: np.ndarray,
    ) -> None:
        """Split each territory's homicides in proportion to the expected killings of each source:
        ``combat`` (fighters and bystanders) by the kind of the pairs fighting there (:data:`WAR_KINDS`,
        from ``fights``), and the other ``sources`` by name."""
        n = len(self.country_of)
        per_expected = np.divide(homicides, expected, out=np.zeros(n), where=expected > 0)
        parts = np.zeros((len(WAR_KINDS) + len(sources), n))
        if len(self.fights) and self.fights[0].size:
            terr, a, b, fight = self.fights
            orgs = model.orgs
            # a pair's kind is its first side's in the order of WAR_KINDS: the smaller origin code
            code = np.array([ORIGIN_CODE[o.origin] for o in orgs.agents], dtype=np.int64)
            kind = np.minimum(code[a], code[b])
            kind[(kind == 3) & (orgs.hostility()[a, b] != 1.0)] = 4  # neither allies nor rivals
            engaged = np.bincount(kind * n + terr, weights=fight, minlength=len(WAR_KINDS) * n).reshape(-1, n)
            total = engaged.sum(0)
            parts[: len(WAR_KINDS)] = np.divide(engaged, total, out=np.zeros_like(engaged), where=total > 0) * combat
        parts[len(WAR_KINDS) :] = list(sources.values())
        rows = [self.row["homicides", c] for c in (*WAR_KINDS, *sources)]
        self.now[rows] += (parts * per_expected) @ self.onehot

    # ------------------------------------------------------------------ the week
    def stocks(self, model: CrimeModel) -> np.ndarray:
        """The stocks of :data:`STOCKS` now, per country (rows in the order of :data:`STOCKS`)."""
        orgs, n_c = model.orgs, len(self.isos)
        home = orgs.country
        free = np.bincount(home, weights=orgs.members_by_row(), minlength=n_c)
        pretrial = np.bincount(home, weights=orgs.pretrial, minlength=n_c)
        sentenced = np.bincount(home, weights=orgs.sentenced, minlength=n_c)
        cash = np.bincount(home, weights=orgs.cash, minlength=n_c)
        held = pretrial + sentenced
        return np.stack([free + held, free, pretrial, model.prisons.others + held, cash])

    def open(self, model: CrimeModel) -> None:
        """At the start of a week: flows at zero, the stocks noted."""
        self.now = np.zeros_like(self.now)
        self.fights = ()
        self._pending = ([], [], [])
        self._start = self.stocks(model)

    def close(self, model: CrimeModel) -> None:
        """At the end of a week: the totals observed (homicides; the stocks' change), the week kept."""
        rows, where, values = self._pending
        if rows:
            np.add.at(self.now, (np.array(rows), np.array(where)), np.array(values, dtype=float))
            self._pending = ([], [], [])
        homicides = np.bincount(self.country_of, weights=model.terr.homicides, minlength=len(self.isos))
        totals = np.vstack([homicides, self.stocks(model) - self._start])
        self.weeks.append((model.steps, self.now, totals))


def flows_frame(model: CrimeModel, start: int = 0) -> pd.DataFrame:
    """``flows.parquet``: one row per week, country, account and cause (and ``total``, the account's
    observed total), long format: ``step, year, country, account, cause, value``, from the ``start``-th
    week kept on. Rows whose value is 0 are left out (a missing cause is 0)."""
    acc = model.accounts
    weeks = acc.weeks[start:]
    cols = ["step", "year", "country", "account", "cause", "value"]
    if not weeks:
        return pd.DataFrame({c: pd.Series(dtype="object" if c in cols[2:5] else "float64") for c in cols})
    keys = acc.keys + [(a, "total") for a in ACCOUNTS]
    values = np.stack([np.vstack([flows, totals]) for _, flows, totals in weeks])  # (weeks, keys, countries)
    week, key, country = np.nonzero(values)
    steps = np.array([s for s, _, _ in weeks], dtype=np.int64)[week]
    account_code = np.array([list(ACCOUNTS).index(a) for a, _ in keys], dtype=np.int64)
    return pd.DataFrame(
        {
            "step": steps,
            "year": (steps - model.burn_in - 1) / 52.0,
            "country": _categorical(country, acc.isos),
            "account": pd.Categorical.from_codes(account_code[key], categories=pd.Index(list(ACCOUNTS))),
            "cause": _categorical(key, [c for _, c in keys]),
            "value": values[week, key, country],
        }
    )


def _categorical(index: np.ndarray, labels: list[str]) -> pd.Categorical[Any]:
    """``pd.Categorical`` of ``labels[i]`` for each ``i`` of ``index`` (categories: the labels that
    occur, sorted), made from the indices rather than by comparing strings row by row."""
    if not index.size:
        return pd.Categorical(np.array(labels, dtype=object)[index])
    names = sorted(set(labels))
    rank = np.array([names.index(label) for label in labels], dtype=np.int64)[index]  # code among all names
    seen = np.bincount(rank, minlength=len(names)) > 0
    code = np.cumsum(seen) - 1  # code among the names that occur
    return pd.Categorical.from_codes(code[rank], categories=pd.Index([n for n, s in zip(names, seen) if s]))


def headline_countries(model: CrimeModel) -> list[str]:
    """ISO codes of the countries with a territory in the world's headline (``report_regions``; every
    country when it is empty): the ``region`` of the regional figures."""
    w = model.world
    mask = w.report_mask if w.report_mask is not None else np.ones(w.n, dtype=bool)
    some = np.bincount(w.country, weights=mask, minlength=len(w.countries)) > 0
    return [c.iso for c, keep in zip(w.countries, some) if keep]


def by_cause(model: CrimeModel, account: str = "homicides", country: str | None = None, start: int = 0) -> pd.DataFrame:
    """One account over the run so far (from the ``start``-th week kept on), a row per week (``step``,
    ``year``) and a column per cause, for one country (ISO code) or, with None, the world's headline
    countries (:func:`headline_countries`). For the UI's stacked series."""
    acc = model.accounts
    weeks = acc.weeks[start:]
    if country is not None and country not in acc.isos:
        raise ValueError(f"unknown country {country}; allowed: {', '.join(acc.isos)}")
    chosen = headline_countries(model) if country is None else [country]
    pick = np.isin(np.array(acc.isos, dtype=object), chosen)
    rows = [acc.row[account, c] for c in ACCOUNTS[account]]
    data = np.array([flows[rows][:, pick].sum(1) for _, flows, _ in weeks])
    steps = np.array([s for s, _, _ in weeks], dtype=np.int64)
    df = pd.DataFrame(data.reshape(len(steps), len(rows)), columns=list(ACCOUNTS[account]))
    df.insert(0, "year", (steps - model.burn_in - 1) / 52.0)
    df.insert(0, "step", steps)
    return df


def homicides_by_cause(model: CrimeModel, country: str | None = None) -> dict[str, float]:
    """Last week's homicides by cause in one country (ISO code) or, with None, the headline countries."""
    frame = by_cause(model, "homicides", country, max(len(model.accounts.weeks) - 1, 0))
    return {c: float(frame[c].iloc[-1]) if len(frame) else 0.0 for c in ACCOUNTS["homicides"]}
