"""The status quo (issue 19, item 5): stocks that should be stationary without a policy stay so."""

from __future__ import annotations

import numpy as np
from conftest import compose

from sim.model import CrimeModel

WORLD = ["world=synthetic", "world.n_territories=20", "burn_in=0", "steps=520"]


def _tenure_after(weeks: int, *overrides: str) -> tuple[np.ndarray, np.ndarray]:
    m = CrimeModel(compose(*WORLD, *overrides))
    start = m.terr.tenure.copy()
    for _ in range(weeks):
        m.step()
    return start, m.terr.tenure.copy()


def test_police_tenure_relaxes_to_its_mean_without_rotation():
    """Officers leave and are replaced (exponential stays of mean ``mean_tenure_years``), so without
    a policy every unit's tenure relaxes to that mean, week by week by the factor 1 - 1/(52 mean),
    instead of growing a year every year and with it every unit's corruptibility (004 l.3338)."""
    for mean in (5.5, 10.0):
        start, end = _tenure_after(520, f"params.corruption.mean_tenure_years={mean}")
        factor = (1.0 - 1.0 / (52.0 * mean)) ** 520
        np.testing.assert_allclose(end - mean, (start - mean) * factor, atol=1e-9)
        assert np.abs(end - mean).max() < 0.4 * np.abs(start - mean).max()
