"""Replays (issue 19): a country's state pinned to an episode's year after the burn-in, the criteria in
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
from sim.model import replay as replay_state
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
    """The default world after a week of its burn-in, and the same model with El Salvador then pinned
    to 2002-03 (the state the replay's pin sets, before the pinned week runs)."""
    plain = _model("replay=slv_mano_dura_2003", "burn_in=3", "replay.settle_weeks=2")
    plain.step()
    pinned = copy.deepcopy(plain)
    replay_state.pin(pinned, pinned.cfg.replay)
    return plain, pinned


def test_pin_sets_its_country_only(plain_and_pinned):
    plain, pinned = plain_and_pinned
    w = pinned.world
    slv = [c.iso for c in w.countries].index("SLV")
    in_slv = w.country == slv
    # the observed rate the background reads, and the crackdown demand's reference
    assert np.average(w.base_homicide_rate[in_slv], weights=w.population[in_slv]) == pytest.approx(36.0)
    assert pinned.countries.fear0[slv] == 36.0
    # prisons hold the pinned inmates (members held included) in the pinned places
    pop = pinned.terr.population[in_slv].sum() / 1e5
    held = (pinned.orgs.pretrial + pinned.orgs.sentenced)[pinned.orgs.country == slv].sum()
    assert held > 0  # a week of arrests: the pin counts them among the inmates
    assert pinned.prisons.population(pinned)[slv] == pytest.approx(160.0 * pop)
    assert pinned.prisons.others_baseline[slv] == pinned.prisons.others[slv] < plain.prisons.others[slv]
    assert pinned.prisons.capacity[slv] == pytest.approx(130.0 * pop)
    assert pinned.prisons.capacity[slv] < plain.prisons.capacity[slv]
    # the groups based there have the pinned members, free and held
    home = plain.orgs.country == slv
    assert pinned.orgs.presence[home].sum() + held == pytest.approx(10500)
    # ... and nothing else changes
    np.testing.assert_array_equal(pinned.world.base_homicide_rate[~in_slv], plain.world.base_homicide_rate[~in_slv])
    others = np.arange(len(w.countries)) != slv
    np.testing.assert_array_equal(pinned.prisons.others[others], plain.prisons.others[others])
    np.testing.assert_array_equal(pinned.prisons.capacity[others], plain.prisons.capacity[others])
    np.testing.assert_array_equal(pinned.countries.fear0[others], plain.countries.fear0[others])
    np.testing.assert_array_equal(pinned.orgs.presence[~home], plain.orgs.presence[~home])
    np.testing.assert_array_equal(pinned.terr.officers, plain.terr.officers)  # this replay pins no police


def test_pin_sets_police_and_extradition():
    m = _model("replay=hnd_military_police", "burn_in=3", "replay.settle_weeks=2")
    m.step()
    hnd = [c.iso for c in m.world.countries].index("HND")
    sel = m.world.country == hnd
    cfg = m.cfg.replay.countries.HND
    cfg.police_per_100k, cfg.extradites = 111.0, not m.world.countries[hnd].extradites
    before = m.terr.officers.copy()
    replay_state.pin(m, m.cfg.replay)
    np.testing.assert_allclose(m.terr.officers[sel] / m.terr.population[sel] * 1e5, 111.0)
    np.testing.assert_array_equal(m.terr.officers[~sel], before[~sel])
    assert m.world.countries[hnd].extradites == cfg.extradites


def test_the_burn_in_runs_the_world_as_it_is_until_the_pin():
    """Before its pin a replay's run is the default world's, bit for bit; the pin comes at week
    ``-settle_weeks`` (the start of year 0), and from it the pinned country reads its year's rate."""
    plain = _model("burn_in=3")
    pinned = _model("replay=hnd_military_police", "burn_in=3", "replay.settle_weeks=2")
    hnd = pinned.world.country == [c.iso for c in pinned.world.countries].index("HND")
    plain.step(), pinned.step()  # week -3
    np.testing.assert_array_equal(pinned.terr.homicides, plain.terr.homicides)
    np.testing.assert_array_equal(pinned.world.base_homicide_rate, plain.world.base_homicide_rate)
    plain.step(), pinned.step()  # week -2: the pin
    assert pinned.week == -2
    assert np.average(pinned.world.base_homicide_rate[hnd], weights=pinned.world.population[hnd]) == pytest.approx(85.5)
    np.testing.assert_array_equal(pinned.world.base_homicide_rate[~hnd], plain.world.base_homicide_rate[~hnd])


def test_members_are_rescaled_in_the_groups_based_there(plain_and_pinned):
    plain = plain_and_pinned[0]
    pinned = copy.deepcopy(plain)
    pinned.cfg.replay.countries.SLV.members = 15000
    replay_state.pin(pinned, pinned.cfg.replay)
    slv = [c.iso for c in plain.world.countries].index("SLV")
    home = plain.orgs.country == slv
    held = (plain.orgs.pretrial + plain.orgs.sentenced)[home].sum()
    assert pinned.orgs.presence[home].sum() + held == pytest.approx(15000)
    assert pinned.orgs.presence[home].sum() < plain.orgs.presence[home].sum()  # the world's ~20,000 (not yet pinned)
    np.testing.assert_array_equal(pinned.orgs.presence[~home], plain.orgs.presence[~home])


def test_a_pact_in_force_before_the_episode_cuts_gang_violence_until_week_0():
    """El Salvador's 2022 replay starts with the gangs' pact in force (003 l.245): from the pin the
    country's gang violence is cut by ``gang_pact`` (as the truce lever cuts it), nowhere else, and
    from week 0, when the episode begins, not at all."""
    common = ("replay=slv_exception_2022", "burn_in=5", "replay.settle_weeks=3", "steps=2")
    with_pact = _model(*common)
    without = _model(*common, "replay.countries.SLV.gang_pact=null")
    slv = with_pact.world.country == [c.iso for c in with_pact.world.countries].index("SLV")
    assert with_pact.cfg.replay.countries.SLV.gang_pact == 0.5
    gang = {}
    for name, m in (("pact", with_pact), ("none", without)):
        cuts, killed = [], 0.0
        for _ in range(5):  # the burn-in: two weeks as the world is, three pinned
            m.step()
            cuts.append(m.fx.truce_cut.copy())
            killed += float(m.terr.gang_violence[slv].sum())
        gang[name] = killed
        assert not cuts[0].any() and not cuts[1].any()  # before the pin
        if name == "pact":
            assert all(np.array_equal(c, np.where(slv, 0.5, 0.0)) for c in cuts[2:])
        else:
            assert m.pinned.pact is None
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
    cfg.replay.settle_weeks = 4  # the burn-in is 3 weeks
    with pytest.raises(ConfigError, match=r"settle_weeks=4: must be 1 to the burn-in \(3 weeks\)"):
        validate(cfg)
    cfg.replay.settle_weeks = 2
    cfg.replay.year = 0
    with pytest.raises(ConfigError, match="needs its year"):
        validate(cfg)


def test_run_key_is_unchanged_without_pins_and_keyed_with_them():
    plain, pinned = compose(["burn_in=60"]), compose(["burn_in=60", "replay=slv_mano_dura_2003"])
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
