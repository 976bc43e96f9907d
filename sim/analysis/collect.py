"""Gather every finished run of a result store into one table (one row per run).

    python -m sim.collect results/store/mysweep -o results/mysweep.parquet
    python -m sim.collect results/store/mysweep -o runs.parquet --timeseries weeks.parquet
    python -m sim.collect results/store/mysweep --missing     # the planned runs not done yet

Columns of the run table: ``run`` (the folder, i.e. the run key), the swept parameters (as dotted
names such as ``scenario.name`` or ``params.violence.pax_factor``; ``seed`` and ``scenario.name``
always), then the headline aggregates of each run's ``summary.json`` (``year_1.homicide_rate``,
``final_year....``, ``totals....``) and ``run_seconds``. Rows are sorted by the swept parameters.
In a sweep's store (``python -m sim -m ... store=...``) the parameters come from its plan
(``.sweep/plans/``): the swept ones, then the ones the sweep fixed (e.g. ``steps``, ``world.name``);
elsewhere they are every config key whose value differs between the runs (from each run's
``config.yaml``). Folders of runs that have not finished (no ``done`` marker, or a file missing)
are counted and left out; ``--missing`` lists the planned runs that are not done. ``--timeseries``
also writes every run's weekly series in one long table, with ``run`` and the swept parameters as
leading columns (not for compact runs, which keep ``summary.json`` only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from sim.analysis.store import CONFIG, DONE, complete_runs, read_config, run_folders

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
    """scenario.name, the config columns that differ between runs (in the config's order), then seed."""
    cols = [
        c
        for c in configs.columns
        if c not in ALWAYS and not c.endswith(".description") and configs[c].astype(str).nunique(dropna=False) > 1
    ]
    return ["scenario.name", *cols, "seed"]


def _load(root: str | Path, planned: dict[str, dict] | None = None) -> tuple[list[Path], pd.DataFrame, pd.DataFrame]:
    """Complete runs, their parameters (from the plan when ``planned`` has them, else their
    ``config.yaml``), their headline outcomes."""
    folders = complete_runs(root)
    configs, heads = [], []
    for folder in folders:
        summary = json.loads((folder / "summary.json").read_text())
        if planned and folder.name in planned:
            configs.append({**planned[folder.name]["params"], **planned[folder.name]["constant"]})
        elif (folder / CONFIG).is_file():
            configs.append(_flatten(read_config(folder)))
        else:  # a compact run outside any plan
            configs.append(
                {
                    "scenario.name": summary.get("scenario"),
                    "world.name": summary.get("world"),
                    "seed": summary.get("seed"),
                }
            )
        head = _flatten(summary.get("headline", {}))
        try:
            head["run_seconds"] = json.loads((folder / DONE).read_text()).get("seconds")
        except (ValueError, AttributeError):
            head["run_seconds"] = None
        heads.append(head)
    return folders, pd.DataFrame(configs), pd.DataFrame(heads)


def collect(root: str | Path) -> pd.DataFrame:
    """One row per complete run of the store: run key, swept (then, from a plan, constant)
    parameters, headline outcomes. ``table.attrs``: ``swept`` and ``constant`` column names."""
    from sim.analysis.sweep import planned_runs

    planned = planned_runs(root)
    folders, conf, head = _load(root, planned)
    if not folders:
        return pd.DataFrame(columns=["run", *ALWAYS])
    if planned and all(f.name in planned for f in folders):  # a sweep's store: every parameter it set
        keys = [c for c in conf.columns if c != "seed" and (c in ALWAYS or conf[c].astype(str).nunique() > 1)]
        keys.append("seed")
        constant = [c for c in conf.columns if c not in keys]
    else:
        keys, constant = swept(conf), []
    table = pd.concat([pd.DataFrame({"run": [f.name for f in folders]}), conf[keys + constant], head], axis=1)
    table = table.sort_values([*keys, "run"], kind="stable").reset_index(drop=True)
    table.attrs["swept"] = keys
    table.attrs["constant"] = constant
    return table


def missing(root: str | Path) -> list[tuple[str, list[str]]]:
    """The planned runs of a sweep's store that are not complete: (key, overrides)."""
    from sim.analysis.store import is_complete
    from sim.analysis.sweep import planned_runs

    return [(k, r["overrides"]) for k, r in planned_runs(root).items() if not is_complete(Path(root) / k)]


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
        path = Path(root) / row["run"] / "timeseries.parquet"
        if not path.is_file():  # a compact run: summary.json only
            continue
        ts = pd.read_parquet(path)
        for k in reversed(keys):
            ts.insert(0, k, row[k])
        parts.append(ts)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keys)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Collect a result store into one Parquet table.")
    ap.add_argument("store", help="the store folder (the sweep's store=...)")
    ap.add_argument("-o", "--out", help="Parquet file to write (default <store>/collected.parquet)")
    ap.add_argument("--timeseries", metavar="PATH", help="also write every run's weekly series (long format)")
    ap.add_argument("--missing", action="store_true", help="list the planned runs that are not done, then stop")
    a = ap.parse_args(argv)
    if not Path(a.store).is_dir():
        raise SystemExit(f"error: {a.store}: no such store folder")
    if a.missing:
        todo = missing(a.store)
        for key, overrides in todo:
            print(key, " ".join(overrides))
        print(f"{len(todo)} planned runs not done", file=sys.stderr)
        return
    table = collect(a.store)
    out = Path(a.out) if a.out else Path(a.store) / "collected.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    unfinished = len(run_folders(a.store)) - len(table)
    todo = missing(a.store)
    print(
        f"{len(table)} runs ({unfinished} unfinished left out"
        + (f"; {len(todo)} planned runs not done, --missing lists them" if todo else "")
        + f"), parameters: {', '.join(parameters(table))}"
        + (f"; constant: {', '.join(table.attrs['constant'])}" if table.attrs.get("constant") else "")
        + f" -> {out}"
    )
    if a.timeseries:
        ts = collect_timeseries(a.store, table)
        Path(a.timeseries).parent.mkdir(parents=True, exist_ok=True)
        ts.to_parquet(a.timeseries, index=False)
        print(f"{len(ts)} run-weeks -> {a.timeseries}")


if __name__ == "__main__":  # pragma: no cover
    main()
