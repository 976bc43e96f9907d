"""The typed, signed multiplex tie graph among agents, separate from the geography.

Tie kinds (docs/ODD.md section 2, "Ties"):

=============  =====================================  =============================================
kind           direction                              weight
=============  =====================================  =============================================
alliance       organisation <-> organisation          +1 (signed: alliances positive)
rivalry        organisation <-> organisation          -1 (rivalries negative)
service        facilitator <-> organisation            facilitator capacity share
corruption     organisation -> police unit             share of the unit on its payroll
subcontract    cartel -> gang                          USD a week for the gang's members in the cartel's plazas
finance        organisation -> politician              M USD a week to its plazas' mayors and its country's brokers
brokerage      politician <-> politician               1 (a broker and the mayors and executive of its country)
=============  =====================================  =============================================

The :class:`TieGraph` keeps the kinds the phases read (``STORED``: alliances and rivalries set
hostility, service ties set facilitator coverage). The other kinds are views of the state, found
when asked for (:func:`edges_of`, for the network view and :meth:`TieGraph.to_networkx`), by the
rule of the phase that makes them: corruption from each police unit's patron and corrupt share
(``corruption.payroll_ties``), subcontracts and finance from this week's state as the gangs and
politics phases pay them (``gangs.subcontract_ties``, ``politics.finance_ties``), brokerage from
the brokers of each country (``politics.brokerage_ties``).

Presence (agent <-> territory) is not stored here: it is each organisation's ``presence`` array.
:meth:`TieGraph.to_networkx` adds it when a full snapshot is wanted (UI, analysis).
"""

from __future__ import annotations

import builtins
from enum import StrEnum
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


class Tie(StrEnum):
    """A kind of tie (the table above)."""

    ALLIANCE = "alliance"
    RIVALRY = "rivalry"
    SERVICE = "service"
    CORRUPTION = "corruption"
    SUBCONTRACT = "subcontract"
    FINANCE = "finance"
    BROKERAGE = "brokerage"


KINDS: tuple[str, ...] = tuple(Tie)
STORED: tuple[str, ...] = (Tie.ALLIANCE, Tie.RIVALRY, Tie.SERVICE)  # kept in the TieGraph; the others are derived
SYMMETRIC: set[str] = {Tie.ALLIANCE, Tie.RIVALRY, Tie.SERVICE, Tie.BROKERAGE}
SIGN: dict[str, float] = {Tie.ALLIANCE: 1.0, Tie.RIVALRY: -1.0}


def edges_of(model: CrimeModel, kind: str) -> dict[tuple[int, int], float]:
    """The ``kind`` ties of a model, keyed as :meth:`TieGraph.edges` keys them: the stored ones
    (do not modify), or the derived ones found from the state now (a new dict)."""
    if kind in STORED:
        return model.ties.edges(kind)
    from sim.model.phases import corruption, gangs, politics

    derive = {
        Tie.CORRUPTION: corruption.payroll_ties,
        Tie.SUBCONTRACT: gangs.subcontract_ties,
        Tie.FINANCE: politics.finance_ties,
        Tie.BROKERAGE: politics.brokerage_ties,
    }
    return derive[Tie(kind)](model)


class TieGraph:
    """Edges keyed by agent ``unique_id``; one dict per tie kind. Deterministic iteration order."""

    def __init__(self) -> None:
        self._e: dict[str, dict[tuple[int, int], float]] = {k: {} for k in STORED}
        # per kind, node -> the nodes it has a tie to (both ends for symmetric kinds), for fast look-up
        self._adj: dict[str, dict[int, set[int]]] = {k: {} for k in STORED}
        self._version = dict.fromkeys(STORED, 0)  # bumped on every change of a kind (for caches)
        self._arrays: dict[str, tuple[int, np.ndarray]] = {}

    def _link(self, kind: str, key: tuple[int, int]) -> None:
        self._version[kind] += 1
        a, b = key
        self._adj[kind].setdefault(a, set()).add(b)
        if kind in SYMMETRIC:
            self._adj[kind].setdefault(b, set()).add(a)

    def _unlink(self, kind: str, key: tuple[int, int]) -> None:
        self._version[kind] += 1
        a, b = key
        self._adj[kind].get(a, set()).discard(b)
        if kind in SYMMETRIC:
            self._adj[kind].get(b, set()).discard(a)

    @staticmethod
    def _key(kind: str, a: int, b: int) -> tuple[int, int]:
        return (min(a, b), max(a, b)) if kind in SYMMETRIC else (a, b)

    def set(self, kind: str, a: int, b: int, weight: float | None = None) -> None:
        if kind not in self._e:
            raise KeyError(f"tie kind {kind!r} is not stored; stored kinds: {[str(k) for k in STORED]}")
        key = self._key(kind, a, b)
        self._e[kind][key] = SIGN.get(kind, 1.0) if weight is None else float(weight)
        self._link(kind, key)
        if kind == Tie.ALLIANCE:
            self.remove(Tie.RIVALRY, a, b)
        elif kind == Tie.RIVALRY:
            self.remove(Tie.ALLIANCE, a, b)

    def add(self, kind: str, a: int, b: int, weight: float) -> None:
        key = (a, b) if kind not in SYMMETRIC or a <= b else (b, a)
        edges = self._e[kind]
        old = edges.get(key)
        if old is None:
            edges[key] = 0.0 + float(weight)
            self._link(kind, key)
        else:
            edges[key] = old + float(weight)
            self._version[kind] += 1

    def add_many(self, kind: str, a: int, targets: list[int], weight: float) -> None:
        """``add(kind, a, b, weight)`` for each ``b`` in ``targets``, in order."""
        if kind in SYMMETRIC:
            for b in targets:
                self.add(kind, a, b, weight)
            return
        edges, w = self._e[kind], float(weight)
        for b in targets:
            key = (a, b)
            old = edges.get(key)
            if old is None:
                edges[key] = 0.0 + w
                self._adj[kind].setdefault(a, set()).add(b)
            else:
                edges[key] = old + w
        self._version[kind] += 1

    def clear(self, kind: str) -> None:
        """Remove every tie of ``kind``."""
        if self._e[kind]:
            self._e[kind] = {}
            self._adj[kind] = {}
            self._version[kind] += 1

    def remove_many(self, kind: str, keys) -> None:
        """Remove the ``kind`` ties with these keys (as in ``edges``)."""
        edges, keys = self._e[kind], set(keys) if not isinstance(keys, set) else keys
        if 2 * len(keys) < len(edges):
            for key in keys:
                if edges.pop(key, None) is not None:
                    self._unlink(kind, key)
            return
        # most ties go: rebuild the kind from the ones that stay (same order)
        self._e[kind] = {k: w for k, w in edges.items() if k not in keys}
        self._adj[kind] = {}
        self._version[kind] += 1
        for key in self._e[kind]:
            self._link(kind, key)

    def set_many(self, kind: str, sources, targets, weights) -> None:
        """``set(kind, a, b, w)`` for each ``a, b, w`` (kinds without a sign)."""
        if kind in SIGN or kind in SYMMETRIC:
            for a, b, w in zip(sources, targets, weights):
                self.set(kind, a, b, w)
            return
        edges, adj = self._e[kind], self._adj[kind]
        for a, b, w in zip(sources, targets, weights):
            edges[(a, b)] = float(w)
            adj.setdefault(a, set()).add(b)
        self._version[kind] += 1

    def remove(self, kind: str, a: int, b: int) -> None:
        key = self._key(kind, a, b)
        if self._e[kind].pop(key, None) is not None:
            self._unlink(kind, key)

    def has(self, kind: str, a: int, b: int) -> bool:
        return self._key(kind, a, b) in self._e[kind]

    def weight(self, kind: str, a: int, b: int) -> float:
        return self._e[kind].get(self._key(kind, a, b), 0.0)

    def edges(self, kind: str) -> dict[tuple[int, int], float]:
        return self._e[kind]

    def version(self, kind: str) -> int:
        """A number that changes whenever a tie of ``kind`` is set, added or removed."""
        return self._version[kind]

    def edge_array(self, kind: str) -> np.ndarray:
        """(ties, 2) int array of the ``kind`` ties' ends, in ``edges`` order (read-only)."""
        cached = self._arrays.get(kind)
        if cached is None or cached[0] != self._version[kind]:
            arr = np.array(list(self._e[kind]), dtype=np.int64).reshape(-1, 2)
            arr.flags.writeable = False
            cached = self._arrays[kind] = (self._version[kind], arr)
        return cached[1]

    def neighbour_set(self, kind: str, a: int) -> builtins.set[int] | tuple:  # builtins: TieGraph.set shadows it
        """The nodes ``a`` has a tie of ``kind`` to, unordered (do not modify)."""
        return self._adj[kind].get(a, ())

    def neighbours(self, kind: str, a: int) -> list[int]:
        """Nodes ``a`` has a tie of ``kind`` to (outgoing for directed kinds), sorted."""
        return sorted(self._adj[kind].get(a, ()))

    def drop_agent(self, a: int) -> None:
        """Remove every tie of an agent (when it leaves the model)."""
        for kind, edges in self._e.items():
            for key in [k for k in edges if a in k]:
                del edges[key]
                self._unlink(kind, key)

    def count(self, kind: str) -> int:
        return len(self._e[kind])

    def to_networkx(self, model: CrimeModel | None = None) -> nx.MultiDiGraph:
        """A snapshot as a MultiDiGraph (edge key = tie kind, attribute ``weight``).

        With ``model`` given, the derived kinds are added (:func:`edges_of`), agent nodes carry
        their type and organisations get presence edges to territory nodes ``("territory", i)``.
        """
        g = nx.MultiDiGraph()
        kinds = {k: self._e[k] for k in STORED} if model is None else {k: edges_of(model, k) for k in KINDS}
        for kind, edges in kinds.items():
            for (a, b), w in edges.items():
                g.add_edge(a, b, key=str(kind), weight=w)
                if kind in SYMMETRIC:
                    g.add_edge(b, a, key=str(kind), weight=w)
        if model is not None:
            for agent in model.agents:
                g.add_node(agent.unique_id, type=type(agent).__name__, label=getattr(agent, "name", ""))
            for org in model.orgs.agents:
                for i in org.presence.nonzero()[0]:
                    g.add_edge(org.unique_id, ("territory", int(i)), key="presence", weight=float(org.presence[i]))
        return g
