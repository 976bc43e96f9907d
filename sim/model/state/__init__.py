"""Per-territory state arrays shared by the phases (community, police, control and flows), and a
helper for the entries of the mostly-zero presence matrix (``CrimeModel.held``)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


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
    # control and flows (M1, M8, M11)
    controller: np.ndarray  # unique_id of the controlling organisation, -1 none
    contested: np.ndarray  # bool
    flow: np.ndarray  # kg passing in the last week
    seized: np.ndarray  # kg seized in the last week
    risk: np.ndarray  # perceived seizure probability per shipment passing
    value: np.ndarray  # USD of criminal income generated in the territory last week
    drug_value: np.ndarray  # USD value of the drugs passing through in the last week
    migrants: np.ndarray  # migrants crossing in the last week (border territories)
    smuggling: np.ndarray  # USD of migrant-smuggling rent in the last week (border territories)

    @classmethod
    def zeros(cls, n: int) -> TerritoryState:
        kw = {f.name: np.zeros(n) for f in fields(cls)}
        kw["patron"] = np.full(n, -1, dtype=np.int64)
        kw["controller"] = np.full(n, -1, dtype=np.int64)
        kw["contested"] = np.zeros(n, dtype=bool)
        return cls(**kw)

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def sorted_union(*arrays: np.ndarray) -> np.ndarray:
    """The distinct values of integer arrays, ascending (``np.union1d``, several times faster on
    the arrays of a week)."""
    a = np.sort(np.concatenate(arrays))
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if a.size else a
