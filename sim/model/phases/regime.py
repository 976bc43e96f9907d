"""The captured state (the eighth agent type, :class:`sim.model.agents.Regime`): revenue, shelter and
the forces that operate the trade.

A regime rules the territories of its country (world input ``regimes``: Venezuela in the default
world; none in the synthetic and Mexico worlds). Each week:

* **Revenue by source** (USD): *formal* (oil and taxes, ``formal_musd``), *drug protection* (a share
  ``protection_rate`` of the value of the drugs passing each of its territories: 003 l.5, l.7, l.10),
  *gold* (a share ``gold.regime_take`` of its territories' gold output, sold at the gold's discount:
  000 l.100, l.102) and *sanctions evasion*. Sanctions (the ``sanctions`` lever, 000 l.92, l.331;
  001 l.60) block ``formal_cut`` of the formal revenue and ``finance_cut`` of the illicit proceeds;
  the sponsors' rails (Russia's crypto and bank, Iran's tankers, China, North Korea: 000 l.92-114,
  l.371-373; 001 l.155-174, l.168) carry up to their summed ``capacity`` of what is blocked, losing
  their capacity-weighted ``cost``. What they carry of the formal revenue is *sanctions evasion*;
  what they carry of the illicit proceeds stays under its source.
* **Illicit effort** (000 l.92, l.331; 003 l.14): while its revenue is below ``squeeze_ratio`` of its
  yearly norm the regime pushes into crime (``effort`` rises as a group's diversification does,
  sim/model/phases/gangs.py); at full effort the protection rate, the share of its forces that
  operate the trade and its gold take are x (1 + ``effort_gain``).
* **Spending**: its forces' loyalty first (000 l.64: in power because the armed forces back it),
  ``loyalty_need`` x its formal revenue before sanctions; loyalty = revenue norm / that need, at most 1
  (000 l.299: forces that are not kept withdraw their support). Then ``ally_share`` of its revenue to
  the groups it shelters, by their free members (000 l.58; 002 l.9; money cause ``regime_support``).
* **Shelter** (000 l.267; 002 l.8-9): the groups it shelters are its forces' organisation (world
  ``forces``, e.g. the "Venezuelan military network"), that organisation's allies and the groups the
  world names (``shelters``). In its territories their members face ``shelter`` x loyalty fewer
  arrests and their leaders, who take refuge there once the group has ``sanctuary_members`` there,
  ``shelter`` x loyalty less targeting; the country's own law decides extradition (``extradites``:
  Venezuela's constitution bars it) (sim/model/phases/enforcement.py).
* **Forces that operate the trade** (M16 extended, 003 l.7, l.12, l.14): ``operate_share`` x loyalty
  of its territories' security forces move the drugs passing through them themselves, with the
  Colombian groups, for the regime's protection fee (above): those shipments are not exposed to them
  (sim/model/phases/trade.py ``routing``), whoever ships them and whoever pays the police. (Corrupt
  units elsewhere spare only their patron's drugs, M16.)

Routing and enforcement read last week's shelter and protection (:class:`Regimes`). State capture
elsewhere (plata o plomo, M3, M12, M16) is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Organisation, Regime
from sim.model.ties import Tie

if TYPE_CHECKING:
    from sim.model.model import CrimeModel

#: The regime quantities of ``countries.parquet`` (:func:`country_values`), in USD in the week unless
#: said otherwise; 0 in a country without a regime.
COUNTRY_COLUMNS = {
    "regime_revenue": "USD the regime took in the week (the four sources below)",
    **{f"regime_revenue_{s}": f"USD of regime revenue from {s.replace('_', ' ')} in the week" for s in Regime.SOURCES},
    "regime_spending_loyalty": "USD the regime spent on its security forces' loyalty in the week",
    "regime_spending_allies": "USD the regime paid the groups it shelters in the week",
    "regime_loyalty": "0..1 loyalty of the regime's security forces",
    "regime_effort": "0..1 the regime's illicit effort (protection, operations, gold)",
    "sheltered_groups": "groups the regime shelters",
}


class Regimes:
    """The world's regimes (``model.regimes``) and what routing and enforcement read of them, per
    territory: the regime ruling it, the share of its forces operating the trade and the share of
    arrests and targeting of the groups it shelters forgone."""

    def __init__(self, model: CrimeModel) -> None:
        w = model.world
        codes = [c.iso for c in w.countries]
        names = {o.name: o.unique_id for o in model.orgs.agents}
        self.agents: list[Regime] = []
        self.ruler = np.full(w.n, -1, dtype=np.int64)  # index in agents of the regime ruling each territory
        for spec in model.cfg.world.regimes:
            country = codes.index(spec.country)
            sponsors = [(s.name, s.rail, float(s.capacity), float(s.cost)) for s in spec.sponsors]
            named = [names[n] for n in spec.shelters if n in names]
            forces = names.get(spec.forces, -1)
            self.ruler[w.country == country] = len(self.agents)
            self.agents.append(Regime(model, country, forces, named, spec.formal_musd * 1e6 / 52.0, sponsors))
        self.operated = np.zeros(w.n)  # share of the unit moving the drugs passing through
        self.shelter = np.zeros(w.n)  # share of arrests and leader targeting of sheltered groups forgone
        self._sheltered = [np.zeros(0, dtype=np.int64) for _ in self.agents]
        for r in self.agents:
            self._update_sheltered(model, r)
        self._refresh(model)

    def _update_sheltered(self, model: CrimeModel, r: Regime) -> None:
        alive = model.orgs.by_uid
        uids = set(u for u in r.named if u in alive)
        if r.forces in alive:
            uids |= {r.forces, *model.ties.neighbours(Tie.ALLIANCE, r.forces)}
        r.sheltered = sorted(u for u in uids if u in alive)
        self._sheltered[self.agents.index(r)] = np.array(r.sheltered, dtype=np.int64)

    def _refresh(self, model: CrimeModel) -> None:
        rp = model.p.regime
        for k, r in enumerate(self.agents):
            where = self.ruler == k
            self.operated[where] = min(1.0, rp.operate_share * r.loyalty * (1.0 + r.effort * rp.effort_gain))
            self.shelter[where] = rp.shelter * r.loyalty

    def sheltered_at(self, uids: np.ndarray, territories: np.ndarray) -> np.ndarray:
        """Bool per (uid, territory) entry: the group is sheltered by the regime ruling the territory."""
        out = np.zeros(np.broadcast(uids, territories).shape, dtype=bool)
        for k, shel in enumerate(self._sheltered):
            out |= (self.ruler[territories] == k) & np.isin(uids, shel)
        return out

    def refuge(self, model: CrimeModel, org: Organisation) -> tuple[int, float]:
        """Where a group's leader is and the share of targeting forgone there: a sheltered group with
        ``sanctuary_members`` in a regime's territory keeps its leader in the territory of that regime
        where it has most members (002 l.8-9); otherwise its home, with no shelter."""
        home = org.home
        by = [k for k, r in enumerate(self.agents) if org.unique_id in r.sheltered]
        if not by:
            return home, 0.0
        ok = np.isin(self.ruler, by)  # the territories of the regimes that shelter it
        members = np.where(ok, org.presence, 0.0)
        best = int(np.argmax(members))
        if ok[home] or members[best] < model.p.regime.sanctuary_members:
            return home, float(self.shelter[home] * ok[home])
        return best, float(self.shelter[best])


def _evasion(r: Regime, secondary: float) -> tuple[float, float]:
    """The sponsors' rails: the share of what sanctions block that they carry (at most 1) and the
    share of it they lose (capacity-weighted cost)."""
    cap = np.array([s[2] for s in r.sponsors], dtype=float) * (1.0 - secondary)
    cost = np.array([s[3] for s in r.sponsors], dtype=float)
    if cap.sum() <= 0:
        return 0.0, 0.0
    return float(min(1.0, cap.sum())), float((cap * cost).sum() / cap.sum())


def step(model: CrimeModel) -> None:
    """The regimes' week: revenue by source, illicit effort, loyalty, spending, shelter.

    Reads ``terr.drug_value``, ``gold.value``, ``fx.sanctions_*``, ``orgs`` (members, ties of the
    forces). Writes each regime's ``revenue``, ``spending``, ``norm``, ``effort``, ``loyalty``,
    ``sheltered``, ``gold.to_regime``, the sheltered groups' cash (``orgs.credit_org``, source
    ``regime_support``) and ``regimes.operated``, ``regimes.shelter`` (read next week).
    """
    regs = model.regimes
    if not regs.agents:
        return
    rp, gp, fx, t = model.p.regime, model.p.gold, model.fx, model.terr
    model.gold.to_regime[:] = 0.0
    for k, r in enumerate(regs.agents):
        c = r.country
        where = regs.ruler == k
        carried, cost = _evasion(r, float(fx.sanctions_secondary[c]))
        through = carried * (1.0 - cost)  # of what is blocked, the share that arrives
        blocked, finance = float(fx.sanctions_formal[c]), float(fx.sanctions_finance[c])
        kept = 1.0 - finance * (1.0 - through)  # share of illicit proceeds that reaches the regime
        push = 1.0 + r.effort * rp.effort_gain
        gold_take = min(gp.regime_take * push, 1.0 - gp.group_take)
        gold = model.gold.value[where] * gold_take * (1.0 - gp.laundering_loss) * kept
        model.gold.to_regime[where] = gold
        r.revenue = {
            "formal": r.formal * (1.0 - blocked),
            "drug_protection": min(1.0, rp.protection_rate * push) * float(t.drug_value[where].sum()) * kept,
            "gold": float(gold.sum()),
            "sanctions_evasion": r.formal * blocked * through,
        }
        total = r.total
        r.norm += (total - r.norm) / rp.revenue_memory_weeks
        if total < rp.squeeze_ratio * r.norm:
            r.effort += rp.effort_rate * (1.0 - r.effort)
        else:
            r.effort -= rp.effort_decay * r.effort
        need = rp.loyalty_need * r.formal
        r.loyalty = min(1.0, r.norm / need) if need > 0 else 1.0
        regs._update_sheltered(model, r)
        allies = rp.ally_share * total
        r.spending = {"loyalty": min(total, need), "allies": allies if r.sheltered else 0.0}
        if r.sheltered and allies > 0:
            groups = [model.orgs.by_uid[u] for u in r.sheltered]
            members = np.array([g.members for g in groups])
            share = members / members.sum() if members.sum() > 0 else np.full(len(groups), 1.0 / len(groups))
            for g, s in zip(groups, share.tolist()):
                model.orgs.credit_org(g, allies * s, "regime_support")
    regs._refresh(model)


def country_values(model: CrimeModel) -> np.ndarray:
    """(len(COUNTRY_COLUMNS), countries): this week's regime quantities by country
    (:data:`COUNTRY_COLUMNS`), for ``countries.parquet`` (sim/model/metrics.py)."""
    out = np.zeros((len(COUNTRY_COLUMNS), len(model.world.countries)))
    for r in model.regimes.agents:
        out[:, r.country] = [
            r.total,
            *r.revenue.values(),
            *r.spending.values(),
            r.loyalty,
            r.effort,
            len(r.sheltered),
        ]
    return out
