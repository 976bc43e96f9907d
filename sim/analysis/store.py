"""A result store for sweeps: one folder per run, named by a stable hash of what the run computes.

Many jobs (local worker processes, SLURM array tasks) may write into one store at once. A run writes its
four contract files atomically (temporary file in the same folder, then rename:
``sim.run.write_outputs``), then its resolved config, and last a ``done`` marker. A run is
complete when the marker and every file exist; a complete run is skipped, so relaunching a killed
sweep finishes the missing runs without recomputing or duplicating the others. Two jobs that
happen to compute the same run at once write identical files (same config, same seed), and each
rename replaces a whole file, so the folder never holds a mix of half-written files.
``python -m sim.collect <store>`` gathers every complete run into one table.

Besides ``done``, a run folder may hold a ``running`` marker (host, pid, SLURM job; written when the
run starts, removed when it ends) and a ``failed`` marker (the error's last line and the end of its
traceback). Files are created with the permissions the umask allows (``umask 002`` makes a store
writable by the group), not the 0600 of temporary files. A ``compact`` run keeps ``summary.json``
only (what ``sim.collect`` needs, about 1/500 of the disk); its ``done`` marker lists the files kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

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
RUNNING = "running"
FAILED = "failed"
SUMMARY = "summary.json"


def keyed_config(cfg: DictConfig, resolved: dict | None = None) -> dict:
    """The resolved parts of ``cfg`` that the run key hashes (also saved as the run's config.yaml).
    ``resolved``: all of ``cfg`` resolved (``OmegaConf.to_container(cfg, resolve=True)``), when the
    caller has it: the parts are taken from it rather than resolved again."""

    def part(key: str) -> Any:
        if resolved is not None:
            return resolved[key]
        node = cfg[key]
        return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node

    data = {k: part(k) for k in KEYED}
    data["output"] = {k: cfg.output[k] for k in KEYED_OUTPUT}
    if "replay" in cfg and cfg.replay.countries:  # keyed only when it pins inputs: other keys stay as they were
        data["replay"] = part("replay")
    return data


def run_key(cfg: DictConfig, resolved: dict | None = None) -> str:
    """Stable hash (16 hex digits) of what a run computes: the same in every process and machine
    (``resolved``: as for :func:`keyed_config`)."""
    return key_of(keyed_config(cfg, resolved))


def key_of(keyed: dict) -> str:
    """The run key of a :func:`keyed_config` dict."""
    text = json.dumps(keyed, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_dir(root: str | Path, cfg: DictConfig) -> Path:
    return Path(root) / run_key(cfg)


def is_complete(folder: str | Path) -> bool:
    """The ``done`` marker (written last) and every file it lists exist (for markers that list none,
    as before compact runs existed: the four contract files and ``config.yaml``)."""
    from sim.run import OUTPUT_FILES

    folder = Path(folder)
    try:
        marker = json.loads((folder / DONE).read_text())
    except (OSError, ValueError):
        return False
    files = marker.get("files") if isinstance(marker, dict) else None
    return all((folder / name).is_file() for name in (files or (CONFIG, *OUTPUT_FILES)))


def file_mode() -> int:
    """Permissions of a new file under the current umask (0644 with umask 022, 0664 with 002)."""
    try:
        with open("/proc/self/status") as fh:
            umask = next(int(ln.split()[1], 8) for ln in fh if ln.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, file_mode())  # mkstemp creates 0600: a research group could not read the store
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically, readable as the umask allows."""
    _write_text_atomic(Path(path), json.dumps(data, indent=1, default=str))


def clean_stale(folder: str | Path) -> int:
    """Remove what a killed run left in its folder: temporary files and its ``running`` marker.
    Only for a folder whose run is not running (the caller knows). Returns the number of files removed."""
    removed = 0
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    for p in folder.iterdir():
        if (p.name.startswith(".") and p.name.endswith(".tmp")) or p.name == RUNNING:
            try:
                p.unlink()
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def error_line(err: BaseException) -> str:
    """The last line of an exception's message, as a traceback ends (``ValueError: ...``)."""
    lines = [ln.strip() for ln in traceback.format_exception_only(type(err), err) if ln.strip()]
    return lines[-1] if lines else type(err).__name__


def record_failure(folder: str | Path, err: BaseException, **info: Any) -> None:
    """Leave a ``failed`` marker in a run's folder: the error's last line, the end of its traceback, where."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    write_json_atomic(
        folder / FAILED,
        {
            "key": folder.name,
            "error": error_line(err),
            "traceback": tb[-4000:],
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "slurm_job": _slurm_job(),
            **info,
        },
    )


def read_marker(folder: str | Path, name: str) -> dict | None:
    """A run folder's ``done``, ``running`` or ``failed`` marker as a dict, None if absent or unreadable."""
    try:
        data = json.loads(Path(folder, name).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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


def run_into_store(
    cfg: DictConfig,
    root: str | Path,
    compact: bool = False,
    overrides: list[str] | None = None,
    key: str | None = None,
):
    """Run ``cfg`` into its folder of the store unless it is complete.

    Returns ``(folder, result)``, where ``result`` is the :class:`sim.run.RunResult`, or ``False``
    when the run was complete already and was skipped. The contract files are written whatever
    ``output.write`` says (a store folder without them would never be complete); ``compact`` keeps
    ``summary.json`` only. While it runs, the folder holds a ``running`` marker; an earlier
    ``failed`` marker is removed when the run starts again. ``overrides``: provenance for the
    ``done`` marker (default: this job's Hydra overrides). ``key``: the key a sweep's plan expects;
    a config that hashes otherwise raises ``ValueError`` before anything is written.
    """
    from sim.run import OUTPUT_FILES, run, write_outputs

    keyed = keyed_config(cfg)
    actual = key_of(keyed)
    if key is not None and actual != key:
        raise ValueError(f"the run's config hashes to {actual}, not to the planned key {key}")
    key = actual
    folder = Path(root) / key
    if is_complete(folder):
        return folder, False
    folder.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    where = {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job": _slurm_job()}
    _write_text_atomic(folder / RUNNING, json.dumps({"key": key, "started": started, **where}, indent=1))
    try:
        (folder / FAILED).unlink(missing_ok=True)
        t0 = time.perf_counter()
        result = run(cfg, key=key)
        if compact:
            _write_text_atomic(folder / SUMMARY, json.dumps(result.summary, indent=2))
            files = [SUMMARY]
        else:
            write_outputs(result, folder)
            _write_text_atomic(folder / CONFIG, yaml.dump(keyed, Dumper=_Dumper, sort_keys=False))
            files = [*OUTPUT_FILES, CONFIG]
        marker = {
            "key": key,
            "seconds": round(time.perf_counter() - t0, 3),
            "started": started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **where,
            "overrides": _overrides() if overrides is None else list(overrides),
            "files": files,
        }
        _write_text_atomic(folder / DONE, json.dumps(marker, indent=1))
    finally:
        (folder / RUNNING).unlink(missing_ok=True)
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
