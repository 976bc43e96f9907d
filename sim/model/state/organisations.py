"""The organisations of a run (``model.orgs``): who they are, where their members are, their money.

Organisations are agents (``sim/model/agents.py``) whose members are counts spread over the
territories. Here they are kept in ``unique_id`` order, one row each of

* the presence matrix ``presence`` (organisations x territories): each agent's ``presence`` is a
  view of its row, so writing to either writes to both;
* the ledger (``agents.LEDGER``: ``cash``, ``income``, ``pretrial``...), one array per entry: each
  agent's ``ledger`` is a view of its column, and its attributes of those names read and write it;
* the per-row arrays ``uid``, ``home``, ``country``, ``is_gang``, ``is_militia``;

with the entries of the mostly-zero presence matrix that the phases work on (:meth:`held`), the
strongest group of each territory, the hostility between groups, and the money ledger (credits,
debits and income by source). An organisation registers itself when it is created and leaves when
it is removed (``Organisation.__init__`` and ``Organisation.remove``): the rows follow at once.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import LEDGER, Gang, Militia, MilitiaPhase
from sim.model.state import running_sum, sorted_union
from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.accounts import Accounts
    from sim.model.agents import Organisation
    from sim.model.ties import TieGraph
    from sim.model.world import World


class Organisations:
    """The organisation agents in ``unique_id`` order (``agents``), their rows and their ledger."""

    # the ledger's arrays, one entry per row (views of ``_ledger``; agents.LEDGER)
    cash: np.ndarray
    income: np.ndarray
    drug_income: np.ndarray
    revenue: np.ndarray
    drug_revenue: np.ndarray
    drug_norm: np.ndarray
    diversification: np.ndarray
    pretrial: np.ndarray
    sentenced: np.ndarray
    service_coverage: np.ndarray
    disrupted_until: np.ndarray

    def __init__(self, world: World, ties: TieGraph, neutral_hostility: float, accounts: Accounts) -> None:
        self._n = world.n
        self._accounts = accounts  # every change of cash is recorded in the ``money`` account
        self._country_of = world.country
        self._country_list: list[int] = world.country.tolist()  # the same, for one territory at a time
        self._ties = ties
        self._neutral_hostility = neutral_hostility
        self.agents: list[Organisation] = []  # in unique_id order: row k is agents[k]
        self.names: dict[int, str] = {}  # every organisation the run has had, by unique_id (outputs)
        self.n_splinters = 0  # splits so far (numbers the splinters' names)
        self.income_by_source: dict[str, float] = {}  # USD credited so far, by source (M11, M17)
        self._buffer = np.zeros((0, world.n))  # the presence rows, with room for more below them
        self._ledger = np.zeros((len(LEDGER), 0))  # the ledger's columns, with room for more after them
        self._rows_changed()

    # ------------------------------------------------------------------ births and deaths
    def add(self, org: Organisation) -> None:
        """Called by ``Organisation.__init__``: the new group gets the next row (Mesa's unique ids
        grow, so it comes last). The rows sit in buffers with room to spare: a birth copies one
        row, not the matrix."""
        k = len(self.agents)
        if k == len(self._buffer):  # full: buffers twice as large, every row's views moved to them
            buffer = np.zeros((2 * k + 8, self._n))
            buffer[:k] = self._buffer
            ledger = np.zeros((len(LEDGER), 2 * k + 8))
            ledger[:, :k] = self._ledger[:, :k]
            self._bind(buffer, ledger)
        self._buffer[k] = org.presence
        self._ledger[:, k] = org.ledger
        self.agents = [*self.agents, org]
        self._bind(self._buffer, self._ledger, first=k)
        self._rows_changed()

    def discard(self, org: Organisation) -> None:
        """Called by ``Organisation.remove``: the group's row goes, the rows below move up (the
        group keeps its own copy of its presence and ledger, and has no row)."""
        self.agents = [o for o in self.agents if o is not org]
        org.row = -1
        k = len(self.agents)
        self._bind(
            np.array([o.presence for o in self.agents], dtype=float).reshape(k, self._n),
            np.array([o.ledger for o in self.agents], dtype=float).reshape(k, len(LEDGER)).T.copy(),
        )
        self._rows_changed()

    def _bind(self, buffer: np.ndarray, ledger: np.ndarray, first: int = 0) -> None:
        """Hold the presence rows in ``buffer`` and the ledger's columns in ``ledger``: from row
        ``first`` on, each agent's ``presence`` and ``ledger`` become views of its row and column,
        and its ``row`` is its row."""
        self._buffer, self._ledger = buffer, ledger
        for row, o in enumerate(self.agents[first:], first):
            o.presence = buffer[row]
            o.ledger = ledger[:, row]
            o.row = row

    def __deepcopy__(self, memo: dict) -> Organisations:
        """A copy (of a whole model: ``sim.fork``) whose rows are views of its own buffer again: the
        deep copy of a view is an array of its own."""
        new = object.__new__(Organisations)
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        new._bind(new._buffer, new._ledger)
        new._views()
        return new

    def _rows_changed(self) -> None:
        """Index the rows of ``agents`` (a new list at every change, so a loop over the old one is
        not disturbed)."""
        orgs = self.agents
        self.by_uid: dict[int, Organisation] = {o.unique_id: o for o in orgs}
        self.names.update({o.unique_id: o.name for o in orgs})
        k = len(orgs)
        self._views()
        # fixed attributes of the organisations, by row
        self.uid = np.array([o.unique_id for o in orgs], dtype=np.int64)
        self.home = np.array([o.home for o in orgs], dtype=np.int64)
        self.country = self._country_of[self.home]
        self.is_gang = np.array([isinstance(o, Gang) for o in orgs], dtype=bool)
        self.is_militia = np.array([isinstance(o, Militia) for o in orgs], dtype=bool)
        self._uid_row = np.full(int(self.uid.max(initial=-1)) + 1, -1, dtype=np.int64)
        self._uid_row[self.uid] = np.arange(k)
        self._hostility_key: tuple | None = None
        self._held: tuple[np.ndarray, np.ndarray] | None = None  # rows changed: held() recomputes its entries

    def _views(self) -> None:
        """``presence`` and the ledger's arrays (``cash``...): views of the buffers' rows in use."""
        k = len(self.agents)
        self.presence = self._buffer[:k]
        for i, name in enumerate(LEDGER):
            setattr(self, name, self._ledger[i, :k])

    def new_week(self) -> None:
        """At the start of a week: the held entries are found afresh, and each group's income so
        far becomes last week's ``revenue`` (and ``drug_revenue``) and restarts at zero."""
        self._held = None
        self.revenue[:] = self.income
        self.drug_revenue[:] = self.drug_income
        self.income[:] = 0.0
        self.drug_income[:] = 0.0

    # ------------------------------------------------------------------ where the groups are
    def held(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the entries of ``presence`` that may be non-zero, row by row
        (columns ascending within a row): every non-zero entry, and each group's home.

        A group holds a few plazas of a large map (at 1,600 territories, about 2,000 of 780,000
        entries), so phases work on these entries rather than on the whole matrix, and their cost
        grows with the groups' footprint rather than with groups x territories. The entries are
        found afresh at the start of each week (so writes to ``presence`` between steps, from a
        script or a test, are seen) and when a group joins or leaves. Within the week only the
        move of members to new plazas adds entries (``violence.expansion``, which passes them to
        :meth:`set_held`); arrests, deaths, recruitment and releases at home change values at held
        entries only. ``tests/test_held.py`` checks this after every phase of runs with splits,
        militias and returning leaders.
        """
        if self._held is None:
            self.set_held(np.flatnonzero(self.presence != 0))
        assert self._held is not None
        return self._held

    def set_held(self, flat: np.ndarray) -> None:
        """Set the held entries from flat indices into ``presence`` (any order, repeats allowed)
        that include every non-zero entry; entries now zero are dropped, homes kept."""
        k, n = self.presence.shape
        homes = np.arange(k) * n + self.home
        flat = sorted_union(flat, homes)
        keep = self.presence.ravel()[flat] != 0
        keep[np.searchsorted(flat, homes)] = True
        r, c = np.divmod(flat[keep], n)
        r.flags.writeable = c.flags.writeable = False
        self._held = (r, c)

    def members_by_row(self) -> np.ndarray:
        """Free members of each organisation (row sums of ``presence``, over held entries)."""
        r, c = self.held()
        return np.bincount(r, weights=self.presence[r, c], minlength=self.presence.shape[0])

    def strongest(self) -> tuple[np.ndarray, np.ndarray]:
        """Row of the strongest organisation in each territory (the first on ties, 0 where nobody
        is) and its members: ``P.argmax(0)`` and ``P.max(0)`` of the presence matrix ``P``, found
        from the held entries."""
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
        """Row of each organisation uid (-1: not an organisation)."""
        uids = np.asarray(uids, dtype=np.int64)
        if self._uid_row.size == 0:  # no organisations left
            return np.full(uids.shape, -1, dtype=np.int64)
        ok = (uids >= 0) & (uids < self._uid_row.size)
        return np.where(ok, self._uid_row[np.where(ok, uids, 0)], -1)

    def hostility(self) -> np.ndarray:
        """(organisations, organisations) hostility: 1 rivals, 0 allies/self, ``neutral_hostility``
        otherwise.

        Militias that are not captured are hostile to every criminal group (004 l.2974-3118).
        Read-only; rebuilt only when alliances, rivalries, militias or the organisations change.
        """
        militias = [self.agents[row] for row in np.flatnonzero(self.is_militia).tolist()]
        hostile_militias = tuple(int(o.unique_id) for o in militias if o.phase != MilitiaPhase.CAPTURED)
        ties = self._ties
        key = (ties.version(Tie.RIVALRY), ties.version(Tie.ALLIANCE), hostile_militias)
        if key != self._hostility_key:
            k = len(self.agents)
            h = np.full((k, k), self._neutral_hostility)
            for kind, value in ((Tie.RIVALRY, 1.0), (Tie.ALLIANCE, 0.0)):
                pairs = ties.edge_array(kind)
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

    # ------------------------------------------------------------------ money
    def credit(self, owners: np.ndarray, amounts: np.ndarray, source: str, drug: bool = False) -> None:
        """Credit per-territory amounts (USD) to each territory's owner organisation (uid or -1).

        Territory by territory, as ``credit_org`` would (the same sums in the same order).
        """
        sel = (owners >= 0) & (amounts > 0)
        rows = self.rows_of(owners[sel])
        found = rows >= 0
        if not found.any():
            return
        rows, amounts = rows[found], amounts[sel][found]
        self._credit(rows, amounts, source, drug)
        account = self._accounts.now[self._accounts.row["money", source]]
        np.add.at(account, self.country[rows], amounts)  # territory by territory, like the ledger

    def credit_org(self, org: Organisation, amount: float, source: str, drug: bool = False) -> None:
        """Add income to an organisation; ``source`` feeds ``income_by_source`` (M11, M17)."""
        self.credit_each([org], [amount], source, drug)

    def credit_each(self, orgs: list[Organisation], amounts: list[float], source: str, drug: bool = False) -> None:
        """:meth:`credit_org` for each organisation and amount, in order (one call for many)."""
        self.credit_rows(self._rows_of_orgs(orgs), np.array(amounts, dtype=float), source, drug)

    @staticmethod
    def _rows_of_orgs(orgs: list[Organisation]) -> np.ndarray:
        """The row of each organisation (an error for one that has left: it has no ledger entry)."""
        rows = np.array([o.row for o in orgs], dtype=np.intp)
        if rows.size and rows.min() < 0:
            raise ValueError("an organisation that has left the model cannot pay or be paid")
        return rows

    def credit_rows(self, rows: np.ndarray, amounts: np.ndarray, source: str, drug: bool = False) -> None:
        """:meth:`credit_each` for the organisations of ``rows``."""
        if not rows.size:
            return
        self._credit(rows, amounts, source, drug)
        self._accounts.add_each("money", source, self.country[rows].tolist(), amounts.tolist())

    def _credit(self, rows: np.ndarray, amounts: np.ndarray, source: str, drug: bool) -> None:
        """Add ``amounts`` to the cash and income (and drug income) of the organisations of ``rows``
        (repeats allowed: ``np.add.at`` adds them one after the other) and to ``income_by_source``."""
        fields = [self.cash, self.income, self.drug_income] if drug else [self.cash, self.income]
        for field in fields:
            np.add.at(field, rows, amounts)
        self.income_by_source[source] = running_sum(self.income_by_source.get(source, 0.0), amounts)

    def debit(self, owners: np.ndarray, amounts: np.ndarray, use: str) -> None:
        """Debit per-territory amounts (USD) from each territory's owner organisation (uid or -1);
        ``use``: the cause in the ``money`` account."""
        sel = (owners >= 0) & (amounts > 0)
        rows = self.rows_of(owners[sel])
        found = rows >= 0
        self.debit_rows(rows[found], amounts[sel][found], use)

    def debit_org(self, org: Organisation, amount: float, use: str) -> None:
        """Take a payment from an organisation's cash (never below zero); what is taken is recorded
        under ``use`` in the ``money`` account."""
        self.debit_each([org], [amount], use)

    def debit_each(self, orgs: list[Organisation], amounts: list[float], use: str) -> None:
        """:meth:`debit_org` for each organisation and amount, in order (one call for many)."""
        self.debit_rows(self._rows_of_orgs(orgs), np.array(amounts, dtype=float), use)

    def debit_rows(self, rows: np.ndarray, amounts: np.ndarray, use: str) -> None:
        """:meth:`debit_each` for the organisations of ``rows``: all at once when each pays once,
        payment by payment when one pays several times (each payment is taken from what the
        previous ones left)."""
        if not rows.size:
            return
        if len(set(rows.tolist())) == rows.size:
            before = self.cash[rows]
            after = before - amounts
            after = np.where(after > 0.0, after, 0.0)  # never below zero
            self.cash[rows] = after
            taken = (after - before).tolist()
        else:
            cash = self.cash.tolist()
            taken = []
            for row, amount in zip(rows.tolist(), amounts.tolist()):
                before = cash[row]
                after = before - amount
                cash[row] = after = after if after > 0.0 else 0.0  # max(0.0, before - amount), faster
                taken.append(after - before)
            self.cash[:] = cash
        self._accounts.add_each("money", use, self.country[rows].tolist(), taken)
