"""Each scenario switches on its own lever and changes only what that lever should."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from conftest import compose, run

from sim.model import CrimeModel, policies
from sim.model import config as schema

WORLD = ["world=synthetic", "world.n_territories=30", "burn_in=4", "steps=60"]
LEVER_OF = {
    "mano_dura": "mano_dura",
    "mano_dura_2003": "mano_dura",
    "mano_dura_2022": "mano_dura",
    "police_reform": "police_reform",
    "extradition": "extradition",
    "border_hardening": "border_hardening",
    "prevention": "prevention",
    "truce": "truce",
    "eradication": "eradication",
    "anti_laundering": "anti_laundering",
}
# the Effects fields each lever may change
TOUCHES = {
    "mano_dura": {
        "gang_arrest_mult",
        "arrest_mult",
        "innocent_share",
        "military_target",
        "pretrial_weeks",
        "evidentiary_bar",
        "release_share",
        "prison_capacity_mult",
        "abuse_mult",
    },
    "police_reform": {"vetting", "pay_mult", "oversight", "investigative_boost", "rotation", "capacity_mult"},
    "extradition": {"targeting_mult", "extradition_return_weeks"},
    "border_hardening": {"seizure_mult", "migrant_control"},
    "prevention": {"prevention"},
    "truce": {"truce_cut"},
    "eradication": {"eradication"},
    "anti_laundering": {"laundering_fee_mult", "laundering_risk", "takedowns"},
}


def _changed(fx, m):
    neutral = policies.Effects.neutral(m.world.n, len(m.world.countries), m.p.prisons.pretrial_weeks)
    out = set()
    for f in fields(fx):
        a, b = getattr(fx, f.name), getattr(neutral, f.name)
        if not np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)):
            out.add(f.name)
    return out


def _model_at_week(scenario, week, *extra):
    m = CrimeModel(compose(*WORLD, f"scenario={scenario}", *extra))
    while m.week < week:
        m.step()
    return m


def test_levers_leave_the_shared_neutral_record_as_it_was():
    """Every week's record starts from one neutral record whose arrays are shared and read-only
    (``Effects.neutral``): weeks of six levers acting leave it equal to a fresh one, and writing into
    it is an error."""
    m = _model_at_week("[mano_dura,police_reform,extradition,border_hardening,prevention,eradication]", 3)
    assert _changed(m.fx, m) >= {"pretrial_weeks", "seizure_mult", "eradication", "vetting"}  # the levers acted
    args = (m.world.n, len(m.world.countries), m.p.prisons.pretrial_weeks)
    shared, fresh = policies.Effects.neutral(*args), policies.Effects._make_neutral(*args)
    for f in fields(fresh):
        assert np.array_equal(np.asarray(getattr(shared, f.name)), np.asarray(getattr(fresh, f.name))), f.name
    with pytest.raises(ValueError, match="read-only"):
        shared.arrest_mult[0] = 2.0


def test_baseline_has_no_lever():
    cfg = compose(*WORLD)
    assert not any(getattr(cfg.scenario, lv).enabled for lv in policies.LEVERS)
    m = _model_at_week("baseline", 10)
    assert _changed(policies.effects(m), m) == set()


@pytest.mark.parametrize("scenario", sorted(LEVER_OF))
def test_each_scenario_changes_only_its_levers(scenario):
    lever = LEVER_OF[scenario]
    cfg = compose(*WORLD, f"scenario={scenario}")
    assert [lv for lv in policies.LEVERS if getattr(cfg.scenario, lv).enabled] == [lever]
    before = _model_at_week(scenario, -1)  # last burn-in week: nothing active yet
    assert _changed(policies.effects(before), before) == set()
    m = before  # the same run goes on to week 2 (= _model_at_week(scenario, 2))
    while m.week < 2:
        m.step()
    changed = _changed(policies.effects(m), m)
    assert changed and changed <= TOUCHES[lever], changed


def test_border_hardening_raises_interdiction_only_at_crossings():
    m = _model_at_week("border_hardening", 1, "scenario.border_hardening.include_ports=false")
    fx = policies.effects(m)
    border = m.world.role("border")
    assert border.any() and (fx.seizure_mult[border] == 3.0).all() and (fx.seizure_mult[~border] == 1.0).all()


def test_border_hardening_ports_and_chosen_targets():
    m = _model_at_week("border_hardening", 1)  # default: crossings and ports
    hard = m.world.role("border") | m.world.role("port")
    fx = policies.effects(m)
    assert m.world.role("port").any() and (fx.seizure_mult[hard] == 3.0).all() and (fx.seizure_mult[~hard] == 1).all()
    ids = m.world.ids
    chosen = [ids[0], ids[3]]
    m = _model_at_week(
        "border_hardening",
        1,
        f"scenario.border_hardening.targets=[{chosen[0]},{chosen[1]}]",
        "scenario.border_hardening.interdiction_multiplier=5",
    )
    fx = policies.effects(m)
    assert sorted(np.array(ids)[fx.seizure_mult != 1.0]) == sorted(chosen) and (fx.seizure_mult[[0, 3]] == 5).all()


def test_mano_dura_variants_are_the_2003_and_2022_regimes():
    old = compose(*WORLD, "scenario=mano_dura_2003").scenario.mano_dura
    new = compose(*WORLD, "scenario=mano_dura_2022").scenario.mano_dura
    default = compose(*WORLD, "scenario=mano_dura").scenario
    assert default.name == "mano_dura" and default.mano_dura == old  # mano_dura = the 2003 regime
    assert old.release_share >= 0.5 and old.prison_capacity_multiplier == 1.0  # most released, no new prisons
    assert new.release_share == 0.0 and new.pretrial_weeks >= 104 and new.prison_capacity_multiplier > 1
    assert new.arrest_multiplier > old.arrest_multiplier


def test_mano_dura_default_combines_with_another_lever():
    """mano_dura.yaml has its own defaults list (the 2003 file); it still composes with another file."""
    cfg = compose(*WORLD, "scenario=[mano_dura,police_reform]", "scenario.police_reform.vetting=0.6")
    assert cfg.scenario.name == "mano_dura+police_reform"
    assert cfg.scenario.mano_dura == compose(*WORLD, "scenario=mano_dura_2003").scenario.mano_dura
    assert cfg.scenario.police_reform.enabled and cfg.scenario.police_reform.vetting == 0.6
    assert not any(
        getattr(cfg.scenario, lv).enabled for lv in ("extradition", "border_hardening", "prevention", "truce")
    )


def test_scenarios_combine_by_composition():
    cfg = compose(*WORLD, "scenario=[mano_dura_2022,police_reform]")
    assert cfg.scenario.name == "mano_dura_2022+police_reform"
    assert cfg.scenario.mano_dura.enabled and cfg.scenario.police_reform.enabled
    assert cfg.scenario.mano_dura.arrest_multiplier == 20.0
    m = _model_at_week("[mano_dura_2022,police_reform]", 2)
    assert _changed(policies.effects(m), m) <= TOUCHES["mano_dura"] | TOUCHES["police_reform"]


def test_lever_timing_start_and_duration():
    m = CrimeModel(
        compose(*WORLD, "scenario=prevention", "scenario.prevention.start=5", "scenario.prevention.duration=10")
    )
    active = []
    while m.week < 20:
        m.step()
        active.append((m.week, bool((m.fx.prevention > 0).any())))
    on = [w for w, a in active if a]
    assert on == list(range(5, 15))


def test_extradited_leaders_never_command_from_a_domestic_prison():
    from sim.model.agents import Leader

    m = CrimeModel(
        compose(
            "world=synthetic",
            "world.n_territories=30",
            "burn_in=0",
            "steps=300",
            "scenario=extradition",
            "scenario.extradition.targeting_multiplier=10",
        )
    )
    for _ in range(300):
        m.step()
        for o in m.orgs.agents:
            assert o.leader != Leader.EXTRADITED  # an extradited leader is replaced at once
    extraditions = [e for e in m.events if e["kind"] == "extradition"]
    assert extraditions
    for e in extraditions:  # each extradition opens a succession the same week: no command from prison
        same = {x["kind"] for x in m.events if x["step"] == e["step"] and x["actors"].startswith(e["actors"])}
        assert same & {"succession", "split", "succession_crisis"}, same


SCENARIO_DIR = Path(__file__).resolve().parent.parent / "configs" / "scenario"


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_knob_is_documented_with_its_declared_range(path):
    """Each knob a scenario file sets has a comment; a knob with a declared range quotes that range.

    Where a lever acts (start, duration, targets, countries) is a choice of scenario, not a behavioural
    parameter, so it needs a comment but no source."""
    classes = {
        "mano_dura": schema.ManoDura,
        "police_reform": schema.PoliceReform,
        "extradition": schema.Extradition,
        "border_hardening": schema.BorderHardening,
        "prevention": schema.Prevention,
        "truce": schema.Truce,
        "eradication": schema.Eradication,
        "sanctions": schema.Sanctions,
        "anti_laundering": schema.AntiLaundering,
        "remove_facilitator": schema.RemoveFacilitator,
    }
    lever = None
    for line in path.read_text().splitlines():
        top = re.match(r"^(\w+):", line)
        if top:
            lever = top.group(1) if top.group(1) in classes else None
            continue
        knob = re.match(r"^\s+(\w+):\s*([^#]*?)\s*(#.*)?$", line)
        if lever is None or knob is None or knob.group(1) == "enabled":
            continue
        name, _value, comment = knob.groups()
        assert comment and len(comment) > 10, f"{path.name}: {lever}.{name} has no comment"
        meta = {f.name: f.metadata for f in fields(classes[lever])}[name]
        if "range" in meta:
            lo, hi = meta["range"]
            assert f"[{lo:g}, {hi:g}]" in comment, f"{path.name}: {lever}.{name} should quote [{lo:g}, {hi:g}]"
        if name not in (
            *("enabled", "start", "duration", "include_ports", "targets", "target_gangs", "countries"),
            *("facilitator_id", "kind"),  # which facilitator remove_facilitator names
        ):
            assert re.search(r"\d{3} l\.\d+|assumption|free parameter|external: ", comment), (
                f"{path.name}: {lever}.{name} names no source (seed line, external study, assumption or free parameter)"
            )


# --- each scenario changes what it should: the quantity its lever acts on moves the right way ----------

OUTCOME_WORLD = ["world=synthetic", "world.n_territories=30", "burn_in=20", "steps=104"]
OUTCOME_SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def outcome_runs():
    """Every scenario x 3 seeds, run once for the module (~8 s): the tests that read them are marked
    slow; the quick checks of each lever are the tests above."""
    scenarios = (
        "baseline",
        "mano_dura_2003",
        "mano_dura_2022",
        "police_reform",
        "extradition",
        "border_hardening",
        "prevention",
        "truce",
    )
    extra = {"truce": ["scenario.truce.weekly_break_prob=0"]}  # a truce that holds
    out = {}
    for sc in scenarios:
        for seed in OUTCOME_SEEDS:
            r = run(*OUTCOME_WORLD, f"seed={seed}", f"scenario={sc}", *extra.get(sc, []), keep_model=True)
            out[sc, seed] = r
    return out


def _post(outcome_runs, scenario, col, how="mean"):
    vals = []
    for seed in OUTCOME_SEEDS:
        ts = outcome_runs[scenario, seed].timeseries
        post = ts[ts["year"] >= 0][col]
        vals.append(post.sum() if how == "sum" else post.mean())
    return float(np.sum(vals) if how == "sum" else np.mean(vals))


@pytest.mark.slow
def test_mano_dura_fills_prisons_and_deploys_troops(outcome_runs):
    base = _post(outcome_runs, "baseline", "prison_population")
    old = _post(outcome_runs, "mano_dura_2003", "prison_population")
    new = _post(outcome_runs, "mano_dura_2022", "prison_population")
    assert base < old < new  # 2022: bigger prisons, nobody released
    assert _post(outcome_runs, "baseline", "military_share") == 0
    assert (
        0
        < _post(outcome_runs, "mano_dura_2003", "military_share")
        < _post(outcome_runs, "mano_dura_2022", "military_share")
    )
    # near-total incapacitation cuts organised violence (003 l.245)
    assert _post(outcome_runs, "mano_dura_2022", "organised_homicides", "sum") < 0.6 * _post(
        outcome_runs, "baseline", "organised_homicides", "sum"
    )


@pytest.mark.slow
def test_police_reform_cuts_corruption_without_troops(outcome_runs):
    assert _post(outcome_runs, "police_reform", "corrupt_police_share") < 0.8 * _post(
        outcome_runs, "baseline", "corrupt_police_share"
    )
    assert _post(outcome_runs, "police_reform", "military_share") == 0


@pytest.mark.slow
def test_prevention_cuts_recruitment(outcome_runs):
    assert _post(outcome_runs, "prevention", "recruits", "sum") < 0.95 * _post(
        outcome_runs, "baseline", "recruits", "sum"
    )
    # and nothing it does not touch: no troops, no change in the prison regime
    assert _post(outcome_runs, "prevention", "military_share") == 0


@pytest.mark.slow
def test_truce_cuts_organised_violence_while_it_holds(outcome_runs):
    assert _post(outcome_runs, "truce", "organised_homicides", "sum") < 0.9 * _post(
        outcome_runs, "baseline", "organised_homicides", "sum"
    )
    assert _post(outcome_runs, "truce", "arrests", "sum") == pytest.approx(
        _post(outcome_runs, "baseline", "arrests", "sum"), rel=0.1
    )


@pytest.mark.slow
def test_extradition_removes_more_leaders():
    """Twice the targeting removes more leaders than the baseline, summed over seeds 0-9 of the
    module's world (the three seeds of ``outcome_runs`` gave 6 removals against 5 after the
    gang_attrition refit of 2026-12-04: too few to compare; seeds 0-9 give 20 against 16), and some
    of them are extradited."""
    removals = {"baseline": 0.0, "extradition": 0.0}
    extradited = 0.0
    for seed in range(10):
        for sc in removals:
            ts = run(*OUTCOME_WORLD, f"seed={seed}", f"scenario={sc}").timeseries
            post = ts[ts["year"] >= 0]
            removals[sc] += post["leader_removals"].sum()
            extradited += post["extraditions"].sum() if sc == "extradition" else 0.0
    assert removals["extradition"] > removals["baseline"]
    assert extradited > 0


@pytest.mark.slow
def test_border_hardening_seizes_more_at_hardened_territories(outcome_runs):
    def seized_at_hardened(scenario):
        total = 0.0
        for seed in OUTCOME_SEEDS:
            r = outcome_runs[scenario, seed]
            w = r.model.world
            hard = set(np.array(w.ids)[w.role("border") | w.role("port")])
            terr = r.territories
            total += terr[(terr["year"] >= 0) & terr["territory"].isin(hard)]["seized"].sum()
        return total

    assert seized_at_hardened("border_hardening") > 1.2 * seized_at_hardened("baseline")
    assert _post(outcome_runs, "border_hardening", "military_share") == 0
