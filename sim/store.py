"""A result store for sweeps: one folder per run, named by a stable hash of what the run computes.

Many jobs (joblib workers, SLURM array tasks) may write into one store at once. A run writes its
contract files atomically (temporary file, then rename: ``sim.run.write_outputs``), then its
resolved config, and last a ``done`` marker; a run whose marker exists is skipped, so relaunching
a killed sweep finishes the missing runs without recomputing or duplicating the others.
``python -m sim.collect <store>`` gathers every finished run into one table.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

#: Config sections that determine what a run computes (not where or how it reports).
KEYED = ("seed", "steps", "burn_in", "world", "scenario", "params")
DONE = "done"


def run_key(cfg: DictConfig) -> str:
    """Stable hash of the parts of a resolved config that determine the results."""
    data = {k: OmegaConf.to_container(cfg[k], resolve=True) if OmegaConf.is_config(cfg[k]) else cfg[k]
            for k in KEYED}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_dir(root: str | Path, cfg: DictConfig) -> Path:
    return Path(root) / run_key(cfg)


def is_complete(folder: Path) -> bool:
    return (folder / DONE).exists()


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def run_into_store(cfg: DictConfig, root: str | Path):
    """Run ``cfg`` into its folder of the store unless it is complete. Returns (folder, ran)."""
    from .run import run

    folder = run_dir(root, cfg)
    if is_complete(folder):
        return folder, False
    folder.mkdir(parents=True, exist_ok=True)
    result = run(cfg, output_dir=folder)
    _write_text_atomic(folder / "config.yaml", OmegaConf.to_yaml({k: cfg[k] for k in KEYED}, resolve=True))
    _write_text_atomic(folder / DONE, json.dumps({"key": folder.name, "pid": os.getpid()}))
    return folder, result


def complete_runs(root: str | Path) -> list[Path]:
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and is_complete(p))
