"""Illicit gold as an economy: production, price, who takes it (000 l.100, l.232, l.267; 004 l.3366).

The mining territories of a world preset give their illicit gold output (``gold_t``, tonnes a year:
southern Venezuela's Orinoco mining arc, the Colombian and Ecuadorian border zones, Madre de Dios;
configs/world/hemisphere.yaml). Each week the output is valued at ``price_usd_kg``; the group that
controls the territory takes ``group_take`` of it (taxes on miners, its own dredges: the ELN and the
FARC dissidents, 000 l.232, l.267), sold abroad at ``laundering_loss`` below its value (money cause
``gold``); a regime takes its share on its own ground (sim/model/phases/regime.py). The groups' take
joins the territory's criminal value next week (routing: ``terr.value``), so gold draws groups and
bribes as transit and smuggling rents do. Output does not respond to prices or control: an
assumption (the seeds give no figure for it). Diversified members' own mining (gangs.py, M17)
is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


class Gold:
    """Per territory (``model.gold``): kg mined a week (input), this week's value and who took it (USD)."""

    def __init__(self, wcfg, n: int) -> None:
        tonnes = np.array([float(t.gold_t) for t in wcfg.territories]) if len(wcfg.territories) else np.zeros(n)
        self.kg = tonnes * 1000.0 / 52.0  # kg per week
        self.value = np.zeros(n)  # USD of gold mined this week, at price
        self.to_groups = np.zeros(n)  # USD the controlling groups took this week
        self.to_regime = np.zeros(n)  # USD a regime took this week (regime.step)


def step(model: CrimeModel) -> None:
    """Gold mined, valued and taxed by the territory's controller.

    Reads ``gold.kg``, ``terr.controller``. Writes ``gold.value``, ``gold.to_groups`` and the
    controllers' income (``orgs.credit``, source ``gold``).
    """
    g, gp, t = model.gold, model.p.gold, model.terr
    np.multiply(g.kg, gp.price_usd_kg, out=g.value)
    g.to_groups[:] = np.where(t.controller >= 0, g.value * gp.group_take * (1.0 - gp.laundering_loss), 0.0)
    model.orgs.credit(t.controller, g.to_groups, "gold")


#: The gold quantities of ``countries.parquet`` (:func:`country_values`), by the country where the gold is mined.
COUNTRY_COLUMNS = {
    "gold_production_kg": "kg of illicit gold mined in the country's territories in the week",
    "gold_income_groups": "USD the controlling groups took from that gold in the week (after the gold's discount)",
    "gold_income_regime": "USD a regime took from that gold in the week (after discount and sanctions)",
}


def country_values(model: CrimeModel) -> np.ndarray:
    """(len(COUNTRY_COLUMNS), countries): this week's gold quantities by country, for ``countries.parquet``."""
    g = model.gold
    return np.stack([g.kg, g.to_groups, g.to_regime]) @ model.accounts.onehot
