"""Statistics for scenario comparisons: means with intervals across seeds, paired by seed.

Every number a comparison reports comes from here, so it can be tested on known inputs.

Two kinds of interval, both at the same ``level`` (90% by default):

* the **spread** across seeds, :func:`interval`: the 5th and 95th percentiles of the per-seed
  values. It says where one run (one possible history) falls; it does not shrink with more seeds.
* the **confidence interval of the mean**, :func:`mean_ci`: Student's t over the seeds. It says
  how well the seeds pin down the mean; it shrinks like 1/sqrt(seeds). A paired change whose
  mean CI excludes zero is shown in bold in the markdown table.

Changes against the baseline are taken seed by seed: with the same seed, a scenario and the
baseline share the world and every random draw until the policies start (tested in
``tests/test_compare.py``), so the paired change removes the seed-to-seed variation they share.
"""

from __future__ import annotations

from typing import cast

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
    "criminal_revenue_kept": ("criminal revenue kept after laundering (USD/wk)", "{:,.0f}"),
    "laundered_usd": ("laundered (USD/wk)", "{:,.0f}"),
}

#: Per-country outcomes of a comparison (columns of ``countries.parquet``), display names and formats.
COUNTRY_OUTCOMES = {
    "homicide_rate": ("homicide rate (/100k/yr)", "{:.1f}"),
    "members": ("members of groups based there", "{:,.0f}"),
    "members_present": ("members present", "{:,.0f}"),
    "recruits": ("recruits (/wk)", "{:,.1f}"),
    "arrests": ("arrests (/wk)", "{:,.1f}"),
    "pretrial": ("pre-trial detainees", "{:,.0f}"),
    "prison_population": ("prison population", "{:,.0f}"),
    "incarceration_rate": ("incarceration (/100k)", "{:.0f}"),
    "innocents_held": ("innocents held", "{:,.0f}"),
    "military_share": ("military share", "{:.3f}"),
    "corrupt_police_share": ("corrupt police share", "{:.3f}"),
    "court_capture": ("court capture", "{:.3f}"),
    "captured_politicians_share": ("captured politicians share", "{:.3f}"),
    "trust": ("trust in the state", "{:.3f}"),
    "extortion_rate": ("extortion rate", "{:.3f}"),
    "emigration": ("emigration (/wk)", "{:,.0f}"),
    "drug_seized_kg": ("drug seized (kg/wk)", "{:,.0f}"),
    "active_groups_present": ("groups present", "{:.1f}"),
    "criminal_revenue_kept": ("revenue kept after laundering, groups based there (USD/wk)", "{:,.0f}"),
    "laundered_usd": ("laundered for groups based there (USD/wk)", "{:,.0f}"),
    "regime_revenue": ("regime revenue (USD/wk)", "{:,.0f}"),
    "regime_revenue_formal": ("regime revenue: formal (USD/wk)", "{:,.0f}"),
    "regime_revenue_drug_protection": ("regime revenue: drug protection (USD/wk)", "{:,.0f}"),
    "regime_revenue_drug_operations": ("regime revenue: drug operations (USD/wk)", "{:,.0f}"),
    "regime_revenue_gold": ("regime revenue: gold (USD/wk)", "{:,.0f}"),
    "regime_revenue_sanctions_evasion": ("regime revenue: sanctions evasion (USD/wk)", "{:,.0f}"),
    "gold_income_groups": ("groups' gold income, gold mined there (USD/wk)", "{:,.0f}"),
    "arms_bought_usd": ("arms bought by groups based there (USD/wk)", "{:,.0f}"),
    "arms_bought_units": ("arms bought by groups based there (units/wk)", "{:,.1f}"),
}

KEYS = ("scenario", "seed", "year_index")
COLUMNS = [
    "scenario",
    "year",
    "outcome",
    "n",
    "mean",
    "lo",
    "hi",
    "diff_mean",
    "diff_lo",
    "diff_hi",
    "diff_ci_lo",
    "diff_ci_hi",
    "n_pairs",
]


def interval(values, level: float = 0.9) -> tuple[float, float, float]:
    """Mean and central ``level`` interval (percentiles across seeds) of a sample."""
    mean, lo, hi = intervals(np.asarray(values, dtype=float)[None, :], level)
    return float(mean[0]), float(lo[0]), float(hi[0])


def mean_ci(values, level: float = 0.9) -> tuple[float, float]:
    """Two-sided ``level`` confidence interval of the mean (Student's t); NaN for fewer than 2 values."""
    lo, hi = mean_cis(np.asarray(values, dtype=float)[None, :], level)
    return float(lo[0]), float(hi[0])


def intervals(samples: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`interval` of each row of ``samples`` (a sample per row, all of one size), in one pass:
    arrays of means, lows and highs (each row reduced as a contiguous vector, so the numbers are
    those of :func:`interval` on the row, to the last bit)."""
    v = np.ascontiguousarray(samples, dtype=float)
    lo, hi = np.percentile(v, [50 * (1 - level), 50 * (1 + level)], axis=-1)
    return v.mean(axis=-1), lo, hi


def mean_cis(samples: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mean_ci` of each row of ``samples`` (a sample per row, all of one size): arrays of lows and highs."""
    from scipy.stats import t  # scipy comes with mesa

    v = np.ascontiguousarray(samples, dtype=float)
    n = v.shape[-1]
    if n < 2:
        nan = np.full(v.shape[:-1], np.nan)
        return nan, nan.copy()
    half = t.ppf(0.5 + level / 2, n - 1) * v.std(axis=-1, ddof=1) / np.sqrt(n)
    mean = v.mean(axis=-1)
    return mean - half, mean + half


def yearly(ts: pd.DataFrame, outcomes=tuple(OUTCOMES), pre_years: int = 0) -> pd.DataFrame:
    """Mean of each outcome over each simulated year.

    Year ``N`` (``year_index``) is the N-th year after the policies start: year 1 = weeks 0-51
    after the burn-in. ``pre_years`` adds that many burn-in years before it (year 0 = the last
    burn-in year, the pre-policy level).
    """
    post = ts[ts["year"] >= -pre_years].copy()
    post["year_index"] = np.floor(post["year"]).astype(int) + 1
    return post.groupby("year_index")[list(outcomes)].mean()


def summarise(per_run: pd.DataFrame, years=(5, 10), baseline: str = "baseline", level: float = 0.9) -> pd.DataFrame:
    """Table of mean and interval per scenario, outcome and year, and the change against baseline.

    ``per_run`` has one row per (scenario, seed, year_index) with one column per outcome. The
    change against baseline is computed seed by seed (same seed, same world and shocks until the
    policy starts) on the seeds both have, and then summarised across seeds: mean, ``level``
    spread (``diff_lo``, ``diff_hi``) and ``level`` confidence interval of the mean
    (``diff_ci_lo``, ``diff_ci_hi``).
    """
    rows = []
    outcomes = [c for c in per_run.columns if c not in KEYS]
    dup = per_run.duplicated(list(KEYS))
    if dup.any():
        raise ValueError(f"per_run has {int(dup.sum())} duplicate (scenario, seed, year_index) rows")
    sel = per_run[per_run["year_index"].isin(years)]
    values, seeds = sel[outcomes].to_numpy(dtype=float), sel["seed"].to_numpy()
    in_base = {  # (seed, year) -> the baseline's row in ``values``
        (seed, year): i
        for i, (sc, seed, year) in enumerate(zip(sel["scenario"], seeds, sel["year_index"]))
        if sc == baseline
    }
    # numpy on the rows of each (scenario, year), in their order: the numbers of pandas' per-group
    # selections to the last bit, in a fraction of the time
    groups = cast(dict[tuple[str, int], np.ndarray], sel.groupby(["scenario", "year_index"]).indices)
    for scenario, year in sorted(groups):  # the order of pandas' groupby
        idx = groups[scenario, year]
        g = values[idx]
        means, los, his = intervals(g.T, level)  # every outcome at once
        pairs = [(k, in_base[seed, year]) for k, seed in enumerate(seeds[idx]) if (seed, year) in in_base]
        diffs = None
        if scenario != baseline and pairs:
            mine, theirs = (list(p) for p in zip(*pairs))
            d = (g[mine] - values[theirs]).T
            diffs = (*intervals(d, level), *mean_cis(d, level))
        for k, outcome in enumerate(outcomes):
            row = {
                "scenario": scenario,
                "year": int(year),
                "outcome": outcome,
                "n": len(idx),
                "mean": float(means[k]),
                "lo": float(los[k]),
                "hi": float(his[k]),
            }
            if diffs is not None:
                for col, stat in zip(("diff_mean", "diff_lo", "diff_hi", "diff_ci_lo", "diff_ci_hi"), diffs):
                    row[col] = float(stat[k])
                row["n_pairs"] = len(pairs)
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def fmt_value(fmt: str, value: float, sign: bool = False) -> str:
    """``fmt.format(value)`` without a minus sign on a value that rounds to zero; ``sign`` adds '+'."""
    text = fmt.format(value)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]
    return "+" + text if sign and not text.startswith("-") and any(c in "123456789" for c in text) else text


def significant(row) -> bool:
    """Whether the confidence interval of the mean paired change excludes zero."""
    lo, hi = row.get("diff_ci_lo", np.nan), row.get("diff_ci_hi", np.nan)
    return bool(not pd.isna(lo) and not pd.isna(hi) and (lo > 0 or hi < 0))


def markdown_table(
    summary: pd.DataFrame,
    year: int,
    scenarios: list[str],
    baseline: str = "baseline",
    outcomes: dict[str, tuple[str, str]] | None = None,
) -> str:
    """One markdown table for one year: outcomes as rows (``outcomes``, default :data:`OUTCOMES`:
    name -> (label, format)), scenarios as columns.

    Cell: ``mean [lo, hi]`` across seeds; under it, for every scenario but the baseline,
    ``Δ mean [lo, hi]`` of the paired change, the mean in bold when its confidence interval
    excludes zero (unless it rounds to zero at the precision shown).
    """
    s = summary[summary["year"] == year]
    if s.empty:
        return f"(no run reaches year {year})"
    head = "| outcome | " + " | ".join(scenarios) + " |"
    lines = [head, "|---|" + "---|" * len(scenarios)]
    first: dict[tuple[str, str], dict] = {}  # the first row of each (scenario, outcome)
    for rec in s.to_dict("records"):
        first.setdefault((rec["scenario"], rec["outcome"]), rec)
    for outcome, (label, fmt) in (OUTCOMES if outcomes is None else outcomes).items():
        cells = []
        for sc in scenarios:
            r = first.get((sc, outcome))
            if r is None:
                cells.append("")
                continue
            cell = f"{fmt_value(fmt, r['mean'])} [{fmt_value(fmt, r['lo'])}, {fmt_value(fmt, r['hi'])}]"
            if sc != baseline and not pd.isna(r.get("diff_mean", np.nan)):
                d = fmt_value(fmt, r["diff_mean"], sign=True)
                if significant(r) and any(c in "123456789" for c in d):  # not a change below the precision shown
                    d = f"**{d}**"
                cell += f"<br>Δ {d} [{fmt_value(fmt, r['diff_lo'])}, {fmt_value(fmt, r['diff_hi'])}]"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def results_markdown(table: pd.DataFrame, header: list[str], cells, what: str) -> str:
    """A table of scored criteria (validation checks, replay criteria) as markdown: ``header``'s
    columns, then for each row of ``table`` the strings ``cells(row)`` and its result (``pass`` or a
    bold FAIL), and the count of passes ("N of M ``what`` pass.")."""
    lines = ["| " + " | ".join([*header, "result"]) + " |", "|" + "---|" * (len(header) + 1)]
    for r in table.itertuples():
        res = "pass" if r.result == "pass" else "**FAIL**"
        lines.append("| " + " | ".join([*cells(r), res]) + " |")
    n = int((table["result"] == "pass").sum())
    return "\n".join(lines) + f"\n\n{n} of {len(table)} {what} pass.\n"
