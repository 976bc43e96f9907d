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
    evaluate,
    load_targets,
    recorder_for,
    selection,
)
from sim.model import config
from sim.run import PROJECT_ROOT, compose, run

SEED_LINE = re.compile(r"\b00[0-4] l\.\d+")


def test_targets_table_is_sourced_and_readable():
    targets = load_targets()
    ids = [t.id for t in targets]
    assert len(ids) == len(set(ids)) >= 12
    for t in targets:
        assert SEED_LINE.search(t.source), f"{t.id}: source {t.source!r} names no seed line"
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
    ):
        assert needle in stats


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
    """One default-world run over the targets' window, with the recorder and the timeseries."""
    targets = load_targets()
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


def test_search_space_lies_inside_declared_ranges(tmp_path):
    space, _settings = calibrate.load_space()
    for key, (lo, hi, _) in space.items():
        dlo, dhi = calibrate.declared_range(key)
        assert dlo <= lo < hi <= dhi
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
