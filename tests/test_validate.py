"""Stylized-fact checks (issue 6, part 3) and Morris screening (part 4)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis import sensitivity, validate
from sim.analysis.targets import Recorder, evaluate, load_targets, recorder_for
from sim.model import config
from sim.run import compose, run

SEED_LINE = re.compile(r"\b00[0-4] l\.\d+")
PUBLISHED = re.compile(r"^external: .+\(\d{4}\)")  # a published study or report, as in data/targets.csv


def test_every_check_is_named_sourced_and_has_a_criterion():
    ids = [c.id for c in validate.CHECKS]
    assert len(ids) == len(set(ids)) >= 20
    for c in validate.CHECKS:
        assert SEED_LINE.search(c.source) or PUBLISHED.search(c.source), f"{c.id}: no seed line in {c.source!r}"
        assert c.criterion and c.claim
    tested = " ".join(c.tests for c in validate.CHECKS)
    assert len(set(re.findall(r"M\d+", tested))) >= 14  # most mechanisms have a check
    for c in validate.CHECKS:
        assert c.scenarios[0] == "baseline" and set(c.scenarios) <= set(validate.SCENARIOS), c.id


@pytest.mark.slow  # composes the config of each of the 12 runs with Hydra (~7 s idle)
def test_each_policy_check_is_measured_where_its_lever_acts():
    """A check measured in a country runs scenarios whose levers act in that country and nowhere else;
    only border hardening (displacement across the hemisphere) is regional."""
    policy = [c for c in validate.CHECKS if len(c.scenarios) > 1]
    assert {c.country for c in policy} >= {"SLV", "HND", "COL", "MEX"}
    regional = {c.id for c in policy if c.country == config.REGION}
    assert regional == {"border_displaces", "border_balloon", "border_rents"}
    runs = [sc for c in policy for sc in c.scenarios[1:] if sc not in validate.BASELINES]
    where = {sc: validate.acts_in(validate.SCENARIOS[sc]) for sc in runs}
    for c in policy:
        for sc in c.scenarios[1:]:
            if sc not in validate.BASELINES:
                assert where[sc] == ({""} if c.country == config.REGION else {c.country}), (c.id, sc, where[sc])
    for sc in validate.BASELINES:  # a baseline runs no lever
        assert validate.acts_in(validate.SCENARIOS[sc]) == set()


def _per_run(effects: dict[str, dict[int, float]], seeds: int = 6, noise: float = 0.05) -> pd.DataFrame:
    """Hand-made yearly means: baseline 10 + noise shared by seed; each scenario adds its effect by year."""
    rng = np.random.default_rng(1)
    rows = []
    for s in range(seeds):
        shared = rng.normal(0, 1, 11)
        for sc in ("baseline", *effects):
            for y in range(1, 11):
                own = rng.normal(0, noise)
                value = 10 + shared[y] + (effects.get(sc, {}).get(y, 0.0) if sc != "baseline" else 0.0) + own
                rows.append({"scenario": sc, "seed": s, "year_index": y, **{col: value for col in validate.COLUMNS}})
    return pd.DataFrame(rows)


def test_paired_change_removes_what_seeds_share():
    per_run = _per_run({"truce": {1: -2.0}})
    d = validate.Data(per_run, pd.DataFrame())
    mean, lo, hi = d.change("truce", "homicide_rate", 1)
    assert mean == pytest.approx(-2.0, abs=0.1) and hi < 0  # shared noise (sd 1) cancels in the pair
    mean, lo, hi = d.change("truce", "homicide_rate", 5)
    assert lo < 0 < hi


def _per_country(effects: dict[str, dict[str, dict[int, float]]], seeds: int = 6, noise: float = 0.05) -> pd.DataFrame:
    """Hand-made yearly means by country (years 0-10): 10 + noise shared by seed and country; each
    ``effects[country][scenario]`` adds its effect by year in that country only."""
    rng = np.random.default_rng(2)
    cols = [*validate.COUNTRY_COLUMNS, "members_per_group", *validate.EVENT_COLUMNS.values()]
    scenarios = {"baseline", *(sc for by_sc in effects.values() for sc in by_sc)}
    rows = []
    for iso in ("SLV", "HND", "GTM"):
        for s in range(seeds):
            shared = rng.normal(0, 1, 11)
            for sc in sorted(scenarios):
                for y in range(0, 11):
                    value = 10 + shared[y] + effects.get(iso, {}).get(sc, {}).get(y, 0.0) + rng.normal(0, noise)
                    rows.append(
                        {"scenario": sc, "seed": s, "country": iso, "year_index": y, **dict.fromkeys(cols, value)}
                    )
    return pd.DataFrame(rows)


def test_pact_check_passes_on_a_fragile_pact_and_fails_on_none_or_a_lasting_one():
    check = next(c for c in validate.CHECKS if c.id == "slv_pact_fragile")
    assert check.country == "SLV"

    def data(effect: dict[int, float]) -> validate.Data:
        return validate.Data(_per_run({}), pd.DataFrame(), _per_country({"SLV": {"slv_gang_pact": effect}}))

    assert check.measure(data({1: -3.0, 2: -1.0}))[0] is True
    assert check.measure(data({}))[0] is False
    assert check.measure(data({y: -3.0 for y in range(1, 11)}))[0] is False


def test_a_status_quo_trend_reads_its_country_against_the_band_of_its_target():
    """Members present in Mexico growing 5% a year over years 1-10 of the baseline pass
    ``mex_cartels_grow`` (band 4.0-6.6 in data/targets.csv); flat, or growing so only in Guatemala,
    they fail."""
    check = next(c for c in validate.CHECKS if c.id == "mex_cartels_grow")
    assert check.country == "MEX" and check.scenarios == ("baseline",)

    def data(growth: dict[str, float]) -> validate.Data:
        rows = _per_country({})
        rows = pd.concat([rows, rows[rows["country"] == "GTM"].assign(country="MEX")], ignore_index=True)
        for iso, g in growth.items():
            at = rows["country"] == iso
            rows.loc[at, "members_present"] = 1000.0 * (1.0 + g) ** (rows.loc[at, "year_index"] - 1)
        return validate.Data(_per_run({}), pd.DataFrame(), rows)

    assert check.measure(data({"MEX": 0.05}))[0] is True
    assert check.measure(data({"MEX": 0.0}))[0] is False
    assert check.measure(data({"MEX": 0.0, "GTM": 0.05}))[0] is False
    assert check.measure(data({"MEX": 0.08}))[0] is False  # above the band


def test_rescore_measures_the_checks_again_on_the_saved_tables(tmp_path):
    """``validate.py --rescore`` reads the four tables a run saved, evaluates every check on them and
    rewrites checks.csv and the report's checks table, keeping the report's header and replays."""
    rows = _per_country({})
    rows = pd.concat([rows, rows[rows["country"] == "GTM"].assign(country="MEX")], ignore_index=True)
    mex = rows["country"] == "MEX"
    rows.loc[mex, "members_present"] = 1000.0 * 1.05 ** (rows.loc[mex, "year_index"] - 1)
    _per_run({}).to_csv(tmp_path / "runs_yearly.csv", index=False)
    pd.DataFrame({"seed": range(6)}).to_csv(tmp_path / "baseline_cross_section.csv", index=False)
    rows.to_csv(tmp_path / "countries_yearly.csv", index=False)
    pd.DataFrame(columns=["scenario", "seed", "country", "week"]).to_csv(tmp_path / "countries_weekly.csv")
    (tmp_path / "report.md").write_text("# head\n\n| check | old |\n\nRuns:\n\n* x\n\n## Replays\n\nkept\n")
    assert validate.main(["--rescore", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "checks.csv")
    assert list(table["check"]) == [c.id for c in validate.CHECKS]
    assert table.set_index("check").loc["mex_cartels_grow", "result"] == "pass"
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# head") and report.endswith("## Replays\n\nkept\n") and "| old |" not in report
    assert "mex_cartels_grow" in report and "6 seeds" in report


def test_a_country_check_reads_only_its_country():
    """The pact lowers homicides in El Salvador only; elsewhere (Guatemala, the headline rows) the same
    scenario shows the opposite. The check passes on El Salvador's rows, and fails when the effects
    swap countries: a check that ignored its country (or read the headline) would not tell them apart."""
    check = next(c for c in validate.CHECKS if c.id == "slv_pact_fragile")
    fall, rise = {1: -3.0, 2: -1.0}, {1: 3.0, 2: 3.0, 5: 3.0}
    per_run = _per_run({"slv_gang_pact": rise})
    here = validate.Data(
        per_run, pd.DataFrame(), _per_country({"SLV": {"slv_gang_pact": fall}, "GTM": {"slv_gang_pact": rise}})
    )
    there = validate.Data(
        per_run, pd.DataFrame(), _per_country({"GTM": {"slv_gang_pact": fall}, "SLV": {"slv_gang_pact": rise}})
    )
    assert check.measure(here)[0] is True
    assert check.measure(there)[0] is False
    d = validate.Data(per_run, pd.DataFrame(), _per_country({"SLV": {"slv_gang_pact": fall}}))
    assert d.change("slv_gang_pact", "homicide_rate", 1, country="SLV")[2] < 0
    assert (
        d.change("slv_gang_pact", "homicide_rate", 1, country="HND")[1]
        < 0
        < d.change("slv_gang_pact", "homicide_rate", 1, country="HND")[2]
    )
    with pytest.raises(KeyError):  # a country without rows is an error, not the headline's numbers
        d.change("slv_gang_pact", "homicide_rate", 1, country="MEX")


def test_the_prison_check_reads_el_salvadors_weeks():
    """The prison population doubled in nine months (003 l.252): week 39 against the weeks before."""
    check = next(c for c in validate.CHECKS if c.id == "slv_2022_prisons_double")

    def weekly(slv: float, other: float) -> pd.DataFrame:
        rows = []
        for s in range(5):
            for sc in ("baseline", "slv_exception_2022"):
                for iso, after in (("SLV", slv), ("HND", other)):
                    for week in range(-13, 53):
                        grown = after if sc != "baseline" and week >= 39 else 1.0
                        value = 1000.0 * (1 + 0.01 * s) * grown
                        rows.append(
                            {"scenario": sc, "seed": s, "country": iso, "week": week, "prison_population": value}
                        )
        return pd.DataFrame(rows)

    def data(slv: float, other: float) -> validate.Data:
        return validate.Data(_per_run({}), pd.DataFrame(), weekly=weekly(slv, other))

    assert check.measure(data(2.5, 1.0))[0] is True
    assert check.measure(data(1.5, 2.5))[0] is False


def test_a_missing_scenario_is_reported_as_a_failure_not_an_error():
    table = validate.evaluate(validate.Data(_per_run({}), pd.DataFrame({"seed": [0, 1]})))
    assert (table["result"] == "FAIL").all()
    assert len(table) == len(validate.CHECKS)


def test_cross_section_of_a_baseline_run():
    """The baseline facts from one short run; the NT ratio agrees with the targets' statistic."""
    steps = 104
    rec = Recorder(0, steps)
    target = next(t for t in load_targets() if t.id == "nt_vs_rest_ca")
    rec2 = recorder_for([target])  # the targets' own recorder, watching the same run
    rec2.first, rec2.last = 0, steps
    cfg = compose([f"steps={steps}", "progress=false", "output.write=false"])
    result = run(cfg, keep_model=True, observers=(rec, rec2))
    c = validate.cross_section(result, rec)
    assert c["country_rate_max"] > c["country_rate_min"] > 0
    assert 0 < c["tax_share"] < 1
    assert 0.1 <= c["top10_facilitator_share"] <= 1
    assert -1 <= c["corr_trust_homicide"] <= 1 and -1 <= c["corr_homicide_emigration"] <= 1
    assert -1 <= c["corr_flow_corrupt"] <= 1
    assert rec2.weeks == rec.weeks == steps
    assert c["nt_vs_ca"] == pytest.approx(evaluate(rec2, target), rel=1e-9)
    # by country: yearly means from year 0 (the pre-policy year), events by the country of the group's home
    yearly, weekly = validate.by_country(result)
    assert sorted(yearly["year_index"].unique()) == [0, 1, 2]
    assert set(yearly["country"]) == set(result.countries["country"])
    slv = yearly[(yearly["country"] == "SLV") & (yearly["year_index"] == 1)].iloc[0]
    rows = result.countries[(result.countries["country"] == "SLV") & result.countries["year"].between(0, 51 / 52)]
    assert slv["homicide_rate"] == pytest.approx(rows["homicide_rate"].mean())
    ev = result.events[result.events["year"] >= -1]
    home = result.territories.drop_duplicates("territory").set_index("territory")["country"]
    for kind, col in validate.EVENT_COLUMNS.items():
        these = ev[ev["kind"] == kind]
        assert yearly[col].sum() == len(these)
        by_home = these["territory"].map(home).value_counts()
        assert (yearly.groupby("country")[col].sum().reindex(by_home.index) == by_home).all()
    assert set(weekly["country"]) == set(validate.WEEKLY_COUNTRIES)
    assert weekly["week"].min() == validate.WEEKS[0] and weekly["week"].max() == steps - 1


def test_declared_ranges_are_accepted_by_the_config_at_both_ends():
    params = config.declared_ranges()
    assert len(params) > 100
    for end in (0, 1):  # every parameter at its low end in one config, then at its high end
        compose([f"params.{k}={v[end]!r}" for k, v in params.items()])


def test_a_morris_screen_has_one_run_per_design_point_and_a_row_per_outcome_and_parameter(monkeypatch):
    """The quick check of sensitivity.screen: a tiny design, in this process, on a small synthetic world
    instead of the default one; the test below screens for real."""
    small = ["world=synthetic", "world.n_territories=12"]
    monkeypatch.setattr(sensitivity, "compose", lambda overrides: compose([*overrides, *small]))
    params = {k: v for k, v in config.declared_ranges(("routing",)).items() if k == "routing.base_seizure"}
    table, Y, X = sensitivity.screen(params, trajectories=2, steps=2, jobs=1, progress=False, burn_in=0)
    assert X.shape == (2 * (len(params) + 1), len(params)) and len(Y) == len(X)
    assert list(Y.columns) == list(sensitivity.OUTCOMES) and np.isfinite(Y.to_numpy()).all()
    assert len(table) == len(sensitivity.OUTCOMES) * len(params) and (table["mu_star"] >= 0).all()
    lo, hi = params["routing.base_seizure"]
    assert lo <= X.min() and X.max() <= hi


@pytest.mark.slow  # nine runs of 130 weeks on the default world in two worker processes (~5-14 s)
def test_morris_screening_ranks_the_seizure_rate_first_for_seizures():
    params = {
        k: v
        for k, v in config.declared_ranges(("routing",)).items()
        if k in ("routing.base_seizure", "routing.risk_memory")
    }
    table, Y, _X = sensitivity.screen(params, trajectories=3, steps=26, jobs=2, progress=False)
    assert len(Y) == 3 * (len(params) + 1) and np.isfinite(Y.to_numpy()).all()
    seiz = table[table["outcome"] == "seizure_share"].set_index("parameter")["mu_star"]
    assert seiz["routing.base_seizure"] > 3 * seiz["routing.risk_memory"]


def test_the_mexico_preset_checks_read_its_own_baseline():
    """The study's two policies on world=mexico: halving recruitment passes when homicides and members
    fall against the Mexico preset's baseline (not the default world's) and fails when members do not;
    doubling incapacitation passes when both rise from year 1 to year 10 of its own run."""
    halved = next(c for c in validate.CHECKS if c.id == "mex_world_recruitment_halved")
    doubled = next(c for c in validate.CHECKS if c.id == "mex_world_incapacitation_doubled")
    assert halved.country == doubled.country == "MEX"
    assert "mex_world_baseline" in halved.scenarios and "mex_world_baseline" in doubled.scenarios

    def data(effects: dict[str, dict[int, float]], columns=("homicide_rate", "members_present")) -> validate.Data:
        rows = _per_country({"GTM": {sc: {} for sc in ["mex_world_baseline", *effects]}})
        rows = rows[rows["country"] == "GTM"].assign(country="MEX")
        for sc, by_year in effects.items():
            for y, e in by_year.items():
                at = (rows["scenario"] == sc) & (rows["year_index"] == y)
                for col in columns:
                    rows.loc[at, col] += e
        return validate.Data(_per_run({}), pd.DataFrame(), rows.reset_index(drop=True))

    fall = {y: -2.0 for y in range(1, 11)}
    assert halved.measure(data({"mex_world_recruitment_halved": fall}))[0] is True
    assert halved.measure(data({"mex_world_recruitment_halved": fall}, columns=("homicide_rate",)))[0] is False
    # the default world's baseline is not what it is paired with: a fall against it alone does not count
    assert (
        halved.measure(data({"mex_world_recruitment_halved": {}, "baseline": {y: 2.0 for y in range(1, 11)}}))[0]
        is False
    )
    rise = {y: 0.5 * y for y in range(1, 11)}
    assert doubled.measure(data({"mex_world_incapacitation_doubled": rise}))[0] is True
    assert doubled.measure(data({"mex_world_incapacitation_doubled": rise}, columns=("members_present",)))[0] is False


def test_add_runs_only_with_rescore_and_only_known_scenarios(tmp_path, capsys):
    with pytest.raises(SystemExit):
        validate.main(["--add", "mex_world_baseline", "--out", str(tmp_path)])
    assert "--add goes with --rescore" in capsys.readouterr().err
    for name in ("runs_yearly", "baseline_cross_section", "countries_yearly", "countries_weekly"):
        pd.DataFrame({"scenario": ["baseline"], "seed": [0]}).to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "report.md").write_text("| check |\nRuns:\n")
    assert validate.main(["--rescore", "--add", "atlantis", "--out", str(tmp_path)]) == 2
    assert "unknown scenario(s) atlantis" in capsys.readouterr().out
