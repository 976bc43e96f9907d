"""Signatures of the state side: M3 capture cascade, M4 military policing, M5 trust loop,
M6 abuses, M12 tenure and rotation, M14 idle youth."""

from __future__ import annotations

import numpy as np
from conftest import SYNTHETIC_40, compose, run

from sim.model import CrimeModel
from sim.model.phases import community, corruption, enforcement

WORLD = ["world=synthetic", "world.n_territories=40", "burn_in=52"]
assert WORLD == SYNTHETIC_40  # the world of the shared baseline runs (conftest.synthetic_baseline)


def _post(res, col, start=0.0, end=99.0):
    ts = res.timeseries
    return ts[(ts["year"] >= start) & (ts["year"] < end)][col].mean()


def test_m3_cash_corrupts_police_first_then_courts_then_trust():
    """004 l.518: drug cash corrupts police, then courts, then public faith; impunity follows."""
    import sim

    # drug cash alone places the groups (no extortion value): the claim is about drug cash, and with
    # extortion_value 430 the groups spread toward residents and no court passed 0.05 here (0.014)
    offers = ("params.corruption.offer_rate=0.05", "params.violence.extortion_value=0")
    police, courts = [], []

    def record(m):  # after every week, by country: corrupt share of the officers, court capture
        c, n_c = m.world.country, len(m.world.countries)
        officers = np.bincount(c, weights=m.terr.officers, minlength=n_c)
        police.append(np.bincount(c, weights=m.terr.corrupt * m.terr.officers, minlength=n_c) / officers)
        courts.append(m.countries.court_capture.copy())

    # one run serves the week-by-week sequence and the rich side of the comparison below
    cfg = compose(*WORLD, "steps=520", *offers, "params.market.price_market=100000")
    rich = sim.run(cfg, keep_model=True, observers=(record,))
    m = rich.model
    police, courts = np.array(police), np.array(courts)
    assert len(police) == 52 + 520
    k = int(np.argmax(courts[-1]))  # the most captured country
    assert courts[-1, k] > 0.05
    police_week = np.argmax(police[:, k] > m.p.corruption.court_threshold)
    court_week = np.argmax(courts[:, k] > 0.05)
    assert police[police_week, k] > m.p.corruption.court_threshold and police_week < court_week
    # richer trade -> more corruption, more impunity and less trust than in a poor world
    poor = run(*WORLD, "steps=520", *offers, "params.market.price_market=6000", keep_model=True)
    for col in ("corrupt_police_share", "court_capture"):
        assert _post(rich, col, 5) > _post(poor, col, 5)
    assert rich.model.terr.impunity.mean() > poor.model.terr.impunity.mean()
    assert _post(rich, "community_trust", 5) < _post(poor, "community_trust", 5)


def test_m4_military_effect_decays_troops_corrupt_abuses_rise_few_convictions(synthetic_baseline):
    """004 l.522-532."""
    cfg = compose(*WORLD, "steps=400")
    m = CrimeModel(cfg)
    m.step()
    t = m.terr
    i = 0
    t.militarised[:] = 0.0
    cap0 = enforcement.capacity(m)[i]
    conv0 = enforcement.conviction_probability(m)[i]
    t.militarised[i], t.embed_weeks[i] = 1.0, 1.0
    cap_fresh = enforcement.capacity(m)[i]
    acc_fresh = corruption.acceptance(m, np.full(m.world.n, 5.0), np.full(m.world.n, 0.5))[i]
    conv_mil = enforcement.conviction_probability(m)[i]
    t.embed_weeks[i] = 300.0
    cap_late = enforcement.capacity(m)[i]
    acc_late = corruption.acceptance(m, np.full(m.world.n, 5.0), np.full(m.world.n, 0.5))[i]
    assert cap_fresh > 1.5 * cap0  # a fast boost ...
    assert cap_late < cap0 + 0.2 * (cap_fresh - cap0)  # ... that decays
    assert acc_late > 2 * acc_fresh  # embedded troops become corruptible
    assert conv_mil < 0.5 * conv0  # without investigations few convictions follow
    # model level: deploying troops everywhere raises abuses
    base, mil = _troop_runs(synthetic_baseline)
    assert np.mean([_post(r, "abuse", 0, 5) for r in mil]) > np.mean([_post(r, "abuse", 0, 5) for r in base])


TROOPS = [
    "scenario.mano_dura.enabled=true",
    "scenario.mano_dura.arrest_multiplier=1",
    "scenario.mano_dura.military_deployment=1.0",
    "scenario.mano_dura.pretrial_weeks=12",
    "scenario.mano_dura.release_share=0",
    "scenario.mano_dura.innocent_share=0",
]
_TROOP_RUNS: dict = {}


def _troop_runs(synthetic_baseline):
    """Baseline and troops-everywhere runs of seeds 0-2 (made once per test process)."""
    if not _TROOP_RUNS:
        _TROOP_RUNS["base"] = [synthetic_baseline(s) for s in range(3)]
        _TROOP_RUNS["mil"] = [run(*WORLD, "steps=260", f"seed={s}", *TROOPS) for s in range(3)]
    return _TROOP_RUNS["base"], _TROOP_RUNS["mil"]


def test_m4_troops_cut_homicides_in_year_one(synthetic_baseline):
    """004 l.522: visible troops cut violence fast. A fall of at least 2% in the first year (mean of
    seeds 0-2): the test asked only for any fall until 2026-12-03, and passed or failed by 0.01%.
    An expected failure from issue 14 to the refit of 2026-12-04, whose violence parameters (gangs
    kill more, pacts cut more) give the deterrence of fresh troops more to act on: 13.9 -> 13.1 per
    100k (-5.4%). After gang_attrition and its refit (2026-12-04): 12.8 -> 12.5 (-2.1%), just past
    the bar."""
    base, mil = _troop_runs(synthetic_baseline)
    h = lambda rs, a, b: np.mean([_post(r, "homicide_rate", a, b) for r in rs])  # noqa: E731
    assert h(mil, 0, 1) < 0.98 * h(base, 0, 1)


def test_m5_trust_reporting_impunity_has_two_stable_states():
    """004 l.542-554: low trust -> few tips -> few convictions -> lower trust, and vice versa."""
    finals = {}
    for start in (0.1, 0.9):
        # isolate the loop: no corruption, no trust lost to violence or abuse
        m = CrimeModel(
            compose(
                *WORLD,
                "steps=600",
                "params.corruption.offer_rate=0",
                "params.community.violence_weight=0",
                "params.community.abuse_weight=0",
            )
        )
        m.terr.trust[:] = start
        m.terr.tips[:] = start**m.p.community.tips_exponent
        for _ in range(600):
            m.step()
        finals[start] = m.terr.trust.copy()
    low, high = finals[0.1], finals[0.9]
    assert high.mean() - low.mean() > 0.3
    assert (high > low).mean() > 0.9


def test_m5_trust_target_is_s_shaped_in_impunity():
    m = CrimeModel(compose(*WORLD, "steps=10"))
    eff = np.linspace(0, 1, 11)
    zero = np.zeros_like(eff)
    tgt = community.trust_target(m, eff, zero, zero)
    floor = m.p.community.trust_floor
    assert np.all(np.diff(tgt) > 0) and tgt[0] < floor + 0.05 and tgt[-1] > 0.95
    assert np.diff(tgt).max() > 3 * np.diff(tgt).min()  # steep in the middle: S-shaped


def test_m6_abuses_feed_recruitment_and_cut_trust():
    """004 l.747-751."""
    runs = {}
    for mult in (1, 5):
        runs[mult] = [
            run(
                *WORLD,
                "steps=260",
                f"seed={s}",
                "scenario.mano_dura.enabled=true",
                "scenario.mano_dura.arrest_multiplier=3",
                "scenario.mano_dura.military_deployment=1.0",
                "scenario.mano_dura.innocent_share=0",
                f"scenario.mano_dura.abuse_multiplier={mult}",
            )
            for s in range(3)
        ]
    abuse = {k: np.mean([_post(r, "abuse", 1) for r in v]) for k, v in runs.items()}
    assert abuse[5] > 3 * abuse[1]
    rec = {k: np.mean([_post(r, "recruits", 1) for r in v]) for k, v in runs.items()}
    trust = {k: np.mean([_post(r, "community_trust", 1) for r in v]) for k, v in runs.items()}
    assert rec[5] > rec[1]
    assert trust[5] < trust[1]


def test_m12_local_long_tenure_police_are_more_corruptible_and_rotation_costs_trust(synthetic_baseline):
    """004 l.3338, l.522-524."""
    m = CrimeModel(compose(*WORLD, "steps=10"))
    n = m.world.n
    m.terr.militarised[:] = 0.0
    m.terr.local[:], m.terr.tenure[:] = 1.0, 15.0
    long_local = corruption.acceptance(m, np.full(n, 2.0), np.full(n, 0.3))
    m.terr.local[:], m.terr.tenure[:] = 0.1, 1.0
    rotated = corruption.acceptance(m, np.full(n, 2.0), np.full(n, 0.3))
    assert (long_local > rotated).all()
    rot = [
        "scenario.police_reform.enabled=true",
        "scenario.police_reform.vetting=0",
        "scenario.police_reform.pay_increase=0",
        "scenario.police_reform.oversight=0",
        "scenario.police_reform.investigative_boost=0",
        "scenario.police_reform.transition_dip=0",
        "scenario.police_reform.rotation=1.0",
    ]
    base = synthetic_baseline(0)  # run(*WORLD, "steps=260")
    rotation = run(*WORLD, "steps=260", *rot)
    assert _post(rotation, "corrupt_police_share", 2) < _post(base, "corrupt_police_share", 2)
    assert _post(rotation, "community_trust", 2) < _post(base, "community_trust", 2)


def test_m14_idle_youth_feed_recruitment_and_emigration():
    """004 l.326, l.1028-1045: NEET youth feed recruitment and emigration."""
    from omegaconf import OmegaConf

    import sim

    results = {}
    for neet in (0.1, 0.4):
        cfg = compose(*WORLD, "steps=104")
        m = CrimeModel(cfg)
        m.world.neet_share[:] = neet
        for _ in range(156):
            m.step()
        ts = m.datacollector.get_model_vars_dataframe()
        results[neet] = (ts["recruits"].iloc[52:].mean(), ts["emigration"].iloc[52:].mean())
    assert results[0.4][0] > 1.5 * results[0.1][0]
    assert results[0.4][1] > 1.2 * results[0.1][1]
    del OmegaConf, sim
