"""Per-country outputs (countries.parquet, summary.json's ``countries``) and the comparison by country
(issue 13): the table's shape, its sums against the regional figures, and ``compare --countries``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import compose, run

import sim
from sim.analysis import stats
from sim.analysis.compare import COUNTRY_PLOTS, scenario_countries, summarise_countries, target_label
from sim.model.metrics import COUNTRY_COLUMNS, COUNTRY_HEADLINES, country_aggregates
from sim.run import OUTPUT_FILES

# 4 countries of 6 territories; no report regions, so the regional figures cover every country
SMALL = ["world=synthetic", "world.n_territories=24", "world.generator.territories_per_country=6"]


@pytest.fixture(scope="module")
def small_run():
    return run(*SMALL, "steps=40", "burn_in=12", "seed=2", keep_model=True)


@pytest.fixture(scope="module")
def default_run():
    """The default world (report regions: Latin America; the USA, Europe and West Africa outside)."""
    return run("steps=52", "burn_in=4", "seed=1", keep_model=True)


def test_one_row_per_country_and_week(small_run, tmp_path):
    cf, m = small_run.countries, small_run.model
    assert list(cf.columns) == list(COUNTRY_COLUMNS)
    isos = [c.iso for c in m.world.countries]
    assert len(isos) == 4 and len(cf) == 52 * 4
    for iso in isos:
        rows = cf[cf["country"] == iso]
        assert list(rows["step"]) == list(range(1, 53))  # every week, the burn-in included
    np.testing.assert_array_equal(cf.groupby("step")["year"].first().to_numpy(), small_run.timeseries["year"])
    assert (cf.drop(columns=["country", "year"]).to_numpy() >= 0).all() and not cf.isna().any().any()
    assert cf["active_groups_home"].dtype == np.int64 and cf["active_groups_present"].dtype == np.int64
    # written with the other contract files, and read back as it was
    sim.run(compose(*SMALL, "steps=3", "burn_in=1", "output.write=true"), output_dir=tmp_path)
    assert (tmp_path / "countries.parquet").is_file() and "countries.parquet" in OUTPUT_FILES
    back = pd.read_parquet(tmp_path / "countries.parquet")
    assert list(back.columns) == list(COUNTRY_COLUMNS) and len(back) == 4 * 4


def test_country_rows_add_up_to_the_regional_figures(small_run):
    """Without report regions every territory is counted: sums over countries are the weekly totals,
    weighted means over countries are the regional shares (to rounding: the sums run in another order)."""
    cf, ts, m = small_run.countries, small_run.timeseries, small_run.model
    g = cf.groupby("step")
    close = dict(rtol=1e-9, atol=1e-9)
    sums = {
        "homicides": "homicides",
        "organised_homicides": "organised_homicides",
        "recruits": "recruits",
        "arrests": "arrests",
        "members": "criminal_members",
        "prison_population": "prison_population",
        "emigration": "emigration",
        "drug_seized_kg": "drug_seized_kg",
    }
    for col, regional in sums.items():
        np.testing.assert_allclose(g[col].sum().to_numpy(), ts[regional].to_numpy(), **close, err_msg=col)
    assert ts["recruits"].iloc[12:].sum() > 0 and ts["arrests"].iloc[12:].sum() > 0  # not a vacuous check
    pop = g["population"].sum().to_numpy()
    np.testing.assert_allclose(g["homicides"].sum().to_numpy() * 52 / (pop / 1e5), ts["homicide_rate"], **close)
    np.testing.assert_allclose(g["prison_population"].sum() / (pop / 1e5), ts["incarceration_rate"], **close)
    weighted = cf.assign(w_trust=cf["trust"] * cf["population"], w_ext=cf["extortion_rate"] * cf["population"])
    wg = weighted.groupby("step")
    np.testing.assert_allclose(wg["w_trust"].sum() / pop, ts["community_trust"], **close)
    np.testing.assert_allclose(wg["w_ext"].sum() / pop, ts["extortion_rate"], **close)
    officers = np.bincount(m.world.country, weights=m.terr.officers)  # constant: no natural increase here
    for col, regional in (("military_share", "military_share"), ("corrupt_police_share", "corrupt_police_share")):
        share = cf[col].to_numpy().reshape(-1, len(officers))
        np.testing.assert_allclose(share @ officers / officers.sum(), ts[regional], **close, err_msg=col)
    np.testing.assert_allclose(g["court_capture"].mean(), ts["court_capture"], **close)
    pols = np.bincount([p.country for p in m.offices.politicians])
    captured = cf["captured_politicians_share"].to_numpy().reshape(-1, len(pols)) @ pols / pols.sum()
    np.testing.assert_allclose(captured, ts["captured_politicians_share"], **close)
    np.testing.assert_array_equal(g["active_groups_home"].sum(), ts["active_groups"])
    # the last week, against the model's state: free members where they are, detainees by home country
    last = cf[cf["step"] == cf["step"].max()]
    onehot = np.eye(len(officers))[m.world.country]
    P = m.orgs.presence
    np.testing.assert_allclose(last["members_present"], P.sum(0) @ onehot, **close)
    np.testing.assert_array_equal(last["active_groups_present"], ((P > 0) @ onehot > 0).sum(0))
    home = np.eye(len(officers))[m.orgs.country]
    np.testing.assert_allclose(last["pretrial"], np.array([o.pretrial for o in m.orgs.agents]) @ home, **close)
    np.testing.assert_allclose(last["innocents_held"], m.prisons.innocents, **close)


def test_report_countries_add_up_to_the_headline(default_run):
    """In the default world the headline covers whole report countries: their rows sum to it."""
    cf, ts, m = default_run.countries, default_run.timeseries, default_run.model
    report = {c.iso for c, r in zip(m.world.countries, m.world.report_countries) if r}
    assert "SLV" in report and "USA" not in report
    g = cf[cf["country"].isin(report)].groupby("step")
    close = dict(rtol=1e-9, atol=1e-9)
    for col in ("homicides", "organised_homicides", "prison_population", "emigration"):
        np.testing.assert_allclose(g[col].sum().to_numpy(), ts[col].to_numpy(), **close, err_msg=col)
    pop = g["population"].sum().to_numpy()
    np.testing.assert_allclose(g["homicides"].sum() * 52 / (pop / 1e5), ts["homicide_rate"], **close)
    np.testing.assert_allclose(g["prison_population"].sum() / (pop / 1e5), ts["incarceration_rate"], **close)
    inside = cf[cf["country"].isin(report)]
    for col, regional in (("trust", "community_trust"), ("extortion_rate", "extortion_rate")):
        weighted = (inside[col] * inside["population"]).groupby(inside["step"]).sum() / pop
        np.testing.assert_allclose(weighted, ts[regional], **close, err_msg=col)
    # officers grow with the residents' natural increase: each week's, back from the last week's
    growth = 1.0 + m.world.natural_increase_weekly
    last_step = int(inside["step"].max())
    officers = np.array(
        [
            np.bincount(m.world.country, weights=m.terr.officers * growth ** float(k - last_step))
            for k in np.sort(inside["step"].unique())
        ]
    )[:, m.world.report_countries]
    share = inside["corrupt_police_share"].to_numpy().reshape(officers.shape)
    weighted = (share * officers).sum(1) / officers.sum(1)
    np.testing.assert_allclose(weighted, ts["corrupt_police_share"], **close)
    # every country, against the per-territory table (sampled weeks)
    terr = default_run.territories
    by_country = terr.groupby(["step", "country"])[["homicides", "flow", "seized", "population"]].sum()
    joined = cf.set_index(["step", "country"]).loc[by_country.index]
    for a, b in (("homicides", "homicides"), ("drug_flow_kg", "flow"), ("drug_seized_kg", "seized")):
        np.testing.assert_allclose(joined[a], by_country[b], **close, err_msg=a)


def test_summary_has_each_countrys_headline_years(default_run):
    s, cf = default_run.summary["countries"], default_run.countries
    assert set(s) == set(cf["country"]) and len(s) == 20
    slv = s["SLV"]
    assert set(slv) == {"final_year", "year_1", "totals"}  # a one-year run reaches year 1 only
    assert set(slv["year_1"]) == set(COUNTRY_HEADLINES)
    rows = cf[(cf["country"] == "SLV") & (cf["year"] >= 0) & (cf["year"] < 1)]
    assert slv["year_1"]["homicide_rate"] == pytest.approx(rows["homicide_rate"].mean(), rel=1e-12)
    assert slv["totals"]["homicides"] == pytest.approx(rows["homicides"].sum(), rel=1e-12)
    json.dumps(default_run.summary)  # plain floats
    assert country_aggregates(cf[cf["year"] < 0]) == {}


def test_recruits_by_territory_match_the_weekly_tally(small_run):
    m = small_run.model
    assert m.terr.recruits.sum() == pytest.approx(m.tally.recruits, rel=1e-12)
    assert (m.terr.recruits >= 0).all()


# ------------------------------------------------------------------ which countries a scenario targets


@pytest.mark.parametrize(
    "scenario, expected",
    [
        ("baseline", []),
        ("slv_exception_2022", ["SLV"]),  # a government's lever (scenario.governments.<label>.<lever>)
        ("[slv_exception_2022,hnd_military_police]", ["SLV", "HND"]),
        ("mano_dura_2022", ["region"]),  # the headline countries, left unexpanded
        ("border_hardening", None),  # everywhere
    ],
)
def test_scenario_countries_of_the_scenario_files(scenario, expected):
    assert scenario_countries(compose(f"scenario={scenario}")) == expected


def test_scenario_countries_reads_every_form_of_lever():
    old = {"scenario": {"name": "x", "mano_dura": {"enabled": True, "arrest_multiplier": 3.0}}}
    assert scenario_countries(old) is None  # a lever without countries acts everywhere
    variants = {
        "mano_dura": {
            "slv": {"enabled": True, "countries": ["SLV"]},
            "hnd": {"enabled": True, "countries": ["HND", "SLV"]},
            "gtm": {"enabled": False, "countries": ["GTM"]},
        },
        "truce": {"enabled": False, "countries": []},
    }
    assert scenario_countries({"scenario": variants}) == ["SLV", "HND"]
    assert scenario_countries(variants) == ["SLV", "HND"]  # the scenario node itself
    variants["truce"]["enabled"] = True
    assert scenario_countries(variants) is None
    assert scenario_countries({"scenario": {"prevention": {"enabled": True, "countries": "MEX"}}}) == ["MEX"]
    assert target_label(None) == "everywhere" and target_label([]) == "no policy lever"
    assert target_label(["SLV", "region"]) == "SLV, the headline countries (`region`)"


# ------------------------------------------------------------------ the comparison by country


def test_country_summary_pairs_by_seed_within_each_country():
    rows = []
    for seed in range(5):
        for iso, effect in (("SLV", -10.0), ("HND", 2.0)):
            level = 50.0 + 10 * seed
            for sc, value in (("baseline", level), ("policy", level + effect)):
                row = {"scenario": sc, "seed": seed, "country": iso, "year_index": 5}
                rows.append({**row, "homicide_rate": value, "trust": 0.3})
    table = summarise_countries(pd.DataFrame(rows), ["SLV", "HND"], years=(5,))
    assert list(table.columns) == ["country", *stats.COLUMNS]
    assert list(dict.fromkeys(table["country"])) == ["SLV", "HND"]
    pol = table[(table.scenario == "policy") & (table.outcome == "homicide_rate")].set_index("country")
    assert pol.loc["SLV", "diff_mean"] == -10.0 and pol.loc["SLV", "diff_lo"] == -10.0
    assert pol.loc["HND", "diff_mean"] == 2.0 and pol.loc["HND", "n_pairs"] == 5
    md = stats.markdown_table(table[table.country == "SLV"], 5, ["baseline", "policy"], outcomes=stats.COUNTRY_OUTCOMES)
    assert "| homicide rate (/100k/yr) | 70.0 [52.0, 88.0] | 60.0 [42.0, 78.0]<br>Δ **-10.0** [-10.0, -10.0] |" in md


def test_compare_refuses_an_unknown_country_in_one_line(tmp_path, capsys):
    from sim.analysis.compare import main

    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path / "out"), "--scenarios", "baseline", "--countries", "SLV,XYZ", "steps=10"])
    assert exc.value.code != 0
    assert "--countries: unknown country XYZ; allowed: COL" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # four runs of 156 weeks and 19 plots (~10 s)
def test_compare_by_country_writes_tables_plots_and_targets(tmp_path):
    """Without --countries, the country a scenario targets (here by an override) gets its tables."""
    from sim.analysis.compare import main

    main(
        [
            "--seeds=2",
            "--jobs=1",
            "--scenarios=baseline,mano_dura_2022",
            "--years=1,2",
            "--out",
            str(tmp_path),
            *SMALL,
            "scenario.mano_dura.countries=[C002]",
            "steps=104",
            "burn_in=52",
        ]
    )
    table = pd.read_csv(tmp_path / "countries_table.csv")
    assert set(table.country) == {"C002"} and set(table.outcome) == set(stats.COUNTRY_OUTCOMES)
    assert set(table.year) == {1, 2} and (table[table.scenario != "baseline"]["n_pairs"] == 2).all()
    slv = table[(table.scenario == "mano_dura_2022") & (table.outcome == "innocents_held") & (table.year == 2)]
    assert slv["diff_mean"].iloc[0] > 0  # the target country's prisons hold people swept up
    yearly = pd.read_csv(tmp_path / "countries_yearly.csv")
    assert len(yearly) == 2 * 2 * 3 and set(yearly.country) == {"C002"}
    md = (tmp_path / "countries_table.md").read_text()
    assert "## C002" in md and "### C002, year 2" in md and "innocents held" in md
    # the synthetic world has no regime: the CSV keeps its zeros, the tables leave out rows of zeros
    assert (table[table.outcome == "regime_revenue"]["mean"] == 0).all() and "regime revenue" not in md
    report = (tmp_path / "report.md").read_text()
    assert "(acts in: C002)" in report and "(acts in: no policy lever)" in report
    assert "## By country" in report and "the countries the scenarios target" in report
    assert "--countries" not in report.split("## Reproduce")[1]
    for outcome in COUNTRY_PLOTS:
        assert f"(country_{outcome}.png)" in report
        assert (tmp_path / f"country_{outcome}.png").stat().st_size > 10_000
