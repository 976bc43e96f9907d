"""Each scenario switches on its own lever and changes only what that lever should."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from conftest import compose
from sim import policies
from sim.model import CrimeModel

WORLD = ["world=synthetic", "world.n_territories=30", "burn_in=4", "steps=60"]
LEVER_OF = {"mano_dura": "mano_dura", "mano_dura_2003": "mano_dura", "mano_dura_2022": "mano_dura",
            "police_reform": "police_reform", "extradition": "extradition",
            "border_hardening": "border_hardening", "prevention": "prevention", "truce": "truce"}
# the Effects fields each lever may change
TOUCHES = {
    "mano_dura": {"gang_arrest_mult", "arrest_mult", "innocent_share", "military_target", "pretrial_weeks",
                  "evidentiary_bar", "release_share", "prison_capacity_mult", "abuse_mult"},
    "police_reform": {"vetting", "pay_mult", "oversight", "investigative_boost", "rotation", "capacity_mult"},
    "extradition": {"extradite", "targeting_mult", "extradition_return_weeks"},
    "border_hardening": {"seizure_mult", "migrant_control"},
    "prevention": {"prevention"},
    "truce": {"truce_cut"},
}


def _changed(fx, n):
    neutral = policies.Effects.neutral(n)
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


def test_baseline_has_no_lever():
    cfg = compose(*WORLD)
    assert not any(getattr(cfg.scenario, lv).enabled for lv in policies.LEVERS)
    m = _model_at_week("baseline", 10)
    assert _changed(policies.effects(m), m.world.n) == set()


@pytest.mark.parametrize("scenario", sorted(LEVER_OF))
def test_each_scenario_changes_only_its_levers(scenario):
    lever = LEVER_OF[scenario]
    cfg = compose(*WORLD, f"scenario={scenario}")
    assert [lv for lv in policies.LEVERS if getattr(cfg.scenario, lv).enabled] == [lever]
    before = _model_at_week(scenario, -1)  # last burn-in week: nothing active yet
    assert _changed(policies.effects(before), before.world.n) == set()
    m = _model_at_week(scenario, 2)
    changed = _changed(policies.effects(m), m.world.n)
    assert changed and changed <= TOUCHES[lever], changed


def test_border_hardening_raises_interdiction_only_at_crossings():
    m = _model_at_week("border_hardening", 1, "scenario.border_hardening.include_ports=false")
    fx = policies.effects(m)
    border = m.world.role("border")
    assert border.any() and (fx.seizure_mult[border] == 3.0).all() and (fx.seizure_mult[~border] == 1.0).all()


def test_mano_dura_variants_are_the_2003_and_2022_regimes():
    old = compose(*WORLD, "scenario=mano_dura_2003").scenario.mano_dura
    new = compose(*WORLD, "scenario=mano_dura_2022").scenario.mano_dura
    default = compose(*WORLD, "scenario=mano_dura").scenario
    assert default.name == "mano_dura" and default.mano_dura == old  # mano_dura = the 2003 regime
    assert old.release_share >= 0.5 and old.prison_capacity_multiplier == 1.0  # most released, no new prisons
    assert new.release_share == 0.0 and new.pretrial_weeks >= 104 and new.prison_capacity_multiplier > 1
    assert new.arrest_multiplier > old.arrest_multiplier


def test_scenarios_combine_by_composition():
    cfg = compose(*WORLD, "scenario=[mano_dura_2022,police_reform]")
    assert cfg.scenario.name == "mano_dura_2022+police_reform"
    assert cfg.scenario.mano_dura.enabled and cfg.scenario.police_reform.enabled
    assert cfg.scenario.mano_dura.arrest_multiplier == 20.0
    m = _model_at_week("[mano_dura_2022,police_reform]", 2)
    assert _changed(policies.effects(m), m.world.n) <= TOUCHES["mano_dura"] | TOUCHES["police_reform"]


def test_lever_timing_start_and_duration():
    m = CrimeModel(compose(*WORLD, "scenario=prevention", "scenario.prevention.start=5",
                           "scenario.prevention.duration=10"))
    active = []
    while m.week < 20:
        m.step()
        active.append((m.week, m.fx.prevention > 0))
    on = [w for w, a in active if a]
    assert on == list(range(5, 15))


def test_extradited_leaders_never_command_from_a_domestic_prison():
    from sim.agents import LEADER_EXTRADITED

    m = CrimeModel(compose("world=synthetic", "world.n_territories=30", "burn_in=0", "steps=300",
                           "scenario=extradition", "scenario.extradition.targeting_multiplier=10"))
    for _ in range(300):
        m.step()
        for o in m.organisations:
            assert o.leader != LEADER_EXTRADITED  # an extradited leader is replaced at once
    extraditions = [e for e in m.events if e["kind"] == "extradition"]
    assert extraditions
    for e in extraditions:  # each extradition opens a succession the same week: no command from prison
        same = {x["kind"] for x in m.events if x["step"] == e["step"] and x["actors"].startswith(e["actors"])}
        assert same & {"succession", "split", "succession_crisis"}, same
