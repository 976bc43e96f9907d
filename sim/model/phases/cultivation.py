"""Phase 0, cultivation: coca that moves (M1; issue 14).

Each production territory holds a coca area (hectares); production is area x yield. Eradication
(the ``eradication`` lever, 004 l.3588: Colombia eradicated 68,000 ha in 2014) takes standing area
out; growers replant eradicated land (004 l.3324: coca returned to the Upper Huallaga despite
forced eradication) and open new area where the farm-gate price pays for it, favouring the
coca-suitable land where eradication has been rarer (004 l.3364: the problem "is already migrating
to other areas"). The farm-gate price rises as regional production falls below its reference, so
eradication in one country draws planting into the others: the balloon effect of eradication
(004 l.3324, l.3364).

Reads ``fx.eradication``. Writes ``coca`` (area, fallow, perceived risk, the week's eradication,
the farm-gate price). Production itself (area x yield into stock) is phase 1
(:func:`sim.model.phases.trade.production`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import clip

if TYPE_CHECKING:
    from sim.model.config import CultivationParams
    from sim.model.model import CrimeModel
    from sim.model.world import World


@dataclass
class Coca:
    """Coca per territory (arrays of length ``n``; zero outside the production territories)."""

    area: np.ndarray  # hectares standing
    fallow: np.ndarray  # hectares eradicated and not yet replanted
    suitable: np.ndarray  # hectares at the start: the coca-suitable land, where new area may open
    risk: np.ndarray  # perceived yearly share of the area eradicated (growers' memory)
    eradicated: np.ndarray  # hectares eradicated this week
    yield_kg_ha: float  # kg of cocaine per hectare per year
    reference_kg: float  # regional production per week at the start (kg): the farm-gate price's reference
    price: float  # farm-gate USD per kg

    @classmethod
    def start(cls, world: World, cp: CultivationParams, price: float) -> Coca:
        """Area from the world's production: production_kg x 52 / yield."""
        area = world.production_kg * 52.0 / cp.yield_kg_ha
        zeros = np.zeros(world.n)
        return cls(
            area=area,
            fallow=zeros.copy(),
            suitable=area.copy(),
            risk=zeros.copy(),
            eradicated=zeros.copy(),
            yield_kg_ha=cp.yield_kg_ha,
            reference_kg=float((area * cp.yield_kg_ha / 52.0).sum()),
            price=price,
        )

    def production_kg(self, growth: float) -> np.ndarray:
        """kg of cocaine produced this week in each territory."""
        return self.area * (self.yield_kg_ha / 52.0 * growth)


def growth(model: CrimeModel) -> float:
    """Yearly growth of production (``market.production_growth``) since the start."""
    return (1.0 + model.p.market.production_growth) ** (model.steps / 52.0)


def step(model: CrimeModel) -> None:
    """Eradicate, replant, and open or abandon area as the farm-gate price moves."""
    c, cp, mp = model.coca, model.p.cultivation, model.p.market
    erad = c.area * model.fx.eradication
    c.area -= erad
    c.fallow += erad
    c.eradicated = erad
    replant = c.fallow * min(cp.replant_rate / 52.0, 1.0)
    c.fallow -= replant
    c.area += replant
    c.risk += cp.risk_memory * (model.fx.eradication * 52.0 - c.risk)
    g = growth(model)
    made = float(c.production_kg(g).sum())
    ratio = clip(c.reference_kg * g / max(made, 1e-9), mp.price_ratio_min, mp.price_ratio_max)
    c.price = mp.price_source * ratio**cp.price_elasticity
    gap = c.price / mp.price_source - 1.0
    if gap > 0.0:  # new area, on suitable land, less where eradication is feared
        pull = c.suitable * np.exp(-cp.risk_aversion * c.risk)
        total = pull.sum()
        if total > 0.0:
            c.area += cp.expansion_rate / 52.0 * gap * c.area.sum() * pull / total
    elif gap < 0.0:  # a glut: growers abandon area everywhere alike
        c.area *= 1.0 + cp.expansion_rate / 52.0 * gap
