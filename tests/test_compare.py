"""The comparison statistics on known inputs, the pairing they rely on, and the compare command end to
end on a tiny world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run

from sim.analysis import stats
from sim.analysis.compare import SCENARIOS, paired_changes


def test_interval_mean_and_percentiles():
    mean, lo, hi = stats.interval(np.arange(101), level=0.9)
    assert mean == 50.0 and np.isclose(lo, 5.0) and np.isclose(hi, 95.0)
    mean, lo, hi = stats.interval([1.0, 2.0, 3.0, 4.0, 5.0], level=0.5)  # numpy's linear percentiles: 25th, 75th
    assert (mean, lo, hi) == (3.0, 2.0, 4.0)


def test_mean_ci_is_students_t():
    # mean 3, sample sd sqrt(2.5), n 5: half-width t(0.95, 4) * sd / sqrt(5) = 2.131847 * 0.707107
    lo, hi = stats.mean_ci([1, 2, 3, 4, 5], level=0.9)
    assert np.isclose(lo, 3 - 1.507443, atol=1e-5) and np.isclose(hi, 3 + 1.507443, atol=1e-5)
    assert np.isnan(stats.mean_ci([1.0])[0])


def _frame(policy_effect, noise=None, seeds=20, years=(5, 10)):
    rows = []
    for seed in range(seeds):
        level = 100.0 + 50.0 * seed  # the baseline varies a lot from seed to seed
        for year in years:
            d = policy_effect + (0.0 if noise is None else noise[seed])
            rows.append({"scenario": "baseline", "seed": seed, "year_index": year, "homicide_rate": level})
            rows.append({"scenario": "policy", "seed": seed, "year_index": year, "homicide_rate": level + d})
    return pd.DataFrame(rows)


def test_summary_pairs_changes_by_seed():
    # the policy always removes exactly 10: a paired difference has no spread, an unpaired one would
    s = stats.summarise(_frame(-10.0))
    pol = s[(s.scenario == "policy") & (s.year == 5)].iloc[0]
    assert pol["diff_mean"] == -10.0 and pol["diff_lo"] == -10.0 and pol["diff_hi"] == -10.0
    assert pol["diff_ci_lo"] == -10.0 and pol["diff_ci_hi"] == -10.0
    assert pol["n_pairs"] == 20 and pol["n"] == 20
    levels = 100.0 + 50.0 * np.arange(20)
    base = s[(s.scenario == "baseline") & (s.year == 10)].iloc[0]
    assert base["mean"] == np.mean(levels)
    assert np.isclose(base["lo"], np.percentile(levels, 5)) and np.isclose(base["hi"], np.percentile(levels, 95))
    assert pd.isna(base["diff_mean"]) and pd.isna(base["n_pairs"])
    # the unpaired spread of the policy's levels is wide; the paired change is not
    assert pol["hi"] - pol["lo"] > 500


def test_summary_change_interval_and_its_confidence_interval():
    noise = np.linspace(-4.0, 4.0, 20)  # changes -6 .. +2 around a mean of -2
    s = stats.summarise(_frame(-2.0, noise))
    pol = s[(s.scenario == "policy") & (s.year == 10)].iloc[0]
    d = -2.0 + noise
    assert np.isclose(pol["diff_mean"], -2.0)
    assert np.isclose(pol["diff_lo"], np.percentile(d, 5)) and np.isclose(pol["diff_hi"], np.percentile(d, 95))
    assert pol["diff_lo"] < 0 < pol["diff_hi"]  # one history can go either way ...
    assert pol["diff_ci_hi"] < 0  # ... but the mean change is clearly negative
    assert stats.significant(pol)


def test_summary_pairs_only_common_seeds_and_rejects_duplicates():
    df = _frame(-10.0)
    df = df[~((df.scenario == "baseline") & (df.seed == 0))]  # baseline seed 0 missing
    pol = stats.summarise(df).query("scenario == 'policy' and year == 5").iloc[0]
    assert pol["n_pairs"] == 19 and pol["n"] == 20
    with pytest.raises(ValueError, match="duplicate"):
        stats.summarise(pd.concat([_frame(-10.0), _frame(-10.0).head(1)]))


def test_markdown_table_cells():
    noise = np.linspace(-4.0, 4.0, 20)
    df = _frame(-2.0, noise, seeds=20)
    df2 = _frame(0.0, np.linspace(-1.0, 1.0, 20), seeds=20).query("scenario == 'policy'").assign(scenario="other")
    s = stats.summarise(pd.concat([df, df2]))
    table = stats.markdown_table(s, 5, ["baseline", "policy", "other"])
    row = next(line for line in table.splitlines() if line.startswith("| homicide rate"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "575.0 [147.5, 1002.5]"  # baseline: no change line
    assert cells[2].endswith("Δ **-2.0** [-5.6, 1.6]")  # significant mean change in bold, with its spread
    assert cells[3].endswith("Δ 0.0 [-0.9, 0.9]")  # no sign, no bold, no '-0.0'
    assert stats.markdown_table(s, 7, ["baseline"]) == "(no run reaches year 7)"
    tiny = stats.summarise(_frame(-0.01, np.linspace(-0.001, 0.001, 20)))  # significant, below the precision
    assert "Δ 0.0 [0.0, 0.0]" in stats.markdown_table(tiny, 5, ["baseline", "policy"])


def test_markdown_table_with_another_reference():
    s = stats.summarise(_frame(-10.0), baseline="policy")
    table = stats.markdown_table(s, 5, ["policy", "baseline"], baseline="policy")
    row = next(line for line in table.splitlines() if line.startswith("| homicide rate"))
    assert "Δ **+10.0** [10.0, 10.0]" in row and row.count("Δ") == 1


def test_value_format_drops_the_sign_of_zero():
    assert stats.fmt_value("{:.0f}", -0.3) == "0" and stats.fmt_value("{:.0f}", -0.3, sign=True) == "0"
    assert stats.fmt_value("{:.3f}", 0.0123, sign=True) == "+0.012" and stats.fmt_value("{:,.0f}", -1234.0) == "-1,234"


def test_yearly_means_use_post_burn_in_years():
    ts = pd.DataFrame(
        {
            "year": np.arange(-104, 104) / 52.0,
            "homicide_rate": np.r_[np.full(52, 7.0), np.zeros(52), np.ones(52), 3 * np.ones(52)],
        }
    )
    y = stats.yearly(ts, outcomes=("homicide_rate",))
    assert list(y.index) == [1, 2] and list(y["homicide_rate"]) == [1.0, 3.0]
    y = stats.yearly(ts, outcomes=("homicide_rate",), pre_years=1)  # year 0 = the last burn-in year
    assert list(y.index) == [0, 1, 2] and list(y["homicide_rate"]) == [0.0, 1.0, 3.0]


def test_paired_changes_per_seed_and_year():
    df = _frame(-10.0, seeds=3)
    d = paired_changes(df, "homicide_rate", "baseline")
    assert len(d) == 6 and set(d["scenario"]) == {"policy"} and (d["diff"] == -10.0).all()


def test_same_seed_shares_world_and_draws_until_the_policies_start():
    """The pairing is sound: with one seed, every scenario's burn-in is the baseline's, week for week."""
    world = ["world=synthetic", "world.n_territories=20", "burn_in=30", "steps=8", "seed=4"]
    base = run(*world).timeseries
    regional = [
        s for s in SCENARIOS[1:] if not s.startswith(("slv_", "hnd_", "col_", "mex_"))
    ]  # episodes name countries
    for scenario in regional:
        ts = run(*world, f"scenario={scenario}").timeseries
        num = base.select_dtypes("number").columns
        pre = (base["year"] < 0).to_numpy()
        assert np.array_equal(ts.loc[pre, num].to_numpy(), base.loc[pre, num].to_numpy(), equal_nan=True), scenario


@pytest.mark.slow  # six runs of 312 weeks and eight plots (~10 s)
def test_compare_command_writes_table_plots_and_report(tmp_path):
    from sim.analysis.compare import main

    main(
        [
            "--seeds",
            "2",
            "--jobs",
            "1",
            "--scenarios",
            "baseline,truce,mano_dura_2022+police_reform",
            "--years",
            "1,5,10",
            "--out",
            str(tmp_path),
            "world=synthetic",
            "world.n_territories=12",
            "steps=260",
            "burn_in=52",
        ]
    )
    table = pd.read_csv(tmp_path / "table.csv")
    assert set(table.scenario) == {"baseline", "truce", "mano_dura_2022+police_reform"}
    assert set(table.outcome) == set(stats.OUTCOMES) and set(table.year) == {1, 5}
    assert (table[table.scenario != "baseline"]["n_pairs"] == 2).all()
    runs = pd.read_csv(tmp_path / "runs_yearly.csv")
    assert sorted(runs.year_index.unique()) == [0, 1, 2, 3, 4, 5] and len(runs) == 3 * 2 * 6
    report = (tmp_path / "report.md").read_text()
    assert "## Year 1" in report and "## Year 5" in report and "(no run reaches year 10)" in report
    assert "homicide_rate.png" in report and "--years=1,5,10" in report
    assert "World `synthetic`, 52-week burn-in, then 260 weeks; seeds 0-1" in report
    assert "`mano_dura_2022+police_reform`: state of exception" in report and "+ vetting" in report
    for outcome in stats.OUTCOMES:
        assert (tmp_path / f"{outcome}.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scenarios", "baseline,nonexistent"], "scenario=nonexistent: unknown option"),
        (["--seeds", "1"], "--seeds must be at least 2"),
        (["seed=3"], "not as overrides"),
        (["--years", "0,5"], "--years must be"),
        (["params.violence.pax_factor=7"], "params.violence.pax_factor=7"),
    ],
)
def test_compare_command_rejects_bad_input_in_one_line(tmp_path, capsys, args, message):
    from sim.analysis.compare import main

    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path / "out"), *args])
    assert exc.value.code != 0
    text = str(exc.value.code) + capsys.readouterr().err
    assert message in text
    assert not (tmp_path / "out").exists()  # nothing written


def test_scenarios_composed_in_parallel_are_the_configs_composed_here():
    """compare composes its scenarios' configs in worker processes (compose_scenarios: 7.3 s against
    11.6 s in one process for the main job's 15, medians of 3, 2026-12-04); each is the config this
    process composes, and a scenario that does not compose stops it in one line."""
    import pickle

    from omegaconf import OmegaConf

    from sim.analysis.compare import compose_scenarios, composed_config

    names = ["baseline", "slv_exception_2022"]
    parallel = compose_scenarios(names, ("steps=52",), 2)
    assert list(parallel) == names
    for name in names:
        here = OmegaConf.to_container(pickle.loads(composed_config(name, ("steps=52",))))
        assert OmegaConf.to_container(pickle.loads(parallel[name])) == here
    with pytest.raises(SystemExit, match="scenario=nonexistent"):
        compose_scenarios(["baseline", "nonexistent"], (), 2)
