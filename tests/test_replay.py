"""Replays (issue 19): a country's world inputs pinned to an episode's year, the criteria in
data/replays.csv, and their scoring (sim/analysis/replay.py)."""

import copy
import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigKeyError

from sim.analysis import replay
from sim.analysis.store import run_key
from sim.model.config import ConfigError, validate
from sim.model.model import CrimeModel
from sim.run import CONFIG_DIR, compose

#: The country episodes of the seeds (configs/scenario), each replayed.
EPISODES = {
    "slv_mano_dura_2003",
    "slv_gang_pact",
    "slv_exception_2022",
    "hnd_military_police",
    "col_extradition",
    "col_eradication",
    "mex_kingpin",
}


def _model(*overrides):
    return CrimeModel(compose(["progress=false", "output.write=false", *overrides]))


@pytest.fixture(scope="module")
def plain_and_pinned():
    """The default world's starting state, and the same seed with El Salvador pinned to 2002-03."""
    return _model(), _model("replay=slv_mano_dura_2003")


def test_overlay_pins_its_country_only(plain_and_pinned):
    plain, pinned = plain_and_pinned
    w = pinned.world
    slv = [c.iso for c in w.countries].index("SLV")
    in_slv = w.country == slv
    # the pinned inputs: the population-weighted observed rate and the sourced prison population
    assert np.average(w.base_homicide_rate[in_slv], weights=w.population[in_slv]) == pytest.approx(36.0)
    assert w.countries[slv].prisoners_per_100k == 160.0
    # ... reach the starting state: fear follows the observed rate, prisons hold the pinned inmates
    # in the pinned places, the gangs based there have the pinned members
    assert (pinned.terr.fear[in_slv] < plain.terr.fear[in_slv]).all()
    pop = w.population[in_slv].sum() / 1e5
    assert pinned.prisons.others[slv] == pytest.approx(160.0 * pop)
    assert pinned.prisons.others[slv] < plain.prisons.others[slv]
    assert pinned.prisons.capacity[slv] == pytest.approx(130.0 * pop)
    assert pinned.prisons.capacity[slv] < plain.prisons.capacity[slv]
    home = plain.orgs.country == slv
    assert pinned.orgs.presence[home].sum() == pytest.approx(10500)
    # ... and nothing else changes
    np.testing.assert_array_equal(pinned.terr.fear[~in_slv], plain.terr.fear[~in_slv])
    others = np.arange(len(w.countries)) != slv
    np.testing.assert_array_equal(pinned.prisons.others[others], plain.prisons.others[others])
    np.testing.assert_array_equal(pinned.prisons.capacity[others], plain.prisons.capacity[others])
    np.testing.assert_array_equal(pinned.orgs.presence[~home], plain.orgs.presence[~home])


def test_members_are_rescaled_in_the_groups_based_there(plain_and_pinned):
    plain = plain_and_pinned[0]
    pinned = _model("replay=slv_exception_2022", "replay.countries.SLV.members=15000")
    slv = [c.iso for c in plain.world.countries].index("SLV")
    home = plain.orgs.country == slv
    assert pinned.orgs.presence[home].sum() == pytest.approx(15000)
    assert pinned.orgs.presence[home].sum() < plain.orgs.presence[home].sum()  # the world's 20,000
    np.testing.assert_allclose(pinned.orgs.presence[~home], plain.orgs.presence[~home])


def test_a_pact_in_force_before_the_episode_cuts_gang_violence_until_week_0():
    """El Salvador's 2022 replay starts with the gangs' pact in force (003 l.245): during the burn-in
    the country's gang violence is cut by ``gang_pact`` (as the truce lever cuts it), nowhere else,
    and from week 0, when the episode begins, not at all."""
    with_pact = _model("replay=slv_exception_2022", "burn_in=4", "steps=2")
    without = _model("replay=slv_exception_2022", "replay.countries.SLV.gang_pact=null", "burn_in=4", "steps=2")
    slv = with_pact.world.country == [c.iso for c in with_pact.world.countries].index("SLV")
    assert with_pact.cfg.replay.countries.SLV.gang_pact == 0.5 and without.world.pact_before is None
    gang = {}
    for name, m in (("pact", with_pact), ("none", without)):
        cuts, killed = [], 0.0
        for _ in range(4):  # the burn-in
            m.step()
            cuts.append(m.fx.truce_cut.copy())
            killed += float(m.terr.homicides[slv].sum())
        gang[name] = killed
        if name == "pact":
            assert all(np.array_equal(c, np.where(slv, 0.5, 0.0)) for c in cuts)
        m.step()  # week 0: the episode begins and the pact is over
        assert m.week == 0 and not m.fx.truce_cut.any()
    assert gang["pact"] < 0.9 * gang["none"]


def test_replay_config_errors(plain_and_pinned):
    with pytest.raises((ConfigCompositionException, ConfigKeyError)):  # a typo in an input's name
        compose(["replay=hnd_military_police", "replay.countries.HND.homicde_rate=80"])
    with pytest.raises(ConfigCompositionException):  # no such replay
        compose(["replay=hnd_military_polic"])
    with pytest.raises(ConfigError, match=r"replay\.countries\.HND: unknown country"):  # not in this world
        compose(["replay=hnd_military_police", "world=synthetic"])
    cfg = copy.deepcopy(plain_and_pinned[1].cfg)
    cfg.replay.countries.SLV.homicide_rate = -1.0
    with pytest.raises(ConfigError, match="homicide_rate=-1"):
        validate(cfg)
    cfg.replay.countries.SLV.homicide_rate = 36.0
    cfg.replay.countries.SLV.gang_pact = 1.5
    with pytest.raises(ConfigError, match=r"gang_pact=1\.5"):
        validate(cfg)
    cfg.replay.countries.SLV.gang_pact = None
    cfg.replay.year = 0
    with pytest.raises(ConfigError, match="needs its year"):
        validate(cfg)


def test_run_key_is_unchanged_without_pins_and_keyed_with_them(plain_and_pinned):
    plain, pinned = (m.cfg for m in plain_and_pinned)
    assert run_key(pinned) != run_key(plain)
    named_only = copy.deepcopy(pinned)
    named_only.replay.countries = {}  # a replay that pins nothing (as col_eradication) computes the default world
    assert run_key(named_only) == run_key(plain)


def test_spec_parses_and_every_row_cites_its_source():
    spec = replay.load_spec()
    assert len(spec) >= 7
    cited = re.compile(r"\d{3} l\.\d+|data/\S+\.csv|external approx \(configs/replay/\S+\.yaml\)")
    for r in replay.criteria(spec):
        assert cited.search(r.source), r.id
    # the country episodes of the seeds each have a replay and criteria, among them their starting state
    assert set(spec["episode"]) == EPISODES == {p.stem for p in (CONFIG_DIR / "replay").glob("*.yaml")}
    starts = spec[spec["measure"] == "start"]
    assert set(starts["episode"]) == EPISODES - {"col_eradication"}  # it pins nothing (the world is of 2014)


def test_spec_rejects_a_row_without_direction_band_outcome_or_source(tmp_path):
    text = replay.SPEC.read_text().splitlines()
    header = [line for line in text if line.startswith("#") or line.startswith("id,")]
    for row, error in (
        ("x,hnd_military_police,HND,homicide_rate,before,year,1,1,,,,a claim,004 l.412,", "row x: needs a direction"),
        ("x,hnd_military_police,HND,homicide_rat,before,year,1,1,-,,,a claim,004 l.412,", "outcome homicide_rat is"),
        ("x,hnd_military_polic,HND,homicide_rate,before,year,1,1,-,,,a claim,004 l.412,", "no configs/scenario/"),
        ("x,hnd_military_police,HND,homicide_rate,before,year,1,1,-,,,a claim,,", "needs its claim and its source"),
    ):
        (tmp_path / "bad.csv").write_text("\n".join([*header, row]) + "\n")
        with pytest.raises(ValueError, match=error):
            replay.load_spec(tmp_path / "bad.csv")


def test_passes_reads_the_band_before_the_direction():
    r = replay.criteria(replay.load_spec().query("id == 'pmop_2013'"))[0]  # band [-22.2%, -2.2%], direction -
    assert replay.passes(-0.2, -0.1, r)
    assert not replay.passes(-0.25, -0.1, r)  # the CI leaves the band
    open_band = dataclasses.replace(r, low=float("nan"), high=float("nan"))
    assert replay.passes(-0.25, -0.1, open_band) and not replay.passes(-0.25, 0.01, open_band)
    assert replay.expected(r) == "[-22.2%, -2.2%]" and replay.expected(open_band) == "< 0"


@pytest.mark.slow
def test_a_small_replay_produces_scored_rows(tmp_path, monkeypatch):
    spec = replay.load_spec()
    spec = spec[spec["id"].isin(["pmop_start", "pmop_2013", "pmop_short_term"])]
    runs = replay.simulate(["hnd_military_police"], seeds=2, steps=52, jobs=1, progress=False)
    table = replay.score(spec, runs)
    assert list(table["id"]) == ["pmop_start", "pmop_2013", "pmop_short_term"]
    assert table["mean"].notna().all() and (table["ci_low"] <= table["ci_high"]).all()
    # the arms share the pinned state until the policy starts: year 0 is the same in both
    y = runs.yearly[(runs.yearly["country"] == "HND") & (runs.yearly["year_index"] == 0)]
    by_arm = y.set_index(["arm", "seed"])["homicide_rate"]
    np.testing.assert_allclose(by_arm["policy"], by_arm["baseline"])
    # the scored start is the pinned status quo's year 0; the before/after change is read from it
    start = table.set_index("id").loc["pmop_start"]
    assert start["mean"] == pytest.approx(by_arm["baseline"].mean())
    y1 = runs.yearly[(runs.yearly["country"] == "HND") & (runs.yearly["year_index"] == 1)]
    change = y1[y1["arm"] == "policy"].set_index("seed")["homicide_rate"] / by_arm["policy"] - 1
    assert table.set_index("id").loc["pmop_2013", "mean"] == pytest.approx(change.mean())
    # the validation report's section: every criterion, those of episodes not run failing as unmeasured
    monkeypatch.setattr(replay, "simulate", lambda *args, **kwargs: runs)
    text, ok = replay.validation_section(2, 1, 1, tmp_path)
    scored = pd.read_csv(tmp_path / "replays.csv")
    assert "## Replays" in text and "| pmop_start | HND |" in text and not ok
    assert len(scored) == len(replay.load_spec())
    assert scored.loc[scored["episode"] != "hnd_military_police", "measured"].str.startswith("could not measure").all()
