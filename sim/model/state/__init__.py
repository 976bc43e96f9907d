"""The state the phases share, by owner: per territory (``model.terr``), per country
(``model.countries``), this week's counts (``model.tally``) and the run's drug totals
(``model.totals``). The organisations and their ledger are in :mod:`sim.model.state.organisations`
(``model.orgs``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.world import World


@dataclass
class TerritoryState:
    """One float/int array of length ``n`` per quantity; index = territory."""

    # community (M5, M6, M14)
    population: np.ndarray
    trust: np.ndarray  # 0..1 trust in the state
    fear: np.ndarray  # smoothed homicide rate, per 100k per year
    tips: np.ndarray  # 0..1 share of crimes reported with usable information
    abuse: np.ndarray  # state abuses per 100k residents, smoothed
    extortion: np.ndarray  # 0..1 share of residents paying extortion
    emigration: np.ndarray  # emigrants in the last week
    homicides: np.ndarray  # homicides in the last week
    impunity: np.ndarray  # 0..1 share of arrests not ending in conviction
    effectiveness: np.ndarray  # 0..1 share of the state's capacity residents see working (M5)
    arrests: np.ndarray  # arrests in the last week
    recruits: np.ndarray  # members recruited in the last week (recruitment phase)
    # police (M3, M4, M12, M16)
    officers: np.ndarray
    integrity: np.ndarray
    pay: np.ndarray
    tenure: np.ndarray  # years
    local: np.ndarray
    investigative: np.ndarray
    corrupt: np.ndarray  # share of officers on a payroll
    patron: np.ndarray  # unique_id of the organisation paying them, -1 none
    militarised: np.ndarray  # share of the unit that is military
    embed_weeks: np.ndarray  # weeks troops have been embedded
    capacity: np.ndarray  # effective enforcement capacity this week, 0..~3
    boost: np.ndarray  # current military boost (decays with embedding), 0..military_boost
    conviction_p: np.ndarray  # 0..1 probability an arrest ends in conviction this week (1 - impunity)
    # control and flows (M1, M8, M11)
    controller: np.ndarray  # unique_id of the controlling organisation, -1 none
    contested: np.ndarray  # bool
    flow: np.ndarray  # kg passing in the last week
    seized: np.ndarray  # kg seized in the last week
    risk: np.ndarray  # the public's perceived seizure probability per shipment passing (shippers: model.shippers)
    value: np.ndarray  # USD of criminal income generated in the territory last week
    drug_value: np.ndarray  # USD value of the drugs passing through in the last week
    migrants: np.ndarray  # migrants crossing in the last week (border territories)
    smuggling: np.ndarray  # USD of migrant-smuggling rent in the last week (border territories)
    engaged: np.ndarray  # members of hostile groups engaged in fighting this week (violence phase)
    pact: np.ndarray  # bool: pax mafiosa this week, a monopolised plaza whose police take the controller's money (M8)
    organised_violence: np.ndarray  # expected homicides from combat and gangs this week
    gang_violence: np.ndarray  # expected homicides by gang members this week (part of organised_violence)
    # drug market (M1)
    stock: np.ndarray  # kg of cocaine waiting to be shipped (production territories)
    price: np.ndarray  # wholesale USD per kg (markets; 0 elsewhere)
    supply_ema: np.ndarray  # kg per week delivered, smoothed (markets)

    @classmethod
    def zeros(cls, n: int) -> TerritoryState:
        kw = {f.name: np.zeros(n) for f in fields(cls)}
        kw["patron"] = np.full(n, -1, dtype=np.int64)
        kw["controller"] = np.full(n, -1, dtype=np.int64)
        kw["contested"] = np.zeros(n, dtype=bool)
        kw["pact"] = np.zeros(n, dtype=bool)
        return cls(**kw)


@dataclass
class CountryState:
    """One float array per quantity; index = country (``world.countries``). Prisons keep their
    own per-country counts (``model.prisons``)."""

    court_capture: np.ndarray  # 0..1 share of the courts captured (M3, corruption phase)
    pressure: np.ndarray  # public demand for a crackdown, x enforcement capacity (politics phase)
    crowding: np.ndarray  # prison inmates over capacity, as a share of capacity (prisons phase)
    fear0: np.ndarray  # homicide rate at the start, per 100k per year (reference of the crackdown demand)

    @classmethod
    def start(cls, world: World) -> CountryState:
        """Courts clean, pressure 1, no crowding; ``fear0`` the population-weighted baseline
        homicide rate (at least 1)."""
        n_c = len(world.countries)
        fear0 = np.maximum(
            np.bincount(world.country, weights=world.base_homicide_rate * world.population, minlength=n_c)
            / np.bincount(world.country, weights=world.population, minlength=n_c),
            1.0,
        )
        return cls(court_capture=np.zeros(n_c), pressure=np.ones(n_c), crowding=np.zeros(n_c), fear0=fear0)


@dataclass
class Tally:
    """This week's counts for the metrics; a new tally starts every week (``CrimeModel.step``)."""

    removals: int = 0  # leaders removed (leadership.remove_leader)
    extraditions: int = 0  # leaders extradited
    splits: int = 0  # groups that split (leadership.split)
    arrests: float = 0.0  # members arrested plus non-members swept up (enforcement)
    recruits: float = 0.0  # members recruited (recruitment)
    shipped_kg: float = 0.0  # cocaine shipped from the producers' stock (routing)
    seized_kg: float = 0.0  # cocaine seized on the routes (routing)
    delivered_kg: float = 0.0  # cocaine arriving at the markets (market)


@dataclass
class Totals:
    """Cocaine since the start of the run, kg: produced = delivered + seized + in transit + stock
    (``trade.mass_balance``)."""

    produced_kg: float = 0.0
    delivered_kg: float = 0.0
    seized_kg: float = 0.0


def clip(a, lo: float, hi: float, out: np.ndarray | None = None):
    """``np.clip(a, lo, hi, out=out)`` for the float arrays and numbers of the phases, as two ufuncs:
    ``np.clip``'s argument checks cost more than the clipping on arrays of a few dozen territories."""
    return np.minimum(np.maximum(a, lo, out=out), hi, out=out)


def sorted_union(*arrays: np.ndarray) -> np.ndarray:
    """The distinct values of integer arrays, ascending (``np.union1d``, several times faster on
    the arrays of a week)."""
    a = np.sort(np.concatenate(arrays))
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if a.size else a


def running_sum(start: float, amounts: np.ndarray) -> float:
    """``start`` plus each of ``amounts`` in turn, as a loop adds them (``np.sum`` adds pairwise,
    ``sum`` compensates its rounding: both may differ in the last bits)."""
    total = float(start)
    for amount in amounts.tolist():  # faster than np.cumsum on the few dozen numbers of a week
        total += amount
    return total
