"""The captured state (the eighth agent type, :class:`sim.model.agents.Regime`): revenue, shelter and
the forces that operate the trade.

A regime rules the territories of its country (world input ``regimes``: Venezuela in the default
world; none in the synthetic and Mexico worlds). Each week:

* **Revenue by source** (USD): *formal* (oil and taxes, ``formal_musd``); the drugs (003 l.5, l.7,
  l.10, l.14: drug trafficking the regime's main financing, its forces leading operations, not only
  bribed): *drug operations*, the Venezuelan leg's margin on the share of the drugs passing its
  territories that its forces move themselves (``regimes.operated``, below): what the drugs gain in
  value on the hop out of each of its territories, at the model's prices along the route
  (:func:`leg_margin`; trade.routing's value chain), and *drug protection*, a share
  ``protection_rate`` of the value of the rest; *gold* (a share ``gold.regime_take`` of its
  territories' gold output, sold at the gold's discount: 000 l.100, l.102) and *sanctions evasion*.
  Sanctions (the ``sanctions`` lever, 000 l.92, l.331; 001 l.60) block ``formal_cut`` of the formal
  revenue and ``finance_cut`` of the illicit proceeds. The sponsors' rails (China's oil against
  debt, Russia's crypto, Iran's tankers, North Korea: 000 l.92-114, l.371-373; 001 l.155-174,
  l.168) are launderers (:class:`sim.model.agents.Facilitator`, ``patron`` the regime) of their
  channel, each carrying ``capacity`` x the formal revenue a week at most; they serve only the
  regime and the groups it shelters (service ties renewed weekly; the services phase neither
  offers them to other groups nor lets those ties expire), and carry the regime's blocked money
  first (the laundering phase leaves the groups what remains). What is blocked is spread over them
  by capacity; each loses its ``cost`` of what it carries (the discounts and the debts repaid in
  oil). What arrives of the blocked formal revenue is *sanctions evasion*; of the illicit proceeds,
  it stays under its source. Anti-laundering follows the money a rail carries for the regime as it
  follows the money of the groups of the regime's country; a rail taken down or removed
  (``remove_facilitator``) is lost to the regime (000 l.343: shutting off its financial flows).
* **Illicit effort** (000 l.58, l.92, l.331: a sustainable financial equilibrium through sanctions
  evasion and criminal activity): while its revenue is below ``squeeze_ratio`` of the highest its
  yearly norm has been, the regime pushes into crime (``effort`` rises as a group's diversification
  does, sim/model/phases/gangs.py), so the push lasts as long as the squeeze; at full effort the
  protection rate, the share of its forces that operate the trade and its gold take are
  x (1 + ``effort_gain``).
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
  Colombian groups, taking the leg's margin (above): those shipments are not exposed to them
  (sim/model/phases/trade.py ``routing``), whoever ships them and whoever pays the police. (Corrupt
  units elsewhere spare only their patron's drugs, M16.)

Routing and enforcement read last week's shelter and protection (:class:`Regimes`). State capture
elsewhere (plata o plomo, M3, M12, M16) is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Facilitator, Organisation, Regime
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
    "regime_rails_usd": "USD the sponsors' rails carried for the regime in the week (before their cost)",
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
            named = [names[n] for n in spec.shelters if n in names]
            forces = names.get(spec.forces, -1)
            self.ruler[w.country == country] = len(self.agents)
            self.agents.append(Regime(model, country, forces, named, spec.formal_musd * 1e6 / 52.0))
            self._open_rails(model, self.agents[-1], spec.sponsors)
        self.load: dict[int, float] = {}  # USD the regimes moved through each rail this week, by its uid
        # of each valid (path, position) entry (routes.flat), the share of the route's value chain
        # gained on the hop out of it
        pos, ok = model.routes.position, model.routes.valid
        hop = np.zeros_like(pos)
        hop[:, :-1] = np.where(ok[:, 1:], pos[:, 1:] - pos[:, :-1], 0.0)
        self.hop = hop.ravel()[model.routes.flat]
        self.operated = np.zeros(w.n)  # share of the unit moving the drugs passing through
        self.shelter = np.zeros(w.n)  # share of arrests and leader targeting of sheltered groups forgone
        self._sheltered = [np.zeros(0, dtype=np.int64) for _ in self.agents]
        self._ruled_by: dict[tuple[int, ...], np.ndarray] = {}  # the territories of some regimes (refuge)
        for r in self.agents:
            self._update_sheltered(model, r)
        self._refresh(model)

    @staticmethod
    def _open_rails(model: CrimeModel, r: Regime, sponsors) -> None:
        """Each sponsor's rail is a launderer of the sponsor's channel (sim/model/phases/laundering.py)
        whose capacity carries ``capacity`` x the regime's formal revenue a week; it serves only
        the regime and the groups it shelters (000 l.102: the Petro collects payments for oil, gold
        and cocaine; 001 l.155, l.168)."""
        usd = model.p.laundering.usd_per_capacity
        for s in sponsors:
            if s.capacity * r.formal <= 0:
                continue
            f = Facilitator(model, "launderer", s.capacity * r.formal / usd, model.p.facilitators.fee)
            f.channel, f.patron = s.channel, r.unique_id
            r.rails[f.unique_id] = float(s.cost)

    def load_of(self, facs: list[Facilitator]) -> tuple[np.ndarray, np.ndarray]:
        """What the regimes moved through each of ``facs`` this week (USD; 0 for other launderers)
        and the country of the regime it moved it for (0 where none): for the laundering phase."""
        load = np.array([self.load.get(f.unique_id, 0.0) for f in facs])
        patron = {r.unique_id: r.country for r in self.agents}
        return load, np.array([patron.get(f.patron, 0) for f in facs], dtype=np.int64)

    def _tie_rails(self, model: CrimeModel, r: Regime) -> None:
        """The regime's live rails serve the groups it shelters and no other (service ties, renewed
        weekly)."""
        alive = {f.unique_id: f for f in model.agents_by_type.get(Facilitator, [])}
        ties = model.ties
        edges = ties.edges(Tie.SERVICE)  # keyed (smaller uid, larger uid): service ties are symmetric
        for uid in list(r.rails):
            if uid not in alive:  # taken down (anti_laundering, remove_facilitator): the rail is lost
                del r.rails[uid]
                continue
            for c in set(ties.neighbour_set(Tie.SERVICE, uid)) - set(r.sheltered):  # a group it no longer shelters
                ties.remove(Tie.SERVICE, uid, c)
            weight = float(alive[uid].capacity)
            for g in r.sheltered:  # (a tie already there as it is is left alone)
                if edges.get((uid, g) if uid < g else (g, uid)) != weight:
                    ties.set(Tie.SERVICE, uid, g, weight)

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
            # np.isin(uids, shel), by a search of the sorted uids ``shel``
            found = shel.take(np.searchsorted(shel, uids), mode="clip") == uids if shel.size else False
            out |= (self.ruler[territories] == k) & found
        return out

    def refuge(self, model: CrimeModel, org: Organisation) -> tuple[int, float]:
        """Where a group's leader is and the share of targeting forgone there: a sheltered group with
        ``sanctuary_members`` in a regime's territory keeps its leader in the territory of that regime
        where it has most members (002 l.8-9); otherwise its home, with no shelter."""
        home = org.home
        by = [k for k, r in enumerate(self.agents) if org.unique_id in r.sheltered]
        if not by:
            return home, 0.0
        ok = self._ruled_by.get(tuple(by))  # the territories of the regimes that shelter it
        if ok is None:
            ok = self._ruled_by[tuple(by)] = np.isin(self.ruler, by)
        members = np.where(ok, org.presence, 0.0)
        best = int(np.argmax(members))
        if ok[home] or members[best] < model.p.regime.sanctuary_members:
            return home, float(self.shelter[home] * ok[home])
        return best, float(self.shelter[best])


def _rails(model: CrimeModel, r: Regime, blocked: float, secondary: float) -> float:
    """The sponsors' rails carry what sanctions block (``blocked`` USD this week), each in proportion
    to its capacity and at most that capacity (less ``secondary``, closed by sanctions on the
    sponsors); each loses its ``cost`` of what it carries. Records each rail's load
    (``regimes.load``); returns the share of ``blocked`` that arrives."""
    usd = model.p.laundering.usd_per_capacity
    facs = {f.unique_id: f for f in model.agents_by_type.get(Facilitator, []) if f.unique_id in r.rails}
    uids = sorted(facs)
    cap = np.array([facs[u].capacity * usd for u in uids]) * (1.0 - secondary)
    if blocked <= 0 or cap.sum() <= 0:
        return 0.0
    carried = cap * min(1.0, blocked / cap.sum())
    cost = np.array([r.rails[u] for u in uids])
    model.regimes.load.update(zip(uids, carried.tolist()))
    return float((carried * (1.0 - cost)).sum() / blocked)


def leg_margin(model: CrimeModel) -> np.ndarray:
    """USD per territory: what last week's drugs that reached it gained in value on the hop out of it,
    at the model's prices along the route (trade.routing's value chain: source price at the producer,
    the market's price at the market). Summed over a country's territories, its leg's margin."""
    R, n = model.routes, model.world.n
    if R.arriving_flat is None:
        return np.zeros(n)
    gain = (model.terr.price[R.flat_mkt] - model.p.market.price_source) * model.regimes.hop
    return np.bincount(R.flat_nodes, weights=R.arriving_flat * gain, minlength=n)


def step(model: CrimeModel) -> None:
    """The regimes' week: revenue by source, illicit effort, loyalty, spending, shelter.

    Reads ``terr.drug_value``, ``terr.price``, ``routes`` (the week's shipments), ``gold.value``,
    ``fx.sanctions_*``, ``orgs`` (members, ties of the forces), the facilitators (the rails). Writes
    each regime's ``revenue``, ``spending``, ``norm``, ``peak``, ``effort``, ``loyalty``,
    ``sheltered``, ``rails``, ``gold.to_regime``, ``regimes.load`` (read by the laundering phase),
    ``ties`` (service: the rails' clients), the sheltered groups' cash (``orgs.credit_org``, source
    ``regime_support``) and ``regimes.operated``, ``regimes.shelter`` (read next week).
    """
    regs = model.regimes
    if not regs.agents:
        return
    rp, gp, fx, t = model.p.regime, model.p.gold, model.fx, model.terr
    model.gold.to_regime[:] = 0.0
    regs.load = {}
    margin = leg_margin(model)
    for k, r in enumerate(regs.agents):
        c = r.country
        where = regs.ruler == k
        push = 1.0 + r.effort * rp.effort_gain
        gold_take = min(gp.regime_take * push, 1.0 - gp.group_take)
        gold = model.gold.value[where] * gold_take * (1.0 - gp.laundering_loss)
        operated = regs.operated[where]  # the share of this week's shipments its forces moved
        protected = min(1.0, rp.protection_rate * push) * float((t.drug_value[where] * (1.0 - operated)).sum())
        operations = float((margin[where] * operated).sum())
        # sanctions block part of the formal revenue and of the illicit proceeds; the rails carry part
        blocked, finance = float(fx.sanctions_formal[c]), float(fx.sanctions_finance[c])
        illicit = protected + operations + float(gold.sum())
        through = _rails(model, r, r.formal * blocked + illicit * finance, float(fx.sanctions_secondary[c]))
        kept = 1.0 - finance * (1.0 - through)  # share of illicit proceeds that reaches the regime
        model.gold.to_regime[where] = gold * kept
        r.revenue = {
            "formal": r.formal * (1.0 - blocked),
            "drug_protection": protected * kept,
            "drug_operations": operations * kept,
            "gold": float(gold.sum()) * kept,
            "sanctions_evasion": r.formal * blocked * through,
        }
        total = r.total
        r.norm += (total - r.norm) / rp.revenue_memory_weeks
        r.peak = max(r.peak, r.norm)
        if total < rp.squeeze_ratio * r.peak:
            r.effort += rp.effort_rate * (1.0 - r.effort)
        else:
            r.effort -= rp.effort_decay * r.effort
        need = rp.loyalty_need * r.formal
        r.loyalty = min(1.0, r.norm / need) if need > 0 else 1.0
        regs._update_sheltered(model, r)
        regs._tie_rails(model, r)
        allies = rp.ally_share * total
        r.spending = {"loyalty": min(total, need), "allies": allies if r.sheltered else 0.0}
        if r.sheltered and allies > 0:
            groups = [model.orgs.by_uid[u] for u in r.sheltered]
            members = np.array([g.members for g in groups])
            share = members / members.sum() if members.sum() > 0 else np.full(len(groups), 1.0 / len(groups))
            model.orgs.credit_each(groups, [allies * s for s in share.tolist()], "regime_support")
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
            sum(model.regimes.load.get(u, 0.0) for u in r.rails),
            r.loyalty,
            r.effort,
            len(r.sheltered),
        ]
    return out
