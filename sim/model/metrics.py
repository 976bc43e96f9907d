"""Phase 13: the metrics of the output contract (README "Outputs"; docs/ODD.md Appendix B).

``model_reporters`` feeds Mesa's DataCollector (one row per week: ``timeseries.parquet``);
``record_territories`` samples the per-territory table; ``summary`` computes the headline
aggregates of ``summary.json``. Rates are annualised (per 100,000 per year) over the territories
of the world's ``report_regions`` (all territories when it is empty).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.agents import Cartel, Gang, Militia
from sim.model.phases import trade

if TYPE_CHECKING:
    from sim.model.model import CrimeModel


def _mask(m: CrimeModel) -> np.ndarray:
    w = m.world
    return w.report_mask if w.report_mask is not None else np.ones(w.n, dtype=bool)


def _weighted(m: CrimeModel, values: np.ndarray, weights: np.ndarray) -> float:
    mask = _mask(m)
    wsum = float(weights[mask].sum())
    return float((values[mask] * weights[mask]).sum() / wsum) if wsum > 0 else 0.0


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
    inc = np.array([o.drug_income for o in m.orgs.agents])
    tot = inc.sum()
    return float(((inc / tot) ** 2).sum()) if tot > 0 else 0.0


def seizure_share(m: CrimeModel) -> float:
    tot = m.tally.seized_kg + m.tally.delivered_kg
    return m.tally.seized_kg / tot if tot > 0 else 0.0


def criminal_members(m: CrimeModel) -> float:
    """Members free, held pre-trial and sentenced, over all organisations."""
    free = m.orgs.members_by_row().tolist()  # = [o.members for o in m.orgs.agents]
    return float(sum(f + o.pretrial + o.sentenced for f, o in zip(free, m.orgs.agents)))


def _count(cls):
    return lambda m: len(m.agents_by_type.get(cls, []))


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
        "wholesale_price": lambda m: float(
            np.average(
                m.terr.price[m.world.consumption_kg > 0], weights=m.world.consumption_kg[m.world.consumption_kg > 0]
            )
        ),
        "route_territories": trade.footprint,
        "corrupt_police_share": lambda m: _weighted(m, t(m).corrupt, t(m).officers),
        "court_capture": lambda m: float(np.mean(m.countries.court_capture)),
        "captured_politicians_share": lambda m: m.offices.captured_share,
        "community_trust": lambda m: _weighted(m, t(m).trust, t(m).population),
        "extortion_rate": lambda m: _weighted(m, t(m).extortion, t(m).population),
        "emigration": lambda m: float(t(m).emigration[_mask(m)].sum()),
        "criminal_revenue": lambda m: float(sum(o.income for o in m.orgs.agents)),
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
    cols["controller"] = np.array([names.get(int(u), str(u)) for u in uid], dtype=object)
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


def regional_homicide_rates(terr: pd.DataFrame) -> dict:
    """Annual homicide rate per region over the post-burn-in period."""
    if terr.empty:
        return {}
    post = terr[terr["year"] >= 0]
    g = post.groupby(["region", "step"])[["homicides", "population"]].sum().groupby("region").mean()
    rate = g["homicides"] * 52.0 / (g["population"] / 1e5)
    return {k: float(v) for k, v in rate.items()}
