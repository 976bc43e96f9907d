"""Arms flows (issue 15: "No arms flows"): purchases, stocks, firepower, the arms_interdiction lever
and their signatures (sim/model/phases/arms.py; 004 l.452-456, l.458, l.681-683)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SYNTHETIC_30, compose, run, small_model, step_to

from sim.model import CrimeModel
from sim.model.phases import arms


def _armed(m: CrimeModel) -> np.ndarray:
    return np.isfinite(m.arms.stock[m.orgs.uid])


@pytest.fixture(scope="module")
def baseline():
    """A short synthetic baseline run with its tables and model."""
    return run(*SYNTHETIC_30, "steps=30", keep_model=True)


def test_status_quo_firepower_is_one_and_purchases_follow_income(baseline):
    """In the status quo every group's firepower is 1 (the calibrated world is unchanged), while the
    groups do buy arms with ``spend_share`` of last week's income, recorded as money cause ``arms``."""
    m = baseline.model
    assert _armed(m).any()
    assert np.array_equal(m.arms.of(m.orgs.uid), np.ones(len(m.orgs.agents)))
    ts = baseline.timeseries
    assert (ts["criminal_firepower"] == 1.0).all()
    assert (ts["arms_bought_usd"].iloc[5:] > 0).all()
    assert ts["arms_bought_units"].iloc[-1] == pytest.approx(ts["arms_bought_usd"].iloc[-1] / m.p.arms.price_usd)
    flows = baseline.flows
    spent = flows[(flows.account == "money") & (flows.cause == "arms")].groupby("step")["value"].sum()
    by_step = ts.set_index("step")["arms_bought_usd"]
    assert np.allclose(-spent.reindex(by_step.index, fill_value=0.0), by_step, rtol=1e-9)
    c = baseline.countries
    assert np.allclose(c.groupby("step")["arms_bought_usd"].sum(), by_step, rtol=1e-9)
    assert np.allclose(c.groupby("step")["arms_stock_units"].sum(), ts.set_index("step")["arms_stock_units"])


def test_stocks_wear_out_without_purchases():
    """A group that buys nothing loses 1 / (52 x service_years) of its stock a week."""
    m = step_to(small_model(), 2)
    uid = m.orgs.uid[_armed(m)]
    before = m.arms.stock[uid].copy()
    m.p.arms.spend_share = 0.0
    m.step()
    wear = 1.0 / (52.0 * m.p.arms.service_years)
    assert np.allclose(m.arms.stock[uid], before * (1.0 - wear))


def test_interdiction_cuts_the_units_a_dollar_buys_only_in_its_countries():
    """arms_interdiction in one country: its groups' dollars buy 1 - us_share x cut of the units, their
    firepower falls below 1 (a group that cannot pay for arms keeps its ratio); the groups of the
    other countries keep firepower 1."""
    m = small_model("scenario=arms_interdiction", "scenario.arms_interdiction.countries=[C000]")
    m.world.countries[0].arms_us_share = 0.6
    step_to(m, 30)
    cut = m.scenario_cfg.arms_interdiction.supply_cut
    assert arms.reach(m)[0] == pytest.approx(1.0 - 0.6 * cut)
    assert np.allclose(arms.reach(m)[1:], 1.0)
    fp = m.arms.of(m.orgs.uid)
    home = m.orgs.country == 0
    armed = _armed(m)
    assert (home & armed).any() and (~home & armed).any()
    assert (fp[home] <= 1.0).all() and (fp[home & armed] < 1.0).any()
    assert np.allclose(fp[~home], 1.0)
    usd, units = m.arms.week
    assert usd[0] > 0 and units[0] == pytest.approx(usd[0] / m.p.arms.price_usd * (1.0 - 0.6 * cut))


@pytest.fixture(scope="module")
def surge():
    """Signature (a), 004 l.452-456 and test 418 of the reading notes: the synthetic 40-territory
    world, 2 seeds, a year after the burn-in; in one run of each pair a surge of arms doubles every
    group's stock at the end of the burn-in ("a pipeline of guns")."""
    out = []
    for seed in (0, 1):
        pair = []
        for factor in (1.0, 2.0):
            m = CrimeModel(
                compose("world=synthetic", "world.n_territories=40", "burn_in=52", "steps=52", f"seed={seed}")
            )
            step_to(m, 0)
            m.arms.stock *= factor
            homicides = arrests = members = 0.0
            while m.week < 51:
                m.step()
                homicides += float(m.terr.organised_violence.sum())
                arrests += float(m.terr.arrests.sum())
                members += float(m.orgs.members_by_row().sum())
            pair.append((homicides, arrests / members))
        out.append(pair)
    return out


def test_more_arms_raise_homicides_and_lower_arrests_per_member(surge):
    """Criteria (fixed before the run): in each seed, over the year after the surge, the expected
    organised homicides are higher and the weekly arrests per free member lower than in the
    same-seed run without it."""
    for (hom0, arr0), (hom1, arr1) in surge:
        assert hom1 > hom0
        assert arr1 < arr0


@pytest.mark.slow
def test_arms_interdiction_lowers_homicides_in_mexico_and_the_northern_triangle():
    """Signature (b), 004 l.452, l.456 (stemming US arms flows is needed to turn the tide). Criterion
    (fixed before the run): on the default world, 3 seeds, the homicides of Mexico, Guatemala,
    Honduras and El Salvador in years 1-5 under arms_interdiction, summed over the seeds, are lower
    than at the same-seed baseline. Measured 2026-12-04 after the gang_crowding refit: 608,800 against
    628,900 (-3.2%), lower in each country (Mexico -3,200, Guatemala -1,700, Honduras -800, El Salvador
    -1,000 a seed); it failed (+0.9%, Guatemala's groups holding on) with the fit before it."""
    targets = ["MEX", "GTM", "HND", "SLV"]
    totals = {}
    for scenario in ("baseline", "arms_interdiction"):
        total = 0.0
        for seed in (0, 1, 2):
            c = run(f"scenario={scenario}", "steps=260", f"seed={seed}").countries
            total += float(c[(c.year >= 0) & c.country.isin(targets)]["homicides"].sum())
        totals[scenario] = total
    assert totals["arms_interdiction"] < totals["baseline"]
