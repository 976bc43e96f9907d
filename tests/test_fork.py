"""Runs forked after a shared burn-in (sim/fork.py) are the runs made from scratch, table by table."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.analysis.compare import scenario_config
from sim.fork import burn_in_key, forked_runs
from sim.run import COMPARED_FROM_WEEK
from tests.conftest import SYNTHETIC_40, compose

TABLES = ("timeseries", "territories", "countries", "flows", "events")
#: levers that act from the first policy week, one that draws on the random generators (truce), and
#: the extradition lever, whose return delay is also read in the burn-in
SCENARIOS = ("baseline", "mano_dura", "extradition", "truce", "police_reform")


@pytest.fixture(scope="module")
def configs():
    return [compose(*SYNTHETIC_40, "steps=52", "seed=3", f"scenario={sc}") for sc in SCENARIOS]


def test_forked_runs_equal_fresh_runs_table_by_table(configs):
    forked = list(forked_runs(configs))
    for cfg, res in zip(configs, forked, strict=True):
        fresh = sim.run(cfg)
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(res, table), getattr(fresh, table), check_exact=True, obj=table)
        assert res.summary == fresh.summary
        assert res.summary["scenario"] == cfg.scenario.name
    # the policies made a difference after the fork: the runs are not copies of one another
    assert not forked[0].timeseries.equals(forked[1].timeseries)


def test_a_comparison_run_keeps_the_tables_it_reads_and_only_those():
    """compare's runs (``full=False``) hold the full runs' timeseries, countries and flows tables from
    the last burn-in year on (``COMPARED_FROM_WEEK``: what compare reads) and the report countries,
    exactly; the earlier weeks, the territories and events tables and the summary's aggregates are
    left out. (That forks sharing one burn-in's records give the fresh runs is the test above.)"""
    configs = [compose(*SYNTHETIC_40, "burn_in=78", "steps=52", "seed=3", f"scenario={sc}") for sc in SCENARIOS[:2]]
    full = list(forked_runs(configs))
    lean = list(forked_runs(configs, full=False))
    first = 78 + 1 + COMPARED_FROM_WEEK  # the step of week -52's record
    assert first > 1  # some burn-in weeks are left out
    for a, b in zip(full, lean, strict=True):
        for table in ("timeseries", "countries", "flows"):
            whole, got = getattr(a, table), getattr(b, table)
            kept = whole[whole["step"] >= first].reset_index(drop=True)
            assert len(kept) < len(whole)
            if table == "flows":  # its categories are the labels that occur in the weeks kept
                labels = {c: str for c in ("country", "account", "cause")}
                kept, got = kept.astype(labels), got.astype(labels)
            pd.testing.assert_frame_equal(got, kept, check_exact=True, obj=table)
            assert getattr(b, table)["year"].min() == COMPARED_FROM_WEEK / 52
        assert b.territories.empty and b.events.empty
        assert not a.territories.empty
        assert b.summary == {k: a.summary[k] for k in b.summary}
        assert set(b.summary) == {"scenario", "world", "seed", "steps", "burn_in", "config_hash", "report_countries"}


def test_burn_in_key_ignores_the_scenario_but_what_the_burn_in_reads(configs):
    keys = {burn_in_key(cfg) for cfg in configs}
    assert len(keys) == 1
    other = compose(*SYNTHETIC_40, "steps=52", "seed=3", "scenario=extradition", "scenario.extradition.return_years=3")
    assert burn_in_key(other) not in keys  # enforcement._return_delay reads it in every week
    assert burn_in_key(compose(*SYNTHETIC_40, "steps=52", "seed=4")) not in keys


def test_scenario_config_is_the_composed_config_with_its_seed():
    extra = ("world=synthetic", "world.n_territories=40")
    cfg = scenario_config("truce", 5, extra)
    assert cfg == compose(*extra, "scenario=truce", "seed=5")
    assert scenario_config("truce", 6, extra).seed == 6 and cfg.seed == 5  # each call its own copy
    assert scenario_config("truce", 6, (*extra, "seed=2")).seed == 2  # a seed in the overrides wins


def test_seed_runs_resolve_a_scenario_once_and_key_each_run_by_its_own_config(monkeypatch):
    """compare.seed_runs unpickles and resolves each scenario's config once per process and sets each
    run's seed in it: every run's key (summary config_hash) is the one of its own config composed
    alone, with its seed, and the runs are those of sim.run."""
    from sim.analysis import compare
    from sim.analysis.store import run_key

    extra = ("world=synthetic", "world.n_territories=40", "steps=26", "burn_in=26")
    summaries = []
    monkeypatch.setattr(
        compare, "yearly_frames", lambda sc, cfg, res, countries: summaries.append((sc, int(cfg.seed), cfg, res))
    )
    for seed in (3, 4):
        compare.seed_runs(["baseline", "truce"], seed, extra)
    assert [(sc, seed) for sc, seed, _, _ in summaries] == [
        ("baseline", 3),
        ("truce", 3),
        ("baseline", 4),
        ("truce", 4),
    ]
    assert summaries[0][2] is summaries[2][2]  # one config per scenario in a process
    for sc, seed, _, res in summaries:
        assert res.summary["config_hash"] == run_key(scenario_config(sc, seed, extra))
    res = summaries[-1][3]
    pd.testing.assert_frame_equal(
        res.timeseries, sim.run(scenario_config("truce", 4, extra)).timeseries, check_exact=True
    )
