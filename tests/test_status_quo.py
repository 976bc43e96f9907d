"""The status quo (issue 19, item 5): stocks that should be stationary without a policy stay so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compose

from sim.analysis.targets import DEFAULT_WORLD, load_targets
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
#: policy years (issue 19, item 5), mean of seeds 100-105, year 1 -> 10 (2026-12-05, the default
#: world settling for ten years, ``world.burn_in`` 520, refitted with the sourced extortion value):
#: homicides -3.5%, inmates +0.4%, trust +2.0%, the corrupt police share +2.7%. Members +10.6%, past
#: the bar with a sourced reason (issue 19 allows it; README, Status quo): Mexico +6,200 and Colombia
#: +1,300 free members present, as their published trends say (data/targets.csv col_members_growth,
#: mex_members_growth: Mexico's cartels grew ~4% a year), while the rest of the world's stay within
#: 10% (+5.5%, :func:`test_members_without_a_sourced_trend_stay_within_ten_percent`). Members were
#: +7.8% with the local refit of 2026-12-04, +11.8% with the first gang_crowding fit.
STATIONARY = {
    "homicide_rate": True,
    "criminal_members": False,
    "prison_population": True,
    "community_trust": True,
    "corrupt_police_share": True,
}


@pytest.fixture(scope="module")
def baseline_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yearly means of the default world's baseline over the ten policy years, mean of six seeds: the
    headline outcomes, and the free members present in each country."""
    frames, present = [], []
    for seed in range(100, 106):
        res = run(compose_run([f"seed={seed}", "progress=false", "output.write=false"]))
        ts = res.timeseries[res.timeseries["year"] >= 0]
        frames.append(ts.groupby(np.floor(ts["year"]).astype(int))[list(STATIONARY)].mean())
        c = res.countries[res.countries["year"] >= 0]
        present.append(c.groupby([np.floor(c["year"]).astype(int), "country"], observed=True)["members_present"].mean())
    return pd.concat(frames).groupby(level=0).mean(), pd.concat(present).groupby(level=[0, 1]).mean().unstack()


@pytest.fixture(scope="module")
def baseline_years(baseline_runs) -> pd.DataFrame:
    return baseline_runs[0]


@pytest.mark.slow  # six runs of the default world, each 20 years (~30 s)
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


def trend_countries() -> set[str]:
    """The countries whose groups grow with no policy change by a source: the default world's rows
    of data/targets.csv with statistic ``members_growth(country=...)`` (Colombia and Mexico)."""
    rows = [t for t in load_targets() if t.world == DEFAULT_WORLD and t.statistic.startswith("members_growth(country=")]
    return {t.statistic.split("country=")[1].rstrip(")") for t in rows}


@pytest.mark.slow  # the same six runs
def test_members_without_a_sourced_trend_stay_within_ten_percent(baseline_runs):
    """Where the seeds and published trends give no growth, the free members present stay within 10%
    over the ten policy years (issue 19, item 5: "stays near stationary where they give none"): every
    country but those with a sourced trend (:func:`trend_countries`, checked against their bands by
    validate.py's col_armed_groups_grow and mex_cartels_grow). Measured 2026-12-04 on the settled
    world (``world.burn_in`` 520) refitted with members_stationary required in 0.99-1.01 (the fit
    reads it over years 1-3 only), seeds 100-105: +5.0% (94,900 -> 99,700, 73% of the members
    present). It failed at +10.4% with the local refit while the band was 0.98-1.02, was +9.9% with
    the first gang_crowding fit, -0.0% with the fit before gang_crowding, failed at -13.4%
    when the maras left at the cartels' exit rate, and reached +14.5% when the settled world was first
    fitted without members_stationary."""
    present = baseline_runs[1]
    trends = trend_countries()
    assert trends == {"COL", "MEX"}
    rest = present.drop(columns=sorted(trends)).sum(axis=1)
    assert rest.iloc[0] > 0.6 * present.sum(axis=1).iloc[0]  # the measure covers most of the world's members (74%)
    assert abs(rest.iloc[-1] / rest.iloc[0] - 1.0) <= 0.10
