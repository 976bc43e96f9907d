"""Sweeps: the whole grid is planned and checked before anything runs, then the runs that are not
done run into a result store, in local worker processes or as SLURM job arrays (:mod:`sim.analysis.slurm`).

    python -m sim -m seed='range(0,30)' scenario=baseline,truce store=results/store/x [hydra/launcher=local]
    python -m sim.status results/store/x        # done / running / queued / failed / missing
    python -m sim.collect results/store/x       # one table: parameters and headline outcomes

Planning composes one base config per combination of config groups (``world``, ``scenario``,
``params``) with the sweep's fixed overrides (Hydra, about 0.7 s each), then derives every run from
its base without Hydra: each distinct swept value is converted and type-checked once, as OmegaConf
converts it; a run's key hashes the base's sections with the run's values in place; the declared
ranges and cross-checks (:func:`sim.model.config.validate`) are applied to the run's values once per
distinct combination other than the seed. An unknown key, an appended key (``+key=...``), a value of
the wrong type or out of range, an empty sweep: one line, exit status 2, nothing run or written.

The plan (every run's key, overrides and parameters) is saved in the store under
``.sweep/plans/`` before any run starts: :func:`states` tells done, running, queued, failed and
missing runs apart, ``sim.collect`` names the parameters from it and can list what is missing.

A worker builds each run's config the same way (base composed once per group combination, the
run's values set in place and put back afterwards), checks that it hashes to the planned key, and
runs it with :func:`sim.analysis.store.run_into_store`. A run that raises leaves a ``failed``
marker with its error; the other runs go on.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import pickle
import queue
import signal
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.nodes import BooleanNode, FloatNode, IntegerNode, StringNode

from sim.analysis.store import (
    DONE,
    FAILED,
    KEYED,
    KEYED_OUTPUT,
    RUNNING,
    clean_stale,
    error_line,
    is_complete,
    keyed_config,
    read_marker,
    record_failure,
    run_into_store,
    write_json_atomic,
)
from sim.model.config import ConfigError, validate
from sim.resources import CONFIG_DIR

SWEEP_DIR = ".sweep"  # inside the store: plans/, launches/, logs/
LAUNCHER_DIR = CONFIG_DIR / "hydra" / "launcher"
GROUPS = tuple(sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name != "hydra"))
GROUP_COLUMNS = {"scenario": "scenario.name", "world": "world.name"}  # other groups: the choice itself
STATES = ("done", "running", "queued", "failed", "missing")


class SweepError(Exception):
    """A sweep that cannot run as given; ``str(err)`` is one line for users."""


# ------------------------------------------------------------------------------------------------
# The plan
# ------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One planned run: its key (the store folder), its own overrides, its swept parameters."""

    key: str
    overrides: list[str]
    params: dict[str, Any]
    seconds: float = 0.0  # expected run time, from its horizon and map size


@dataclass
class Plan:
    """A sweep's grid, expanded and checked: what runs, with which overrides, into which store."""

    store: Path
    common: list[str]  # overrides every run shares: fixed parameters and run settings
    runs: list[Run]
    swept: list[str]  # parameter columns that vary, in the order given (seed last)
    constant: dict[str, Any]  # parameter columns that do not
    launcher: str
    knobs: dict[str, Any]
    argv: list[str] = field(default_factory=list)
    bases: dict[tuple[str, ...], DictConfig] = field(default_factory=dict, repr=False)  # not saved

    @property
    def id(self) -> str:
        return hashlib.sha256("\n".join(sorted(r.key for r in self.runs)).encode()).hexdigest()[:12]

    def to_json(self) -> dict:
        return {
            "version": 1,
            "id": self.id,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": ["python", "-m", "sim", "-m", *self.argv],
            "common": self.common,
            "swept": self.swept,
            "constant": self.constant,
            "runs": [{"key": r.key, "overrides": r.overrides, "params": r.params} for r in self.runs],
        }

    def save(self) -> Path:
        path = self.store / SWEEP_DIR / "plans" / f"{self.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, self.to_json())
        return path


def read_plans(store: str | Path) -> list[dict]:
    """Every plan saved in the store (oldest first)."""
    folder = Path(store) / SWEEP_DIR / "plans"
    plans = []
    for p in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []:
        try:
            plans.append(json.loads(p.read_text()))
        except (OSError, ValueError):
            continue
    return plans


def planned_runs(store: str | Path) -> dict[str, dict]:
    """{key: {"overrides", "params", "constant"}} of every planned run of the store: its own
    overrides, its swept parameters and the parameters its plan fixed."""
    out: dict[str, dict] = {}
    for plan in read_plans(store):
        constant = plan.get("constant", {})
        for r in plan.get("runs", []):
            out.setdefault(r["key"], {"overrides": r["overrides"], "params": r["params"], "constant": constant})
    return out


def _key_of_line(line: str) -> str:
    return line.lstrip("+~").split("=", 1)[0]


def _section(key: str) -> str:
    return key.split(".", 1)[0].split("[", 1)[0]


def _keyed(key: str) -> bool:
    """Whether a dotted key changes what a run computes (and so can be swept)."""
    top = _section(key)
    return top in KEYED or top in GROUPS or key in {f"output.{k}" for k in KEYED_OUTPUT}


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else json.dumps(value, default=str)


def _set(data: Any, parts: list[str], value: Any) -> Any:
    """A copy of ``data`` with ``parts`` set to ``value``, copying only the containers on the path."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(data, list):
        i = int(head)
        new_list = list(data)
        new_list[i] = _set(data[i], rest, value)
        return new_list
    new = dict(data)
    new[head] = _set(data[head], rest, value)
    return new


class _View:
    """Attribute and mapping access to a run's plain values, as :func:`sim.model.config.validate`
    reads a config (anything else it needs makes the planner check a real config instead)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _view(self._data[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return _view(self._data[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def get(self, name: str, default: Any = None) -> Any:
        return _view(self._data[name]) if name in self._data else default

    def keys(self) -> list[str]:
        return list(self._data)

    def values(self) -> list[Any]:
        return [_view(v) for v in self._data.values()]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, _view(v)) for k, v in self._data.items()]


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return _View(value)
    if isinstance(value, list):
        return [_view(v) for v in value]
    return value


class _GroupOptions:
    """What ``glob(...)`` sweeps over a config group need from Hydra's config loader."""

    def get_group_options(self, group: str, results_filter: Any = None, **_: Any) -> list[str]:
        return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _describe(err: BaseException, lines: list[str]) -> str:
    from sim.cli import describe_error

    return describe_error(err, lines)


def launcher_knobs(name: str | None, given: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The launcher's knobs: its YAML file in ``configs/hydra/launcher/`` with ``hydra.launcher.<knob>=``
    overrides. No launcher: ``local`` with one process (runs one after another, in this process)."""
    options = sorted(p.stem for p in LAUNCHER_DIR.glob("*.yaml"))
    chosen = name or "local"
    if chosen not in options:
        raise SweepError(f"hydra/launcher={chosen}: unknown option; allowed: {', '.join(options)}")
    knobs = yaml.safe_load((LAUNCHER_DIR / f"{chosen}.yaml").read_text()) or {}
    if name is None:
        knobs["n_jobs"] = 1
    for k, v in given.items():
        if k not in knobs:
            raise SweepError(
                f"hydra.launcher.{k}: unknown knob of hydra/launcher={chosen}; allowed: {', '.join(knobs)}"
            )
        knobs[k] = v
    return chosen, knobs


def estimate_seconds(cfg: dict) -> float:
    """Rough run time of one run on one cluster core (seconds), from its horizon and map size
    (README, Performance: ~0.08 s per simulated year on the default world, 0.8 s at 1,600
    territories), doubled for slower cores."""
    world = cfg.get("world", {})
    territories = len(world.get("territories") or []) or int(world.get("n_territories", 40))
    weeks = int(cfg.get("burn_in", 0)) + int(cfg.get("steps", 0))
    return 0.2 + 2 * weeks / 52 * (0.06 + 0.0005 * territories)


class Planner:
    """Expands a sweep's overrides into runs; see the module docstring."""

    def __init__(self, argv: list[str]) -> None:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        self.argv = list(argv)
        self.parser = OverridesParser.create()
        self.bases: dict[tuple[str, ...], DictConfig] = {}
        self._keyed: dict[tuple[str, ...], dict] = {}
        self._section_json: dict[tuple, str] = {}
        self._checked: set[tuple] = set()
        self._values: dict[tuple, Any] = {}
        self._scratch: dict[tuple[str, ...], DictConfig] = {}

    # -- parsing ---------------------------------------------------------------------------------
    def parse(self) -> tuple[list[tuple[str, list[tuple[str, Any]]]], list[str], str | None, dict, str | None]:
        """(dimensions [(key, [(override line, value)])], settings lines, launcher, knobs, store)."""
        from hydra.core.override_parser.types import Override, OverrideType, ValueType

        from sim.run import check_overrides

        try:
            check_overrides(self.argv)
        except ConfigError as err:
            raise SweepError(str(err)) from None
        try:
            overrides = self.parser.parse_overrides(self.argv)
        except Exception as err:
            raise SweepError(" ".join(str(err).split())) from None
        dims: list[tuple[str, list[tuple[str, Any]]]] = []
        settings: list[str] = []
        launcher, knobs, store, sweep_dir = None, {}, None, None
        seen: set[str] = set()
        for o in overrides:
            key, line = o.key_or_group, o.input_line or ""
            if o.is_hydra_override():
                if o.is_sweep_override():
                    raise SweepError(f"{line}: a launcher setting cannot be swept")
                if key == "hydra/launcher":
                    launcher = str(o.value())
                elif key.startswith("hydra.launcher."):
                    knobs[key.removeprefix("hydra.launcher.")] = o.value()
                elif key == "hydra.sweep.dir":
                    sweep_dir = str(o.value())
                else:
                    raise SweepError(
                        f"{line}: not used by sweeps (they take hydra/launcher=..., hydra.launcher.<knob>=... "
                        "and hydra.sweep.dir=..., the default store)"
                    )
                continue
            if o.type == OverrideType.ADD:  # unknown keys were refused above
                raise SweepError(f"{key}: already in the config; set it without '+' ({key}=...)")
            if key in seen:  # given twice: the last one counts, as in Hydra
                dims = [d for d in dims if d[0] != key]
                settings = [line for line in settings if _key_of_line(line) != key]
            seen.add(key)
            if o.is_sweep_override():
                if o.value_type == ValueType.GLOB_CHOICE_SWEEP:
                    if key not in GROUPS:
                        raise SweepError(f"{line}: glob() sweeps only config groups ({', '.join(GROUPS)})")
                    o.config_loader = _GroupOptions()  # type: ignore[assignment]
                elif o.value_type not in (ValueType.CHOICE_SWEEP, ValueType.SIMPLE_CHOICE_SWEEP, ValueType.RANGE_SWEEP):
                    raise SweepError(f"{line}: only lists (a,b,c), range() and glob() can be swept")
                values = list(o.sweep_iterator())
                if not values:
                    raise SweepError(f"{line}: the sweep is empty (0 runs); nothing was run")
                pairs: list[tuple[str, Any]] = [(f"{key}={Override._get_value_element_as_str(v)}", v) for v in values]
            else:
                pairs = [(f"{key}={o.get_value_element_as_str()}", o.value())]
            if key == "store":
                if len(pairs) > 1:
                    raise SweepError(f"{line}: one store per sweep")
                store = str(pairs[0][1])
                continue
            if key == "world.burn_in" and len(pairs) > 1:
                raise SweepError(f"{line}: sweep burn_in, the key the runs read (world.burn_in only sets its default)")
            if not _keyed(key):
                if len(pairs) > 1:
                    raise SweepError(f"{line}: a run setting, not a parameter; it cannot be swept")
                settings.append(pairs[0][0])
                continue
            dims.append((key, pairs))
        return dims, settings, launcher, knobs, store or sweep_dir

    # -- bases and values ------------------------------------------------------------------------
    def base(self, group_lines: tuple[str, ...], fixed: list[str]) -> DictConfig:
        if group_lines not in self.bases:
            outcome = _compose_base([*fixed, *group_lines])
            if isinstance(outcome, str):
                raise SweepError(outcome)
            self.bases[group_lines] = outcome
        cfg = self.bases[group_lines]
        if group_lines not in self._keyed:
            if "${" in json.dumps(OmegaConf.to_container(cfg, resolve=False), default=str):
                raise SweepError("the config uses interpolations, which the sweep planner cannot follow")
            self._keyed[group_lines] = keyed_config(cfg)
        return cfg

    def compose_in_parallel(self, combos: list[tuple[str, ...]], fixed: list[str], processes: int) -> None:
        """Compose several bases at once in forked processes (each ~0.7 s, mostly reading YAML):
        planning's fixed cost, paid before any run can start, shrinks with the local workers."""
        from concurrent.futures import ProcessPoolExecutor

        todo = [c for c in combos if c not in self.bases]
        if processes < 2 or len(todo) < 2:
            return
        with (
            _quiet_fork_warning(),
            ProcessPoolExecutor(min(processes, len(todo)), multiprocessing.get_context("fork")) as ex,
        ):
            outcomes = list(ex.map(_compose_base, [[*fixed, *c] for c in todo]))
        for combo, outcome in zip(todo, outcomes):
            if isinstance(outcome, str):
                raise SweepError(outcome)
            self.bases[combo] = outcome
            self.base(combo, fixed)  # its plain values

    def _scratch_of(self, group_lines: tuple[str, ...]) -> DictConfig:
        if group_lines not in self._scratch:
            self._scratch[group_lines] = pickle.loads(pickle.dumps(self.bases[group_lines]))
        return self._scratch[group_lines]

    def value(self, group_lines: tuple[str, ...], key: str, value: Any, line: str) -> Any:
        """``value`` as the config stores it (OmegaConf's conversion and type check), plain."""
        plain = isinstance(value, (int, float, str, bool))
        cache = ("v", key, type(value).__name__, value) if plain else ("c", group_lines, key, json.dumps(value))
        if cache in self._values:
            return self._values[cache]
        node: Any = self.bases[group_lines]
        try:
            for part in key.split("."):
                node = node._get_node(int(part) if isinstance(node, list) or part.isdigit() else part)
        except Exception:
            node = None
        out: Any
        if isinstance(node, IntegerNode) and type(value) is int:
            out = value
        elif isinstance(node, FloatNode) and type(value) in (int, float):
            out = float(value)
        elif (isinstance(node, BooleanNode) and type(value) is bool) or (
            isinstance(node, StringNode) and type(value) is str
        ):
            out = value
        else:  # anything else: let OmegaConf convert (or refuse) it on a scratch copy, then put it back
            scratch = self._scratch_of(group_lines)
            old = OmegaConf.select(scratch, key, default=None)
            old = OmegaConf.to_container(old) if OmegaConf.is_config(old) else old
            try:
                OmegaConf.update(scratch, key, value, merge=True)
                new = OmegaConf.select(scratch, key)
                out = OmegaConf.to_container(new, resolve=True) if OmegaConf.is_config(new) else new
            except Exception as err:
                raise SweepError(_describe(err, [line])) from None
            finally:
                try:
                    OmegaConf.update(scratch, key, old, merge=False)
                except Exception:
                    self._scratch.pop(group_lines, None)
        self._values[cache] = out
        return out

    def check(self, group_lines: tuple[str, ...], values: list[tuple[str, Any]], data: dict) -> None:
        """The declared ranges and cross-checks of one run's values (once per distinct combination
        other than the seed)."""
        sig = (group_lines, json.dumps([(k, v) for k, v in values if k != "seed"], default=str))
        if sig in self._checked:
            return
        try:
            validate(_View(data))
        except ConfigError as err:
            raise SweepError(str(err)) from None
        except Exception:  # the view lacks something validate() reads: check a real config
            scratch = self._scratch_of(group_lines)
            try:
                for k, v in values:
                    OmegaConf.update(scratch, k, v, merge=False)
                validate(scratch)
            except ConfigError as err:
                raise SweepError(str(err)) from None
            finally:
                self._scratch.pop(group_lines, None)  # changed: a fresh copy next time
        self._checked.add(sig)

    def key(self, group_lines: tuple[str, ...], values: list[tuple[str, Any]]) -> tuple[str, dict]:
        """The run key (as :func:`sim.analysis.store.run_key` computes it) and the run's values."""
        keyed = self._keyed[group_lines]
        by_section: dict[str, list[tuple[str, Any]]] = {}
        for k, v in values:
            by_section.setdefault(_section(k), []).append((k, v))
        data = dict(keyed)
        parts = []
        for sec in sorted(keyed):  # json.dumps(data, sort_keys=True), one section at a time
            own = by_section.get(sec)
            cache = (group_lines, sec, tuple((k, type(v).__name__, _hashable(v)) for k, v in own or ()))
            text = self._section_json.get(cache)
            if own:
                for k, v in own:
                    data[sec] = _set(data[sec], k.split(".")[1:], v)
            if text is None:
                text = f"{json.dumps(sec)}: {json.dumps(data[sec], sort_keys=True, default=str)}"
                self._section_json[cache] = text
            parts.append(text)
        return hashlib.sha256(("{" + ", ".join(parts) + "}").encode()).hexdigest()[:16], data

    # -- the grid --------------------------------------------------------------------------------
    def plan(self) -> Plan:
        dims, settings, launcher, given_knobs, store = self.parse()
        launcher, knobs = launcher_knobs(launcher, given_knobs)
        if store is None:
            from sim.run import PROJECT_ROOT

            store = str(PROJECT_ROOT / "results" / "multirun" / time.strftime("%Y-%m-%d_%H-%M-%S"))
        fixed = [pairs[0][0] for _, pairs in dims if len(pairs) == 1]
        swept_dims = [(k, pairs) for k, pairs in dims if len(pairs) > 1]
        common = [*fixed, *settings]
        if launcher == "local":
            combos = list(itertools.product(*([line for line, _ in pairs] for k, pairs in swept_dims if k in GROUPS)))
            self.compose_in_parallel([tuple(c) for c in combos], common, _n_jobs(knobs.get("n_jobs", 1)))

        def column(key: str) -> str:
            return GROUP_COLUMNS.get(key, key) if key in GROUPS else key

        swept_cols = [column(k) for k, _ in swept_dims if k != "seed"] + (
            ["seed"] if any(k == "seed" for k, _ in swept_dims) else []
        )
        runs: list[Run] = []
        seen: dict[str, int] = {}
        for combo in itertools.product(*(pairs for _, pairs in swept_dims)):
            group_lines = tuple(line for (k, _), (line, _) in zip(swept_dims, combo) if k in GROUPS)
            self.base(group_lines, common)
            base = self._keyed[group_lines]  # plain values: reading the DictConfig per run is slow
            values = [
                (k, self.value(group_lines, k, v, line))
                for (k, _), (line, v) in zip(swept_dims, combo)
                if k not in GROUPS
            ]
            key, data = self.key(group_lines, values)
            self.check(group_lines, values, data)
            if key in seen:
                continue  # the same run twice (e.g. a value given twice): once is enough
            seen[key] = len(runs)
            params: dict[str, Any] = {}
            for (k, _), (_line, v) in zip(swept_dims, combo):
                if k in GROUPS:
                    params[column(k)] = _group_value(base, k, v)
            params.update({k: v for k, v in values})
            if "scenario.name" not in params:
                params["scenario.name"] = base["scenario"]["name"]
            if "seed" not in params:
                params["seed"] = data["seed"]
            runs.append(Run(key, [line for line, _ in combo], params, estimate_seconds(data)))
        first = next(iter(self.bases))
        constant: dict[str, Any] = {}
        for k, pairs in dims:
            if len(pairs) == 1:
                constant[column(k)] = (
                    _group_value(self._keyed[first], k, pairs[0][1]) if k in GROUPS else _plain(self.bases[first], k)
                )
        for col in ("scenario.name", "seed"):
            if col not in swept_cols and col not in constant:
                constant[col] = runs[0].params.get(col)
        for r in runs:  # each run's params: its swept columns only
            r.params = {c: r.params[c] for c in swept_cols if c in r.params}
        return Plan(Path(store).resolve(), common, runs, swept_cols, constant, launcher, knobs, self.argv, self.bases)


def _compose_base(lines: list[str]) -> DictConfig | str:
    """A base config (values unchecked, progress off, interpolations resolved: ``burn_in`` is the
    world's ``world.burn_in`` by default, configs/config.yaml), or the one-line error."""
    from sim.run import compose

    try:
        cfg = compose(lines, check=False)
    except Exception as err:
        return _describe(err, lines)
    cfg.progress = False
    OmegaConf.resolve(cfg)
    return cfg


def _group_value(base: dict, group: str, choice: Any) -> Any:
    """What a group choice is called in the collected table: the scenario's and the world's
    ``name`` (``a+b`` for a combination), else the choice."""
    if group in ("scenario", "world"):
        return str(base[group]["name"])
    return "+".join(map(str, choice)) if isinstance(choice, list) else str(choice)


def _plain(cfg: DictConfig, key: str) -> Any:
    v = OmegaConf.select(cfg, key)
    return OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v


def plan_sweep(argv: list[str]) -> Plan:
    """Expand and check a sweep's overrides (``python -m sim -m`` arguments); raises :class:`SweepError`."""
    return Planner(argv).plan()


# ------------------------------------------------------------------------------------------------
# Running: a run's config from its base, and a worker that runs keys into the store
# ------------------------------------------------------------------------------------------------


class Runner:
    """Builds each run's config as the planner did and runs it into the store."""

    def __init__(
        self,
        store: str | Path,
        common: list[str],
        compact: bool = False,
        bases: dict[tuple[str, ...], DictConfig] | None = None,
    ) -> None:
        self.store = Path(store)
        self.common = list(common)
        self.compact = bool(compact)
        self.bases = dict(bases or {})

    def base(self, group_lines: tuple[str, ...]) -> DictConfig:
        if group_lines not in self.bases:
            from sim.run import compose

            cfg = compose([*self.common, *group_lines], check=False)
            cfg.progress = False
            self.bases[group_lines] = cfg
        return self.bases[group_lines]

    @contextlib.contextmanager
    def config(self, overrides: list[str]) -> Iterator[DictConfig]:
        """The run's config: its base with the run's values set in place (put back on exit)."""
        from sim.run import set_values

        group_lines = tuple(o for o in overrides if _key_of_line(o) in GROUPS)
        cfg = self.base(group_lines)
        saved: list[tuple[str, Any]] = []
        try:
            set_values(cfg, [o for o in overrides if _key_of_line(o) not in GROUPS], saved)
            yield cfg
        finally:
            for k, old in reversed(saved):
                OmegaConf.update(cfg, k, old, merge=False)

    def execute(self, key: str, overrides: list[str]) -> tuple[str, float, str]:
        """Run one planned run unless complete: ("done" | "skipped" | "failed", seconds, error line)."""
        folder = self.store / key
        if is_complete(folder):
            return "skipped", 0.0, ""
        t0 = time.perf_counter()
        try:
            with self.config(overrides) as cfg:
                validate(cfg)
                run_into_store(cfg, self.store, compact=self.compact, overrides=[*self.common, *overrides], key=key)
        except Exception as err:
            record_failure(folder, err, overrides=[*self.common, *overrides])
            return "failed", time.perf_counter() - t0, error_line(err)
        return "done", time.perf_counter() - t0, ""


def label(overrides: list[str]) -> str:
    return " ".join(overrides) or "(one run)"


# ------------------------------------------------------------------------------------------------
# States of the planned runs
# ------------------------------------------------------------------------------------------------


def _alive(marker: dict, squeue: dict[str, str]) -> bool:
    """Whether the job that wrote a ``running`` marker is still running."""
    job = marker.get("slurm_job")
    if job:
        return squeue.get(str(job)) == "RUNNING"
    if marker.get("host") != socket.gethostname():
        return True  # another machine, no SLURM: assume it runs
    try:
        pid = int(marker.get("pid", 0))
        os.kill(pid, 0)
        return b"sim" in Path(f"/proc/{pid}/cmdline").read_bytes()  # not a reused process id
    except FileNotFoundError:
        return True  # no /proc: the process exists
    except (OSError, ValueError):
        return False


def states(store: str | Path, keys: list[str] | None = None) -> dict[str, str]:
    """{key: done | running | queued | failed | missing} for the store's planned runs (or ``keys``)."""
    from sim.analysis import slurm

    store = Path(store)
    if keys is None:
        keys = list(planned_runs(store))
    present = {p.name for p in store.iterdir()} if store.is_dir() else set()
    queued, squeue = slurm.queued_runs(store)
    out = {}
    for key in keys:
        folder = store / key
        if key not in present:
            out[key] = "queued" if key in queued else "missing"
        elif is_complete(folder):
            out[key] = "done"
        elif (folder / FAILED).is_file():
            out[key] = "failed"
        elif (m := read_marker(folder, RUNNING)) is not None and _alive(m, squeue):
            out[key] = "running"
        else:
            out[key] = "queued" if key in queued else "missing"
    return out


def failures(store: str | Path, keys: list[str]) -> list[dict]:
    return [m for k in keys if (m := read_marker(Path(store) / k, FAILED)) is not None]


def measured_seconds(store: Path, keys: list[str], sample: int = 50) -> float | None:
    """Median run time of up to ``sample`` finished runs among ``keys`` (their ``done`` markers)."""
    secs = []
    for k in keys:
        m = read_marker(store / k, DONE)
        if m and isinstance(m.get("seconds"), (int, float)):
            secs.append(float(m["seconds"]))
            if len(secs) >= sample:
                break
    return statistics.median(secs) if secs else None


# ------------------------------------------------------------------------------------------------
# The local launcher: worker processes forked after planning, each taking the next run
# ------------------------------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Linux: this process gets SIGTERM when its parent dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(143)


def _terminate(*_: Any) -> None:
    raise SystemExit(143)  # unwinds the run: temporary files and the running marker are removed


def _worker(runner: Runner, runs: list[Run], counter: Any, results: Any, parent: int) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the launcher stops the workers
    while True:
        with counter.get_lock():
            i = counter.value
            counter.value += 1
        if i >= len(runs):
            return
        results.put((i, *runner.execute(runs[i].key, runs[i].overrides)))


def run_local(plan: Plan, todo: list[Run], n_jobs: int) -> tuple[int, int]:
    """Run ``todo`` in ``n_jobs`` processes (1: in this one), one line per run. Returns (done, failed)."""
    runner = Runner(plan.store, plan.common, bool(plan.knobs.get("compact")), plan.bases)
    n = len(todo)
    counts = {"done": 0, "failed": 0, "skipped": 0}
    t0 = time.perf_counter()

    def report(i: int, status: str, seconds: float, error: str) -> None:
        counts[status] += 1
        finished = sum(counts.values())
        what = f"failed: {error}" if status == "failed" else f"{status} in {seconds:.1f} s"
        print(f"[{finished}/{n} {time.perf_counter() - t0:.0f} s] {label(todo[i].overrides)}: {what}", flush=True)

    if n_jobs <= 1 or n <= 1:
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            for i, r in enumerate(todo):
                report(i, *runner.execute(r.key, r.overrides))
        finally:
            signal.signal(signal.SIGTERM, previous)
        return counts["done"] + counts["skipped"], counts["failed"]
    ctx = multiprocessing.get_context("fork")  # the workers inherit the planned base configs
    counter = ctx.Value("l", 0)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(runner, todo, counter, results, os.getpid()), daemon=True)
        for _ in range(min(n_jobs, n))
    ]
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with _quiet_fork_warning():
            for p in procs:
                p.start()
        received = 0
        while received < n:
            try:
                report(*results.get(timeout=1.0))
                received += 1
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    lost = n - received
                    print(f"{lost} runs lost: every worker process ended early", file=sys.stderr)
                    counts["failed"] += lost
                    break
    finally:
        signal.signal(signal.SIGTERM, previous)
        for p in procs:
            if p.is_alive():
                p.terminate()  # SIGTERM: each worker removes its run's temporary files
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    return counts["done"] + counts["skipped"], counts["failed"]


@contextlib.contextmanager
def _quiet_fork_warning() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():  # BLAS threads sit idle at the fork; the workers start their own
        warnings.filterwarnings("ignore", message=".*use of fork\\(\\) may lead to deadlocks.*")
        yield


def _n_jobs(value: Any) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise SweepError(f"hydra.launcher.n_jobs={value}: must be an integer (-1 = one per core)") from None
    return cores if n < 0 else max(1, n)


# ------------------------------------------------------------------------------------------------
# python -m sim -m ...
# ------------------------------------------------------------------------------------------------


def prepare(plan: Plan) -> tuple[list[Run], dict[str, str]]:
    """The runs to start now (neither done nor running nor queued) and the states before; stale
    files of the runs about to start are removed."""
    st = states(plan.store, [r.key for r in plan.runs]) if plan.store.is_dir() else {}
    todo = [r for r in plan.runs if st.get(r.key, "missing") in ("missing", "failed")]
    for r in todo:
        clean_stale(plan.store / r.key)
    return todo, st


def main(argv: list[str]) -> int:
    """``python -m sim -m OVERRIDES``: plan, check, save the plan, run what is missing. Exit status 0
    when every planned run is done, 1 when some failed or are missing, 2 for a sweep refused as given."""
    t0 = time.perf_counter()
    try:
        plan = plan_sweep(argv)
        n_jobs = _n_jobs(plan.knobs.get("n_jobs", 1)) if plan.launcher == "local" else 0
    except SweepError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    t_plan = time.perf_counter() - t0
    plan.store.mkdir(parents=True, exist_ok=True)
    plan.save()
    todo, before = prepare(plan)
    counts = {s: sum(1 for v in before.values() if v == s) for s in STATES}
    dims = " x ".join(f"{len({json.dumps(r.params.get(c), default=str) for r in plan.runs})} {c}" for c in plan.swept)
    print(
        f"sweep: {len(plan.runs)} runs ({dims or 'no swept parameter'}) planned in {t_plan:.1f} s; "
        f"{counts['done']} done already, {counts['running'] + counts['queued']} running or queued, "
        f"{len(todo)} to run -> {plan.store}",
        flush=True,
    )
    if plan.launcher == "slurm":
        from sim.analysis import slurm

        try:
            return slurm.launch(plan, todo)
        except SweepError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    try:
        done, failed = run_local(plan, todo, n_jobs)
    except (KeyboardInterrupt, SystemExit) as stop:
        print(f"interrupted; relaunch the same command to run what is missing ({plan.store})", file=sys.stderr)
        return 130 if isinstance(stop, KeyboardInterrupt) else int(stop.code or 143)
    print(
        f"sweep: {done} of {len(todo)} runs done, {failed} failed, in {time.perf_counter() - t0:.1f} s"
        + (f"; python -m sim.status {plan.store} lists the failures" if failed else ""),
        flush=True,
    )
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------------
# python -m sim.status STORE
# ------------------------------------------------------------------------------------------------


def status_main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m sim.status",
        description="Where a sweep stands: its planned runs done, running, queued, failed and missing.",
    )
    ap.add_argument("store", help="the sweep's store folder")
    ap.add_argument("--list", choices=STATES, action="append", default=[], help="list the runs in this state")
    ap.add_argument("--cancel", action="store_true", help="cancel the store's SLURM jobs still queued or running")
    a = ap.parse_args(argv)
    store = Path(a.store)
    if not store.is_dir():
        print(f"error: {a.store}: no such store folder", file=sys.stderr)
        return 2
    if a.cancel:
        from sim.analysis import slurm

        jobs = slurm.cancel(store)
        print(f"cancelled {len(jobs)} SLURM jobs: {' '.join(jobs)}" if jobs else "no SLURM job of this store is queued")
    planned = planned_runs(store)
    if not planned:
        print(f"{store}: no plan (not written by python -m sim -m); python -m sim.collect {store} reads its runs")
        return 2
    st = states(store, list(planned))
    counts = {s: sum(1 for v in st.values() if v == s) for s in STATES}
    print(f"{store}: {len(planned)} planned runs ({len(read_plans(store))} plans)")
    print("  " + " | ".join(f"{s} {counts[s]}" for s in STATES))
    failed = failures(store, [k for k, s in st.items() if s == "failed"])
    if failed:
        print(f"failed ({len(failed)}):")
        for m in failed[:20]:
            where = ", ".join(x for x in (m.get("slurm_job") and f"job {m['slurm_job']}", m.get("log")) if x)
            params = " ".join(f"{k}={v}" for k, v in planned[m["key"]]["params"].items())
            print(f"  {m['key']} {params}: {m.get('error')}" + (f" [{where}]" if where else ""))
        if len(failed) > 20:
            print(f"  ... and {len(failed) - 20} more (--list failed)")
    for s in a.list:
        for k, v in st.items():
            if v == s:
                print(f"{s} {k} " + " ".join(planned[k]["overrides"]))
    if counts["missing"] or counts["failed"]:
        print("relaunch the sweep's command to run the missing and failed runs (finished ones are skipped)")
    return 0 if counts["done"] == len(planned) else 1
