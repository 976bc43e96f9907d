"""The balloon effect end to end (issue 14): shippers that learn routes, interdiction that adapts,
coca that moves. The criteria were fixed before the runs (004 l.304-308, l.3322-3364, l.3588;
Magliocca et al., PNAS 2019)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose, run

from sim.model import CrimeModel
from sim.model.phases import interdiction

DEFAULT = ["steps=260", "seed=1"]


def _post(res, col, start=1.0, end=5.0):
    ts = res.timeseries
    return ts[(ts["year"] >= start) & (ts["year"] < end)][col].mean()


@pytest.fixture(scope="module")
def baseline():
    return run(*DEFAULT)


@pytest.mark.xfail(
    strict=True,
    reason="not holding since the Caribbean routes are closed in the world (004 l.304-306): seed 1, years 1-5, "
    "hardening every crossing and port adds routes in use (160 against 114) and seizures (+57%) while "
    "delivered falls 6%, but the footprint shrinks (45.9 territories against 52.8) as the islands' last "
    "trickle stops; before the closure the footprint grew (53.5 against 49.0)",
)
def test_border_hardening_spreads_routes_while_the_flow_barely_falls(baseline):
    """M1: under border hardening the route footprint and the number of routes in use grow, and
    delivered falls by less than a quarter of the relative rise in seizures (years 1-5)."""
    hard = run(*DEFAULT, "scenario=border_hardening")
    assert _post(hard, "route_territories") > _post(baseline, "route_territories")
    assert _post(hard, "active_routes") > _post(baseline, "active_routes")
    seized = _post(hard, "drug_seized_kg") / _post(baseline, "drug_seized_kg") - 1.0
    delivered = _post(hard, "drug_delivered_kg") / _post(baseline, "drug_delivered_kg") - 1.0
    assert seized > 0.5 and -delivered < 0.25 * seized


@pytest.mark.slow  # two more default-world runs (~6 s idle): the control of the test above
def test_without_exploration_hardening_does_not_spread_routes(baseline):
    """The spreading comes from the shippers trying new routes: with no new territory allowed a
    month and no route kept on trial, hardening leaves fewer routes in use than the baseline."""
    off = ["params.trafficking.expand_max=0", "params.trafficking.loss_tolerance=0.5"]
    base = run(*DEFAULT, *off)
    hard = run(*DEFAULT, *off, "scenario=border_hardening")
    assert _post(hard, "active_routes") <= _post(base, "active_routes")


def test_eradication_in_colombia_moves_coca_to_peru_and_bolivia(baseline):
    """004 l.3588, l.3324, l.3364: Colombian production falls, Peruvian and Bolivian production
    rise, so the three countries' production falls by less than Colombia's (years 1-5)."""
    erad = run(*DEFAULT, "scenario=col_eradication")

    def produced(res):
        c = res.countries
        c = c[(c["year"] >= 1) & (c["year"] < 5)]
        return c.groupby("country")["coca_production_kg"].mean()

    base, cut = produced(baseline), produced(erad)
    change = cut - base
    assert change["COL"] < 0 and change["PER"] > 0 and change["BOL"] > 0
    region = change[["COL", "PER", "BOL"]].sum()
    assert change["COL"] < region < 0
    eradicated = erad.countries.groupby("country")["eradicated_ha"].sum()
    assert eradicated["COL"] > 0 and eradicated.drop("COL").sum() == 0


def test_interdiction_budget_moves_toward_seizures_and_is_conserved():
    """Each country's mobile budget moves toward where it seizes per unit of effort; the country's
    total effort is its base allocation x the levers' multiplier, wherever it has moved."""
    res = run("steps=104", "seed=0", keep_model=True)
    m = res.model
    it = m.interdiction
    n_c = len(m.world.countries)
    effort = np.bincount(it.country, weights=it.effort, minlength=n_c)
    base = np.bincount(it.country, weights=it.base, minlength=n_c)
    assert np.allclose(effort, base)
    # the mobile effort has moved: more of it sits where seizures are made
    busy = m.terr.seized > np.median(m.terr.seized[m.terr.seized > 0])
    share_now = it.mobile[busy].sum() / it.mobile.sum()
    share_start = it.base[busy].sum() / it.base.sum()
    assert share_now > share_start
    # border hardening raises the budget where it is targeted
    mult = np.where(m.world.role("border"), 3.0, 1.0)
    after = it.budget(mult, m.p.interdiction.mobile_share)
    assert np.bincount(it.country, weights=after, minlength=n_c) == pytest.approx(
        np.bincount(it.country, weights=it.base * mult, minlength=n_c)
    )
    interdiction.step(m)  # a week's move keeps the mobile budget
    assert it.mobile.sum() == pytest.approx((it.base * m.p.interdiction.mobile_share).sum())


def test_shippers_learn_the_risk_of_the_territories_they_use():
    """A territory made risky on a shipper's routes is perceived as risky by that shipper within
    weeks (learning rate), and the shipper's routes through it lose their flow."""
    res = run("steps=30", "seed=0", keep_model=True)
    m = res.model
    sh, R = m.shippers, m.routes
    flow = np.bincount(R.flat_nodes, weights=R.arriving.ravel()[R.flat], minlength=m.world.n)
    mid = (m.world.production_kg == 0) & (m.world.consumption_kg == 0)
    through = np.array([(R.nodes == i).any(1).mean() for i in range(m.world.n)])
    # busiest corridor few paths need, where the state interdicts: not where a regime's forces move the
    # drugs themselves (sim/model/phases/regime.py), which shields the shipments from the interdiction
    target = int(np.argmax(np.where(mid & (through < 0.2) & (m.regimes.operated == 0), flow, -1)))
    users = np.unique(sh.op_of_path[(R.nodes == target).any(1) & sh.open])
    before = sh.perceived[users, target].copy()
    m.interdiction.base[target] *= 20.0
    for _ in range(20):
        m.step()
    assert (sh.perceived[users, target] > 3 * before).all()
    after = np.bincount(R.flat_nodes, weights=R.arriving.ravel()[R.flat], minlength=m.world.n)[target]
    control = run("steps=30", "seed=0", keep_model=True).model  # the same run without the change
    for _ in range(20):
        control.step()
    Rc = control.routes
    same = np.bincount(Rc.flat_nodes, weights=Rc.arriving.ravel()[Rc.flat], minlength=m.world.n)[target]
    assert after < 0.75 * same


def test_new_territories_a_month_are_bounded():
    """Shippers open at most expand_max new territories a month (NarcoLogic's expandmax)."""
    m = CrimeModel(compose("steps=104", "seed=1", "scenario=border_hardening", "params.trafficking.expand_max=3"))
    sh, R = m.shippers, m.routes

    def known():
        in_use = [sh.open & (sh.op_of_path == op) for op in range(sh.prod.size)]
        return [set(R.nodes[u][R.valid[u]].tolist()) for u in in_use]

    most = 0
    for _ in range(150):
        before = known()
        m.step()
        most = max(most, *(len(a - b) for a, b in zip(known(), before)))
    assert sh.opened > 0 and 0 < most <= 3


def test_interdiction_on_one_corridor_raises_flow_and_violence_on_the_alternatives():
    """Dell (AER 2015, trafficking networks and the Mexican drug war): interdiction that congests one
    route diverts the trade onto the alternatives, and violence rises there. Closing the busiest
    avoidable corridor of the 40-territory world: the territories whose flow rises by more than a
    tenth of that corridor's flow have more homicides, years 1-5, than in the same seed's baseline."""
    world = ["world=synthetic", "world.n_territories=40", "burn_in=52", "steps=260", "seed=3"]
    base = run(*world, keep_model=True)
    m = base.model
    mid = (m.world.production_kg == 0) & (m.world.consumption_kg == 0)
    on_every_path = np.array([(m.routes.nodes == i).any(1).all() for i in range(m.world.n)])
    years = lambda r: r.territories[(r.territories["year"] >= 1) & (r.territories["year"] < 5)]  # noqa: E731
    flow = years(base).groupby("territory")["flow"].mean()
    ids = np.array(m.world.ids)
    main = flow[ids[mid & ~on_every_path]].idxmax()
    hard = run(
        *world,
        "scenario.border_hardening.enabled=true",
        f"scenario.border_hardening.targets=[{main}]",
        "scenario.border_hardening.interdiction_multiplier=10",
        "scenario.border_hardening.migrant_control=0",
    )
    gained = (years(hard).groupby("territory")["flow"].mean() - flow)[ids[mid]].drop(main)
    alternatives = gained[gained > 0.1 * flow[main]].index
    assert len(alternatives) > 0
    killed = lambda r: years(r).groupby("territory")["homicides"].sum()[alternatives].sum()  # noqa: E731
    assert killed(hard) > killed(base)
