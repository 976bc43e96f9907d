"""Why: each scenario's change against the baseline, split by cause (the accounts of ``flows.parquet``).

Each run's accounts (:mod:`sim.model.accounts`) are summed over the policy years, per country and
over the headline countries (``region``, the run's ``report_countries``): homicides and money as a
yearly mean (per year of policy), the stocks (members, free members, pre-trial detainees,
prisoners) as their change from the start of the policies to the end of the run. A scenario and the
baseline with the same seed are identical until the policies start, so for a stock the paired
difference of the summed flows is exactly the difference between the two runs' stocks at the end,
cause by cause; for homicides and money, the difference of the yearly counts.

The paired differences are summarised across seeds with :mod:`sim.analysis.stats` (mean, spread,
confidence interval of the mean). :func:`write` puts into a comparison's report a table per headline
account (causes as rows, scenarios as columns, each in the place it acts), a waterfall plot per
headline account and one sentence per scenario naming the causes that carry most of the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures, stats
from sim.model.accounts import ACCOUNTS
from sim.model.config import REGION

#: Accounts with a table and a waterfall in the report: label, format, what the change is (the rest
#: are in the csv).
HEADLINES = {
    "homicides": ("homicides a year", "{:,.0f}", "homicides a year in the place, mean over the policy years"),
    "members": (
        "members",
        "{:,.0f}",
        "members (free, pre-trial, sentenced) of the groups based in the place, at the end of the run",
    ),
    "prisoners": ("prisoners", "{:,.0f}", "inmates of the place's prisons (members and non-members), at the end"),
    "money": (
        "groups' money (M USD a year)",
        "{:,.1f}",
        "the cash of the groups based in the place, M USD a year over the policy years: income, spending, transfers",
    ),
}
#: Accounts read per year of policy (the rest: change of the stock over the policy years).
PER_YEAR = ("homicides", "money")
SCALE = {"money": 1e-6}  # money in millions of USD in the report
COLUMNS = ["scenario", "place", "account", "cause", "base", "mean", "lo", "hi", "ci_lo", "ci_hi", "n_pairs"]


def run_totals(flows: pd.DataFrame, region: Sequence[str], weeks: int) -> pd.DataFrame:
    """One run's accounts over its policy years (``year >= 0``): a row per place (ISO code, and
    ``region`` = the sum over ``region``'s countries), account and cause (and ``total``), columns
    ``place, account, cause, value``. :data:`PER_YEAR` accounts are divided by the policy years
    (``weeks / 52``)."""
    post = flows[flows["year"] >= 0]
    by = post.groupby(["country", "account", "cause"], observed=True)["value"].sum()
    by.index = by.index.set_names("place", level="country")
    reg = by[by.index.get_level_values("place").isin(list(region))].groupby(level=["account", "cause"]).sum()
    reg = pd.concat({REGION: reg}, names=["place"])
    out = pd.concat([by, reg]).rename("value").reset_index()
    for col in ("place", "account", "cause"):
        out[col] = out[col].astype(str)
    per_year = out["account"].isin(PER_YEAR)
    out.loc[per_year, "value"] /= max(weeks, 1) / 52.0
    return out


def paired(totals: pd.DataFrame, baseline: str = "baseline", level: float = 0.9) -> pd.DataFrame:
    """Each scenario's change against ``baseline``, seed by seed, per place, account and cause:
    columns :data:`COLUMNS` (``base``: the baseline's mean; ``mean, lo, hi``: the paired change's mean
    and ``level`` spread; ``ci_lo, ci_hi``: the confidence interval of its mean). ``totals`` has
    columns ``scenario, seed, place, account, cause, value`` (:func:`run_totals` of every run); a
    cause missing from a run is 0."""
    keys = [(a, c) for a, causes in ACCOUNTS.items() for c in (*causes, "total")]
    wide = totals.pivot_table(
        index=["scenario", "seed", "place"], columns=["account", "cause"], values="value", aggfunc="sum"
    )
    wide = wide.reindex(columns=pd.MultiIndex.from_tuples(keys, names=["account", "cause"]), fill_value=0.0).fillna(0.0)
    base = wide.xs(baseline, level="scenario")
    rows = []
    for scenario in dict.fromkeys(wide.index.get_level_values("scenario")):
        if scenario == baseline:
            continue
        sc = wide.xs(scenario, level="scenario")
        both = sc.index.intersection(base.index)
        diff = sc.loc[both] - base.loc[both]
        for place, d in diff.groupby(level="place"):
            v = d.to_numpy(dtype=float).T  # a row per (account, cause), a column per seed
            b = np.ascontiguousarray(base.xs(place, level="place").to_numpy(dtype=float).T)  # rows summed as vectors
            columns = zip(b.mean(axis=-1), *stats.intervals(v, level), *stats.mean_cis(v, level))
            rows += [
                [scenario, place, account, cause, *map(float, values), len(d)]
                for (account, cause), values in zip(keys, columns)
            ]
    return pd.DataFrame(rows, columns=COLUMNS)


def places(targets: Mapping[str, list[str] | None], scenario: str) -> list[str]:
    """Where a scenario's change is read: the countries it targets by ISO code, else the region."""
    return [c for c in (targets.get(scenario) or []) if c != REGION] or [REGION]


def _fmt(account: str, value: float, sign: bool = True) -> str:
    return stats.fmt_value(
        HEADLINES[account][1] if account in HEADLINES else "{:,.1f}", value * SCALE.get(account, 1.0), sign=sign
    )


def sentence(table: pd.DataFrame, scenario: str, place: str, account: str = "homicides", share: float = 0.8) -> str:
    """One sentence naming the causes that carry most of a scenario's change in ``account`` at
    ``place``: the largest changes by size, until they make ``share`` of the sum of all the causes'
    sizes (at most four), each with its sign (a flow out of a stock, negative in the baseline, that
    rises in the scenario is "less of this outflow")."""
    rows = table[(table["scenario"] == scenario) & (table["place"] == place) & (table["account"] == account)]
    if rows.empty:
        return f"No {account} account for `{scenario}` in {place}."
    total = rows[rows["cause"] == "total"].iloc[0]
    causes = rows[rows["cause"] != "total"].assign(size=lambda f: f["mean"].abs()).sort_values("size", ascending=False)
    gross = causes["size"].sum()
    named: list[str] = []
    covered = 0.0
    for _, r in causes.iterrows():
        if r["size"] == 0 or (covered >= share * gross and named) or len(named) == 4:
            break
        outflow = " (less of this outflow)" if r["mean"] > 0 else " (more of this outflow)"
        named.append(
            f"{_fmt(account, r['mean'])} from {ACCOUNTS[account][r['cause']]}{outflow if r['base'] < 0 else ''}"
        )
        covered += r["size"]
    where = "the headline countries" if place == REGION else place
    unit = HEADLINES[account][0] if account in HEADLINES else account
    change = (
        f"{_fmt(account, total['mean'])} {unit} (90% CI of the mean {_fmt(account, total['ci_lo'], False)} to "
        f"{_fmt(account, total['ci_hi'], False)})"
    )
    if not named:
        return f"In {where}, `{scenario}`: {change}; no cause changes."
    return f"In {where}, `{scenario}`: {change}: " + "; ".join(named) + "."


def markdown(table: pd.DataFrame, columns: Sequence[tuple[str, str]], account: str) -> str:
    """A table of one account: causes as rows, ``columns`` (scenario, place) as columns; cell: mean
    change [spread], in bold when the confidence interval of the mean excludes zero."""
    head = "| cause | " + " | ".join(f"{sc} ({pl})" for sc, pl in columns) + " |"
    lines = [head, "|---|" + "---|" * len(columns)]
    first: dict[tuple[str, str, str], dict] = {}  # the first row of each (scenario, place, cause)
    for rec in table[table["account"] == account].to_dict("records"):
        first.setdefault((rec["scenario"], rec["place"], rec["cause"]), rec)
    for cause in (*ACCOUNTS[account], "total"):
        cells = []
        for sc, pl in columns:
            row = first.get((sc, pl, cause))
            if row is None:
                cells.append("")
                continue
            m = _fmt(account, row["mean"])
            if stats.significant({"diff_ci_lo": row["ci_lo"], "diff_ci_hi": row["ci_hi"]}) and any(
                ch in "123456789" for ch in m
            ):
                m = f"**{m}**"
            cells.append(f"{m} [{_fmt(account, row['lo'], False)}, {_fmt(account, row['hi'], False)}]")
        label = "**total**" if cause == "total" else cause
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def waterfall(table: pd.DataFrame, columns: Sequence[tuple[str, str]], account: str, path: Path) -> None:
    """A waterfall per (scenario, place): each cause's mean change as a step from the previous
    running sum (largest first, with the 90% confidence interval of its mean), then the total."""
    plt = figures.pyplot()
    ncol = min(3, len(columns))
    nrow = -(-len(columns) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.6 * nrow), squeeze=False)
    scale = SCALE.get(account, 1.0)
    for ax, (sc, pl) in zip(axes.ravel(), columns):
        rows = table[(table["scenario"] == sc) & (table["place"] == pl) & (table["account"] == account)]
        causes = rows[(rows["cause"] != "total") & (rows["mean"] != 0)]
        causes = causes.reindex(causes["mean"].abs().sort_values(ascending=False).index)
        x = len(causes)
        if x:  # every cause in one call of bar and one of errorbar (a call per cause: a fifth more time)
            m = causes["mean"].to_numpy(dtype=float) * scale
            start = np.concatenate(([0.0], np.cumsum(m)[:-1]))  # the running sum before each step
            ax.bar(range(x), m, bottom=start, color=np.where(m > 0, "tab:red", "tab:blue").tolist(), width=0.7)
            err = np.array(
                [m - causes["ci_lo"].to_numpy(dtype=float) * scale, causes["ci_hi"].to_numpy(dtype=float) * scale - m]
            )
            ax.errorbar(
                range(x), start + m, yerr=np.nan_to_num(np.abs(err)), fmt="none", color="0.3", lw=0.8, capsize=2
            )
        total = rows[rows["cause"] == "total"]
        if not total.empty:
            t = total.iloc[0]
            ax.bar(x, t["mean"] * scale, color="0.35", width=0.7)
            err = np.array([[t["mean"] - t["ci_lo"]], [t["ci_hi"] - t["mean"]]]) * scale
            ax.errorbar(x, t["mean"] * scale, yerr=np.nan_to_num(np.abs(err)), color="black", lw=0.8, capsize=2)
        ax.set_xticks(range(x + 1), [*causes["cause"], "total"], rotation=60, ha="right", fontsize=7)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"{sc} ({pl})", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.ravel()[len(columns) :]:
        ax.axis("off")
    fig.suptitle(f"{HEADLINES[account][0]}: change against the baseline by cause (mean, 90% CI of the mean)")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))  # room for the title
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(
    totals: pd.DataFrame,
    scenarios: Sequence[str],
    targets: Mapping[str, list[str] | None],
    out: Path,
    jobs: int = 1,
) -> list[str]:
    """Write ``decomposition.csv`` (every account, cause and place of :func:`paired`), ``why_runs.csv``
    (``totals``: every run's accounts, for any other statistic) and one ``why_<account>.png`` waterfall
    per :data:`HEADLINES` account into ``out``; return the report's "Why" section: a sentence per
    scenario and a table per headline account. ``jobs``: worker processes drawing the waterfalls
    (:func:`sim.analysis.figures.render`)."""
    baseline = scenarios[0]
    table = paired(totals, baseline)
    table.to_csv(out / "decomposition.csv", index=False)
    totals.to_csv(out / "why_runs.csv", index=False)
    columns = [(sc, pl) for sc in scenarios[1:] for pl in places(targets, sc)]
    lines = [
        "",
        "## Why: the changes by cause",
        "",
        "Each run's accounts (`flows.parquet`) over the policy years: homicides and money per year, the stocks",
        "(members, prisoners) as their change from the start of the policies to the end. The change against",
        f"`{baseline}` is taken seed by seed, cause by cause; for a stock it is the difference between the two",
        "runs' stocks at the end, split by the flows that made it. Each scenario is read where it acts (the",
        "country it targets, else the headline countries, `region`). Cells: mean change [5th, 95th percentile]",
        "across seeds, in **bold** when the 90% confidence interval of the mean excludes zero; a flow that lowers",
        "the stock is negative, so less spending shows as a positive change. Every account, cause and country:",
        "`decomposition.csv` (the causes of `sim/model/accounts.py`, docs/ODD.md).",
        "",
    ]
    lines += [f"- {sentence(table, sc, pl)}" for sc, pl in columns]
    figures.render(
        lambda account: waterfall(table, columns, account, out / f"why_{account}.png"), list(HEADLINES), jobs
    )
    for account, (label, _, meaning) in HEADLINES.items():
        name = f"why_{account}.png"
        lines += ["", f"### {label}", "", f"Change of {meaning}; [waterfall]({name}).", ""]
        lines += [markdown(table, columns, account)]
    return lines
