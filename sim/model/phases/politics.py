"""Phase 11: politics: illicit campaign finance, capture, elections, brokers, crackdown demand.

* Organisations give ``finance_rate`` of their weekly income to politicians where
  they operate (mayors of their plazas; legislators and the executive of their home country
  through brokers). A politician is captured when illicit money x (1 - integrity) passes
  ``capture_threshold`` (M13, 004 l.2668-2700, l.3334).
* Elections every ``election_every_years`` (per country, staggered): a candidate financed by crime
  wins with a logistic advantage in illicit money; a clean winner starts uncaptured.
* A few brokers per country (legislators) hold brokerage ties to many mayors: they link local
  crime to national power (004 l.3334). A captured broker's illicit money also reaches the
  executive: each week ``broker_passthrough / 52`` of it is added to the executive's, without
  being taken from the broker (it measures influence, not a ledger).
* Captured executives block extraditions (000 l.214) and captured politicians resist police
  reform (004 l.400; see ``policies._police_reform``).
* Public demand for a crackdown (004 l.384): enforcement pressure rises with the national homicide
  rate relative to its starting level.
"""

from __future__ import annotations

import numpy as np

from sim.model.agents import Militia


def draw_integrity(model) -> float:
    """Integrity of a new politician: Beta with mean ``integrity_mean`` (concentration 6)."""
    m = model.p.politics.integrity_mean
    return float(model.rng.beta(6.0 * m, 6.0 * (1.0 - m)))


def step(model) -> None:
    pp, t, w = model.p.politics, model.terr, model.world
    pols = model.politicians
    # illicit finance: each organisation funds the mayors of its plazas and its national brokers
    plazas = _plazas(model)
    add_many = model.ties.add_many
    for org, held, country in zip(model.organisations, plazas, model.org_country.tolist()):
        if isinstance(org, Militia) or org.revenue <= 0:
            continue
        budget = min(org.cash, org.revenue * pp.finance_rate)
        targets = [model.mayors[i] for i in held]
        targets += model.brokers_by_country.get(country, [])
        if not targets:
            continue
        each = budget / len(targets) / 1e6
        model.debit_org(org, budget)
        for pol in targets:
            pol.illicit_money += each
        add_many("finance", org.unique_id, [pol.unique_id for pol in targets], each)
    # captured brokers pass money up to the executive (local crime -> national power)
    for country, brokers in model.brokers_by_country.items():
        up = sum(pp.broker_passthrough * b.illicit_money for b in brokers if b.captured) / 52.0
        model.executives[country].illicit_money += up
    for pol in pols:
        pol.captured = pol.captured or pol.illicit_money * (1.0 - pol.integrity) > pp.capture_threshold
    _elections(model)
    # public demand for a crackdown, by country
    c = w.country
    n_c = len(w.countries)
    hom = np.bincount(c, weights=t.fear * t.population, minlength=n_c) / np.maximum(
        np.bincount(c, weights=t.population, minlength=n_c), 1.0
    )
    ratio = np.maximum(hom, 1e-6) / np.maximum(model.fear0, 1e-6)
    model.pressure = 1.0 + pp.crackdown_demand * np.maximum(0.0, np.log2(ratio))


def _plazas(model) -> list[list[int]]:
    """Per organisation row, the territories it controls (``Organisation.plazas``), ascending."""
    held: list[list[int]] = [[] for _ in model.organisations]
    rows = model.rows_of(model.terr.controller).tolist()
    for i, row in enumerate(rows):
        if row >= 0:
            held[row].append(i)
    return held


def _elections(model) -> None:
    pp, w = model.p.politics, model.world
    week = model.steps
    for ci, country in enumerate(w.countries):
        period = 52 * country.election_every_years
        if (week + 13 * ci) % period != 0 or week == 0:  # countries' election weeks staggered by a quarter
            continue
        pols = [p for p in model.politicians if p.country == ci]
        for pol in pols:
            money = pol.illicit_money
            p_funded = 1.0 / (1.0 + np.exp(-pp.money_vote_weight * np.log1p(money)))
            funded_wins = model.rng.random() < p_funded and money > 0
            pol.integrity = draw_integrity(model)
            pol.captured = funded_wins and money * (1.0 - pol.integrity) > 0.5 * pp.capture_threshold
            pol.illicit_money = money if funded_wins else 0.0
        model.event(
            "election", actors=[country.iso], territory=-1, captured=sum(p.captured for p in pols), seats=len(pols)
        )
        seats = {p.unique_id for p in pols}
        model.ties.remove_many("finance", [k for k in model.ties.edges("finance") if k[1] in seats])
