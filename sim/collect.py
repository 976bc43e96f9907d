"""Gather every finished run of a result store into one table (one row per run).

    python -m sim.collect results/store/mysweep -o results/mysweep.parquet

Columns: ``run`` (the folder), the config keys that differ between runs (the swept parameters,
dotted names such as ``scenario.name`` or ``params.violence.pax_factor``), ``seed``, and the
headline aggregates of each run's summary (``year_5.homicide_rate``, ``final_year...``, totals).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import yaml

from .store import complete_runs


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v, sort_keys=True)
        else:
            out[key] = v
    return out


def collect(root: str | Path) -> pd.DataFrame:
    rows, configs = [], []
    for folder in complete_runs(root):
        cfg = yaml.safe_load((folder / "config.yaml").read_text())
        summary = json.loads((folder / "summary.json").read_text())
        configs.append(_flatten(cfg))
        head = _flatten(summary.get("headline", {}))
        rows.append({"run": folder.name, **head})
    if not rows:
        return pd.DataFrame(columns=["run"])
    conf = pd.DataFrame(configs)
    varying = [c for c in conf.columns if conf[c].astype(str).nunique() > 1 or c in ("seed", "scenario.name")]
    return pd.concat([pd.DataFrame(rows)[["run"]], conf[varying], pd.DataFrame(rows).drop(columns="run")], axis=1)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Collect a result store into one Parquet table.")
    ap.add_argument("store", help="the store folder (the sweep's store=...)")
    ap.add_argument("-o", "--out", help="Parquet file to write (default <store>/collected.parquet)")
    a = ap.parse_args(argv)
    if not Path(a.store).is_dir():
        raise SystemExit(f"error: {a.store}: no such store folder")
    table = collect(a.store)
    out = Path(a.out) if a.out else Path(a.store) / "collected.parquet"
    table.to_parquet(out, index=False)
    print(f"{len(table)} runs, {table.shape[1]} columns -> {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
