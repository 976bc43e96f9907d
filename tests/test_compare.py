"""The comparison statistics on known inputs, and the compare command end to end on a tiny world."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import stats


def test_interval_mean_and_percentiles():
    mean, lo, hi = stats.interval(np.arange(101), level=0.9)
    assert mean == 50.0 and np.isclose(lo, 5.0) and np.isclose(hi, 95.0)


def test_summary_pairs_changes_by_seed():
    # baseline varies a lot by seed; the policy always removes exactly 10: a paired difference
    # has no spread, an unpaired one would
    rows = []
    for seed in range(20):
        level = 100.0 + 50.0 * seed
        for year in (5, 10):
            rows.append(dict(scenario="baseline", seed=seed, year_index=year, homicide_rate=level))
            rows.append(dict(scenario="policy", seed=seed, year_index=year, homicide_rate=level - 10.0))
    s = stats.summarise(pd.DataFrame(rows))
    pol = s[(s.scenario == "policy") & (s.year == 5)].iloc[0]
    assert pol["diff_mean"] == -10.0 and pol["diff_lo"] == -10.0 and pol["diff_hi"] == -10.0
    assert pol["n_pairs"] == 20
    base = s[(s.scenario == "baseline") & (s.year == 10)].iloc[0]
    assert base["mean"] == np.mean(100.0 + 50.0 * np.arange(20))
    assert np.isclose(base["lo"], np.percentile(100.0 + 50.0 * np.arange(20), 5))
    assert pd.isna(base.get("diff_mean", np.nan))


def test_yearly_means_use_post_burn_in_years():
    ts = pd.DataFrame({"year": np.arange(-52, 104) / 52.0, "homicide_rate": np.r_[np.zeros(52), np.ones(52),
                                                                                      3 * np.ones(52)]})
    y = stats.yearly(ts, outcomes=("homicide_rate",))
    assert list(y.index) == [1, 2] and list(y["homicide_rate"]) == [1.0, 3.0]


def test_compare_command_writes_table_plots_and_report(tmp_path):
    from sim.compare import main

    main(["--seeds", "2", "--jobs", "1", "--scenarios", "baseline,truce,mano_dura_2022+police_reform",
          "--out", str(tmp_path), "world=synthetic", "world.n_territories=12", "steps=260", "burn_in=4"])
    table = pd.read_csv(tmp_path / "table.csv")
    assert set(table.scenario) == {"baseline", "truce", "mano_dura_2022+police_reform"}
    assert set(table.outcome) == set(stats.OUTCOMES)
    assert (table[table.scenario != "baseline"]["n_pairs"] == 2).all()
    report = (tmp_path / "report.md").read_text()
    assert "## Year 5" in report and "homicide_rate.png" in report and "(no run reaches year 10)" in report
    for outcome in stats.OUTCOMES:
        assert (tmp_path / f"{outcome}.png").stat().st_size > 10_000
