"""Traffickers that learn routes (M1; issue 14), after NarcoLogic (Magliocca et al., PNAS 2019,
doi:10.1073/pnas.1812459116).

The shipping operation of each production territory (run by whoever controls it) keeps:

* a perceived seizure risk for every territory. Where its shipments pass, the perception moves
  toward the seizures they meet there, with NarcoLogic's learning rate; the perception of a
  territory it does not use drifts toward what the news says (``terr.risk``, the public's
  perceived risk) as its own events age out of its memory (NarcoLogic weighs the last 12 months
  of seizure events);
* a set of open routes among the candidate paths of each production-market pair. Route choice
  (:func:`sim.model.phases.trade.routing`) weighs each open route's cost (distance, perceived
  risk, rival presence) in a logit; a route whose weight falls below ``drop_share`` of its pair's
  best is dropped, unless it was opened less than ``trial_weeks`` ago;
* a perceived loss: the share of each pair's shipments seized, with the same memory. Once a month,
  where it passes ``loss_tolerance``, the shipper tries new routes -- the candidate paths it does
  not use, those that look cheapest first -- opening at most ``expand_max`` new territories a month and paying
  ``opening_cost`` for each (NarcoLogic: losses above ``losslim`` trigger expansion to new nodes,
  at most ``expandmax`` a month). Interdiction that rises on the routes in use thus spreads the
  flow over more corridors: the balloon effect (004 l.304-308, l.3322-3364, l.3476; 003 l.12).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel
    from sim.model.phases.trade import Routes


@dataclass
class Shippers:
    """What the shipping operations know. ``op`` rows: the production territories, ascending."""

    prod: np.ndarray  # (ops,) production territory of each operation
    op_of_path: np.ndarray  # (paths,) operation shipping on each path
    at: np.ndarray  # (paths, positions) entry of each (path, position) in ``perceived``
    at_flat: np.ndarray  # the same for the routes' valid entries (``Routes.flat``)
    perceived: np.ndarray  # (ops, n + 1) perceived seizure probability per territory (column n: padding, 0)
    open: np.ndarray  # (paths,) bool: routes in use
    loss: np.ndarray  # (pairs,) perceived share of the pair's shipments seized
    weight: np.ndarray  # (paths,) last week's logit weight of each path relative to its pair's best open one
    opened_at: np.ndarray  # (paths,) step at which each route was last opened (-inf: open from the start)
    opened: int = 0  # routes opened since the start
    closed: int = 0  # routes dropped since the start

    @classmethod
    def start(cls, routes: Routes, prior: float) -> Shippers:
        """Every candidate route open; perceived risk ``prior`` everywhere."""
        n = routes.n
        prod = np.unique(routes.prod)
        op_of_path = np.searchsorted(prod, routes.prod)
        at = routes.nodes + (op_of_path * (n + 1))[:, None]
        perceived = np.full((prod.size, n + 1), prior)
        perceived[:, n] = 0.0
        return cls(
            prod=prod,
            op_of_path=op_of_path,
            at=at,
            at_flat=at.ravel()[routes.flat],
            perceived=perceived,
            open=np.ones(routes.n_paths, dtype=bool),
            loss=np.zeros(len(routes.pairs)),
            weight=np.ones(routes.n_paths),
            opened_at=np.full(routes.n_paths, -np.inf),
        )

    @property
    def active_routes(self) -> int:
        return int(self.open.sum())


def learn(
    model: CrimeModel, kg: np.ndarray, arriving_flat: np.ndarray, seized_flat: np.ndarray, risk_flat: np.ndarray
) -> None:
    """Update perceived risks and losses from this week's shipments (called by routing).

    ``kg``: shipped per path; ``arriving_flat``, ``seized_flat``: kg reaching and seized at each
    valid (path, position) entry; ``risk_flat``: the seizure probability met there.
    """
    sh, R, tp = model.shippers, model.routes, model.p.trafficking
    flat_p = sh.perceived.reshape(-1)
    used = np.zeros(flat_p.size, dtype=bool)
    sel = arriving_flat > 0
    used[sh.at_flat[sel]] = True
    seen = np.zeros(flat_p.size)
    seen[sh.at_flat[sel]] = risk_flat[sel]  # the same probability on every path of one operation
    news = np.append(model.terr.risk, 0.0)[None, :]
    drift = (tp.forget_rate * (news - sh.perceived)).reshape(-1)
    flat_p += np.where(used, tp.learning_rate * (seen - flat_p), drift)
    sh.perceived[:, -1] = 0.0
    n_pairs = len(R.pairs)
    shipped = np.bincount(R.pair_index, weights=kg, minlength=n_pairs)
    lost = np.bincount(R.pair_index[R.flat_row], weights=seized_flat, minlength=n_pairs)
    share = np.divide(lost, shipped, out=sh.loss.copy(), where=shipped > 0)
    sh.loss += tp.learning_rate * (share - sh.loss)


def step(model: CrimeModel) -> None:
    """Once a month: shippers whose perceived losses on a pair pass the tolerance try the routes
    they do not use, cheapest-looking first, within ``expand_max`` new territories a month, paying
    ``opening_cost`` per new territory."""
    if int(model.steps * 12 / 52) == int((model.steps - 1) * 12 / 52):
        return  # not the first week of a month
    sh, R, tp = model.shippers, model.routes, model.p.trafficking
    worried = sh.loss > tp.loss_tolerance
    cand = np.flatnonzero(~sh.open & worried[R.pair_index])
    if cand.size == 0:
        return
    cand = cand[np.argsort(-sh.weight[cand], kind="stable")]
    owners = model.terr.controller
    for op in np.unique(sh.op_of_path[cand]).tolist():
        mine = cand[sh.op_of_path[cand] == op]
        in_use = sh.open & (sh.op_of_path == op)
        known = set(R.nodes[in_use][R.valid[in_use]].tolist())
        room = tp.expand_max
        new_terr = 0
        for path in mine.tolist():
            fresh = set(R.nodes[path, : R.length[path]].tolist()) - known
            if len(fresh) > room:
                continue
            sh.open[path] = True
            sh.opened_at[path] = model.steps
            sh.opened += 1
            known |= fresh
            room -= len(fresh)
            new_terr += len(fresh)
        uid = int(owners[sh.prod[op]])
        org = model.orgs.by_uid.get(uid) if uid >= 0 else None
        if org is not None and new_terr:
            model.orgs.debit_org(org, tp.opening_cost * new_terr, "new_routes")
