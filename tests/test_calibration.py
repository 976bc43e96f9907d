"""Targets table, their statistics, and the calibration command (issue 6, parts 1-2)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from sim.analysis import calibrate
from sim.analysis.targets import (
    TARGETS_CSV,
    Target,
    _exports,
    at_inputs,
    evaluate,
    fit_targets,
    joint_spread,
    load_targets,
    recorder_for,
    selection,
)
from sim.model import config
from sim.run import PROJECT_ROOT, compose, run

SEED_LINE = re.compile(r"\b00[0-4] l\.\d+")
DATA_FILE = re.compile(r"^data/[\w/.-]+\.csv$")
PUBLISHED = re.compile(
    r"^external: .+\(\d{4}\)"
)  # a published study: authors, journal, year (the world files' convention)
#: a modelling requirement without a figure, stated as such (the one row: members_stationary)
ASSUMED = re.compile(r"^assumption \(issue \d+, item \d+\)$")


def test_targets_table_is_sourced_and_readable():
    targets = load_targets()
    assert {t.world for t in targets} == {"hemisphere"}  # the default world's rows
    # the fits run three policy years: they measure every fitted row, and no ten-year trend
    fit = {t.id for t in fit_targets()}
    assert {t.id for t in targets if t.calibrate} <= fit
    assert {"col_members_growth", "mex_members_growth"} & fit == set()
    everything = load_targets(world=None)
    ids = [t.id for t in everything]
    assert len(ids) == len(set(ids)) >= 12
    for t in everything:
        data = DATA_FILE.match(t.source)
        named = SEED_LINE.search(t.source) or data or PUBLISHED.match(t.source) or ASSUMED.match(t.source)
        assert named, f"{t.id}: source {t.source!r} names no seed line, data file or published study"
        assert not data or (PROJECT_ROOT / t.source).exists(), f"{t.id}: {t.source} is not shipped"
        assert 0 < t.low <= t.value <= t.high
    # the figures the issue names are there
    stats = " ".join(t.statistic for t in targets)
    for needle in (
        "country=HND",
        "country=SLV",
        "territory=guerrero",
        "territory=guayaquil",
        "exports_t(country=VEN)",
        "seizure_share(all)",
        "emigration_rate(region=northern_triangle)",
        "neet_share(region=northern_triangle)",
        "incarceration_rate(country=SLV)",
        "seized_t(country=COL)",
        "transit_t(territory=san_diego",
    ):
        assert needle in stats
    # the Honduras series (004 l.412) year by year, and Mexico's 2012-2021 series from the shipped file
    assert [(t.first_year, t.value) for t in targets if t.id.startswith("hnd_homicide_")] == [
        (1, 75.1),
        (2, 67.0),
        (3, 64.5),
    ]
    trend = pd.read_csv(PROJECT_ROOT / "data" / "bacrim2020" / "Trends2012_2021.csv", encoding="utf-8-sig")
    mex = {t.id: t for t in load_targets(world="mexico")}
    for k, row in enumerate(trend.itertuples(), start=1):
        for column, name in (("homicide", "homicides"), ("arrests", "arrests")):
            t = mex[f"mex_{name}_{row.YEAR}"]
            assert (t.first_year, t.last_year, t.value) == (k, k, getattr(row, column))


def test_bad_statistic_is_a_clear_error(tmp_path):
    text = TARGETS_CSV.read_text().replace("homicide_rate(country=HND)", "homicide_rat(country=HND)")
    bad = tmp_path / "targets.csv"
    bad.write_text(text)
    with pytest.raises(ValueError, match=r"hnd_homicide.*homicide_rat"):
        load_targets(bad)


def test_loss_is_zero_inside_the_band_and_grows_outside():
    t = Target("x", "x", "homicide_rate(all)", 10.0, 12.0, 20.0, "", 1, 3, "004 l.1", "", True)
    assert t.loss(10.0) == t.loss(15.0) == t.loss(20.0) == 0.0
    assert 0 < t.loss(9.0) < t.loss(5.0) < t.loss(1.0)
    assert 0 < t.loss(25.0) < t.loss(40.0)
    assert t.loss(float("nan")) == t.loss(0.0) > 0  # a missing statistic is penalised, not ignored


@pytest.fixture(scope="module")
def measured():
    """One default-world run over the targets' window (years 1-3), with the recorder and the timeseries."""
    targets = [t for t in load_targets() if (t.first_year, t.last_year) == (1, 3)]
    rec = recorder_for(targets)
    cfg = compose(["steps=156", "progress=false", "output.write=false"])
    result = run(cfg, keep_model=True, observers=(rec,))
    return targets, rec, result


def test_recorder_agrees_with_the_timeseries(measured):
    """Two code paths: the targets' recorder and the DataCollector's headline reporters."""
    targets, rec, result = measured
    by_id = {t.id: t for t in targets}
    ts = result.timeseries
    window = ts[(ts["year"] >= 0) & (ts["year"] < 3)]
    assert rec.weeks == len(window) == 156
    lac = evaluate(rec, by_id["lac_homicide"])
    # headline rate: weekly homicides / weekly population; recorder: sums over the window
    assert lac == pytest.approx(window["homicide_rate"].mean(), rel=0.01)
    share = window["drug_seized_kg"].sum() / (window["drug_seized_kg"].sum() + window["drug_delivered_kg"].sum())
    assert evaluate(rec, by_id["seizure_share"]) == pytest.approx(share, rel=1e-9)
    mean_pop = rec.sums["population"][selection(rec.model.world, "all")].sum() / 156
    emigration = Target("e", "e", "emigration_rate(all)", 1.0, 1.0, 1.0, "", 1, 3, "004 l.326", "", False)
    assert evaluate(rec, emigration) == pytest.approx(window["emigration"].sum() / 3 / (mean_pop / 1e5), rel=1e-9)


def test_counts_seizures_and_prisons_agree_with_the_country_outputs(measured):
    """The new statistics (issue 19) against countries.parquet, another code path."""
    _targets, rec, result = measured
    c = result.countries
    window = c[(c["year"] >= 0) & (c["year"] < 3)]
    slv, col = window[window["country"] == "SLV"], window[window["country"] == "COL"]

    def stat(text):
        return evaluate(rec, Target("s", "s", text, 1.0, 1.0, 1.0, "", 1, 3, "004 l.1", "", False))

    assert stat("seized_t(country=COL)") == pytest.approx(col["drug_seized_kg"].sum() / 1000 / 3, rel=1e-9)
    assert stat("transit_t(country=COL)") == pytest.approx(col["drug_flow_kg"].sum() / 1000 / 3, rel=1e-9)
    assert stat("homicides(country=SLV)") == pytest.approx(slv["homicides"].sum() / 3, rel=1e-9)
    assert stat("arrests(country=SLV|COL)") == pytest.approx(
        (slv["arrests"].sum() + col["arrests"].sum()) / 3, rel=1e-9
    )
    assert stat("recruits(country=SLV)") == pytest.approx(slv["recruits"].sum() / 3, rel=1e-9)
    assert stat("members(country=COL)") == pytest.approx(col["members_present"].mean(), rel=1e-9)
    # the status quo trend (issue 19, item 5): the window's last year over its first, a year
    yearly = col.groupby(np.floor(col["year"]).astype(int))["members_present"].mean()
    growth = 100.0 * ((yearly[2] / yearly[0]) ** 0.5 - 1.0)
    # Colombia's groups do move in three years (0.07% a year on this seed since the extortion input;
    # the checks below compare at rel 1e-9, so any non-zero growth makes them able to fail)
    assert abs(growth) > 0.01
    assert stat("members_growth(country=COL)") == pytest.approx(growth, rel=1e-9)
    assert stat("members_change(country=COL)") == pytest.approx(yearly[2] / yearly[0], rel=1e-9)
    # inmates over residents of the whole country, whichever of its territories is selected
    rate = slv["prison_population"].sum() / (slv["population"].sum() / 1e5)
    assert stat("incarceration_rate(country=SLV)") == pytest.approx(rate, rel=1e-9)
    w = rec.model.world
    one_territory = next(i for i, k in zip(w.ids, w.country) if w.countries[k].iso == "SLV")
    assert stat(f"incarceration_rate(territory={one_territory})") == pytest.approx(rate, rel=1e-9)


def test_measure_fills_one_recorder_per_window_and_refuses_another_world():
    """The Honduras series (one row per year) and the 1-3 mean come from one run; rows of world=mexico
    cannot be measured on the default world."""
    from sim.analysis.targets import measure

    targets = [t for t in load_targets() if t.id.startswith("hnd_homicide")]
    values = measure(compose(["seed=2"]), targets)
    yearly = [values[f"hnd_homicide_{y}"] for y in (2013, 2014, 2015)]
    assert values["hnd_homicide"] == pytest.approx(np.mean(yearly), rel=0.02)  # populations move little in 3 years
    assert len(set(yearly)) == 3
    with pytest.raises(ValueError, match="targets of world mexico measured on world hemisphere"):
        measure(compose([]), load_targets(world="mexico")[:1])


def test_exports_count_only_hops_that_leave_the_selection(measured):
    _, _rec, result = measured
    m = result.model
    w = m.world
    everything = np.ones(w.n, dtype=bool)
    assert _exports(m, everything) == 0.0  # nothing leaves the whole world
    ven = selection(w, "country=VEN")
    assert _exports(m, ven) > 0
    # Venezuela's exports cannot exceed what crosses out of Venezuela and its neighbours together
    hops = m.routes.valid[:, 1:]
    assert _exports(m, ven) <= float(m.routes.arriving[:, 1:][hops].sum())
    with pytest.raises(ValueError, match="not in this world"):
        selection(w, "country=XXX")


@pytest.mark.parametrize("world", ["hemisphere", "mexico"])
def test_search_space_lies_inside_declared_ranges(tmp_path, world):
    space, settings = calibrate.load_space(calibrate.space_yaml(world))
    assert settings.get("world", "hemisphere") == world
    for key, (lo, hi, _) in space.items():
        dlo, dhi = calibrate.declared_range(key)
        assert dlo <= lo < hi <= dhi
    if world != "hemisphere":  # another world's fit is written where configs/config.yaml's fit group reads it
        assert settings["write"] == f"configs/fit/{world}.yaml"
        assert any(t.calibrate for t in calibrate.world_targets(world))
    bad = tmp_path / "space.yaml"
    bad.write_text(
        "parameters:\n  violence.pax_factor: {low: 0.1, high: 3.0}\nsettings: {trials: 1, seeds: 1, "
        "check_seeds: 1, sampler_seed: 0}\n"
    )
    with pytest.raises(ValueError, match=r"violence\.pax_factor.*declared range"):
        calibrate.load_space(bad)


def test_default_config_uses_the_calibrated_file():
    fitted = yaml.safe_load((PROJECT_ROOT / "configs" / "params" / "calibrated.yaml").read_text()) or {}
    cfg, raw = compose([]), compose(["params=uncalibrated"])
    defaults = OmegaConf.structured(config.ParamsConfig)
    for group, values in fitted.items():
        for name, value in values.items():
            assert OmegaConf.select(cfg, f"params.{group}.{name}") == pytest.approx(value)
            assert OmegaConf.select(raw, f"params.{group}.{name}") == OmegaConf.select(defaults, f"{group}.{name}")


@pytest.mark.slow  # three trials on the default world, each checked on two seeds (~20 s)
def test_calibrate_end_to_end_never_reports_worse_than_its_start(tmp_path):
    out, written = tmp_path / "report", tmp_path / "calibrated.yaml"
    assert (
        calibrate.main(
            [
                "--trials",
                "3",
                "--seeds",
                "1",
                "--check-seeds",
                "2",
                "--jobs",
                "2",
                "--out",
                str(out),
                "--write",
                str(written),
            ]
        )
        == 0
    )
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 3
    space, _ = calibrate.load_space()
    start = calibrate.current_values(space)
    first = trials.iloc[0]
    for key, value in start.items():  # the first trial is the current default
        assert first[key] == pytest.approx(value)
    fitted = yaml.safe_load(written.read_text())
    best = trials.loc[trials["loss"].idxmin()]
    for key, (lo, hi, _) in space.items():
        group, name = key.split(".", 1)
        assert lo <= fitted[group][name] <= hi
        assert fitted[group][name] == pytest.approx(best[key], rel=1e-3)
    report = (out / "report.md").read_text()
    assert "hand-set defaults" in report and "Honduras homicide rate" in report
    # the world's inputs column, and the note naming the fitted targets the inputs themselves miss
    tab = pd.read_csv(out / "table.csv").set_index("target")
    assert tab.loc["hnd_homicide", "inputs"] == pytest.approx(67.07, abs=0.01)
    assert np.isnan(tab.loc["ven_exports", "inputs"])
    assert "lie outside the band even there (nt_vs_rest_ca 4.67" in report
    assert "hold together only if the territories' rates may move up to 1.32 times" in report
    # homicides by cause: the rest of Central America has no gang, and its few wars (Clan Úsuga's cells
    # in Panama, once the world has settled) are at most a few per cent: nearly all its homicides are
    # the background's; the Northern Triangle's gangs carry a large share of its own
    parts = dict(p.split(": ", 1) for p in tab.loc["nt_vs_rest_ca", "causes"].split("; "))
    shares = {k: {c.split()[0]: int(c.split()[1].rstrip("%")) for c in v.split(", ")} for k, v in parts.items()}
    assert shares["central_america"]["gang"] == 0 and shares["central_america"]["other"] >= 95
    assert shares["northern_triangle"]["gang"] >= 20
    assert tab.loc["hnd_homicide", "causes"].startswith("war ") and pd.isna(tab.loc["ven_exports", "causes"])


@pytest.mark.slow  # two trials on the Mexico preset, each a 12-year run, checked on one seed (~40 s)
def test_calibrate_fits_another_world_from_its_current_fit_into_a_fit_group_file(tmp_path):
    """``--world mexico``: every run is on world=mexico, the first trial is the preset's current fit
    (configs/fit/mexico.yaml), the report compares with the default world's set on that world and
    names the series, and the file written is a ``fit`` group file (``# @package params``)."""
    out, written = tmp_path / "report", tmp_path / "mexico.yaml"
    args = ["--world", "mexico", "--trials", "2", "--seeds", "1", "--check-seeds", "1", "--jobs", "2"]
    assert calibrate.main([*args, "--out", str(out), "--write", str(written)]) == 0
    trials = pd.read_csv(out / "trials.csv")
    space, _ = calibrate.load_space(calibrate.space_yaml("mexico"))
    start = calibrate.current_values(space, ("world=mexico",))
    fit = yaml.safe_load((PROJECT_ROOT / "configs" / "fit" / "mexico.yaml").read_text())
    for key, value in start.items():
        group, name = key.split(".", 1)
        assert value == pytest.approx(fit[group][name])  # the preset's fit, not the default world's set
        assert trials.iloc[0][key] == pytest.approx(value)
    assert "sim:mex_homicides_2012" in trials  # measured on the Mexico preset's rows
    text = written.read_text()
    assert text.splitlines()[0] == "# @package params"
    assert set(yaml.safe_load(text)) == {k.split(".", 1)[0] for k in space}
    report = (out / "report.md").read_text()
    assert "world=mexico fit=none" in report and "- homicides(all): correlation" in report


def test_series_correlation_and_years_in_band():
    """The report's series line: the correlation of the calibrated means with the figures, year by
    year, and how many years lie in their band; single-window rows are not a series."""
    ts = [
        Target(f"h{y}", "h", "homicides(all)", 90.0, v, 110.0, "n", y, y, "s", "", True)
        for y, v in zip(range(1, 5), [100.0, 100.0, 100.0, 100.0])
    ]
    ts[1] = Target("h2", "h", "homicides(all)", 180.0, 200.0, 220.0, "n", 2, 2, "s", "", True)
    lone = Target("m", "m", "members(all)", 1.0, 2.0, 3.0, "n", 1, 3, "s", "", True)
    after = [100.0, 210.0, 95.0, 130.0]  # follows the data's jump; the last year leaves its band
    tab = pd.DataFrame(
        {
            "target": [*(t.id for t in ts), "m"],
            "after_mean": [*after, 2.0],
            "after_in": [*(t.inside(v) for t, v in zip(ts, after)), True],
        }
    )
    ((stat, r, k, n),) = calibrate.series(tab, [*ts, lone])
    assert stat == "homicides(all)" and (k, n) == (3, 4)
    assert r == pytest.approx(np.corrcoef(after, [t.value for t in ts])[0, 1])
    assert r > 0.8


def test_calibrate_refuses_a_space_for_another_world(tmp_path, capsys):
    assert calibrate.main(["--world", "mexico", "--space", str(calibrate.SPACE_YAML), "--write", ""]) == 2
    assert "search space is for world hemisphere, not mexico" in capsys.readouterr().err


def test_top_share_is_the_largest_groups_share_of_the_members_present():
    """``top_share(sel)``: week by week, the largest group's members in ``sel`` over all members
    there, averaged over the window; checked against a group-by-group tally of the same weeks."""
    target = Target("t", "t", "top_share(all)", 0.1, 0.2, 0.3, "share", 1, 1, "004 l.1", "", False)
    rec = recorder_for([target])
    shares: list[float] = []

    def tally(model):
        if not (rec.first <= model.week < rec.last):
            return
        sel = selection(model.world, "all")
        per_group = [float(row[sel].sum()) for row in model.orgs.presence]
        shares.append(max(per_group) / sum(per_group))

    cfg = compose(["world=synthetic", "world.n_territories=40", "burn_in=20", "steps=52", "progress=false"])
    run(cfg, observers=(rec, tally))
    assert rec.weeks == len(shares) == 52
    assert 0 < min(shares) < max(shares) < 1  # several groups, and the shares move: the mean can be wrong
    assert evaluate(rec, target) == pytest.approx(np.mean(shares), rel=1e-9)


def test_the_caribbean_routes_are_closed(measured):
    """004 l.304-306: the Caribbean paths to North America "ceased to be an option", so most
    US-bound cocaine enters across the US-Mexico border (the Caribbean islands' interdiction input
    of configs/world/hemisphere.yaml; without it 0.41 of it did, seeds 1000-1003)."""
    targets, rec, _result = measured
    route = next(t for t in targets if t.id == "us_entry_sw_border")
    share = evaluate(rec, route)
    assert route.inside(share), f"share of US-bound cocaine entering across the US-Mexico border {share:.2f}"


def test_at_inputs_is_the_statistic_with_every_territory_at_its_observed_rate():
    """A world whose territories all sat at their input homicide rates would read the population-
    weighted mean of those rates; a ratio is the ratio of two such means; other statistics have no
    value there. On the default world the Northern Triangle's inputs are 4.67 times the rest of
    Central America's: no fit that keeps the observed rates meets the seed's 'three times' (004 l.326)."""
    from sim.model.world import build_world

    world = build_world(compose([]).world, np.random.default_rng(0))
    by_id = {t.id: t for t in load_targets()}

    def mean_rate(spec):
        m = selection(world, spec)
        return (world.base_homicide_rate[m] * world.population[m]).sum() / world.population[m].sum()

    assert at_inputs(world, by_id["hnd_homicide"]) == pytest.approx(mean_rate("country=HND"))
    nt = at_inputs(world, by_id["nt_vs_rest_ca"])
    assert nt == pytest.approx(mean_rate("region=northern_triangle") / mean_rate("region=central_america"))
    assert not by_id["nt_vs_rest_ca"].inside(nt) and nt == pytest.approx(4.67, abs=0.01)
    assert at_inputs(world, by_id["ven_exports"]) is None
    assert at_inputs(world, by_id["mex_organised_share"]) is None


def test_joint_spread_is_how_far_rates_must_move_from_their_inputs_for_the_bands_to_hold_together():
    """Two one-territory countries at 10 and 40 per 100k (equal populations): a band of 20-30 on
    the first needs it doubled (k = 2) unless the second's band is already met; adding a ratio of
    at most 2 between them forces the first up and the second down together, so k solves
    40 / k = 2 x 10 x k (k = sqrt 2); a target on another statistic changes nothing."""
    from types import SimpleNamespace

    world = SimpleNamespace(
        n=2,
        population=np.array([1e6, 1e6]),
        base_homicide_rate=np.array([10.0, 40.0]),
        countries=[SimpleNamespace(iso="AAA"), SimpleNamespace(iso="BBB")],
        country=np.array([0, 1]),
        report_mask=None,
    )

    def target(tid, stat, low, high):
        return Target(tid, tid, stat, low, (low + high) / 2, high, "", 1, 3, "", "", True)

    a_band = target("a", "homicide_rate(country=AAA)", 20.0, 30.0)
    ratio = target("r", "homicide_rate(country=BBB) / homicide_rate(country=AAA)", 1.0, 2.0)
    other = target("x", "exports_t(country=AAA)", 1.0, 2.0)
    assert joint_spread(world, [other]) == (1.0, pytest.approx([10.0, 40.0]))
    k, rates = joint_spread(world, [a_band, other])
    assert k == pytest.approx(2.0, abs=2e-3) and 20.0 - 1e-6 <= rates[0] <= 30.0 + 1e-6
    k, rates = joint_spread(world, [ratio])
    assert k == pytest.approx(np.sqrt(2.0), abs=2e-3)
    assert rates[1] / rates[0] <= 2.0 + 1e-6
    assert joint_spread(world, [target("far", "homicide_rate(country=AAA)", 500.0, 600.0)])[0] == np.inf


def test_causes_split_a_selections_homicides_into_war_gang_and_the_rest():
    """targets.causes: the shares of a homicide-rate target's homicides by mechanism, each term of a
    ratio apart. Without gang killings the gang share is 0; without background or state abuse,
    nearly all the homicides are the groups' (the rest is Poisson noise around the expected
    killings); ratios give one split per term; other statistics none."""
    from sim.analysis.targets import CAUSES, Recorder, Target, causes

    def split(*overrides, statistic="homicide_rate(all)"):
        target = Target("t", "t", statistic, 0, 1, 2, "", 1, 1, "", "", True, world="synthetic")
        rec = Recorder(0, 52)
        world = ["world=synthetic", "world.n_territories=40", "steps=52", "progress=false", "output.write=false"]
        run(compose([*world, *overrides]), observers=(rec,))
        return causes(rec, target)

    [(spec, base)] = split()
    assert spec == "all" and set(base) == set(CAUSES)
    assert base["war"] > 0 and base["gang"] > 0 and base["other"] > 0.2
    assert sum(base.values()) == pytest.approx(1.0)
    [(_, no_gangs)] = split("params.violence.gang_kill_rate=0")
    assert no_gangs["gang"] == 0.0 and no_gangs["war"] > 0
    [(_, groups_only)] = split("params.violence.background_share=0", "params.violence.abuse_kill_rate=0")
    assert groups_only["other"] < 0.1 < groups_only["war"] + groups_only["gang"]
    ratio = split(statistic="homicide_rate(all) / homicide_rate(all)")
    assert [spec for spec, _ in ratio] == ["all", "all"] and ratio[0][1] == ratio[1][1]
    assert causes(Recorder(0, 52), Target("s", "s", "seizure_share(all)", 0, 1, 2, "", 1, 1, "", "", True)) is None
    with pytest.raises(ValueError, match="saw no week"):
        causes(Recorder(0, 52), Target("e", "e", "homicide_rate(all)", 0, 1, 2, "", 1, 1, "", "", True))


def test_a_required_target_makes_a_set_that_misses_it_infeasible(tmp_path):
    """calibrate=constraint (members_stationary): the target counts in the loss, and a set that
    misses it has a violation and is never the chosen set, however low its loss."""
    targets = {t.id: t for t in calibrate.world_targets("hemisphere")}
    required = targets["members_stationary"]
    assert required.calibrate and required.constraint
    assert [t.id for t in targets.values() if t.constraint] == ["members_stationary"]
    means = {t.id: t.value for t in targets.values()}
    assert calibrate.violation(means, list(targets.values())) == 0.0
    means["members_stationary"] = 1.05
    assert calibrate.violation(means, list(targets.values())) > 0.0
    rows = pd.DataFrame({"loss": [1.0, 3.0, 2.0], "violation": [0.4, 0.0, 0.0], "a": [1, 2, 3]})
    assert calibrate.best_feasible(rows)["a"] == 3  # the lowest loss among the feasible
    assert calibrate.best_feasible(rows.assign(violation=1.0)) is None
    bad = tmp_path / "t.csv"
    bad.write_text(TARGETS_CSV.read_text().replace(",constraint,", ",maybe,"))
    with pytest.raises(ValueError, match="members_stationary: calibrate='maybe'"):
        load_targets(bad)


def test_refine_searches_a_box_around_the_current_fit_inside_the_space():
    """``--refine F``: each range pulled in to the current value +- F of it (x/÷ on a log scale)."""
    space = {"a": (0.0, 1.0, False), "b": (0.01, 1.0, True), "c": (0.2, 0.8, False)}
    box = calibrate.narrowed(space, {"a": 0.5, "b": 0.1, "c": 0.79}, 0.1)
    assert box["a"] == pytest.approx((0.4, 0.6, False))
    lo, hi, log = box["b"]
    assert log and lo == pytest.approx(0.1 / 100**0.1) and hi == pytest.approx(0.1 * 100**0.1)
    assert box["c"][0] == pytest.approx(0.73) and box["c"][1] == 0.8  # clipped to the space
    with pytest.raises(ValueError, match="refine"):
        calibrate.narrowed(space, {"a": 0.5, "b": 0.1, "c": 0.5}, 0.0)


def test_miss_penalty_counts_each_fitted_target_outside_its_band():
    """The settings' ``miss_penalty`` adds a fixed cost per miss, so a near miss brought into its band
    is worth more than a far miss moved a little."""
    ts = [t for t in fit_targets() if t.calibrate][:2]
    inside = {ts[0].id: ts[0].value, ts[1].id: ts[1].value}
    near = {ts[0].id: ts[0].low * 0.99, ts[1].id: ts[1].value}
    assert calibrate.loss(inside, ts, 1.0) == 0.0
    assert calibrate.loss(near, ts, 1.0) == pytest.approx(calibrate.loss(near, ts) + 1.0)
    assert calibrate.loss(near, ts) == pytest.approx(ts[0].loss(ts[0].low * 0.99))


def test_the_report_measures_the_values_the_params_file_keeps(tmp_path, monkeypatch):
    """The fitted set is written with 4 significant digits; the report's "after" runs must use those
    values, not the trial's full floats (the wars are seed- and value-sensitive: Mexico moved from
    24.4 to 24.9 per 100k between the two on the same seeds)."""
    space, _ = calibrate.load_space()
    best = {k: v * 1.000012345 for k, v in calibrate.current_values(space).items()}
    trials = pd.DataFrame([{"trial": 0, "loss": 1.0, "violation": 0.0, **best}])
    monkeypatch.setattr(calibrate, "fit", lambda *a, **k: (best, trials))
    measured: list[tuple[str, ...]] = []

    def stop(sets, *a, **k):
        measured.extend(sets)
        raise RuntimeError("measured")

    monkeypatch.setattr(calibrate, "simulate", stop)
    with pytest.raises(RuntimeError, match="measured"):
        calibrate.main(["--out", str(tmp_path), "--write", ""])
    after = measured[-1]
    for k, v in best.items():
        assert f"params.{k}={calibrate.rounded(v)!r}" in after
        assert calibrate.rounded(v) != v


def test_a_rewrite_keeps_the_held_lines_the_fit_ran_with(tmp_path):
    """A params file's lines marked ``# held`` pin values the fit does not search (the Mexico preset
    holds some of the default fit's); the trials ran on top of the file, so the rewritten file keeps
    them, and a key the fit did search replaces its held line."""
    path = tmp_path / "fit.yaml"
    path.write_text(
        "# @package params\nviolence:\n  background_share: 0.3  # searched [0.15, 0.5]\n"
        "  pax_factor: 0.68  # held: as above\n  gang_crowding: 0.0  # held: as above\n"
        "community:\n  emigration_base: 1.7e-05  # held: as above\n"
    )
    assert set(calibrate.held_lines(path)) == {
        "violence.pax_factor",
        "violence.gang_crowding",
        "community.emigration_base",
    }
    space = {"violence.background_share": (0.15, 0.5, False), "violence.gang_crowding": (0.0, 0.05, False)}
    calibrate.write_calibrated(
        {"violence.background_share": 0.25, "violence.gang_crowding": 0.01}, space, path, "fit", "params"
    )
    written = yaml.safe_load(path.read_text())
    assert written["violence"] == {"background_share": 0.25, "gang_crowding": 0.01, "pax_factor": 0.68}
    assert written["community"] == {"emigration_base": 1.7e-05}
    assert "held" in path.read_text().split("violence:")[0]  # the header says why they are there


@pytest.mark.slow  # ten runs of the default world, 13 years each (~50 s)
def test_the_calibrated_world_puts_twelve_of_fourteen_targets_in_band_on_unseen_seeds():
    """Issue 19, item 3: on the ten seeds the calibration report uses (1000-1009; the fit runs
    seeds 0-4), the mean of the calibrated default world puts at least 12 of the 14 fitted targets
    in their band, and the required ``members_stationary`` in its own. The criterion is the issue's.
    The margin is thin (README, Calibration): Guerrero's ratio sits at its band's lower edge, and
    of six sets of ten unseen seeds one (4000-4009) gives 11."""
    targets = calibrate.world_targets("hemisphere")
    (frame,) = calibrate.simulate([()], range(1000, 1010), targets, jobs=1)
    means = frame.mean()
    fitted = [t for t in targets if t.calibrate and not t.constraint]
    assert len(fitted) == 14
    inside = [t.id for t in fitted if t.inside(float(means[t.id]))]
    assert len(inside) >= 12, f"in band: {inside}"
    assert all(t.inside(float(means[t.id])) for t in targets if t.constraint)
