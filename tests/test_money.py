"""Money that moves (issue 15, part B): laundering through facilitators, the anti_laundering and
remove_facilitator levers, and their signatures (sim/model/phases/laundering.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SYNTHETIC_30, compose, run, small_model, step_to
from scipy.stats import mannwhitneyu

from sim.model import CrimeModel
from sim.model.agents import Facilitator, Militia
from sim.model.config import ConfigError
from sim.model.phases import laundering
from sim.model.ties import Tie


def _launderers(m: CrimeModel) -> list[Facilitator]:
    return [f for f in m.agents_by_type.get(Facilitator, []) if f.kind == "launderer"]


def _money(m: CrimeModel, cause: str) -> float:
    """This week's ``money`` flow of a cause, over the countries (after the week closed)."""
    _step, flows, _totals = m.accounts.weeks[-1]
    return float(flows[m.accounts.row["money", cause]].sum())


def test_income_of_every_source_is_laundered_or_lost_and_the_accounts_record_it():
    """Each week the income the cartels and gangs had (all sources) is laundered or moved at a loss;
    fees, confiscations and losses leave the groups' cash as the money account's causes."""
    m = step_to(small_model(), 5)
    for _ in range(3):
        rich = [o for o in m.orgs.agents if not isinstance(o, Militia)]
        for o in rich:
            o.cash = 1e10  # the debits are taken in full
        demand = sum(o.income for o in rich)  # becomes next week's revenue, the volume to launder
        m.step()
        week = m.laundering.week
        lp = m.p.laundering
        unserved = week[3].sum() / lp.unserved_loss
        assert week[0].sum() > 0
        assert week[0].sum() + unserved == pytest.approx(demand, rel=1e-9)
        assert _money(m, "laundering_fees") == pytest.approx(-week[1].sum(), rel=1e-9)
        assert _money(m, "confiscated") == pytest.approx(-week[2].sum(), rel=1e-9)
        assert _money(m, "unlaundered") == pytest.approx(-week[3].sum(), rel=1e-9, abs=1e-6)
        assert week[1].sum() == pytest.approx(lp.fee * week[0].sum(), rel=1e-9)  # baseline fee on what is carried


def test_launderers_carry_at_most_their_capacity_and_short_groups_find_more():
    """A launderer carries at most ``capacity x usd_per_capacity`` a week; what it cannot carry is lost
    at ``unserved_loss``, and groups left short look for one more launderer (services phase)."""
    m = step_to(small_model("params.laundering.usd_per_capacity=1e6"), 10)
    cap = {f.unique_id: f.capacity * 1e6 for f in _launderers(m)}
    assert m.laundering.by_launderer
    for uid, v in m.laundering.by_launderer.items():
        assert v <= cap[uid] * (1 + 1e-9)
    assert m.laundering.week[3].sum() > 0 and m.laundering.short
    n_launderers = [
        sum(m.agent_by_uid(f).kind == "launderer" for f in m.ties.neighbour_set(Tie.SERVICE, o.unique_id))
        for o in m.orgs.agents
        if not isinstance(o, Militia)
    ]
    assert max(n_launderers) >= 2
    # with room to spare (the range's top; at the default 5e7 one synthetic gang, earning ~1e8 a week
    # since gang_attrition and its refit of 2026-12-04, falls short in the burn-in and takes a second
    # launderer, as it should)
    roomy = step_to(small_model("params.laundering.usd_per_capacity=1e9"), 10)
    assert (
        max(
            sum(roomy.agent_by_uid(f).kind == "launderer" for f in roomy.ties.neighbour_set(Tie.SERVICE, o.unique_id))
            for o in roomy.orgs.agents
            if not isinstance(o, Militia)
        )
        == 1
    )  # with room to spare, one launderer each (as before laundering was a flow)


def test_anti_laundering_raises_fees_and_confiscation_by_channel_exposure():
    """In the lever's first week (the same state as the baseline's until then) fees and confiscation
    rise, each channel in proportion to its exposure: banks most, crypto rails least."""
    off = ["scenario.anti_laundering.takedowns_per_year=0"]
    base = step_to(small_model(), 0)
    lev = step_to(small_model("scenario=anti_laundering", *off), 0)
    assert base.laundering.by_launderer == lev.laundering.by_launderer  # the same volumes
    b, a = base.laundering.week, lev.laundering.week
    assert a[0].sum() == pytest.approx(b[0].sum())
    assert b[1].sum() < a[1].sum() < 2.0 * b[1].sum()  # fee_multiplier 2 on fully exposed channels only
    assert a[2].sum() > 5 * b[2].sum()
    lp = base.p.laundering
    expo = laundering.exposure(base, ["bank", "trade", "crypto"])
    assert list(expo) == [lp.exposure_bank, lp.exposure_trade, lp.exposure_crypto]
    assert expo[0] > expo[1] > expo[2]
    assert {f.channel for f in _launderers(base)} == {"bank", "trade", "crypto"}


def test_anti_laundering_acts_only_on_the_groups_of_its_countries():
    base = step_to(small_model(), 0)
    homes = np.flatnonzero(base.laundering.week[0] > 0)
    assert len(homes) >= 2
    iso = base.world.countries[int(homes[0])].iso
    lev = step_to(small_model("scenario=anti_laundering", f"scenario.anti_laundering.countries=[{iso}]"), 0)
    rise = lev.laundering.week[1] - base.laundering.week[1]
    assert rise[homes[0]] > 0
    assert np.allclose(np.delete(rise, homes[0]), 0.0)


def test_remove_facilitator_removes_the_named_one_and_seizes_its_pipeline():
    """rank 1 removes the largest launderer serving the groups, -1 the smallest; an id names one; the
    money it carried for its clients is seized (seized_weeks), and a newcomer takes its place."""
    base = step_to(small_model(), 0)  # the same state as the lever's runs until their laundering phase of week 0
    serving = [f for f in _launderers(base) if any(c in base.orgs.by_uid for c in f.clients)]
    by_cap = sorted(serving, key=lambda f: (-f.capacity, f.unique_id))
    for rank, expect in ((1, by_cap[0]), (-1, by_cap[-1]), (2, by_cap[1])):
        m = step_to(small_model("scenario=remove_facilitator", f"scenario.remove_facilitator.rank={rank}"), -1)
        m.step()  # week 0: the removal
        assert expect.unique_id not in {f.unique_id for f in _launderers(m)}
        assert len(_launderers(m)) == len(_launderers(base)) - 1
        ev = [e for e in m.events if e["kind"] == "facilitator_removed"]
        assert len(ev) == 1 and ev[0]["how"] == "removed" and ev[0]["capacity"] == expect.capacity
        carried = m.laundering.by_launderer[expect.unique_id]
        assert m.laundering.week[2].sum() >= m.p.laundering.seized_weeks * carried
    uid = by_cap[1].unique_id
    m = step_to(small_model("scenario=remove_facilitator", f"scenario.remove_facilitator.facilitator_id={uid}"), 0)
    assert uid not in {f.unique_id for f in _launderers(m)}
    refill = step_to(small_model("scenario=remove_facilitator", "params.laundering.entry_weeks=1"), 1)
    assert len(_launderers(refill)) == len(_launderers(base))  # the newcomer came the next week
    for bad in ("rank=0", "kind=banker"):  # refused with the config, before any run
        with pytest.raises(ConfigError, match=bad):
            small_model("scenario=remove_facilitator", f"scenario.remove_facilitator.{bad}")


def _launderer_ties(m: CrimeModel, group: int) -> set[int]:
    return {f for f in m.ties.neighbour_set(Tie.SERVICE, group) if m.agent_by_uid(f).kind == "launderer"}


def test_clients_of_a_launderer_taken_down_vet_newcomers_before_taking_one():
    """The clients of a removed launderer take no new launderer for ``vetting_weeks`` (004 l.2404,
    l.2430-2436): their money is moved at ``unserved_loss`` meanwhile; then they find one. With
    ``vetting_weeks=0`` they find one the next week (the services phase runs before laundering)."""
    lever = ("scenario=remove_facilitator", "scenario.remove_facilitator.kind=launderer")
    weeks = 4
    m = step_to(small_model(*lever, f"params.laundering.vetting_weeks={weeks}"), 0)  # week 0: the removal
    ev = [e for e in m.events if e["kind"] == "facilitator_removed"]
    assert len(ev) == 1
    names = set(ev[0]["actors"].split("; "))
    clients = {o.unique_id for o in m.orgs.agents if o.name in names}
    assert clients and all(m.laundering.vetting(c, 1) and not m.laundering.vetting(c, weeks + 1) for c in clients)
    had = {c: _launderer_ties(m, c) for c in clients}
    assert not all(had.values())  # some were left with no launderer at all
    lost = 0.0
    for _ in range(weeks):
        m.step()
        for c in clients:
            assert _launderer_ties(m, c) <= had[c]  # old ties may end; no new one
        lost += m.laundering.week[3].sum()
    assert lost > 0  # the income of the clients left without a launderer, moved at a loss
    m.step()
    assert any(_launderer_ties(m, c) - had[c] for c in clients)  # vetting over: they take newcomers again
    now = step_to(small_model(*lever, "params.laundering.vetting_weeks=0"), 1)
    assert all(_launderer_ties(now, c) for c in clients)  # without vetting, a new launderer the next week


def test_laundering_outputs_are_in_the_tables():
    res = run(*SYNTHETIC_30, "steps=8", "scenario=anti_laundering")
    for col in ("laundered_usd", "laundering_fees_usd", "laundering_confiscated_usd", "unlaundered_lost_usd"):
        assert (res.timeseries[col] > 0).any() or col == "unlaundered_lost_usd"
        by_country = res.countries.groupby("step")[col].sum().to_numpy()
        assert np.allclose(by_country, res.timeseries[col].to_numpy())
    for col in ("launderers", "laundering_top_share", "criminal_revenue_kept", "groups_hit_laundering"):
        assert col in res.timeseries


# ------------------------------------------------------------------ signatures (criteria fixed before the runs)


@pytest.mark.slow
def test_removing_a_super_fixer_hurts_more_groups_than_removing_a_small_facilitator():
    """004 l.2404-2454: a super-fixer serves many groups, so removing it hurts many at once.

    Criterion (fixed before the run): on the default world, seeds 0-4, the groups hit (over 1% of
    their income lost to confiscation or unlaundered income, ``laundering.HIT``) in the 8 weeks from
    the removal and not hit in the same weeks of the baseline twin: removing the largest launderer
    (rank 1) hits more groups than removing the smallest (rank -1), summed over the seeds, and at
    least 3 groups per seed on average."""

    def hit_groups(seed: int, *extra: str) -> list[set[int]]:
        m = CrimeModel(compose(f"seed={seed}", "steps=8", *extra))
        out = []
        while m.week < 7:
            m.step()
            if m.week >= 0:
                out.append(set(m.laundering.hit))
        return out

    hurt = {"largest": 0, "smallest": 0}
    for seed in range(5):
        base = hit_groups(seed)
        for label, rank in (("largest", 1), ("smallest", -1)):
            cut = hit_groups(seed, "scenario=remove_facilitator", f"scenario.remove_facilitator.rank={rank}")
            hurt[label] += len(set().union(*(c - b for c, b in zip(cut, base))))
    assert hurt["largest"] > hurt["smallest"], hurt
    assert hurt["largest"] / 5 >= 3, hurt


#: The signature's world: the 40-territory synthetic world, 5 policy years.
SIGNATURE_WORLD = ("world=synthetic", "world.n_territories=40", "burn_in=52", "steps=260")
#: Total launderer capacity both markets get (capacity units): that of the default world's launderers
#: on average (6 launderers x mean capacity 3 of Pareto shape 1.5), so only its concentration differs.
MARKET_CAPACITY = 18.0


def _market(alpha: float, seed: int) -> list[str]:
    """The overrides of a market of Pareto shape ``alpha`` whose launderers' total capacity is
    :data:`MARKET_CAPACITY` x the default ``usd_per_capacity`` (its newcomers scaled alike)."""
    world = [*SIGNATURE_WORLD, f"world.facilitator_pareto_alpha={alpha}", f"seed={seed}"]
    m = CrimeModel(compose(*world))
    usd = m.p.laundering.usd_per_capacity * MARKET_CAPACITY / sum(f.capacity for f in _launderers(m))
    return [*world, f"params.laundering.usd_per_capacity={usd!r}"]


def _kept_cut(alpha: float, seeds: range) -> tuple[np.ndarray, np.ndarray]:
    """Relative cut of the criminal revenue kept (after laundering costs) by anti_laundering over 5
    policy years, per seed, and the baseline's mean share of the top launderer, on the 40-territory
    synthetic world with launderer capacity of Pareto shape ``alpha`` and total :data:`MARKET_CAPACITY`."""
    cuts, tops = [], []
    for seed in seeds:
        kept, market = {}, _market(alpha, seed)
        for scn in ("baseline", "anti_laundering"):
            ts = run(*market, f"scenario={scn}").timeseries
            post = ts[ts["year"] >= 0]
            kept[scn] = post["criminal_revenue_kept"].sum()
            if scn == "baseline":
                tops.append(post["laundering_top_share"].mean())
        cuts.append(1.0 - kept["anti_laundering"] / kept["baseline"])
    return np.array(cuts), np.array(tops)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="not holding after the gang_crowding refit (2026-12-04): the cut is still larger where launderers are "
    "concentrated, 7.7% against 7.5%, but p = 0.29 (seeds 0-7); the pass was marginal before (p = 0.025)",
)
def test_anti_laundering_cuts_criminal_revenue_more_where_launderers_are_concentrated():
    """Issue 15 signature: anti-laundering cuts criminal revenue more where launderers are concentrated
    (investigators following the money reach the super-fixers; 004 l.2404-2454, l.2424-2426).

    Criterion (fixed before the run): synthetic 40-territory world, seeds 0-7, 5 policy years; with
    launderer capacity concentrated (Pareto shape 1.1) against spread (3.0), both markets with the
    same total capacity (:data:`MARKET_CAPACITY`): the baseline's top launderer carries a larger
    share (mean), anti_laundering cuts the revenue kept in both (every seed), and the cut is larger
    where concentrated: mean difference > 0 and one-sided Mann-Whitney p < 0.05.

    Design (2026-12-03, fixed before its first run): the shape alone also set the market's size (the
    mean capacity of 1 + Pareto(a) is a / (a - 1): 11 at 1.1, 1.5 at 3), so the concentrated market
    had several times its groups' income in spare capacity and the spread one little, and a takedown
    cost more where spread; each market's capacity is now scaled to the same total. Measured then:
    7.7% against 6.3%, p = 0.032; with ``vetting_weeks=0`` (a new launderer the week after a
    takedown, as before 2026-12-03) 6.8% against 6.4%, p = 0.29. The pass is marginal: at
    ``vetting_weeks`` 4 and 16 the cut is also larger where concentrated (7.7% against 6.7% and
    6.9%) but p = 0.080 and 0.097; 8 seeds give this test little power. At 8 it held on seeds 8-15
    (8.3% against 7.0%, p = 0.025). It failed (7.2% against 6.8%, p = 0.16) once migrants paid smugglers
    where they pass (M19, 2026-12-04), and holds again with the parameters fitted on the settled default
    world (2026-12-04, ``recruitment.attrition`` 0.0024 among them): 7.7% against 6.4%, p = 0.025."""
    seeds = range(8)
    conc, top_conc = _kept_cut(1.1, seeds)
    spread, top_spread = _kept_cut(3.0, seeds)
    assert top_conc.mean() > top_spread.mean(), (top_conc, top_spread)
    assert (conc > 0).all() and (spread > 0).all(), (conc, spread)
    p = mannwhitneyu(conc, spread, alternative="greater").pvalue
    assert conc.mean() > spread.mean() and p < 0.05, (conc, spread, p)
