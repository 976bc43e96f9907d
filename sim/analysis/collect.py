"""Gather every finished run of a result store into one table (one row per run).

    python -m sim.collect results/store/mysweep -o results/mysweep.parquet
    python -m sim.collect results/store/mysweep -o runs.parquet --timeseries weeks.parquet

Columns of the run table: ``run`` (the folder, i.e. the run key), the swept parameters (every
config key whose value differs between the runs, as dotted names such as ``scenario.name`` or
``params.violence.pax_factor``; ``seed`` and ``scenario.name`` always), then the headline
aggregates of each run's ``summary.json`` (``year_1.homicide_rate``, ``final_year....``,
``totals....``) and ``run_seconds``. Rows are sorted by the swept parameters. Folders of runs that
have not finished (no ``done`` marker, or a file missing) are counted and left out.
``--timeseries`` also writes every run's weekly series in one long table, with ``run`` and the
swept parameters as leading columns.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from sim.analysis.store import DONE, complete_runs, read_config, run_folders

ALWAYS = ("seed", "scenario.name")


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):
            if any(isinstance(x, (dict, list)) for x in v):
                continue  # world structure (territories, corridors, ...): named by world.name
            out[key] = json.dumps(v)
        else:
            out[key] = v
    return out


def swept(configs: pd.DataFrame) -> list[str]:
    """The config columns that differ between runs (plus scenario.name), then seed."""
    cols = [
        c
        for c in configs.columns
        if c != "seed"
        and not c.endswith(".description")
        and (c in ALWAYS or configs[c].astype(str).nunique(dropna=False) > 1)
    ]
    return [*cols, "seed"]


def _load(root: str | Path) -> tuple[list[Path], pd.DataFrame, pd.DataFrame]:
    folders = complete_runs(root)
    configs, heads = [], []
    for folder in folders:
        configs.append(_flatten(read_config(folder)))
        summary = json.loads((folder / "summary.json").read_text())
        head = _flatten(summary.get("headline", {}))
        try:
            head["run_seconds"] = json.loads((folder / DONE).read_text()).get("seconds")
        except (ValueError, AttributeError):
            head["run_seconds"] = None
        heads.append(head)
    return folders, pd.DataFrame(configs), pd.DataFrame(heads)


def collect(root: str | Path) -> pd.DataFrame:
    """One row per complete run of the store: run key, swept parameters, headline outcomes."""
    folders, conf, head = _load(root)
    if not folders:
        return pd.DataFrame(columns=["run", *ALWAYS])
    keys = swept(conf)
    table = pd.concat([pd.DataFrame({"run": [f.name for f in folders]}), conf[keys], head], axis=1)
    table = table.sort_values([*keys, "run"], kind="stable").reset_index(drop=True)
    table.attrs["swept"] = keys
    return table


def parameters(table: pd.DataFrame) -> list[str]:
    """The swept-parameter columns of a collected table."""
    if "swept" in table.attrs:
        return list(table.attrs["swept"])
    outcome = ("mean.", "final_year.", "totals.", "year_", "run_seconds")
    return [c for c in table.columns if c != "run" and not c.startswith(outcome)]


def collect_timeseries(root: str | Path, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every complete run's weekly series in one long table: run, swept parameters, then the series."""
    table = collect(root) if table is None else table
    keys = ["run", *parameters(table)]
    parts = []
    for _, row in table[keys].iterrows():
        ts = pd.read_parquet(Path(root) / row["run"] / "timeseries.parquet")
        for k in reversed(keys):
            ts.insert(0, k, row[k])
        parts.append(ts)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keys)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Collect a result store into one Parquet table.")
    ap.add_argument("store", help="the store folder (the sweep's store=...)")
    ap.add_argument("-o", "--out", help="Parquet file to write (default <store>/collected.parquet)")
    ap.add_argument("--timeseries", metavar="PATH", help="also write every run's weekly series (long format)")
    a = ap.parse_args(argv)
    if not Path(a.store).is_dir():
        raise SystemExit(f"error: {a.store}: no such store folder")
    table = collect(a.store)
    out = Path(a.out) if a.out else Path(a.store) / "collected.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    unfinished = len(run_folders(a.store)) - len(table)
    print(f"{len(table)} runs ({unfinished} unfinished left out), parameters: {', '.join(parameters(table))} -> {out}")
    if a.timeseries:
        ts = collect_timeseries(a.store, table)
        Path(a.timeseries).parent.mkdir(parents=True, exist_ok=True)
        ts.to_parquet(a.timeseries, index=False)
        print(f"{len(ts)} run-weeks -> {a.timeseries}")


if __name__ == "__main__":  # pragma: no cover
    main()
