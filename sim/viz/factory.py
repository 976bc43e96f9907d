"""The UI's model: a :class:`~sim.model.model.CrimeModel` built through :func:`sim.compose`.

SolaraViz creates the model class again with the sidebar's values on every Reset
(``type(model)(**params)``), so :class:`UIModel` takes the sidebar's values as keyword arguments
and turns them into the same Hydra overrides the CLI takes (shown in the status panel, so a run
seen in the browser can be repeated from the command line).

The sidebar lists what is on disk: every ``configs/scenario/*.yaml`` and ``configs/world/*.yaml``,
the default world being the one ``configs/config.yaml`` composes. Each policy lever gets a
checkbox and one or two intensity knobs (drop-down lists of levels within the schema's declared
range, ``sim/model/config.py``) and a country picker (the world's ISO codes, or ``region`` for the
headline countries; none picked = everywhere). Picking a scenario loads its file's levers into these
inputs (:func:`scenario_values`), so the sidebar always shows what the run uses; the overrides are
the inputs that differ from the file (a ticked lever the file leaves off, an unticked lever it
switches on, a knob moved). The programmes of governments a scenario file holds
(``scenario.governments``) are listed read-only (:func:`scenario_programmes`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

import yaml

from sim.model import CrimeModel
from sim.model import config as schema
from sim.run import CONFIG_DIR, compose, quiet_mesa

log = logging.getLogger(__name__)

#: Lever (a field of ``ScenarioConfig``) -> its knobs offered in the sidebar: short label and the
#: levels offered (those outside the schema's range are dropped, the schema default is added).
#: Knobs the schema does not (or no longer) declare are skipped.
LEVER_KNOBS: dict[str, dict[str, tuple[str, tuple[float, ...]]]] = {
    "mano_dura": {
        "arrest_multiplier": ("arrests of gang members ×", (1, 2, 3, 5, 10, 20)),
        "military_deployment": ("share of territories with troops", (0, 0.25, 0.5, 0.75, 1)),
    },
    "police_reform": {
        "vetting": ("corrupt officers removed per year", (0.1, 0.3, 0.5, 1)),
        "investigative_boost": ("investigative capacity +", (0.1, 0.3, 0.5, 1)),
    },
    "extradition": {"targeting_multiplier": ("leader targeting ×", (1, 2, 5, 10))},
    "border_hardening": {"interdiction_multiplier": ("seizures at crossings ×", (1.5, 3, 5, 10))},
    "prevention": {"coverage": ("share of idle youth reached", (0.1, 0.3, 0.5, 0.8, 1))},
    "truce": {"violence_cut": ("gang violence suspended", (0.25, 0.5, 0.75, 0.9))},
}
LEVER_LABELS = {
    "mano_dura": "Mano dura",
    "police_reform": "Police reform",
    "extradition": "Extradition",
    "border_hardening": "Border hardening",
    "prevention": "Prevention",
    "truce": "Gang truce",
}
SEP = "__"  # keyword argument "<lever>__<knob>" -> override "scenario.<lever>.<knob>=..."
COUNTRIES = "countries"  # keyword argument "<lever>__countries" (a list) -> "scenario.<lever>.countries=[...]"
REGION = schema.REGION  # in a lever's countries: the headline countries of the world
FIXED = ("progress=false", "output.write=false")
SEEDS = 20  # seeds offered in the sidebar


def _stems(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def scenarios() -> list[str]:
    """Scenario presets on disk (``configs/scenario/*.yaml``), ``baseline`` first."""
    names = _stems(CONFIG_DIR / "scenario")
    return sorted(names, key=lambda s: (s != "baseline", s))


def worlds() -> list[str]:
    """World presets on disk (``configs/world/*.yaml``), the default world first."""
    default = default_world()
    return sorted(_stems(CONFIG_DIR / "world"), key=lambda s: (s != default, s))


def _defaults_entry(group: str, fallback: str) -> str:
    """The option of ``group`` that ``configs/config.yaml`` composes by default."""
    try:
        root = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())
        for item in root.get("defaults", []):
            if isinstance(item, dict) and group in item:
                return str(item[group])
    except (OSError, yaml.YAMLError):
        pass
    return fallback


def default_world() -> str:
    return _defaults_entry("world", "hemisphere")


def default_scenario() -> str:
    return _defaults_entry("scenario", "baseline")


def _schema_defaults() -> schema.Config:
    return schema.Config()


def levers() -> dict[str, dict[str, dataclasses.Field]]:
    """Levers of the scenario schema and the knobs (dataclass fields) offered for each."""
    out = {}
    scn = {f.name for f in dataclasses.fields(schema.ScenarioConfig)}
    for lever, knobs in LEVER_KNOBS.items():
        if lever not in scn:
            continue
        lever_cls = type(getattr(schema.ScenarioConfig(), lever))
        fields = {f.name: f for f in dataclasses.fields(lever_cls)}
        out[lever] = {k: fields[k] for k in knobs if k in fields and "range" in fields[k].metadata}
    return out


def _levels(values, lo: float, hi: float, default: float) -> list[float]:
    keep = {float(v) for v in values if lo <= v <= hi} | {float(default)}
    return sorted(keep)


def _base_overrides(world: str) -> list[str]:
    """The overrides of the sidebar's defaults in ``world`` (the first model's, in the default world)."""
    cfg = _schema_defaults()
    return [f"scenario={default_scenario()}", f"world={world}", f"seed={int(cfg.seed)}", f"burn_in={int(cfg.burn_in)}"]


def world_countries(world: str) -> list[str]:
    """ISO codes of a world preset's countries, in world order ([] when it does not compose).

    Read from the composition the sidebar's defaults build in that world (cached: in the default
    world it is the first model's)."""
    try:
        return schema.country_codes(_composed(tuple(_base_overrides(world)), _configs_stamp()).world)
    except Exception:
        log.warning("world %s does not compose; no countries to offer", world, exc_info=True)
        return []


def country_choices(world: str) -> list[str]:
    """What a lever's country picker offers in ``world``: ``region`` (the headline countries), then its ISO codes."""
    return [REGION, *world_countries(world)]


def country_list(value) -> list[str]:
    """A picker's value as a list of codes: a list, or a string of codes separated by commas or spaces."""
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(str(c).strip() for c in items if str(c).strip()))


@lru_cache(maxsize=64)
def _scenario_cfg(name: str, stamp: tuple):
    del stamp  # part of the cache key only
    # the levers do not depend on the world: compose in the small synthetic one, without the value
    # checks (they refuse a country the synthetic world lacks)
    world = "synthetic" if "synthetic" in worlds() else default_world()
    with _compose_lock:
        return compose([*FIXED, f"scenario={name}", f"world={world}"], check=False).scenario


@lru_cache(maxsize=64)
def _programmes(name: str, stamp: tuple) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    scn = _scenario_cfg(name, stamp)
    return tuple(
        (label, lever, tuple(getattr(levers, lever).countries))
        for label, levers in schema.programmes(scn)
        for lever in schema.LEVERS
        if getattr(levers, lever).enabled
    )


def scenario_programmes(name: str) -> list[tuple[str, str, list[str]]] | None:
    """The levers a scenario file switches on, as (programme, lever, countries): programme ``""`` for
    the scenario's own levers, else the label of a government's (``scenario.governments``); countries
    empty = everywhere. None when the file does not compose."""
    try:
        return [(label, lever, list(c)) for label, lever, c in _programmes(name, _configs_stamp())]
    except Exception:
        log.warning("scenario %s does not compose", name, exc_info=True)
        return None


def scenario_values(name: str) -> dict:
    """The sidebar's lever inputs as the scenario file sets them (its own levers; the programmes of its
    governments are listed read-only): ``<lever>`` ticked or not, ``<lever>__<knob>`` and
    ``<lever>__countries``. The schema's defaults when the file does not compose."""
    try:
        scn = _scenario_cfg(name, _configs_stamp())
    except Exception:
        log.warning("scenario %s does not compose", name, exc_info=True)
        scn = _schema_defaults().scenario
    out: dict = {}
    for lever, knobs in levers().items():
        lv = getattr(scn, lever)
        out[lever] = bool(lv.enabled)
        out[f"{lever}{SEP}{COUNTRIES}"] = [str(c) for c in lv.countries]
        out |= {f"{lever}{SEP}{knob}": float(getattr(lv, knob)) for knob in knobs}
    return out


def model_params() -> dict:
    """The sidebar's inputs (in the format of Mesa's ``model_params``: type, label, value, values), all
    of them keyword arguments of UIModel, drawn by ``sim.viz.app``.

    Choices are drop-down lists, so every input shows its value. A lever's countries are a
    ``SelectMultiple``.
    """
    cfg = _schema_defaults()
    burn_in = int(cfg.burn_in)
    params: dict = {
        "scenario_name": {
            "type": "Select",
            "label": "Scenario (configs/scenario)",
            "value": default_scenario(),
            "values": scenarios(),
        },
        "world": {"type": "Select", "label": "World (configs/world)", "value": default_world(), "values": worlds()},
        "seed": {
            "type": "Select",
            "label": "Seed",
            "value": int(cfg.seed),
            "values": sorted({int(cfg.seed), *range(SEEDS)}),
        },
        "burn_in": {
            "type": "Select",
            "label": "Burn-in weeks (policies start after them)",
            "value": burn_in,
            "values": sorted({burn_in, 0, 13, 26, 52, 104, 156, 208}),
        },
    }
    for lever, knobs in levers().items():
        params[lever] = {"type": "Checkbox", "label": f"{LEVER_LABELS.get(lever, lever)} (add lever)", "value": False}
        params[f"{lever}{SEP}{COUNTRIES}"] = {
            "type": "SelectMultiple",
            "label": f"{LEVER_LABELS.get(lever, lever)}: countries (none = all)",
            "value": [],
            "values": country_choices(default_world()),
        }
        lever_obj = getattr(cfg.scenario, lever)
        for knob, f in knobs.items():
            lo, hi = f.metadata["range"]
            default = float(getattr(lever_obj, knob))
            label, values = LEVER_KNOBS[lever][knob]
            params[f"{lever}{SEP}{knob}"] = {
                "type": "Select",
                "label": f"{LEVER_LABELS.get(lever, lever)}: {label}",
                "value": default,
                "values": _levels(values, lo, hi, default),
            }
    return params


def default_kwargs() -> dict:
    """The sidebar's initial values (so the first model equals the one a Reset would build): the
    default scenario's levers as its file sets them."""
    values = {k: v["value"] for k, v in model_params().items()}
    return values | scenario_values(values["scenario_name"])


def baseline_kwargs(settings: dict) -> dict | None:
    """The settings of the run to compare with: the ``baseline`` scenario with the same world, seed
    and burn-in, no lever ticked. None when ``settings`` are that run already (or there is no
    baseline scenario)."""
    if "baseline" not in scenarios():
        return None
    keep = ("world", "seed", "burn_in")
    base = {k: v["value"] for k, v in model_params().items()} | scenario_values("baseline")
    base |= {k: settings[k] for k in keep if k in settings} | {"scenario_name": "baseline"}
    same = settings.get("scenario_name") == "baseline" and not any(settings.get(lv) for lv in levers())
    return None if same else base


def overrides(settings: dict) -> list[str]:
    """Hydra overrides for the sidebar's values (the same strings the CLI takes)."""
    out = [
        f"scenario={settings['scenario_name']}",
        f"world={settings['world']}",
        f"seed={int(settings['seed'])}",
        f"burn_in={int(settings['burn_in'])}",
    ]
    file = scenario_values(settings["scenario_name"])
    for lever, knobs in levers().items():
        on = bool(settings.get(lever, file[lever]))
        if on != file[lever]:
            out.append(f"scenario.{lever}.enabled={str(on).lower()}")
        if not on:  # an unticked lever's knobs do nothing
            continue
        key = f"{lever}{SEP}{COUNTRIES}"
        if key in settings and country_list(settings[key]) != file[key]:
            out.append(f"scenario.{lever}.countries=[{','.join(country_list(settings[key]))}]")
        for knob in knobs:
            key = f"{lever}{SEP}{knob}"
            if key in settings and float(settings[key]) != file[key]:
                out.append(f"scenario.{lever}.{knob}={float(settings[key]):.6g}")
    return out


_compose_lock = threading.Lock()  # Hydra's global state is not thread-safe; sessions run in threads


def _configs_stamp() -> tuple:
    """Modification times of the config files: a cached composition is reused only while they hold."""
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in CONFIG_DIR.rglob("*.yaml")))


@lru_cache(maxsize=32)
def _composed(ovr: tuple[str, ...], stamp: tuple):
    del stamp  # part of the cache key only
    with _compose_lock:
        return compose([*FIXED, *ovr])


def composed(ovr: list[str]):
    """A fresh copy of the validated config for these overrides (composition is cached)."""
    return copy.deepcopy(_composed(tuple(ovr), _configs_stamp()))


class UIModel(CrimeModel):
    """A CrimeModel configured from the sidebar. One instance per browser session (and Reset).

    Keyword arguments are the keys of :func:`model_params`; anything else is an error, except
    ``scenario``, which Mesa's Reset passes (a ``mesa`` Scenario object, unused here: the policy
    scenario is ``scenario_name``). If the configuration cannot be composed (a broken scenario
    file, say), the model falls back to the defaults and keeps the reason in ``ui_error``, which
    the status panel shows.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.pop("scenario", None)
        known = default_kwargs()
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise TypeError(f"UIModel: unknown parameter(s) {unknown}; allowed: {sorted(known)}")
        # a scenario picked without its lever inputs gets its file's levers (not the default scenario's)
        scenario = kwargs.get("scenario_name", known["scenario_name"])
        settings = {**known, **scenario_values(scenario), **kwargs}
        self.ui_error: str | None = None
        ovr = overrides(settings)
        try:
            cfg = composed(ovr)
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.ui_error = f"could not build {' '.join(ovr)}: {first}; showing the defaults instead"
            log.warning(self.ui_error)
            settings = default_kwargs()
            ovr = overrides(settings)
            cfg = composed(ovr)
        self.ui_settings = settings
        self.ui_overrides = ovr
        quiet_mesa()
        super().__init__(cfg)
        self.view_cache: dict = {}  # per-model caches of the views (layouts, colours, geometry)
