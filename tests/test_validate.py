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


def test_every_check_is_named_sourced_and_has_a_criterion():
    ids = [c.id for c in validate.CHECKS]
    assert len(ids) == len(set(ids)) >= 20
    for c in validate.CHECKS:
        assert SEED_LINE.search(c.source), f"{c.id}: no seed line in {c.source!r}"
        assert c.criterion and c.claim
    tested = " ".join(c.tests for c in validate.CHECKS)
    assert len(set(re.findall(r"M\d+", tested))) >= 14  # most mechanisms have a check


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


def test_truce_check_passes_on_a_fragile_truce_and_fails_on_none_or_a_lasting_one():
    check = next(c for c in validate.CHECKS if c.id == "truce_fragile")
    fragile = validate.Data(_per_run({"truce": {1: -3.0, 2: -1.0}}), pd.DataFrame())
    none = validate.Data(_per_run({"truce": {}}), pd.DataFrame())
    lasting = validate.Data(_per_run({"truce": {y: -3.0 for y in range(1, 11)}}), pd.DataFrame())
    assert check.measure(fragile)[0] is True
    assert check.measure(none)[0] is False
    assert check.measure(lasting)[0] is False


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


def test_declared_ranges_are_accepted_by_the_config_at_both_ends():
    params = config.declared_ranges()
    assert len(params) > 100
    for end in (0, 1):  # every parameter at its low end in one config, then at its high end
        compose([f"params.{k}={v[end]!r}" for k, v in params.items()])


def test_a_morris_screen_has_one_run_per_design_point_and_a_row_per_outcome_and_parameter():
    """The quick check of sensitivity.screen (one process, a tiny design); the test below screens for real."""
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
