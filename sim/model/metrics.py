"""Phase 13: the metrics of the output contract (README "Outputs"; docs/ODD.md Appendix B).

``model_reporters`` feeds Mesa's DataCollector (:class:`Collector`, one row per week: ``timeseries.parquet``);
``record_territories`` samples the per-territory table; ``summary`` computes the headline
aggregates of ``summary.json``. Rates are annualised (per 100,000 per year) over the territories
of the world's ``report_regions`` (all territories when it is empty).
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from mesa import DataCollector

from sim.model.agents import Cartel, Facilitator, Gang, Militia
from sim.model.phases import arms, cultivation, gold, regime, trade
from sim.model.state import running_sum

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def _mask(m: CrimeModel) -> np.ndarray:
    w = m.world
    return w.report_mask if w.report_mask is not None else np.ones(w.n, dtype=bool)


def _weighted(m: CrimeModel, values: np.ndarray, weights: np.ndarray) -> float:
    mask = _mask(m)
    w = weights[mask]
    wsum = float(w.sum())
    return float((values[mask] * w).sum() / wsum) if wsum > 0 else 0.0


def homicide_rate(m: CrimeModel) -> float:
    mask = _mask(m)
    return float(m.terr.homicides[mask].sum() * 52.0 / max(m.terr.population[mask].sum() / 1e5, 1e-9))


def _report_countries(m: CrimeModel) -> np.ndarray:
    """Countries with at least one reported territory."""
    return np.bincount(m.world.country, weights=_mask(m), minlength=len(m.world.countries)) > 0


def prison_population(m: CrimeModel) -> float:
    """Inmates in the reported countries."""
    return float(m.prisons.population(m)[_report_countries(m)].sum())


def incarceration_rate(m: CrimeModel) -> float:
    """Inmates per 100,000 residents of the reported countries."""
    in_report = _report_countries(m)[m.world.country]
    return prison_population(m) / max(m.terr.population[in_report].sum() / 1e5, 1e-9)


def hhi(m: CrimeModel) -> float:
    """Herfindahl index of drug income across organisations (0..1; 1 = one group takes all)."""
    inc = m.orgs.drug_income
    tot = inc.sum()
    return float(((inc / tot) ** 2).sum()) if tot > 0 else 0.0


def seizure_share(m: CrimeModel) -> float:
    tot = m.tally.seized_kg + m.tally.delivered_kg
    return m.tally.seized_kg / tot if tot > 0 else 0.0


def criminal_members(m: CrimeModel) -> float:
    """Members free, held pre-trial and sentenced, over all organisations."""
    orgs = m.orgs
    return running_sum(0.0, orgs.members_by_row() + orgs.pretrial + orgs.sentenced)


def laundering_top_share(m: CrimeModel) -> float:
    """Share of this week's laundered money carried by the launderer that carried the most (0 when none)."""
    v = list(m.laundering.by_launderer.values())
    tot = sum(v)
    return max(v) / tot if tot > 0 else 0.0


def firepower(m: CrimeModel) -> float:
    """Member-weighted mean firepower of the groups (1 in the status quo; sim/model/phases/arms.py)."""
    members = m.orgs.members_by_row()
    total = float(members.sum())
    return float((m.arms.of(m.orgs.uid) * members).sum() / total) if total > 0 else 1.0


def wholesale_price(m: CrimeModel) -> float:
    """Consumption-weighted mean wholesale price of the markets."""
    markets = m.world.consumption_kg > 0
    weights = m.world.consumption_kg[markets]
    return float((m.terr.price[markets] * weights).sum() / weights.sum())  # = np.average, without its checks


def _count(cls):
    return lambda m: len(m.agents_by_type.get(cls, []))


class Collector(DataCollector):
    """Mesa's DataCollector for the reporters of :func:`model_reporters`, which all return numbers:
    it keeps each number as it is (Mesa's ``collect`` deep-copies every value, in case a reporter
    returns something that changes later: a fifth of the collection's cost on the default world)."""

    def collect(self, model) -> None:
        self._collection_steps.append(model.time)
        for var, reporter in self.model_reporters.items():
            self.model_vars[var].append(reporter(model))


def model_reporters() -> dict:
    t = lambda m: m.terr  # noqa: E731
    return {
        "step": lambda m: m.steps,
        "year": lambda m: m.week / 52.0,
        "homicides": lambda m: float(m.terr.homicides[_mask(m)].sum()),
        "organised_homicides": lambda m: float(m.terr.organised_violence[_mask(m)].sum()),  # expected, from groups
        "homicide_rate": homicide_rate,
        "criminal_members": criminal_members,
        "recruits": lambda m: m.tally.recruits,
        "arrests": lambda m: m.tally.arrests,
        "prison_population": prison_population,
        "incarceration_rate": incarceration_rate,
        "active_groups": lambda m: len(m.orgs.agents),
        "cartels": _count(Cartel),
        "gangs": _count(Gang),
        "militias": _count(Militia),
        "hhi": hhi,
        "splits": lambda m: m.tally.splits,
        "leader_removals": lambda m: m.tally.removals,
        "extraditions": lambda m: m.tally.extraditions,
        "drug_produced_kg": lambda m: m.totals.produced_kg,
        "drug_shipped_kg": lambda m: m.tally.shipped_kg,
        "drug_delivered_kg": lambda m: m.tally.delivered_kg,
        "drug_seized_kg": lambda m: m.tally.seized_kg,
        "drug_in_transit_kg": trade.in_transit,
        "drug_stock_kg": lambda m: float(m.terr.stock.sum()),
        "seizure_share": seizure_share,
        "wholesale_price": wholesale_price,
        "route_territories": trade.footprint,
        "active_routes": lambda m: m.shippers.active_routes,
        "coca_area_ha": lambda m: float(m.coca.area.sum()),
        "corrupt_police_share": lambda m: _weighted(m, t(m).corrupt, t(m).officers),
        "court_capture": lambda m: float(np.mean(m.countries.court_capture)),
        "captured_politicians_share": lambda m: m.offices.captured_share,
        "community_trust": lambda m: _weighted(m, t(m).trust, t(m).population),
        "extortion_rate": lambda m: _weighted(m, t(m).extortion, t(m).population),
        "emigration": lambda m: float(t(m).emigration[_mask(m)].sum()),
        "criminal_revenue": lambda m: running_sum(0.0, m.orgs.income),
        "laundered_usd": lambda m: float(m.laundering.week[0].sum()),
        "laundering_fees_usd": lambda m: float(m.laundering.week[1].sum()),
        "laundering_confiscated_usd": lambda m: float(m.laundering.week[2].sum()),
        "unlaundered_lost_usd": lambda m: float(m.laundering.week[3].sum()),
        "launderers": lambda m: sum(f.kind == "launderer" for f in m.agents_by_type.get(Facilitator, [])),
        "laundering_top_share": laundering_top_share,
        "groups_hit_laundering": lambda m: len(m.laundering.hit),
        "criminal_revenue_kept": lambda m: running_sum(0.0, m.orgs.income) - float(m.laundering.week[1:].sum()),
        "arms_bought_usd": lambda m: float(m.arms.week[0].sum()),
        "arms_bought_units": lambda m: float(m.arms.week[1].sum()),
        "arms_stock_units": lambda m: float(m.arms.stock_of(m.orgs.uid).sum()),
        "criminal_firepower": firepower,
        "contested_territories": lambda m: int(t(m).contested.sum()),
        "military_share": lambda m: _weighted(m, t(m).militarised, t(m).officers),
        "abuse": lambda m: _weighted(m, t(m).abuse, t(m).population),
    }


TERRITORY_COLUMNS = ("homicides", "flow", "seized", "trust", "corrupt", "extortion", "militarised", "population")


def record_territories(m: CrimeModel) -> None:
    if m.steps % m.territory_every:
        return
    t = m.terr
    frame = {k: getattr(t, k).copy() for k in TERRITORY_COLUMNS}
    frame["controller"] = t.controller.copy()
    frame["contested"] = t.contested.copy()
    frame["step"] = m.steps
    m.territory_frames.append(frame)


def territories_frame(m: CrimeModel) -> pd.DataFrame:
    w = m.world
    if not m.territory_frames:
        return pd.DataFrame()
    n, k = w.n, len(m.territory_frames)
    cols = {
        "step": np.repeat([f["step"] for f in m.territory_frames], n),
        "territory": np.tile(np.array(w.ids, dtype=object), k),
        "country": np.tile(np.array([w.countries[c].iso for c in w.country], dtype=object), k),
        "region": np.tile(np.array(w.regions, dtype=object), k),
    }
    for c in (*TERRITORY_COLUMNS, "contested"):
        cols[c] = np.concatenate([f[c] for f in m.territory_frames])
    uid = np.concatenate([f["controller"] for f in m.territory_frames])
    names = {**m.orgs.names, -1: ""}
    uids, which = np.unique(uid, return_inverse=True)  # each controller's name looked up once
    cols["controller"] = np.array([names.get(int(u), str(u)) for u in uids], dtype=object)[which]
    df = pd.DataFrame(cols)
    df["year"] = (df["step"] - m.burn_in - 1) / 52.0
    df["homicide_rate"] = df["homicides"] * 52.0 / np.maximum(df["population"] / 1e5, 1e-9)
    return df


def events_frame(m: CrimeModel) -> pd.DataFrame:
    cols = ["step", "year", "kind", "actors", "territory"]
    df = pd.DataFrame(m.events)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("step", "year") else "object") for c in cols})
    return df


#: Columns of ``countries.parquet`` (one row per country and week, :func:`record_countries`) and their
#: meaning. Sums and shares cover all of a country's territories (not only ``report_regions``).
COUNTRY_COLUMNS = {
    "step": "Mesa step",
    "year": "as in the timeseries",
    "country": "ISO code",
    "population": "residents",
    "homicides": "homicides in the week",
    "homicide_rate": "homicides per 100k per year (annualised)",
    "organised_homicides": "expected homicides from combat and gangs in the week (terr.organised_violence)",
    "members_present": "free members of any group in the country's territories",
    "members": "members (free, pre-trial, sentenced) of the groups whose home is in the country",
    "recruits": "members recruited in the country's territories in the week",
    "arrests": "arrests in the week (members and non-members swept up)",
    "pretrial": "members of the groups based in the country held pre-trial",
    "prison_population": "inmates (members and non-members) in the country's prisons",
    "incarceration_rate": "inmates per 100k residents",
    "innocents_held": "non-members swept up by mass arrests, still held",
    "military_share": "officer-weighted share of militarised police units",
    "corrupt_police_share": "officer-weighted share of officers on a payroll",
    "court_capture": "0..1 share of the courts captured",
    "captured_politicians_share": "share of the country's politicians (mayors, executive, brokers) captured",
    "trust": "population-weighted trust in the state",
    "extortion_rate": "population-weighted share of residents paying extortion",
    "emigration": "emigrants in the week",
    "drug_flow_kg": "kg of cocaine passing through the country's territories in the week",
    "drug_seized_kg": "kg seized in the country's territories in the week",
    "active_groups_present": "groups with members in the country",
    "active_groups_home": "groups whose home is in the country",
    "coca_area_ha": "hectares of coca standing (sim/model/phases/cultivation.py)",
    "coca_production_kg": "kg of cocaine produced in the week",
    "eradicated_ha": "hectares of coca eradicated in the week",
    "laundered_usd": "USD the launderers carried in the week for the groups based in the country",
    "laundering_fees_usd": "USD those groups paid their launderers in the week",
    "laundering_confiscated_usd": "USD of those groups confiscated in the week (laundered money, launderers' pipelines)",
    "unlaundered_lost_usd": "USD those groups lost in the week moving income no launderer carried",
    "groups_hit_laundering": "groups based in the country that lost over 1% of the income they had to launder in the week",
    "criminal_revenue_kept": "income in the week of the groups based in the country, less their laundering fees and losses",
}

#: the illicit gold and regime columns (sim/model/phases/gold.py, regime.py)
COUNTRY_COLUMNS |= {**gold.COUNTRY_COLUMNS, **regime.COUNTRY_COLUMNS}
#: the groups' arms, by their home country (sim/model/phases/arms.py)
COUNTRY_COLUMNS |= arms.COUNTRY_COLUMNS


#: Territory quantities kept every week and summed by country at the end (:func:`countries_frame`).
_TERRITORY_QUANTITIES = (
    "population",
    "officers",
    "homicides",
    "organised_violence",
    "recruits",
    "arrests",
    "emigration",
    "flow",
    "seized",
    "militarised",
    "corrupt",
    "trust",
    "extortion",
)


def record_countries(m: CrimeModel) -> None:
    """Keep what this week's country rows need, as cheaply as possible (:func:`countries_frame` sums
    it by country for every week at once, at the end of the run): the territories' quantities, the
    groups' members by territory (the held entries of ``orgs.presence``), their detainees, the
    captured politicians' countries, and the prisons' and courts' per-country state."""
    t, orgs = m.terr, m.orgs
    r, c = orgs.held()  # read-only arrays, replaced (not written) when the entries change
    m.country_frames.append(
        {
            "step": m.steps,
            "territories": np.concatenate([getattr(t, k) for k in _TERRITORY_QUANTITIES]),
            "held": (r, c, orgs.presence[r, c]),
            "home": orgs.country.copy(),  # country of each group's home, by row
            "pretrial": orgs.pretrial.tolist(),
            "sentenced": orgs.sentenced.tolist(),
            "captured": m.offices.country[m.offices.captured > 0].tolist(),
            "countries": np.concatenate([m.prisons.others, m.prisons.innocents, m.countries.court_capture]),
            "coca": np.concatenate([m.coca.area, m.coca.production_kg(cultivation.growth(m)), m.coca.eradicated]),
            "gold_regime": np.concatenate([gold.country_values(m), regime.country_values(m)]),
            "arms": arms.country_values(m),
            # the week's money by the groups' home country (sim/model/phases/laundering.py) and their income
            "laundering": np.vstack(
                [
                    m.laundering.week,
                    m.laundering.hit_by_country,
                    np.bincount(orgs.country, weights=orgs.income, minlength=len(m.world.countries)),
                ]
            ),
        }
    )


def countries_frame(m: CrimeModel, start: int = 0) -> pd.DataFrame:
    """``countries.parquet``: one row per country and week, columns :data:`COUNTRY_COLUMNS`, from the
    weeks kept by :func:`record_countries` (from the ``start``-th on)."""
    frames, w = m.country_frames[start:], m.world
    n_c, k, n = len(w.countries), len(frames), w.n
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object" if c == "country" else "float64") for c in COUNTRY_COLUMNS})
    weeks = np.arange(k)

    def by_week_country(week: np.ndarray, country: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """(weeks, countries) sums of ``weights`` (counts without), entry by entry."""
        return np.bincount(week * n_c + country, weights=weights, minlength=k * n_c).reshape(k, n_c)

    # the territories' quantities, summed by country: (weeks, quantities, territories) @ (territories, countries)
    terr = np.stack([f["territories"] for f in frames]).reshape(k, len(_TERRITORY_QUANTITIES), n)
    q = dict(zip(_TERRITORY_QUANTITIES, terr.transpose(1, 0, 2)))
    onehot = np.zeros((n, n_c))
    onehot[np.arange(n), w.country] = 1.0
    s = {name: q[name] @ onehot for name in _TERRITORY_QUANTITIES[:9]}
    for name, weight in (("militarised", "officers"), ("corrupt", "officers"), ("trust", "population")):
        s[name] = (q[name] * q[weight]) @ onehot
    s["extortion"] = (q["extortion"] * q["population"]) @ onehot
    # the groups' free members, entry by entry: where they are, and by their group's home country
    n_held = np.array([len(f["held"][0]) for f in frames])
    week_e = np.repeat(weeks, n_held)
    r = np.concatenate([f["held"][0] for f in frames])
    v = np.concatenate([f["held"][2] for f in frames])
    where = w.country[np.concatenate([f["held"][1] for f in frames])]
    home_e = np.concatenate([f["home"][f["held"][0]] for f in frames])
    rows = max(int(r.max(initial=-1)) + 1, 1)
    there = np.zeros(k * rows * n_c, dtype=bool)  # (week, group, country): the group has members there
    there[((week_e * rows + r) * n_c + where)[v > 0]] = True
    present = there.reshape(k, rows, n_c).sum(1)
    # detainees, by their group's home country
    n_groups = np.array([len(f["home"]) for f in frames])
    week_g = np.repeat(weeks, n_groups)
    home_g = np.concatenate([f["home"] for f in frames])
    detained = np.fromiter(chain.from_iterable(f["pretrial"] for f in frames), float, count=len(home_g))
    sentenced = np.fromiter(chain.from_iterable(f["sentenced"] for f in frames), float, count=len(home_g))
    pretrial = by_week_country(week_g, home_g, detained)
    held = by_week_country(week_g, home_g, detained + sentenced)
    captured = [f["captured"] for f in frames]
    week_p = np.repeat(weeks, [len(x) for x in captured])
    n_pols = np.bincount([p.country for p in m.offices.politicians], minlength=n_c)  # offices are fixed
    others, innocents, courts = np.stack([f["countries"] for f in frames]).reshape(k, 3, n_c).transpose(1, 0, 2)
    inmates = others + held
    area, coca_kg, eradicated = (np.stack([f["coca"] for f in frames]).reshape(k, 3, n) @ onehot).transpose(1, 0, 2)
    laundered, fees, confiscated, unlaundered, hit, income = np.stack([f["laundering"] for f in frames]).transpose(
        1, 0, 2
    )
    per_100k = np.maximum(s["population"] / 1e5, 1e-9)
    officers, pop = np.maximum(s["officers"], 1e-9), np.maximum(s["population"], 1e-9)
    values = {
        "population": s["population"],
        "homicides": s["homicides"],
        "homicide_rate": s["homicides"] * 52.0 / per_100k,
        "organised_homicides": s["organised_violence"],
        "members_present": by_week_country(week_e, where, v),
        "members": by_week_country(week_e, home_e, v) + held,
        "recruits": s["recruits"],
        "arrests": s["arrests"],
        "pretrial": pretrial,
        "prison_population": inmates,
        "incarceration_rate": inmates / per_100k,
        "innocents_held": innocents,
        "military_share": s["militarised"] / officers,
        "corrupt_police_share": s["corrupt"] / officers,
        "court_capture": courts,
        "captured_politicians_share": by_week_country(week_p, np.fromiter(chain.from_iterable(captured), np.int64))
        / np.maximum(n_pols, 1),
        "trust": s["trust"] / pop,
        "extortion_rate": s["extortion"] / pop,
        "emigration": s["emigration"],
        "drug_flow_kg": s["flow"],
        "drug_seized_kg": s["seized"],
        "active_groups_present": present,
        "active_groups_home": by_week_country(week_g, home_g),
        "coca_area_ha": area,
        "coca_production_kg": coca_kg,
        "eradicated_ha": eradicated,
        "laundered_usd": laundered,
        "laundering_fees_usd": fees,
        "laundering_confiscated_usd": confiscated,
        "unlaundered_lost_usd": unlaundered,
        "groups_hit_laundering": hit,
        "criminal_revenue_kept": income - fees - confiscated - unlaundered,
    }
    gold_regime = np.stack([f["gold_regime"] for f in frames]).transpose(1, 0, 2)  # (columns, weeks, countries)
    values.update(zip([*gold.COUNTRY_COLUMNS, *regime.COUNTRY_COLUMNS], gold_regime))
    values.update(zip(arms.COUNTRY_COLUMNS, np.stack([f["arms"] for f in frames]).transpose(1, 0, 2)))
    steps = np.array([f["step"] for f in frames], dtype=np.int64)
    cols: dict[str, np.ndarray] = {
        "step": np.repeat(steps, n_c),
        "year": np.repeat((steps - m.burn_in - 1) / 52.0, n_c),
        "country": np.tile(np.array([c.iso for c in w.countries], dtype=object), k),
    }
    cols.update({name: values[name].ravel() for name in list(COUNTRY_COLUMNS)[3:]})
    return pd.DataFrame(cols)


HEADLINES = (
    "homicide_rate",
    "criminal_members",
    "prison_population",
    "incarceration_rate",
    "drug_delivered_kg",
    "seizure_share",
    "active_groups",
    "corrupt_police_share",
    "community_trust",
    "emigration",
    "criminal_revenue",
    "extortion_rate",
    "captured_politicians_share",
    "route_territories",
    "wholesale_price",
)


def summary_aggregates(ts: pd.DataFrame, burn_in: int) -> dict:
    """Mean over each reported year (post burn-in) of the headline series, plus totals."""
    post = ts[ts["year"] >= 0]
    out: dict = {}
    if post.empty:
        return out
    last = post[post["year"] >= post["year"].max() - 1.0]
    out["final_year"] = {k: float(last[k].mean()) for k in HEADLINES}
    out["mean"] = {k: float(post[k].mean()) for k in HEADLINES}
    for yr in (1, 5, 10):
        win = post[(post["year"] >= yr - 1) & (post["year"] < yr)]
        if len(win):
            out[f"year_{yr}"] = {k: float(win[k].mean()) for k in HEADLINES}
    out["totals"] = {
        "homicides": float(post["homicides"].sum()),
        "splits": int(post["splits"].sum()),
        "leader_removals": int(post["leader_removals"].sum()),
        "extraditions": int(post["extraditions"].sum()),
        "drug_delivered_kg": float(post["drug_delivered_kg"].sum()),
        "drug_seized_kg": float(post["drug_seized_kg"].sum()),
        "emigration": float(post["emigration"].sum()),
    }
    return out


#: Per-country headline outcomes of ``summary.json`` (columns of ``countries.parquet``).
COUNTRY_HEADLINES = (
    "homicide_rate",
    "members",
    "members_present",
    "recruits",
    "arrests",
    "pretrial",
    "prison_population",
    "incarceration_rate",
    "innocents_held",
    "military_share",
    "corrupt_police_share",
    "court_capture",
    "captured_politicians_share",
    "trust",
    "extortion_rate",
    "emigration",
    "drug_seized_kg",
    "active_groups_present",
)
COUNTRY_TOTALS = ("homicides", "recruits", "arrests", "emigration", "drug_flow_kg", "drug_seized_kg")


def country_aggregates(countries: pd.DataFrame) -> dict:
    """Per country (ISO code), as :func:`summary_aggregates`: the mean over the final year, years
    1, 5 and 10 (those the run reaches) of :data:`COUNTRY_HEADLINES`, and post-burn-in totals."""
    post = countries[countries["year"] >= 0]
    if post.empty:
        return {}
    codes, isos = pd.factorize(post["country"])
    year = post["year"].to_numpy()
    heads = post[list(COUNTRY_HEADLINES)].to_numpy(dtype=float)
    windows = {"final_year": year >= year.max() - 1.0}
    for yr in (1, 5, 10):
        windows[f"year_{yr}"] = (year >= yr - 1) & (year < yr)

    def by_country(values: np.ndarray, sel: np.ndarray) -> np.ndarray:  # (countries, columns) sums
        return np.stack([np.bincount(codes[sel], weights=col[sel], minlength=len(isos)) for col in values.T], 1)

    result: dict = {str(iso): {} for iso in isos}
    for key, sel in windows.items():
        n = np.bincount(codes[sel], minlength=len(isos))
        means = by_country(heads, sel) / np.maximum(n, 1)[:, None]
        for i, iso in enumerate(isos):
            if n[i]:
                result[str(iso)][key] = dict(zip(COUNTRY_HEADLINES, means[i].tolist()))
    totals = by_country(post[list(COUNTRY_TOTALS)].to_numpy(dtype=float), np.ones(len(post), dtype=bool))
    for i, iso in enumerate(isos):
        result[str(iso)]["totals"] = dict(zip(COUNTRY_TOTALS, totals[i].tolist()))
    return result


def regional_homicide_rates(terr: pd.DataFrame) -> dict:
    """Annual homicide rate per region over the post-burn-in period."""
    if terr.empty:
        return {}
    post = terr[terr["year"] >= 0]
    g = post.groupby(["region", "step"])[["homicides", "population"]].sum().groupby("region").mean()
    rate = g["homicides"] * 52.0 / (g["population"] / 1e5)
    return {k: float(v) for k, v in rate.items()}
