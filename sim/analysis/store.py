"""A result store for sweeps: one folder per run, named by a stable hash of what the run computes.

Many jobs (joblib workers, SLURM array tasks) may write into one store at once. A run writes its
four contract files atomically (temporary file in the same folder, then rename:
``sim.run.write_outputs``), then its resolved config, and last a ``done`` marker. A run is
complete when the marker and every file exist; a complete run is skipped, so relaunching a killed
sweep finishes the missing runs without recomputing or duplicating the others. Two jobs that
happen to compute the same run at once write identical files (same config, same seed), and each
rename replaces a whole file, so the folder never holds a mix of half-written files.
``python -m sim.collect <store>`` gathers every complete run into one table.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf

# libyaml's C emitter and parser when present (10x faster on the default world's config)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Config sections that determine what a run computes (not where or whether it reports, nor
#: the progress bar), plus the one output knob that changes a file's content.
KEYED = ("seed", "steps", "burn_in", "world", "scenario", "params")
KEYED_OUTPUT = ("territory_every",)
DONE = "done"
CONFIG = "config.yaml"


def keyed_config(cfg: DictConfig) -> dict:
    """The resolved parts of ``cfg`` that the run key hashes (also saved as the run's config.yaml)."""
    data = {k: OmegaConf.to_container(cfg[k], resolve=True) if OmegaConf.is_config(cfg[k]) else cfg[k] for k in KEYED}
    data["output"] = {k: cfg.output[k] for k in KEYED_OUTPUT}
    return data


def run_key(cfg: DictConfig) -> str:
    """Stable hash (16 hex digits) of what a run computes: the same in every process and machine."""
    text = json.dumps(keyed_config(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_dir(root: str | Path, cfg: DictConfig) -> Path:
    return Path(root) / run_key(cfg)


def is_complete(folder: str | Path) -> bool:
    """The ``done`` marker (written last) and every contract file exist."""
    from sim.run import OUTPUT_FILES

    folder = Path(folder)
    return all((folder / name).is_file() for name in (DONE, CONFIG, *OUTPUT_FILES))


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _overrides() -> list[str]:
    """The Hydra overrides of this job, when it runs under Hydra (provenance only)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.initialized():
            return [str(o) for o in HydraConfig.get().overrides.task]
    except Exception:
        pass
    return []


def _slurm_job() -> str | None:
    """This SLURM job as sacct names it (``<array job>_<task>`` in a job array), else None."""
    env = os.environ
    if env.get("SLURM_ARRAY_JOB_ID") and env.get("SLURM_ARRAY_TASK_ID"):
        return f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}"
    return env.get("SLURM_JOB_ID")


def run_into_store(cfg: DictConfig, root: str | Path):
    """Run ``cfg`` into its folder of the store unless it is complete.

    Returns ``(folder, result)``, where ``result`` is the :class:`sim.run.RunResult`, or ``False``
    when the run was complete already and was skipped. The contract files are written whatever
    ``output.write`` says (a store folder without them would never be complete).
    """
    from sim.run import run, write_outputs

    folder = run_dir(root, cfg)
    if is_complete(folder):
        return folder, False
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = run(cfg)
    write_outputs(result, folder)
    _write_text_atomic(folder / CONFIG, yaml.dump(keyed_config(cfg), Dumper=_Dumper, sort_keys=False))
    marker = {
        "key": folder.name,
        "seconds": round(time.perf_counter() - t0, 3),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "slurm_job": _slurm_job(),
        "overrides": _overrides(),
    }
    _write_text_atomic(folder / DONE, json.dumps(marker, indent=1))
    return folder, result


def read_config(folder: str | Path) -> dict:
    """The resolved config a stored run computed (its ``config.yaml``)."""
    return yaml.load(Path(folder, CONFIG).read_text(), Loader=_Loader)


def run_folders(root: str | Path) -> list[Path]:
    """Every run folder of the store, complete or not."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def complete_runs(root: str | Path) -> list[Path]:
    return [p for p in run_folders(root) if is_complete(p)]
