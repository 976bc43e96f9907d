"""The parameter ensemble (issue 19): history matching's implausibility and acceptance, the ensemble
file and its ranges, sign consistency across members, and compare --ensemble end to end on a tiny world."""

from __future__ import annotations

import dataclasses
import math
import pickle

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


def test_parameter_share_is_the_members_variance_component():
    """One-way random effects: values 1, 3 (member 0) and 5, 7 (member 1) have a within-member mean
    square of 2 and a between-member one of 16 with 2 seeds each, so sigma_b^2 = (16 - 2) / 2 = 7
    and the members' share 7 / 9; members that differ only by their seeds' noise share nothing."""
    members = pd.Series([0, 0, 1, 1])
    assert ens.parameter_share(pd.Series([1.0, 3.0, 5.0, 7.0]), members) == pytest.approx(7 / 9)
    assert ens.parameter_share(pd.Series([-1.0, 1.0, 1.0, -1.0]), members) == 0.0
    assert ens.parameter_share(pd.Series([-3.0, -3.2, 2.0, 2.2]), members) > 0.99
    assert np.isnan(ens.parameter_share(pd.Series([1.0, 2.0]), pd.Series([0, 1])))  # one seed per member
    # and in the sign table: a sign change within the ensemble that seed noise explains
    noise = ens.sign_table(_runs({0: [-3.0, 2.0], 1: [2.5, -2.5]}), ["homicide_rate"], "baseline", 5).iloc[0]
    assert not bool(noise["keeps_sign"]) and noise["param_share"] == 0.0


@pytest.mark.slow  # eight runs of 78 weeks on a tiny world, and the plots (~30 s)
def test_compare_over_two_members_on_a_tiny_world(tmp_path, capsys):
    from sim.analysis.calibrate import current_values
    from sim.analysis.compare import main

    space, _ = load_space()
    start = current_values(space)
    # a second member inside the searched range (a quarter of the current gang killing rate)
    members = [start, {**start, "violence.gang_kill_rate": start["violence.gang_kill_rate"] / 4}]
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
    assert "2 scenarios x 2 ensemble members x 2 seeds in " in capsys.readouterr().out


TINY = ("world=synthetic", "world.n_territories=12", "steps=52", "burn_in=26")


def test_a_members_values_set_in_a_composed_config_give_the_config_compose_gives():
    """compare --ensemble sets a member's values in each scenario's composed config
    (``compare.with_values``) rather than composing it again: the same config, resolved, and the
    same run key; a bad value is still refused, naming the key."""
    from omegaconf import OmegaConf

    from sim.analysis.compare import composed_config, with_values
    from sim.analysis.store import run_key
    from sim.model.config import ConfigError
    from sim.run import compose

    values = ens.load_ensemble().overrides(3)
    for scenario, extra in (("slv_exception_2022", ()), ("[mano_dura_2022,police_reform]", ("steps=104",))):
        mine = pickle.loads(with_values(composed_config(scenario, extra), values))
        composed = compose([f"scenario={scenario}", "progress=false", "output.write=false", *extra, *values])
        assert OmegaConf.to_container(mine, resolve=True) == OmegaConf.to_container(composed, resolve=True)
        assert run_key(mine) == run_key(composed)
    with pytest.raises(ConfigError, match="gang_kill_rate"):
        with_values(composed_config("baseline", ()), ("params.violence.gang_kill_rate=-1.0",))
    with pytest.raises(ValueError, match="config group"):
        with_values(composed_config("baseline", ()), ("world=mexico",))


def test_a_members_scenarios_share_their_burn_in_and_give_each_runs_own_results():
    """One (member, seed) task runs every scenario from one burn-in: each scenario's frames are
    those of its own run, composed with the member's values then the command line's (which win)."""
    from sim.analysis.compare import composed_config, yearly_runs

    values = ens.load_ensemble().overrides(1)
    extra = (*TINY, "params.violence.civilian_ratio=0.5")  # the command line's value wins
    scenarios = ["baseline", "truce"]
    composed = {sc: composed_config(sc, extra) for sc in scenarios}
    runs = ens._member_runs(scenarios, 1, 0, 2, values, extra, (), composed)
    own = [yearly_runs(sc, 0, (*values, *extra)) for sc in scenarios]
    for (y, _, why), (y_own, _, why_own) in zip(runs, own):
        assert (y["seed"] == 2).all() and (y["member"] == 1).all()  # member 1, seed 0 of 2
        pd.testing.assert_frame_equal(y.drop(columns="member"), y_own.assign(seed=2), check_exact=True)
        pd.testing.assert_frame_equal(why.drop(columns="member"), why_own.assign(seed=2), check_exact=True)
    member_wins = yearly_runs("baseline", 0, (*extra, *values))[0]
    assert not member_wins.equals(own[0][0])  # so the order above was tested


def test_country_signs_are_read_where_each_scenario_acts():
    """The effect of a country's policy across the ensemble is read in that country: a scenario
    acting in SLV gets SLV's rows only, one acting everywhere none, and an outcome that is zero in
    every run of the country is left out."""
    rows = []
    for member, seed in ((0, 0), (1, 1)):
        for sc, effect in (("baseline", 0.0), ("slv_policy", -2.0 - member), ("everywhere", 5.0)):
            for iso, here in (("SLV", 1.0), ("HND", 0.0)):
                rows.append(
                    {
                        "scenario": sc,
                        "seed": seed,
                        "member": member,
                        "country": iso,
                        "year_index": 5,
                        "homicide_rate": 50.0 + here * effect + member,
                        "members": 1000.0 + (member == 1) * here * effect,  # 0 then -3: one member moves it
                        "gold_income_groups": 0.0,
                    }
                )
    per_country = pd.DataFrame(rows)
    targets = {"baseline": [], "slv_policy": ["SLV"], "everywhere": None}
    table = ens.country_sign_table(per_country, targets, "baseline", 5)
    assert set(table["country"]) == {"SLV"} and set(table["scenario"]) == {"slv_policy"}
    assert set(table["outcome"]) == {"homicide_rate", "members"}  # no gold income anywhere
    h = table.set_index("outcome").loc["homicide_rate"]
    assert h["mean"] == -2.5 and (h["member_min"], h["member_max"]) == (-3.0, -2.0) and bool(h["keeps_sign"])
    m = table.set_index("outcome").loc["members"]
    assert (m["above"], m["below"]) == (0, 1) and not bool(m["keeps_sign"])  # one member at 0: no sign kept
    assert ens.country_sign_table(per_country, {"everywhere": None}, "baseline", 5).empty


def test_each_world_runs_its_own_ensemble_and_a_fitted_world_without_one_is_refused(tmp_path, monkeypatch):
    """compare --ensemble on a world: its own ensemble file if it has one; the default world's if it
    runs no fit of its own; refused, naming the fit and the command, if it runs its own fit
    (configs/fit/<world>.yaml with values) and has no ensemble: the default world's members would
    overwrite that fit."""
    (tmp_path / "fit").mkdir()
    (tmp_path / "fit" / "fitted.yaml").write_text("# @package params\nviolence:\n  pax_factor: 0.5\n")
    (tmp_path / "fit" / "plain.yaml").write_text("# @package params\n")
    monkeypatch.setattr(ens, "CONFIG_DIR", tmp_path)
    monkeypatch.setattr(ens, "ENSEMBLE_YAML", tmp_path / "ensemble.yaml")
    with pytest.raises(ValueError, match=r"configs/fit/fitted.yaml.*experiments/ensemble.py --world fitted"):
        ens.ensemble_for("fitted")
    assert ens.ensemble_for("plain") == tmp_path / "ensemble.yaml"
    assert ens.ensemble_for("hemisphere") == tmp_path / "ensemble.yaml"
    (tmp_path / "ensemble_fitted.yaml").write_text("members: []\n")
    assert ens.ensemble_for("fitted") == tmp_path / "ensemble_fitted.yaml"


def test_shipped_world_ensembles_are_the_ones_compare_reads():
    """The Mexico preset runs its own ensemble (fitted on top of configs/fit/mexico.yaml, over the
    same keys that fit searched); the synthetic world the default world's."""
    from sim.analysis.calibrate import load_space, space_yaml

    assert ens.ensemble_for("synthetic") == ens.ENSEMBLE_YAML
    mexico = ens.ensemble_for("mexico")
    assert mexico.name == "ensemble_mexico.yaml"
    e = ens.load_ensemble(mexico)
    space, _ = load_space(space_yaml("mexico"))
    assert set(e.space) == set(space) and len(e.members) >= 2
    assert "world=mexico" in e.method and "correlates" in e.method


def _series_trials(values: list[list[float]]) -> tuple[pd.DataFrame, list[Target]]:
    """Candidates with a three-year series ``s`` (figures 10, 20, 30) and each year's implausibility 0."""
    ts = [Target(f"s{y}", f"s{y}", "homicides(all)", 5.0, 10.0 * y, 60.0, "", y, y, "f", "", True) for y in (1, 2, 3)]
    rows = [{**{f"sim:s{y}": v[y - 1] for y in (1, 2, 3)}, **{f"imp:s{y}": 0.0 for y in (1, 2, 3)}} for v in values]
    return pd.DataFrame(rows), ts


def test_series_criterion_keeps_only_candidates_whose_series_follows_the_figures():
    """With min_correlation, a candidate inside every band is still dropped if its series does not
    follow the figures' shape (issue 19: correlation of Mexico's annual homicides >= 0.8)."""
    trials, ts = _series_trials([[11.0, 19.0, 31.0], [30.0, 20.0, 10.0], [20.0, 21.0, 20.5]])
    out, _ = ens.rescore(trials, 3.0, 0, ts, min_correlation=0.8)
    assert out["corr:homicides(all)"].round(3).tolist() == [0.993, -1.0, 0.5]
    assert out["kept"].tolist() == [True, False, False]
    plain, _ = ens.rescore(trials, 3.0, 0, ts)  # without the criterion the bands alone decide
    assert plain["kept"].all()
    again, _ = ens.rescore(out, 3.0, 0, ts, min_correlation=0.8)  # rescoring a rescored table
    assert again["kept"].tolist() == [True, False, False] and list(again.columns) == list(out.columns)


def test_rescore_does_not_choose_on_exempt_targets_but_still_reports_them():
    """Targets the settings exempt (the Mexico series' 2013-2015 dip) are reported, not chosen on."""
    trials = pd.DataFrame({"imp:a": [0.5, 0.5], "imp:dip": [9.0, 1.0], "imp:b": [1.0, 4.0]})
    out, _ = ens.rescore(trials, 3.0, 0, exempt=["dip"])
    assert out["kept"].tolist() == [True, False] and out["max_imp"].tolist() == [1.0, 4.0]
    assert "imp:dip" in out  # still there for the report
    strict, _ = ens.rescore(trials, 3.0, 0)
    assert strict["kept"].tolist() == [False, False]


def test_refocus_spans_the_kept_candidates_widened_on_each_scale_and_clipped():
    """A later wave samples the box of the earlier wave's kept candidates, widened by a tenth of
    each searched range (on the log scale where searched so) and clipped to the space."""
    space = {"a": (0.0, 1.0, False), "b": (0.001, 1.0, True)}
    prev = pd.DataFrame({"a": [0.3, 0.5, 0.95, 0.1], "b": [0.01, 0.1, 0.05, 0.9], "kept": [True, True, True, False]})
    box = ens.refocus(prev, space)
    assert box["a"] == pytest.approx((0.2, 1.0, False))  # 0.3 - 0.1; 0.95 + 0.1 clipped to 1
    lo, hi, lg = box["b"]
    decade = np.log(1000) / 10  # a tenth of the range on the log scale
    assert (
        lg and np.log(lo) == pytest.approx(np.log(0.01) - decade) and np.log(hi) == pytest.approx(np.log(0.1) + decade)
    )
    pts = ens.sample(box, 20, seed=1)
    assert all(box["a"][0] <= p["a"] <= box["a"][1] and lo <= p["b"] <= hi for p in pts)
    one = ens.refocus(prev.assign(kept=[True, False, False, False]), space)  # a tenth either side of it
    assert one["a"] == pytest.approx((0.2, 0.4, False))
    assert np.log(one["b"][1]) - np.log(one["b"][0]) == pytest.approx(2 * decade)
    with pytest.raises(ValueError, match="kept no candidate"):
        ens.refocus(prev.assign(kept=False), space)


@pytest.mark.slow  # eight short runs of the Mexico preset (~40 s)
def test_compare_runs_the_mexico_preset_over_its_own_ensemble(tmp_path):
    """compare --ensemble on world=mexico runs the preset's own members (configs/ensemble_mexico.yaml)
    on top of its fit, names that file in the report, and the members' parameters reach the runs."""
    from sim.analysis.compare import main

    args = ["--seeds", "2", "--jobs", "2", "--ensemble", "2", "--scenarios", "baseline,mex_recruitment_halved"]
    main([*args, "--years", "1", "--out", str(tmp_path / "out"), "world=mexico", "steps=52", "burn_in=26"])
    out = tmp_path / "out"
    runs = pd.read_csv(out / "runs_yearly.csv")
    base = runs[(runs["scenario"] == "baseline") & (runs["year_index"] == 1)]
    by_member = base.groupby("member")["homicide_rate"].mean()
    assert sorted(by_member.index) == [0, 1] and by_member[0] != by_member[1]
    report = (out / "report.md").read_text()
    assert "configs/ensemble_mexico.yaml" in report and "world=mexico" in report
    signs = pd.read_csv(out / "signs.csv")
    assert set(signs["scenario"]) == {"mex_recruitment_halved"} and (signs["members"] == 2).all()
    # and in the country the scenario acts in (MEX), from the runs' country tables
    here = pd.read_csv(out / "signs_countries.csv")
    assert set(here["country"]) == {"MEX"} and "homicide_rate" in set(here["outcome"])
    assert (here["members"] == 2).all() and "### Where each government acts" in report


def test_a_required_target_keeps_only_candidates_inside_its_band():
    """A target with calibrate=constraint (data/targets.csv members_stationary) is a requirement:
    a candidate plausible on every target is still dropped when its mean leaves that band."""
    required = dataclasses.replace(_target("r"), low=0.98, value=1.0, high=1.02, constraint=True)
    trials = pd.DataFrame({"imp:x": [0.5, 0.5], "imp:r": [0.5, 0.5], "sim:x": [40.0, 40.0], "sim:r": [1.0, 1.03]})
    out, _ = ens.rescore(trials, 3.0, 0, [_target("x"), required])
    assert list(out["kept"]) == [True, False]
    out, _ = ens.rescore(trials, 3.0, 0, [_target("x"), dataclasses.replace(required, constraint=False)])
    assert list(out["kept"]) == [True, True]
