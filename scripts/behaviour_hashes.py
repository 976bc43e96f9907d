"""Fingerprints of what the model computes, to show that a refactor changed nothing.

Runs a fixed set of runs (the default world, seeds 0-2, and one run of each scenario and world)
and hashes each output table (``pandas.util.hash_pandas_object``: every value, bit for bit, and
the index). ``--write`` stores them in ``tests/data/behaviour_hashes.json`` with the platform and
library versions they were made with; ``--check`` (the default) recomputes and compares, printing
the tables that differ. ``tests/test_behaviour.py`` runs the check.

A change meant to alter behaviour rewrites the file in the same commit (``--write``), so the
commit history says which changes altered results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import sim

HASHES = ROOT / "tests" / "data" / "behaviour_hashes.json"
TABLES = ("timeseries", "territories", "events", "countries", "flows")
RUNS: tuple[tuple[str, ...], ...] = (
    ("seed=0",),
    ("seed=1",),
    ("seed=2",),
    ("seed=0", "scenario=mano_dura_2022"),
    ("seed=0", "scenario=mano_dura_2003"),
    ("seed=0", "scenario=extradition"),
    ("seed=0", "scenario=border_hardening"),
    ("seed=0", "scenario=police_reform"),
    ("seed=0", "scenario=truce"),
    ("seed=0", "scenario=prevention"),
    ("seed=0", "scenario=slv_exception_2022"),
    ("seed=0", "scenario=slv_exception_2022", "replay=slv_exception_2022"),
    ("seed=0", "world=mexico", "steps=104"),
    ("seed=0", "world=synthetic", "world.n_territories=100", "steps=104"),
)


def platform_key() -> dict[str, str]:
    """Where bit-identical results can be expected: same machine kind and numerical libraries."""
    return {
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version_tuple()[0] + "." + platform.python_version_tuple()[1],
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def table_hash(df: pd.DataFrame) -> str:
    return hashlib.sha256(
        pd.util.hash_pandas_object(df, index=True).values.tobytes() + ",".join(map(str, df.columns)).encode()
    ).hexdigest()


def compute(runs=RUNS) -> dict[str, str]:
    out = {}
    for overrides in runs:
        res = sim.run(sim.compose(list(overrides)))
        for name in TABLES:
            out[f"{' '.join(overrides)} / {name}"] = table_hash(getattr(res, name))
    return out


def check(stored: dict) -> list[str]:
    """Names of the tables whose hash differs from the stored one (empty: identical)."""
    now = compute()
    return sorted(k for k in set(now) | set(stored["hashes"]) if now.get(k) != stored["hashes"].get(k))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="store the current hashes")
    a = ap.parse_args(argv)
    if a.write:
        HASHES.parent.mkdir(parents=True, exist_ok=True)
        HASHES.write_text(json.dumps({"platform": platform_key(), "hashes": compute()}, indent=1) + "\n")
        print(f"wrote {HASHES.relative_to(ROOT)}")
        return 0
    stored = json.loads(HASHES.read_text())
    if stored["platform"] != platform_key():
        print(
            f"note: hashes were made on {stored['platform']}, this is {platform_key()}; last-bit differences"
            " are possible"
        )
    diff = check(stored)
    for k in diff:
        print(f"differs: {k}")
    print("identical" if not diff else f"{len(diff)} tables differ")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
