"""The status quo (issue 19, item 5): stocks that should be stationary without a policy stay so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compose

from sim.model import CrimeModel
from sim.run import compose as compose_run
from sim.run import run

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


def test_residents_grow_by_births_less_deaths_and_the_police_with_them():
    """Without emigration, every territory's residents grow by its country's ``natural_increase`` a
    year (births less deaths; UN World Population Prospects 2019, configs/world/hemisphere.yaml), and
    its police keep their strength per resident; emigration alone drained every country before
    (issue 19, item 5)."""
    m = CrimeModel(compose("params.community.emigration_base=0", "burn_in=0"))
    pop, officers = m.terr.population.copy(), m.terr.officers.copy()
    yearly = np.array([c.natural_increase for c in m.world.countries])[m.world.country]
    assert yearly.max() > 0.02 and yearly.min() == 0.0  # Western Africa, the EU
    for _ in range(52):
        m.step()
    np.testing.assert_allclose(m.terr.population, pop * (1.0 + yearly), rtol=1e-9)
    np.testing.assert_allclose(m.terr.officers, officers * (1.0 + yearly), rtol=1e-9)


#: Headline outcomes of the default world's baseline and whether each holds within 10% over the ten
#: policy years (issue 19, item 5), mean of seeds 100-105 (2026-12-03, after militias were limited to
#: the countries whose communities arm):
#: - members grow by 18%: members present in Colombia grow 5.6% a year, within the sourced trend of
#:   its armed groups (targets.csv col_members_growth, 2.1-8.0), and in Mexico 2.3% a year, below the
#:   cartels' sourced 4.0-6.6 (mex_members_growth); Peru, Venezuela, Brazil and the Mexican cartels'
#:   cells in the US grow as much without a source, from the sizes the world gives them toward what
#:   their income and their territories' idle youth sustain (recruitment.py); El Salvador's and
#:   Honduras' gangs shrink;
#:   of the +18%, ~6.6 points are members held (a prison stock that starts empty), ~11 free members;
#:   the pull of revenue per member leaves the rich groups no stationary size (README, "Why members
#:   drift": a longer burn-in, a cash sink or a fixed-point start do not bring it within 10%);
#: - the corrupt police share climbs by 10.3%: payrolls follow the groups into territories they
#:   reach later (the Dominican Republic, Jamaica, Panama); a transient, level from year 8-10.
STATIONARY = {
    "homicide_rate": True,
    "criminal_members": False,
    "prison_population": True,
    "community_trust": True,
    "corrupt_police_share": False,
}


@pytest.fixture(scope="module")
def baseline_years() -> pd.DataFrame:
    """Yearly means of the default world's baseline over the ten policy years, mean of six seeds."""
    frames = []
    for seed in range(100, 106):
        ts = run(compose_run([f"seed={seed}", "progress=false", "output.write=false"])).timeseries
        ts = ts[ts["year"] >= 0]
        frames.append(ts.groupby(np.floor(ts["year"]).astype(int))[list(STATIONARY)].mean())
    return pd.concat(frames).groupby(level=0).mean()


@pytest.mark.slow  # six runs of the default world (~15 s)
@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param(
            k, marks=[] if ok else pytest.mark.xfail(strict=True, reason="drifts by more than 10%: see STATIONARY")
        )
        for k, ok in STATIONARY.items()
    ],
)
def test_the_status_quo_stays_within_ten_percent_over_ten_years(baseline_years, outcome):
    """With no policy the default world's headline outcomes stay within 10% of their first policy
    year's level in the tenth (issue 19, item 5). Trust held only once communities start at the
    fixed point of their trust dynamics (community.step; it fell 17% before) and police payrolls at
    theirs (corruption.step)."""
    first, last = baseline_years[outcome].iloc[0], baseline_years[outcome].iloc[-1]
    assert abs(last / first - 1.0) <= 0.10
