"""The parameter ensemble (issue 19): history matching's implausibility and acceptance, the ensemble
file and its ranges, sign consistency across members, and compare --ensemble end to end on a tiny world."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis import ensemble as ens
from sim.analysis.calibrate import declared_range, load_space
from sim.analysis.targets import Target


def _target(tid="x", low=10.0, high=40.0, calibrate=True):
    return Target(tid, tid, "homicide_rate(all)", low, 20.0, high, "", 1, 3, "004 l.1", "", calibrate)


def test_implausibility_is_zero_at_the_band_centre_and_counts_band_discrepancy_and_seeds():
    t = _target()  # centre sqrt(10 * 40) = 20; sd_obs = log(4) / 4
    at_centre = pd.DataFrame({"x": [20.0, 20.0]})
    assert ens.implausibility(at_centre, [t], 0.0)["x"] == pytest.approx(0.0)
    at_edge = pd.DataFrame({"x": [40.0, 40.0]})  # the band's edge is 2 sd of the observation
    assert ens.implausibility(at_edge, [t], 0.0)["x"] == pytest.approx(2.0)
    # discrepancy and seed noise both widen the denominator
    disc = ens.implausibility(at_edge, [t], 0.5)["x"]
    assert disc == pytest.approx(math.log(2) / math.sqrt((math.log(4) / 4) ** 2 + 0.25))
    noisy = pd.DataFrame({"x": [30.0, 53.33]})
    assert ens.implausibility(noisy, [t], 0.0)["x"] < 2.0  # geometric mean ~40, but the seeds disagree
    # missing or zero values are infinitely implausible; unfitted targets are not scored
    assert ens.implausibility(pd.DataFrame({"x": [0.0, 20.0]}), [t], 0.1)["x"] == math.inf
    assert "y" not in ens.implausibility(pd.DataFrame({"y": [20.0]}), [_target("y", calibrate=False)], 0.1)


def test_kept_tolerates_the_named_number_of_misses():
    imp = pd.Series({"a": 0.5, "b": 4.0, "c": 10.0, "d": 2.9})
    assert not ens.kept(imp, 3.0, 0)
    assert not ens.kept(imp, 3.0, 1)  # the second largest (4.0) is still above the cutoff
    assert ens.kept(imp, 3.0, 2)
    assert ens.kept(imp, 3.0, 4)  # more tolerated than there are targets


def test_rescore_leaves_out_targets_every_candidate_misses_and_names_them():
    trials = pd.DataFrame(
        {
            "imp:far": [9.0, 5.0, 4.0],  # no candidate reaches it: structural
            "imp:a": [0.5, 3.5, 1.0],
            "imp:b": [2.0, 3.2, 8.0],
            "p": [1.0, 2.0, 3.0],
        }
    )
    out, structural = ens.rescore(trials, 3.0, 0)
    assert structural == ["far"]
    assert out["kept"].tolist() == [True, False, False]  # decided by a and b only
    assert out["max_imp"].tolist() == [2.0, 3.5, 8.0]
    out, _ = ens.rescore(trials, 3.0, 1)  # the second largest decides
    assert out["kept"].tolist() == [True, False, True]
    assert ens.choose(out, {"p": (0.0, 9.0, False)}, 1) == [{"p": 1.0}]  # lowest implausibility first
    every, structural = ens.rescore(trials[["imp:far", "p"]], 3.0, 0)
    assert structural == ["far"] and not every["kept"].any()  # nothing left to choose by


def test_latin_hypercube_fills_each_range_once_per_stratum_on_its_scale():
    space = {"a": (0.1, 0.5, False), "b": (0.001, 1.0, True)}
    pts = ens.sample(space, 10, seed=3)
    a = np.array([p["a"] for p in pts])
    b = np.array([p["b"] for p in pts])
    assert ((a >= 0.1) & (a <= 0.5)).all() and ((b >= 0.001) & (b <= 1.0)).all()
    # one point per tenth of each range (linear for a, logarithmic for b)
    assert sorted(np.floor((a - 0.1) / 0.04).astype(int)) == list(range(10))
    assert sorted(np.floor(np.log(b / 0.001) / (np.log(1000) / 10)).astype(int)) == list(range(10))
    assert pts == ens.sample(space, 10, seed=3)  # reproducible


def test_shipped_ensemble_loads_and_lies_inside_declared_and_searched_ranges():
    e = ens.load_ensemble()
    space, _ = load_space()
    assert e.members and set(e.space) == set(space)
    for m in e.members:
        for key, value in m.items():
            lo, hi, _ = e.space[key]
            dlo, dhi = declared_range(key)
            assert dlo <= lo <= value <= hi <= dhi
    assert all(o.startswith("params.") for o in e.overrides(0))


def test_ensemble_file_out_of_range_is_refused_naming_member_and_key(tmp_path):
    space = {"violence.pax_factor": (0.1, 0.8, False)}
    good = tmp_path / "good.yaml"
    ens.write_ensemble(good, [{"violence.pax_factor": 0.5}], space, "test", "by hand")
    assert ens.load_ensemble(good).members == [{"violence.pax_factor": 0.5}]
    bad = tmp_path / "bad.yaml"
    ens.write_ensemble(bad, [{"violence.pax_factor": 0.5}, {"violence.pax_factor": 0.9}], space, "test", "by hand")
    with pytest.raises(ValueError, match=r"member 1: violence\.pax_factor=0\.9"):
        ens.load_ensemble(bad)
    beyond = tmp_path / "beyond.yaml"  # a searched range wider than the declared one
    ens.write_ensemble(beyond, [{"violence.pax_factor": 0.5}], {"violence.pax_factor": (0.1, 3.0, False)}, "", "")
    with pytest.raises(ValueError, match="declared range"):
        ens.load_ensemble(beyond)


def _runs(effects: dict[int, list[float]]) -> pd.DataFrame:
    """Baseline and one policy; member m's seeds change the outcome by effects[m][seed]."""
    rows = []
    seeds = len(next(iter(effects.values())))
    for m, diffs in effects.items():
        for s, d in enumerate(diffs):
            run = m * seeds + s
            base = 100.0 + 30 * run
            rows.append({"scenario": "baseline", "seed": run, "member": m, "year_index": 5, "homicide_rate": base})
            rows.append({"scenario": "policy", "seed": run, "member": m, "year_index": 5, "homicide_rate": base + d})
    return pd.DataFrame(rows)


def test_sign_table_keeps_sign_only_when_every_member_agrees():
    same = ens.sign_table(_runs({0: [-3.0, -1.0], 1: [-0.5, -0.1], 2: [-9.0, 1.0]}), ["homicide_rate"], "baseline", 5)
    r = same.iloc[0]
    assert (r["members"], r["above"], r["below"]) == (3, 0, 3) and bool(r["keeps_sign"])
    assert r["mean"] == pytest.approx(np.mean([-3, -1, -0.5, -0.1, -9, 1]))
    assert (r["member_min"], r["member_max"]) == (pytest.approx(-4.0), pytest.approx(-0.3))
    # one member's mean on the other side: the effect changes sign within the ensemble
    flip = ens.sign_table(_runs({0: [-3.0, -1.0], 1: [2.0, 0.5]}), ["homicide_rate"], "baseline", 5).iloc[0]
    assert (flip["above"], flip["below"]) == (1, 1) and not bool(flip["keeps_sign"])
    # no run reaches the year: no rows
    assert ens.sign_table(_runs({0: [1.0]}), ["homicide_rate"], "baseline", 10).empty


@pytest.mark.slow  # eight runs of 78 weeks on a tiny world, and the plots (~30 s)
def test_compare_over_two_members_on_a_tiny_world(tmp_path):
    from sim.analysis.calibrate import current_values
    from sim.analysis.compare import main

    space, _ = load_space()
    start = current_values(space)
    members = [start, {**start, "violence.gang_kill_rate": 4 * start["violence.gang_kill_rate"]}]
    ens.write_ensemble(tmp_path / "ensemble.yaml", members, space, "two members for a test", "by hand")
    main(
        [
            "--ensemble-file",
            str(tmp_path / "ensemble.yaml"),
            "--seeds",
            "2",
            "--jobs",
            "1",
            "--ensemble",
            "2",
            "--scenarios",
            "baseline,truce",
            "--years",
            "1",
            "--out",
            str(tmp_path / "out"),
            "world=synthetic",
            "world.n_territories=12",
            "steps=52",
            "burn_in=26",
        ]
    )
    out = tmp_path / "out"
    runs = pd.read_csv(out / "runs_yearly.csv")
    assert sorted(runs["seed"].unique()) == [0, 1, 2, 3] and sorted(runs["member"].unique()) == [0, 1]
    # the two members differ in their parameters, so the same seed gives different baselines
    base = runs[(runs["scenario"] == "baseline") & (runs["year_index"] == 1)].set_index("seed")
    assert base.loc[0, "homicide_rate"] != base.loc[2, "homicide_rate"]
    table = pd.read_csv(out / "table.csv")
    assert (table[table.scenario == "truce"]["n_pairs"] == 4).all()
    signs = pd.read_csv(out / "signs.csv")
    assert set(signs["scenario"]) == {"truce"} and (signs["members"] == 2).all()
    report = (out / "report.md").read_text()
    assert "## Parameter uncertainty" in report and "keeps sign" in report and "--ensemble=2" in report
    assert "2 scenarios x 4 seeds" in report and "parameter uncertainty too" in report


def test_compare_refuses_the_ensemble_on_a_world_with_its_own_fit(tmp_path):
    """The members are fitted to the default world and would overwrite another world's fitted values
    (configs/fit/mexico.yaml): compare refuses, naming the world, before running anything."""
    from sim.analysis import compare

    with pytest.raises(SystemExit, match=r"world=mexico runs its own fitted set"):
        compare.main(["--seeds", "2", "--ensemble", "2", "--out", str(tmp_path / "out"), "world=mexico"])
    assert not (tmp_path / "out").exists()
