"""Arms flows: groups buy arms with their income; arms give them firepower over the police.

* Purchases (004 l.458: the drug money buys "these weapons" and "mercenary armies"): each week a
  group spends ``spend_share`` of its income of the previous week on arms and ammunition (money
  cause ``arms``), at ``price_usd`` a unit. Its home country's supply comes from two channels: the
  US civilian market (world input ``arms_us_share``: the "pipeline of guns and ammunition" into
  Mexico and Central America, 004 l.452-456, gun shows, l.464; drugs and arms moved by the same
  structures, l.398) and, for the rest, state arsenals that leak (002 l.16: Russian military
  equipment in Venezuela may "fall into the hands of illicit actors"; Venezuela's arsenal filled by
  its foreign suppliers, 001 l.13, l.155). The leak does not follow the police's integrity over the
  run (not modelled: the seeds give no size for it). The ``arms_interdiction`` lever stops ``supply_cut`` of the US
  channel of its countries' groups: a dollar buys ``1 - arms_us_share x cut`` of the units it bought
  (the other channel does not grow to replace it: an assumption).
* The stock (units) wears out: a unit stays in service ``service_years`` on average. A group's
  stock starts where its first purchases would keep it (purchase / weekly depreciation); during the
  burn-in it follows the level its recent purchases keep (their exponential mean over
  ``start_memory_weeks``, / weekly depreciation), so that it enters the policy years near its steady
  state rather than still filling up.
* Firepower (004 l.452-454: criminals out-gun "under-equipped law enforcement"; l.681-683: the
  Northern Triangle's police "outmanned, outgunned, and out-financed"): a group's stock relative to
  its status-quo stock, the stock the same spending would hold had the supply stayed as in the
  status quo (both kept side by side), bounded to ``[1/max_firepower, max_firepower]``. The
  normalisation makes the status quo's firepower 1 for every group at every week, so the calibrated
  world is unchanged there (the calibration already holds the groups' status-quo arms); firepower
  moves only with the supply: an interdiction lowers it as the group's arms wear out and are not
  replaced, a surge of arms raises it. A limitation: the same normalisation leaves out a change of
  firepower with a group's income or size in the status quo (004 l.458 is in the purchases and
  their USD, not in firepower).
* What firepower does (test 418 of the reading notes of 004: arms inflow raises homicides and lowers
  police effectiveness): arrests of a group's members are x firepower^-``arrest_elasticity``
  (enforcement.step), and combat and gang killings in a territory are x (the fighters' mean
  firepower there)^``lethality_elasticity`` (violence.step; bystanders follow combat).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import clip

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


class Arms:
    """The groups' arms (``model.arms``), by organisation ``unique_id`` (NaN: not yet armed).

    ``stock`` units held; ``status_quo`` the units the same spending would hold had the supply
    stayed as in the status quo; ``firepower`` their ratio (1 for unknown ids); the week's purchases
    by the home country of the buyer, in ``week`` (rows: USD, units)."""

    def __init__(self, n_countries: int) -> None:
        self.stock = np.zeros(0)
        self.status_quo = np.zeros(0)
        self.firepower = np.zeros(0)
        self.week = np.zeros((2, n_countries))

    def _grow(self, size: int) -> None:
        old = self.stock.size
        if size > old:
            self.stock = np.concatenate([self.stock, np.full(size - old, np.nan)])
            self.status_quo = np.concatenate([self.status_quo, np.full(size - old, np.nan)])
            self.firepower = np.concatenate([self.firepower, np.ones(size - old)])

    def of(self, uids: np.ndarray) -> np.ndarray:
        """Firepower of each organisation uid (1 where unknown)."""
        return self._at(self.firepower, uids, 1.0)

    def stock_of(self, uids: np.ndarray) -> np.ndarray:
        """Units held by each organisation uid (0 where not armed)."""
        return unarmed_zero(self._at(self.stock, uids, 0.0))

    @staticmethod
    def _at(values: np.ndarray, uids: np.ndarray, default: float) -> np.ndarray:
        uids = np.asarray(uids, dtype=np.int64)
        known = uids < values.size
        return np.where(known, values[np.where(known, uids, 0)] if values.size else default, default)


def unarmed_zero(stock: np.ndarray) -> np.ndarray:
    """``stock`` with 0 for the groups not yet armed (NaN): ``np.nan_to_num`` of the finite stocks,
    at a fifth of its cost."""
    return np.where(np.isnan(stock), 0.0, stock)


def reach(model: CrimeModel) -> np.ndarray:
    """(countries,) units a dollar buys, relative to the status quo: 1 less the US share the lever stops."""
    return 1.0 - model.world.arms_us_share * model.fx.arms_cut


def step(model: CrimeModel) -> None:
    """Purchases, depreciation, firepower.

    Reads ``orgs`` (revenue, cash, home countries), ``world.arms_us_share``,
    ``fx.arms_cut``. Writes ``arms`` (stocks, firepower, the week's purchases) and the groups' cash
    (``orgs.debit_org``, use ``arms``).
    """
    a, ap, orgs = model.arms, model.p.arms, model.orgs
    uid, home = orgs.uid, orgs.country
    a._grow(int(uid.max(initial=-1)) + 1)
    spend = np.minimum(ap.spend_share * orgs.revenue, orgs.cash)
    buying = spend > 0
    orgs.debit_rows(np.flatnonzero(buying), spend[buying], "arms")
    units_sq = spend / ap.price_usd  # at the status quo's supply
    units = units_sq * reach(model)[home]
    wear = 1.0 / (52.0 * ap.service_years)
    for held, bought in ((a.stock, units), (a.status_quo, units_sq)):
        now = held[uid]
        if model.week < 0:  # the burn-in: the level the recent purchases keep (an exponential mean)
            now = now + (bought / wear - now) / ap.start_memory_weeks
        else:
            now = now * (1.0 - wear) + bought
        held[uid] = np.where(np.isnan(held[uid]) & (bought > 0), bought / wear, now)  # NaN until armed
    n_c = len(model.world.countries)
    a.week = np.stack(
        [np.bincount(home, weights=spend, minlength=n_c), np.bincount(home, weights=units, minlength=n_c)]
    )
    sq = a.status_quo[uid]
    ratio = np.divide(unarmed_zero(a.stock[uid]), sq, out=np.ones(uid.size), where=sq > 0)
    a.firepower[uid] = clip(ratio, 1.0 / ap.max_firepower, ap.max_firepower)


def arrest_factor(model: CrimeModel, rows: np.ndarray) -> np.ndarray:
    """x the arrest rate of the members of organisation rows ``rows``: firepower^-``arrest_elasticity``."""
    return model.arms.of(model.orgs.uid[rows]) ** -model.p.arms.arrest_elasticity


def lethality(model: CrimeModel, rows: np.ndarray, cols: np.ndarray, fighters: np.ndarray) -> np.ndarray:
    """(territories,) x combat and gang killings: the fighter-weighted mean firepower of the groups in
    each territory (``fighters`` of organisation row ``rows`` in territory ``cols``)^``lethality_elasticity``
    (1 where nobody fights)."""
    n = model.world.n
    fp = model.arms.of(model.orgs.uid[rows])
    total = np.bincount(cols, weights=fighters, minlength=n)
    armed = np.bincount(cols, weights=fighters * fp, minlength=n)
    mean = np.divide(armed, total, out=np.ones(n), where=total > 0)
    return mean**model.p.arms.lethality_elasticity


#: The arms quantities of ``countries.parquet`` (:func:`country_values`), by the buyers' home country.
COUNTRY_COLUMNS = {
    "arms_bought_usd": "USD the groups based in the country spent on arms and ammunition in the week",
    "arms_bought_units": "units (a firearm with its ammunition) those groups bought in the week",
    "arms_stock_units": "units those groups hold at the end of the week's purchases",
}


def country_values(model: CrimeModel) -> np.ndarray:
    """(len(COUNTRY_COLUMNS), countries): this week's arms quantities by the buyers' home country."""
    a, orgs = model.arms, model.orgs
    held = np.bincount(orgs.country, weights=a.stock_of(orgs.uid), minlength=a.week.shape[1])
    return np.vstack([a.week, held])
