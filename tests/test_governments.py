"""Policies by government: a lever acts in the countries it names, and its effects stay there
(issue "Policies by government, outcomes by country"). Default world; each test checks one
lever's reach, so a lever that leaked into other countries (or ignored its own) would fail it."""

import numpy as np
import pytest

from sim import compose
from sim.model import CrimeModel, policies


def _model(*overrides, weeks=1):
    cfg = compose(list(overrides))
    m = CrimeModel(cfg)
    while m.week < weeks - 1:
        m.step()
    return m


def _codes(m):
    return np.array([c.iso for c in m.world.countries])


def _in(m, *isos):
    """(n,) bool: territories of these countries."""
    return np.isin(_codes(m), isos)[m.world.country]


def test_a_lever_acts_only_in_its_country():
    m = _model("scenario=slv_exception_2022")
    fx, slv = m.fx, _in(m, "SLV")
    assert (fx.gang_arrest_mult[slv] == 20.0).all() and (fx.gang_arrest_mult[~slv] == 1.0).all()
    assert (fx.military_target[slv] > 0).any() and (fx.military_target[~slv] == 0).all()
    assert (fx.evidentiary_bar[slv] == 0.0).all() and (fx.evidentiary_bar[~slv] == 1.0).all()
    codes = _codes(m)
    assert (fx.pretrial_weeks[codes == "SLV"] == 260.0).all()
    assert (fx.pretrial_weeks[codes != "SLV"] == m.p.prisons.pretrial_weeks).all()
    assert (fx.prison_capacity_mult[codes != "SLV"] == 1.0).all()


def test_two_governments_run_two_variants_of_one_lever():
    m = _model("scenario=[slv_exception_2022,hnd_military_police]")
    fx, codes = m.fx, _codes(m)
    slv, hnd = _in(m, "SLV"), _in(m, "HND")
    assert (fx.gang_arrest_mult[slv] == 20.0).all() and (fx.gang_arrest_mult[hnd] == 2.0).all()
    assert (fx.gang_arrest_mult[~(slv | hnd)] == 1.0).all()
    assert fx.pretrial_weeks[codes == "SLV"][0] == 260.0 and fx.pretrial_weeks[codes == "HND"][0] == 12.0
    assert fx.release_share[codes == "SLV"][0] == 0.0 and fx.innocent_share[codes == "HND"][0] == 0.0
    assert m.cfg.scenario.name == "slv_exception_2022+hnd_military_police"


@pytest.mark.slow
def test_innocents_and_troops_stay_in_the_country():
    m = _model("scenario=slv_exception_2022", weeks=26)
    codes = _codes(m)
    held = dict(zip(codes, m.prisons.innocents))
    assert held["SLV"] > 1000 and all(v == 0 for c, v in held.items() if c != "SLV")
    troops = m.terr.militarised > 0.01
    assert troops[_in(m, "SLV")].any() and not troops[~_in(m, "SLV")].any()


def test_police_reform_is_resisted_by_the_country_own_captured_politicians():
    m = _model("scenario=police_reform", "scenario.police_reform.countries=[HND,GTM]")
    hnd_c = int(np.flatnonzero(_codes(m) == "HND")[0])
    for p in m.offices.politicians:
        p.captured = p.country == hnd_c  # Honduras' politicians all captured, nobody else's
    fx = policies.effects(m)
    hnd, gtm = _in(m, "HND"), _in(m, "GTM")
    assert (fx.vetting[hnd] == 0).all() and (fx.investigative_boost[hnd] == 0).all()
    assert (fx.vetting[gtm] > 0).all() and (fx.investigative_boost[gtm] > 0).all()
    assert (fx.vetting[~(hnd | gtm)] == 0).all()


@pytest.mark.slow
def test_extradition_applies_only_where_the_law_allows():
    """Regional extradition: leaders are extradited from countries whose law allows it and never
    from Venezuela (000 l.267) or the countries whose constitutions bar it."""
    import sim

    res = sim.run(compose(["scenario=extradition", "seed=1"]), keep_model=True)
    m = res.model
    law = {c.iso: c.extradites for c in m.world.countries}
    ids = list(m.world.ids)
    country_of = {tid: m.world.countries[m.world.country[i]].iso for i, tid in enumerate(ids)}
    ev = res.events[(res.events.kind == "extradition") & (res.events.year >= 0)]
    assert len(ev) > 0
    assert all(law[country_of[t]] for t in ev.territory)
    assert "VEN" not in {country_of[t] for t in ev.territory}


def test_border_hardening_and_migrant_control_act_at_the_country_crossings():
    m = _model("scenario=border_hardening", "scenario.border_hardening.countries=[MEX]")
    fx, mex = m.fx, _in(m, "MEX")
    crossing = m.world.role("border") | m.world.role("port")
    assert (fx.seizure_mult[mex & crossing] == 3.0).all() and (fx.seizure_mult[~(mex & crossing)] == 1.0).all()
    assert (fx.migrant_control[mex & crossing] > 0).all() and (fx.migrant_control[~(mex & crossing)] == 0).all()


def test_a_truce_binds_that_country_gangs():
    m = _model("scenario=slv_gang_pact")
    slv = _in(m, "SLV")
    assert (m.fx.truce_cut[slv] == 0.5).all() and (m.fx.truce_cut[~slv] == 0).all()
    truce = [e for e in m.events if e["kind"] == "truce"]
    assert truce and truce[0]["actors"] == "gangs (SLV)"


def test_region_means_the_headline_countries_and_empty_means_everywhere():
    m = _model("scenario=mano_dura_2022")
    region = m.world.report_countries[m.world.country]
    assert (m.fx.gang_arrest_mult[region] == 20.0).all() and (m.fx.gang_arrest_mult[~region] == 1.0).all()
    m2 = _model("scenario=mano_dura_2022", "scenario.mano_dura.countries=[]")
    assert (m2.fx.gang_arrest_mult == 20.0).all()


def test_headline_prisons_cover_exactly_the_report_countries():
    """The US prison system (Puerto Rico is tagged USA) is not counted in Latin America."""
    from sim.model import metrics

    m = _model()
    codes = _codes(m)
    rep = m.world.report_countries
    assert set(codes[~rep]) == {"USA", "EUR", "WAF"}
    by_country = m.prisons.population(m)
    assert metrics.prison_population(m) == pytest.approx(float(by_country[rep].sum()), rel=1e-12)
    assert metrics.prison_population(m) < 0.5 * float(by_country.sum())  # the US system dominates the world total
    # headline territories are whole countries: Puerto Rico (USA) is out
    assert not m.world.report_mask[_in(m, "USA")].any()
