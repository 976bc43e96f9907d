"""Statistics for scenario comparisons: means with intervals across seeds, paired by seed.

Every number a comparison reports comes from here, so it can be tested on known inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Headline outcomes of a comparison, with their display names and formats.
OUTCOMES = {
    "homicide_rate": ("homicide rate (/100k/yr)", "{:.1f}"),
    "criminal_members": ("criminal members", "{:,.0f}"),
    "prison_population": ("prison population", "{:,.0f}"),
    "incarceration_rate": ("incarceration (/100k)", "{:.0f}"),
    "drug_delivered_kg": ("drug delivered (kg/wk)", "{:,.0f}"),
    "seizure_share": ("seizure share", "{:.3f}"),
    "active_groups": ("active groups", "{:.1f}"),
    "corrupt_police_share": ("corrupt police share", "{:.3f}"),
    "community_trust": ("community trust", "{:.3f}"),
    "emigration": ("emigration (/wk)", "{:,.0f}"),
    "criminal_revenue": ("criminal revenue (USD/wk)", "{:,.0f}"),
}


def interval(values, level: float = 0.9) -> tuple[float, float, float]:
    """Mean and central ``level`` interval (percentiles across seeds) of a sample."""
    v = np.asarray(values, dtype=float)
    lo, hi = np.percentile(v, [50 * (1 - level), 50 * (1 + level)])
    return float(v.mean()), float(lo), float(hi)


def yearly(ts: pd.DataFrame, outcomes=tuple(OUTCOMES)) -> pd.DataFrame:
    """Mean of each outcome over each simulated year (year 1 = weeks 0-51 after the burn-in)."""
    post = ts[ts["year"] >= 0].copy()
    post["year_index"] = (post["year"] // 1).astype(int) + 1
    return post.groupby("year_index")[list(outcomes)].mean()


def summarise(per_run: pd.DataFrame, years=(5, 10), baseline: str = "baseline", level: float = 0.9) -> pd.DataFrame:
    """Table of mean and interval per scenario, outcome and year, and the change against baseline.

    ``per_run`` has one row per (scenario, seed, year_index) with one column per outcome. The
    change against baseline is computed seed by seed (same seed, same world and shocks until the
    policy starts) and then summarised across seeds.
    """
    rows = []
    outcomes = [c for c in per_run.columns if c not in ("scenario", "seed", "year_index")]
    base = per_run[per_run["scenario"] == baseline].set_index(["seed", "year_index"])
    for (scenario, year), grp in per_run[per_run["year_index"].isin(years)].groupby(["scenario", "year_index"]):
        g = grp.set_index("seed")
        for outcome in outcomes:
            mean, lo, hi = interval(g[outcome], level)
            row = dict(scenario=scenario, year=int(year), outcome=outcome, mean=mean, lo=lo, hi=hi)
            if scenario != baseline and not base.empty:
                b = base.xs(year, level="year_index")[outcome]
                seeds = g.index.intersection(b.index)
                d = g.loc[seeds, outcome] - b.loc[seeds]
                row["diff_mean"], row["diff_lo"], row["diff_hi"] = interval(d, level)
                row["n_pairs"] = len(seeds)
            rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", "year", "outcome", "mean", "lo", "hi", "diff_mean", "diff_lo",
                                       "diff_hi", "n_pairs"])


def markdown_table(summary: pd.DataFrame, year: int, scenarios: list[str], baseline: str = "baseline") -> str:
    """One markdown table for one year: outcomes as rows, scenarios as columns."""
    s = summary[summary["year"] == year]
    if s.empty:
        return f"(no run reaches year {year})"
    head = "| outcome | " + " | ".join(scenarios) + " |"
    lines = [head, "|---|" + "---|" * len(scenarios)]
    for outcome, (label, fmt) in OUTCOMES.items():
        cells = []
        for sc in scenarios:
            r = s[(s["scenario"] == sc) & (s["outcome"] == outcome)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            cell = f"{fmt.format(r['mean'])} [{fmt.format(r['lo'])}, {fmt.format(r['hi'])}]"
            if sc != baseline and not pd.isna(r.get("diff_mean", np.nan)):
                cell += f"<br>Δ {fmt.format(r['diff_mean'])} [{fmt.format(r['diff_lo'])}, {fmt.format(r['diff_hi'])}]"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
