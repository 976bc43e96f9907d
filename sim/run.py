"""Compose a config and run the model: the Python API behind the CLI, sweeps, the UI and tests."""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from sim.model import accounts, metrics
from sim.model.config import Config, ConfigError, register, validate
from sim.model.phases import trade
from sim.resources import CONFIG_DIR, WORK_ROOT

#: The checkout (results/ go there), or the working directory when installed from a wheel.
PROJECT_ROOT = WORK_ROOT
OUTPUT_FILES = (
    "timeseries.parquet",
    "territories.parquet",
    "countries.parquet",
    "flows.parquet",
    "events.parquet",
    "summary.json",
)
#: The first week a comparison reads (``sim.analysis.compare.yearly_frames``: the last burn-in year,
#: its year 0, then the policy years): a comparison's runs keep their tables from there on
#: (:func:`collect` with ``full=False``).
COMPARED_FROM_WEEK = -52


def quiet_mesa() -> None:
    """Mesa logs one INFO line per step; keep it to warnings."""
    logging.getLogger("MESA").setLevel(logging.WARNING)


def combined_name(choice) -> str | None:
    """Label of a scenario composed from several files (``scenario=[a,b]`` -> ``a+b``), else None."""
    if isinstance(choice, (list, tuple)) or (hasattr(choice, "__iter__") and not isinstance(choice, str)):
        parts = [str(c) for c in choice]
    else:
        text = str(choice).strip()
        if not (text.startswith("[") and text.endswith("]")):
            return None
        parts = [c.strip() for c in text[1:-1].split(",") if c.strip()]
    return "+".join(parts) if len(parts) > 1 else None


def name_combined_scenario(cfg: DictConfig, choice, overrides=()) -> None:
    """Name a combination after all its parts (each file sets ``name``; the last would win)."""
    label = combined_name(choice)
    if label and not any(o.split("=", 1)[0] == "scenario.name" for o in overrides):
        cfg.scenario.name = label


def schema_keys(full_key: str) -> tuple[bool | None, list[str]]:
    """Whether the schema (:class:`sim.model.config.Config`) has the dotted key ``full_key`` (None when
    it lies below a list or free-form field, where the schema cannot tell), and the keys at its level."""
    node: Any = Config
    parts = full_key.split(".")
    for i, part in enumerate(parts):
        names = {f.name: f for f in fields(node)}
        f = names.get(part)
        if f is None:
            return False, list(names)
        if i == len(parts) - 1:
            return True, list(names)
        factory = f.default_factory
        if not (isinstance(factory, type) and is_dataclass(factory)):
            return None, []
        node = factory
    return None, []


def allowed_keys(full_key: str) -> str:
    """The keys the schema allows next to ``full_key``, comma-separated (for error lines)."""
    return ", ".join(schema_keys(full_key)[1])


def check_overrides(overrides: Iterable[str]) -> None:
    """Refuse what Hydra accepts but the schema does not: ``+key=...`` (or ``++``) adding a key the
    schema does not know, and ``~key`` deleting one. Hydra's own keys (``hydra...``) are left to Hydra.
    Raises :class:`sim.model.config.ConfigError` naming the key."""
    for o in overrides:
        text = str(o).strip()
        if not text.startswith(("+", "~")):
            continue
        key = text.lstrip("+~").split("=", 1)[0].split("@", 1)[0]
        if key.startswith("hydra"):
            continue
        if text.startswith("~"):
            raise ConfigError(f"{text}: deleting a key is not allowed (every key of the schema is needed)")
        known, allowed = schema_keys(key.replace("/", "."))
        if known is False:
            raise ConfigError(f"{key}: unknown key" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else ""))


def compose(overrides: list[str] | tuple[str, ...] = (), check: bool = True) -> DictConfig:
    """Compose ``configs/config.yaml`` with Hydra overrides, validate it, return it.

    Raises ``hydra.errors`` / ``omegaconf`` errors for unknown groups or wrong types and
    :class:`sim.model.config.ConfigError` for unknown keys (also appended ones, ``+key=...``) and
    values out of range. ``check=False`` skips the value checks (:func:`sim.model.config.validate`):
    the sweep planner composes a base that its swept values complete, then checks every run.
    """
    check_overrides(overrides)
    register()
    gh = GlobalHydra.instance()
    if gh.is_initialized():
        cfg = hydra_compose("config", overrides=list(overrides))
    else:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = hydra_compose("config", overrides=list(overrides))
    for o in overrides:
        if o.split("=", 1)[0] == "scenario":
            name_combined_scenario(cfg, o.split("=", 1)[1], overrides)
    if check:
        validate(cfg)
    return cfg


def is_group_override(line: str) -> bool:
    """Whether an override line (``world=mexico``, ``params.violence.pax_factor=0.3``) chooses a config
    group (a folder of ``configs/``) rather than sets a value."""
    key = line.lstrip("+~").split("=", 1)[0].split("@", 1)[0]
    return key != "hydra" and (CONFIG_DIR / key).is_dir()


@functools.cache
def _override_parser() -> Any:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create()


def set_values(cfg: DictConfig, overrides: Iterable[str], saved: list[tuple[str, Any]] | None = None) -> DictConfig:
    """Set value overrides (``key=value`` in Hydra's syntax; not a config group) in the composed
    ``cfg``, in place, as :func:`compose` would have set them, without composing again (Hydra reads
    and merges every file again: ~0.6 s on the default world). ``saved``: each key's previous value
    (plain) is appended to it before the key is set, so that the caller can put them back. The values
    are not checked: call :func:`sim.model.config.validate`. Raises ValueError for a config group."""
    for o in _override_parser().parse_overrides(list(overrides)):
        key = o.key_or_group
        if is_group_override(key):
            raise ValueError(f"{o.input_line}: a config group; compose it (sim.run.compose)")
        old = OmegaConf.select(cfg, key)
        if saved is not None:
            saved.append((key, OmegaConf.to_container(old) if OmegaConf.is_config(old) else old))
        OmegaConf.update(cfg, key, o.value(), merge=True)
    return cfg


def on_terminal(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (default stderr) is a terminal or a Jupyter kernel: progress bars are drawn
    only there, not into log files."""
    stream = sys.stderr if stream is None else stream
    if type(stream).__module__.startswith("ipykernel"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress[T](
    items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "run", enabled: bool = True
) -> Iterator[T]:
    """Iterate ``items`` with a progress bar on a terminal; elsewhere (a log file, a pipe) one line per
    item on stderr, ``desc: 3/80 runs, 12.4 s``; nothing when not ``enabled``."""
    if not enabled:
        yield from items
        return
    if on_terminal():
        yield from tqdm(items, total=total, desc=desc, unit=unit)
        return
    t0 = time.perf_counter()
    for i, item in enumerate(items, 1):
        print(
            f"{desc}: {i}/{total if total is not None else '?'} {unit}s, {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        yield item


def config_hash(cfg: DictConfig) -> str:
    """Stable hash of what a run computes: seed, horizon, world, scenario, parameters (sim.analysis.store)."""
    from sim.analysis.store import run_key

    return run_key(cfg)


@dataclass
class RunResult:
    """The tables of one run (the output contract) and, if written, where they went."""

    timeseries: pd.DataFrame
    territories: pd.DataFrame
    events: pd.DataFrame
    summary: dict
    countries: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per country and week
    flows: pd.DataFrame = field(default_factory=pd.DataFrame)  # the accounts: week x country x account x cause
    output_dir: Path | None = None
    model: object | None = field(default=None, repr=False)


@functools.cache  # once per process: the code a process runs is the one it started with
def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@functools.cache
def _versions() -> dict:
    out = {"python": sys.version.split()[0]}
    for pkg in ("mesa", "numpy", "pandas", "networkx", "hydra-core", "pyarrow"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    return out


def make_model(cfg: DictConfig):
    from sim.model import CrimeModel

    quiet_mesa()
    return CrimeModel(cfg)


def run(
    cfg: DictConfig,
    output_dir: str | Path | None = None,
    keep_model: bool = False,
    observers=(),
    key: str | None = None,
) -> RunResult:
    """Run one configured simulation (burn-in + ``steps`` weeks); write outputs if ``output_dir``.

    ``observers``: callables ``f(model)`` called after every week (e.g. ``sim.analysis.targets.Recorder``),
    for measurements the output tables do not carry. They must only read the model. ``key``: the
    run's :func:`config_hash` when the caller has it already. With ``progress``, a bar on a terminal;
    elsewhere one line when the run ends (``baseline seed=0: 624 weeks in 1.3 s``).
    """
    model = make_model(cfg)
    advance(model, int(cfg.burn_in) + int(cfg.steps), observers)
    result = collect(model, key, keep_model)
    if output_dir is not None and cfg.output.write:
        write_outputs(result, Path(output_dir))
    return result


def advance(model, weeks: int, observers=()) -> None:
    """Step ``model`` (configured by ``model.cfg``) ``weeks`` weeks, calling ``observers`` after each,
    with the progress of :func:`run`."""
    t0 = time.perf_counter()
    cfg = model.cfg
    desc = f"{cfg.scenario.name} seed={cfg.seed}"
    bar = bool(cfg.progress) and on_terminal()
    for _ in tqdm(range(weeks), desc=desc, unit="wk", disable=not bar, leave=False):
        model.step()
        for observe in observers:
            observe(model)
    if cfg.progress and not bar:
        print(f"{desc}: {weeks} weeks in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)


def collect(model, key: str | None = None, keep_model: bool = False, full: bool = True) -> RunResult:
    """The output tables of a model that has run (its configuration: ``model.cfg``). ``full=False``:
    only what a comparison reads (``sim.analysis.compare.yearly_frames``): the timeseries, countries
    and flows tables from the last burn-in year on (:data:`COMPARED_FROM_WEEK`) and the summary's
    identity and ``report_countries``; the territories and events tables are left empty and the
    summary's aggregates out (a sixth of a run's cost on the default world)."""
    cfg = model.cfg
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    country_start = flows_start = 0
    if not full:
        first = model.burn_in + 1 + COMPARED_FROM_WEEK  # the step of that week's record
        ts = ts[ts["step"] >= first].reset_index(drop=True)
        country_start = bisect_left([f["step"] for f in model.country_frames], first)
        flows_start = bisect_left([w[0] for w in model.accounts.weeks], first)
    countries = metrics.countries_frame(model, country_start)
    flows = accounts.flows_frame(model, flows_start)
    summary = {
        "scenario": str(cfg.scenario.name),
        "world": str(cfg.world.name),
        "seed": int(cfg.seed),
        "steps": int(cfg.steps),
        "burn_in": int(cfg.burn_in),
        "config_hash": key or config_hash(cfg),
        "report_countries": accounts.headline_countries(model),
    }
    terr, events = pd.DataFrame(), pd.DataFrame()
    if full:
        terr = metrics.territories_frame(model)
        events = metrics.events_frame(model)
        summary |= {
            "agents": {k.__name__: len(v) for k, v in model.agents_by_type.items()},
            "headline": metrics.summary_aggregates(ts, int(cfg.burn_in)),
            "homicide_rate_by_region": metrics.regional_homicide_rates(terr),
            "countries": metrics.country_aggregates(countries),
            "mass_balance_kg": float(trade.mass_balance(model)),
            "versions": dict(_versions()),
            "git_commit": _git_commit(),
        }
    return RunResult(ts, terr, events, summary, countries=countries, flows=flows, model=model if keep_model else None)


def write_outputs(result: RunResult, out: Path) -> None:
    """Write the contract files (:data:`OUTPUT_FILES`) atomically (temporary file, then rename)."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "timeseries.parquet": result.timeseries,
        "territories.parquet": result.territories,
        "countries.parquet": result.countries,
        "flows.parquet": result.flows,
        "events.parquet": result.events,
    }
    for name, df in tables.items():
        _atomic(out / name, lambda p, df=df: df.to_parquet(p, index=False))
    _atomic(out / "summary.json", lambda p: Path(p).write_text(json.dumps(result.summary, indent=2)))
    result.output_dir = out


def _atomic(path: Path, writer) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        writer(tmp)
        from sim.analysis.store import file_mode

        os.chmod(tmp, file_mode())  # mkstemp's 0600 would keep a research group out
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
