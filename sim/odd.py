"""The model's ODD description (Grimm et al. 2020), kept in step with the code: ``python -m sim.odd``.

Grimm, V., Railsback, S.F., Vincenot, C.E., et al. (2020) The ODD protocol for describing
agent-based and other simulation models: a second update to improve clarity, replication, and
structural realism. JASSS 23(2) 7, doi:10.18564/jasss.4259.

The prose (the seven ODD elements) is hand-written in ``docs/ODD.template.md``. A line holding
only ``{{ name }}`` is replaced by a block generated from the code and the configs (:data:`BLOCKS`):
the weekly phases in the order of ``sim.model.model.PHASES``, every parameter declared in
``sim/model/config.py`` (default, range, units, source, and the value of the default parameter set),
the policy levers and scenario files, the world presets with their sizes, the state variables,
the output columns, the event kinds, the targets and the validation checks. The result is
``docs/ODD.md``.

    python -m sim.odd            # write docs/ODD.md
    python -m sim.odd --check    # exit 1 with one line if docs/ODD.md is not what would be written

The generated text depends only on the repository's files (no clock, no machine paths), so the
check is exact.
"""

from __future__ import annotations

import argparse
import ast
import csv
import dataclasses
import inspect
import io
import re
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
from omegaconf import OmegaConf

from sim.model import config as config_module
from sim.resources import CONFIG_DIR, DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "docs" / "ODD.template.md"
OUTPUT = ROOT / "docs" / "ODD.md"
CONFIGS = CONFIG_DIR
PLACEHOLDER = re.compile(r"^\{\{\s*([a-z_]+)\s*\}\}\s*$")

# --------------------------------------------------------------------------------------------
# Helpers: markdown, numbers, source comments
# --------------------------------------------------------------------------------------------


def _cell(text: Any) -> str:
    """Text for one markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_num(x) for x in v) + "]"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def _first_line(doc: str | None) -> str:
    """First sentence-line of a docstring (up to the first blank line, joined)."""
    if not doc:
        return ""
    para = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(para.split())


def _rel(path: Path) -> str:
    """A path relative to the repository (its name only if it lies elsewhere)."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def _source_comments(path: Path) -> dict[int, str]:
    """Line number -> text of the comment on that line (without ``#``)."""
    out: dict[int, str] = {}
    text = path.read_text()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def _class_fields_comments(path: Path, class_name: str) -> list[tuple[str, str, str | None]]:
    """(field, trailing comment, group comment) for each annotated field of a class, in order.

    A comment on a line of its own inside the class body labels the fields after it (a group).
    """
    tree = ast.parse(path.read_text())
    comments = _source_comments(path)
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name)
    out, group, last = [], None, cls.body[0].lineno
    lines = path.read_text().splitlines()
    for node in cls.body:
        for ln in range(last, node.lineno):
            if ln in comments and lines[ln - 1].strip().startswith("#"):
                group = comments[ln]
        end = node.end_lineno or node.lineno  # always set by ast.parse
        last = end + 1
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.append((node.target.id, comments.get(end, comments.get(node.lineno, "")), group))
    return out


def _self_assign_comments(path: Path, class_name: str) -> list[tuple[str, str]]:
    """(attribute, trailing comment) for each ``self.x = ...`` in a class's ``__init__``, in order."""
    tree = ast.parse(path.read_text())
    comments = _source_comments(path)
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name)
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    found: list[tuple[int, str, str]] = []
    if init is None:
        return []
    for node in ast.walk(init):
        if isinstance(node, ast.Assign):
            for tgt in node.targets:
                if isinstance(tgt, ast.Attribute) and isinstance(tgt.value, ast.Name) and tgt.value.id == "self":
                    found.append((node.lineno, tgt.attr, comments.get(node.lineno, "")))
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for _line, name, comment in sorted(found):
        if name not in seen:
            seen.add(name)
            out.append((name, comment))
    return out


def _columns_of(path: Path, class_name: str) -> list[tuple[str, str]]:
    """(name, comment) of the ``_ArrayEntry("terr")`` attributes of an agent class."""
    tree = ast.parse(path.read_text())
    comments = _source_comments(path)
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name)
    out = []
    for node in cls.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", "") == "_ArrayEntry"
            and [getattr(a, "value", None) for a in node.value.args] == ["terr"]
        ):
            out.append((node.targets[0].id, comments.get(node.lineno, "")))
    return out


# --------------------------------------------------------------------------------------------
# Parameters (sim/model/config.py)
# --------------------------------------------------------------------------------------------


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if not callable(f.default_factory):
        raise TypeError(f"{f.name}: a field without a default")
    return f.default_factory()


def _is_group(f: dataclasses.Field) -> bool:
    return callable(f.default_factory) and dataclasses.is_dataclass(f.default_factory())


def param_rows(
    cls: type, calibrated: dict[str, Any] | None = None, prefix: str = "", unsourced: str = "— (no metadata)"
) -> list[list[Any]]:
    """One row per scalar field of a config dataclass: name, default, range, units, source[, in use].

    Fields declared with ``p()`` carry their metadata; the others show the comment on their line
    in ``sim/model/config.py`` as units/meaning and no range or source.
    """
    comments = {name: c for name, c, _g in _class_fields_comments(Path(config_module.__file__), cls.__name__)}
    for base in cls.__mro__[1:]:
        if dataclasses.is_dataclass(base):
            for name, c, _g in _class_fields_comments(Path(config_module.__file__), base.__name__):
                comments.setdefault(name, c)
    rows = []
    for f in dataclasses.fields(cls):
        if _is_group(f):
            continue
        default = _default(f)
        meta = f.metadata
        if "range" in meta:
            lo, hi = meta["range"]
            rng, units, source = f"[{_num(lo)}, {_num(hi)}]", meta["units"], meta["source"]
        else:
            rng, units, source = "—", comments.get(f.name, "") or f"({f.type})", unsourced
        shown = "required" if default == "???" else _num(default)  # "???" = omegaconf.MISSING
        row = [f"`{prefix}{f.name}`", shown, rng, units, source]
        if calibrated is not None:
            key = f"{prefix}{f.name}".split(".", 1)[-1]
            val = calibrated.get(key)
            row.append(_num(float(val)) if val is not None and val != default else "")
        rows.append(row)
    return rows


def default_choice(group: str) -> str:
    """The option of a config group that ``configs/config.yaml`` selects by default."""
    cfg = OmegaConf.load(CONFIGS / "config.yaml")
    for item in cfg.defaults:
        if isinstance(item, str):
            continue
        for k, v in item.items():
            if k == group:
                return str(v)
    raise KeyError(group)


def calibrated_values() -> tuple[str, dict[str, Any], list[str]]:
    """(name, {group.param: value}, header comment lines) of the default parameter set."""
    name = default_choice("params")
    return name, *parameter_file(CONFIGS / "params" / f"{name}.yaml")


def parameter_file(path: Path) -> tuple[dict[str, Any], list[str]]:
    """({group.param: value}, header comment lines but the ``@package`` line) of a parameter file
    (a ``params`` set or a world's ``fit``)."""
    raw = OmegaConf.to_container(OmegaConf.load(path)) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not a mapping of parameter groups")
    flat: dict[str, Any] = {}
    for group, values in raw.items():
        if isinstance(group, str) and isinstance(values, dict):
            for k, v in values.items():
                flat[f"{group}.{k}"] = v
    header = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        if not line.lstrip("#").strip().startswith("@package"):
            header.append(line.lstrip("#").strip())
    return flat, header


def block_params() -> str:
    """One table per parameter group of ``params`` (ParamsConfig), headed by its docstring."""
    name, cal, _ = calibrated_values()
    out = []
    for f in dataclasses.fields(config_module.ParamsConfig):
        cls = type(_default(f))
        out.append(f"#### `params.{f.name}`: {_first_line(cls.__doc__)}\n")
        out.append(
            _table(
                ["parameter", "default", "range", "units", "source", f"`params={name}`"],
                param_rows(
                    cls,
                    {k.split(".", 1)[1]: v for k, v in cal.items() if k.split(".", 1)[0] == f.name},
                    prefix=f"{f.name}.",
                ),
            )
        )
        out.append("")
    return "\n".join(out).rstrip()


def block_calibration() -> str:
    name, cal, header = calibrated_values()
    lines = [
        (
            f"The default parameter set is `params={name}` (`configs/params/{name}.yaml`, selected in "
            f"`configs/config.yaml`); it overrides {len(cal)} of the defaults above. Its header reads:"
        ),
        "",
    ]
    lines += [f"> {h}" if h else ">" for h in header] or ["> (no header)"]
    for path in sorted((CONFIGS / "fit").glob("*.yaml")):
        values, fit_header = parameter_file(path)
        if not values:
            continue
        lines += [
            "",
            (
                f"`world={path.stem}` has its own fit, `configs/fit/{path.name}`, applied on top of the "
                f"parameter set whenever that world is chosen (`fit: ${{world}}` in `configs/config.yaml`; "
                f"`fit=none` leaves it out): "
                + ", ".join(f"`{k}` = {v:.4g}" for k, v in values.items())
                + ". Its header reads:"
            ),
            "",
        ]
        lines += [f"> {h}" if h else ">" for h in fit_header]
    return "\n".join(lines)


def block_run_settings() -> str:
    rows = param_rows(config_module.Config, unsourced="run setting") + param_rows(
        config_module.OutputConfig, prefix="output.", unsourced="run setting"
    )
    return _table(["setting", "default", "range", "units / meaning", "source"], rows)


def block_world_schema() -> str:
    out = []
    for cls, prefix in (
        (config_module.WorldConfig, "world."),
        (config_module.SyntheticWorld, "world.generator."),
        (config_module.CountrySpec, "world.countries[]."),
        (config_module.TerritorySpec, "world.territories[]."),
        (config_module.CorridorSpec, "world.corridors[]."),
        (config_module.OrgSpec, "world.organisations[]."),
    ):
        out.append(f"**`{cls.__name__}`** ({_first_line(cls.__doc__) or 'world preset fields'})\n")
        out.append(
            _table(
                ["field", "default", "range", "units / meaning", "source"],
                param_rows(cls, prefix=prefix, unsourced="per preset: the comment on its line"),
            )
        )
        out.append("")
    return "\n".join(out).rstrip()


def block_levers() -> str:
    from sim.model import policies

    out = [
        "A scenario's own levers act in their `countries`; `scenario.governments` maps a label to a"
        " further set of the same levers (`LeverSet`), one programme of government each, so that"
        " two governments run variants of one lever (`sim/model/config.py: programmes`)."
        " Every lever has the timing and reach fields of `Lever`:",
        "",
        _table(
            ["field", "default", "range", "units / meaning", "source"],
            param_rows(config_module.Lever, unsourced="per scenario file: the comment on its line"),
        ),
        "",
    ]
    for f in dataclasses.fields(config_module.ScenarioConfig):
        if not _is_group(f):
            continue
        cls = type(_default(f))
        apply = policies.APPLY.get(f.name)
        out.append(f"#### `scenario.{f.name}`: {_first_line(cls.__doc__)}\n")
        if apply is not None:
            out.append(f"Effect (`sim/model/policies.py: {apply.__name__}`): {_first_line(apply.__doc__)}\n")
        base = {x.name for x in dataclasses.fields(config_module.Lever)}
        rows = [
            r
            for r in param_rows(cls, prefix=f"{f.name}.", unsourced="per scenario file: the comment on its line")
            if r[0].strip("`").split(".")[-1] not in base
        ]
        out.append(_table(["knob", "default", "range", "units / meaning", "source"], rows))
        out.append("")
    return "\n".join(out).rstrip()


# --------------------------------------------------------------------------------------------
# Configs: scenarios and worlds (composed through the same API as the CLI)
# --------------------------------------------------------------------------------------------


def _compose(overrides: list[str]):
    from sim.run import compose

    return compose(["progress=false", "output.write=false", *overrides])


def block_scenarios() -> str:
    default = default_choice("scenario")
    neutral = config_module.ScenarioConfig()
    rows = []
    for path in sorted((CONFIGS / "scenario").glob("*.yaml")):
        cfg = _compose([f"scenario={path.stem}"])
        scn = cast(config_module.ScenarioConfig, OmegaConf.to_object(cfg.scenario))
        parts = []
        for label, levers in config_module.programmes(scn):
            for f in dataclasses.fields(config_module.LeverSet):
                lv, base = getattr(levers, f.name), getattr(neutral, f.name)
                if not lv.enabled:
                    continue
                knobs = [
                    f"{x.name}={_num(getattr(lv, x.name))}"
                    for x in dataclasses.fields(lv)
                    if x.name != "enabled" and getattr(lv, x.name) != getattr(base, x.name)
                ]
                name = f"governments.{label}.{f.name}" if label else f.name
                parts.append(f"`{name}`" + (f" ({', '.join(knobs)})" if knobs else " (schema defaults)"))
        label = f"`{path.stem}`" + (" (default)" if path.stem == default else "")
        rows.append([label, scn.description, "; ".join(parts) or "none (every lever off)"])
    return _table(["scenario", "description", "levers switched on (knobs that differ from the schema default)"], rows)


def world_sizes(stem: str) -> dict[str, Any]:
    """Sizes of a world preset at seed 0: built as a run builds it (``sim.model.world.build_world``)."""
    from sim.model.world import build_world

    cfg = _compose([f"world={stem}", "seed=0"])
    w = build_world(cfg.world, np.random.default_rng(int(cfg.seed)))
    kinds = [o["kind"] for o in w.organisations]
    modes: dict[str, int] = {}
    for _a, _b, d in w.graph.edges(data=True):
        modes[d["mode"]] = modes.get(d["mode"], 0) + 1
    n_brokers = int(cfg.params.politics.brokers_per_country)
    return {
        "name": str(cfg.world.name),
        "description": str(cfg.world.description),
        "generated": not len(cfg.world.territories),
        "territories": w.n,
        "countries": len(w.countries),
        "corridors": w.graph.number_of_edges(),
        "modes": modes,
        "cartels": kinds.count("cartel"),
        "gangs": kinds.count("gang"),
        "facilitators": int(cfg.world.n_facilitators),
        "politicians": w.n + len(w.countries) * (1 + n_brokers),
        "producers": int((w.production_kg > 0).sum()),
        "markets": int((w.consumption_kg > 0).sum()),
        "production_t": float(w.production_kg.sum() * 52.0 / 1000.0),
        "report": list(cfg.world.report_regions),
        "n_territories": int(cfg.world.n_territories),
    }


def block_synthetic_world() -> str:
    """The docstring of the synthetic world generator, as a quotation."""
    from sim.model.world import synthetic

    text = inspect.cleandoc(synthetic.__doc__ or "")
    return "\n".join(f"   > {ln}" if ln else "   >" for ln in text.splitlines())


def block_worlds() -> str:
    default = default_choice("world")
    rows = []
    for path in sorted((CONFIGS / "world").glob("*.yaml")):
        s = world_sizes(path.stem)
        label = f"`{path.stem}`" + (" (default)" if path.stem == default else "")
        kind = (
            f"generated (`n_territories={s['n_territories']}`; sizes at seed 0)"
            if s["generated"]
            else "tables in the file"
        )
        modes = ", ".join(f"{k} {v}" for k, v in sorted(s["modes"].items()))
        rows.append(
            [
                label,
                s["description"],
                kind,
                s["territories"],
                s["countries"],
                f"{s['corridors']} ({modes})",
                (f"{s['cartels'] + s['gangs']} ({s['cartels']} cartels, {s['gangs']} gangs)"),
                s["facilitators"],
                s["politicians"],
                f"{s['producers']} / {s['markets']}",
                f"{s['production_t']:.0f}",
                ", ".join(s["report"]) or "all",
            ]
        )
    return _table(
        [
            "preset",
            "description",
            "territories from",
            "territories",
            "countries",
            "corridors (by mode)",
            "organisations at start",
            "facilitators",
            "politicians",
            "producers / markets",
            "production (t/yr)",
            "headline regions",
        ],
        rows,
    )


# --------------------------------------------------------------------------------------------
# Model structure: phases, state variables, ties, mechanisms
# --------------------------------------------------------------------------------------------


def block_phases() -> str:
    from sim.model.model import PHASES

    lines = []
    for i, (name, fn) in enumerate(PHASES, 1):
        mod = sys.modules[fn.__module__]
        doc = _first_line(fn.__doc__) or _first_line(mod.__doc__)
        src = "function" if fn.__doc__ else "module"
        lines.append(f"{i}. **{name}**: `{fn.__module__}.{fn.__name__}`. {doc} <sub>({src} docstring)</sub>")
    return "\n".join(lines)


#: Meaning of state variables whose line in the code has no comment (the code's comment wins).
STATE_NOTES = {
    "TerritoryState.population": "persons (falls with emigration)",
    "TerritoryState.officers": "police officers",
    "TerritoryState.integrity": "0..1 integrity of the unit's officers",
    "TerritoryState.pay": "police pay relative to the median wage",
    "TerritoryState.local": "share of officers recruited locally",
    "TerritoryState.investigative": "0..1 share of arrests that can be investigated",
    "Organisation.name": "label (splinters: '<parent> splinter N')",
    "Organisation.home": "index of the home territory",
    "Organisation.leader": "free | prison | extradited",
    "Organisation.founded_by": "unique_id of the parent of a splinter (else None)",
    "Militia.phase": "protective | predatory | captured",
    "Militia.formed": "step when it formed",
    "Facilitator.kind": "launderer | transporter | forger | lawyer | broker",
    "Facilitator.capacity": "1 + a Pareto draw; slots = max(1, round(capacity x clients_per_capacity))",
    "Facilitator.fee": "share of a client's revenue (params.facilitators.fee)",
    "Facilitator.slots": "clients it can serve at once: max(1, round(capacity x clients_per_capacity))",
    "Regime.country": "index of its country",
    "Politician.country": "index of its country",
    "Politician.territory": "index of its seat",
    "Politician.integrity": "0..1, a Beta draw, redrawn at each election",
    "Politician.captured": "true once illicit money x (1 - integrity) passes the capture threshold",
    "Politician.broker": "true for the legislators holding brokerage ties",
}


def block_state_territory() -> str:
    from sim.model import state

    rows = [
        [f"`{name}`", group or "", comment or STATE_NOTES.get(f"TerritoryState.{name}", "")]
        for name, comment, group in _class_fields_comments(Path(state.__file__), "TerritoryState")
    ]
    return _table(["array (`model.terr.<name>`, one entry per territory)", "group", "meaning"], rows)


def _ledger_comments(path: Path) -> list[tuple[str, str]]:
    """(name, comment) of each entry of the organisations' ledger (``LEDGER`` in sim/model/agents.py)."""
    tree = ast.parse(path.read_text())
    comments = _source_comments(path)
    node = next(
        n
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "LEDGER"
    )
    assert isinstance(node.value, ast.Tuple)
    return [(str(getattr(e, "value", "")), comments.get(e.lineno, "")) for e in node.value.elts]


def block_state_agents() -> str:
    from sim.model import agents

    path = Path(agents.__file__)
    ledger = _ledger_comments(path)
    out = []
    for cls_name in ("Organisation", "Militia", "Facilitator", "Regime", "Politician"):
        cls = getattr(agents, cls_name)
        in_ledger = [(n, c) for n, c in ledger if isinstance(vars(cls).get(n), agents._ArrayEntry)]
        rows = [
            [f"`{n}`", c or STATE_NOTES.get(f"{cls_name}.{n}", "")]
            for n, c in _self_assign_comments(path, cls_name)
            if n not in ("model", "ledger", *dict(in_ledger))
        ]
        rows += [[f"`{n}`", f"{c} (its entry of `model.orgs.{n}`)"] for n, c in in_ledger]
        props = [n for n, v in vars(cls).items() if isinstance(v, property)]
        out.append(f"**`{cls_name}`** ({_first_line(cls.__doc__)})\n")
        out.append(_table(["attribute", "meaning"], rows))
        if props:
            out.append(f"\nDerived: {', '.join(f'`{p}`' for p in props)}.")
        out.append("")
    for cls_name in ("Police", "Community"):
        cls = getattr(agents, cls_name)
        cols = _columns_of(path, cls_name)
        out.append(
            f"**`{cls_name}`** ({_first_line(cls.__doc__)}) reads and writes its territory's entry of "
            f"`model.terr`: " + ", ".join(f"`{n}`" + (f" ({c})" if c else "") for n, c in cols) + "."
        )
        out.append("")
    return "\n".join(out).rstrip()


def block_ties() -> str:
    """The tie kinds, from the table in ``sim/model/ties.py``'s docstring (checked against ``KINDS``)."""
    from sim.model import ties

    def kept(kind: str) -> str:
        shape = "symmetric" if kind in ties.SYMMETRIC else "directed"
        return f"{shape}, in the tie graph" if kind in ties.STORED else f"{shape}, derived from the state"

    rows = []
    for line in (ties.__doc__ or "").splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) == 3 and parts[0] in ties.KINDS:
            rows.append([f"`{parts[0]}`", parts[1], parts[2], kept(parts[0])])
    missing = [k for k in ties.KINDS if k not in {r[0].strip("`") for r in rows}]
    rows += [[f"`{k}`", "", "", kept(k)] for k in missing]
    return _table(["tie kind", "between", "weight", "kept"], rows)


MECH = re.compile(r"\bM(\d{1,2})\b")


def block_mechanism_modules() -> str:
    """Which modules' docstrings (module, classes, functions) cite each mechanism id."""
    cites: dict[int, list[str]] = {}
    files = [*sorted((ROOT / "sim" / "model" / "phases").glob("*.py")), ROOT / "sim" / "model" / "policies.py"]
    for path in files:
        tree = ast.parse(path.read_text())
        docs = [
            ast.get_docstring(n) or ""
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef))
        ]
        for m in sorted({int(x) for d in docs for x in MECH.findall(d)}):
            cites.setdefault(m, []).append(f"`{_rel(path)}`")
    rows = [[f"M{m}", ", ".join(cites.get(m, [])) or "(not cited in a docstring)"] for m in range(1, 20)]
    return _table(["mechanism", "cited in the docstrings of"], rows)


# --------------------------------------------------------------------------------------------
# Outputs, events, targets, checks
# --------------------------------------------------------------------------------------------

#: One-line meaning of the timeseries columns whose reporter is a lambda (the others use their
#: reporter's docstring; a column missing here shows its reporter's expression).
OUTPUT_NOTES = {
    "step": "Mesa step counter (weeks since the start, burn-in included; 1 in the first week)",
    "year": "weeks since the end of the burn-in / 52 (negative during the burn-in)",
    "homicides": "homicides this week in the headline regions (Poisson draws, violence phase)",
    "organised_homicides": "expected homicides this week from combat and gang violence (headline regions)",
    "homicide_rate": "homicides per 100,000 per year (annualised weekly count, headline regions)",
    "recruits": "members recruited this week (recruitment phase)",
    "arrests": "arrests this week, members plus swept-up non-members (enforcement phase)",
    "active_groups": "organisations alive (cartels, gangs, militias)",
    "cartels": "cartel agents alive",
    "gangs": "gang agents alive",
    "militias": "militia agents alive",
    "splits": "organisations that split this week",
    "leader_removals": "leaders removed this week (imprisoned or extradited)",
    "extraditions": "leaders extradited this week",
    "drug_produced_kg": "cocaine produced since the start (cumulative, kg)",
    "drug_shipped_kg": "kg shipped from producers this week",
    "drug_delivered_kg": "kg reaching markets this week",
    "drug_seized_kg": "kg seized this week",
    "drug_in_transit_kg": "kg on the way (scheduled to arrive in later weeks)",
    "drug_stock_kg": "kg held at producers, not yet shipped",
    "seizure_share": "kg seized / (kg seized + kg delivered) this week",
    "wholesale_price": "consumption-weighted mean wholesale price at the markets (USD/kg)",
    "route_territories": "territories (neither producer nor market) carrying more than 1 kg this week",
    "corrupt_police_share": "officer-weighted share of police on a criminal payroll (headline regions)",
    "court_capture": "mean court capture over countries (0..1)",
    "captured_politicians_share": "share of all politicians captured",
    "community_trust": "population-weighted trust in the state (headline regions)",
    "extortion_rate": "population-weighted share of residents paying extortion (headline regions)",
    "emigration": "emigrants this week (headline regions)",
    "criminal_revenue": "income of all organisations this week (USD)",
    "laundered_usd": "USD the launderers carried this week for all groups (laundering phase)",
    "laundering_fees_usd": "USD the groups paid their launderers this week",
    "laundering_confiscated_usd": "USD of the groups confiscated this week (laundered money, launderers' pipelines)",
    "unlaundered_lost_usd": "USD the groups lost this week moving income no launderer carried",
    "launderers": "launderers in the model (they are taken down and replaced under anti_laundering)",
    "groups_hit_laundering": "groups that lost over 1% of the income they had to launder this week (confiscation, "
    "unlaundered income)",
    "criminal_revenue_kept": "criminal_revenue less this week's laundering fees, confiscations and unlaundered losses (USD)",
    "arms_bought_usd": "USD all groups spent on arms and ammunition this week (arms phase)",
    "arms_bought_units": "units (a firearm with its ammunition) all groups bought this week",
    "arms_stock_units": "units all groups hold after this week's purchases",
    "contested_territories": "territories contested this week (all territories)",
    "military_share": "officer-weighted share of units that is military (headline regions)",
    "abuse": "population-weighted abuse index, abuses per 100k per year, smoothed (headline regions)",
}

#: Meaning of the event kinds (the kinds themselves are found in the code).
EVENT_NOTES = {
    "leader_removed": "a leader is removed (`how`: imprisoned or extradited)",
    "extradition": "the removed leader is extradited",
    "extradition_blocked": "a captured executive blocks an extradition; the leader goes to a domestic prison",
    "succession": "a lieutenant takes over",
    "succession_crisis": "no successor ready and no split: a weak successor, one lieutenant fewer",
    "split": "a splinter group breaks away (actors: parent, splinter)",
    "leader_returned": "an extradited leader comes back and founds a new cartel at home",
    "dissolved": "an organisation falls below `min_members` and dissolves",
    "militia_formed": "a community forms an autodefensa",
    "militia_predatory": "a militia turns predatory",
    "militia_captured": "a militia is captured by the cartel controlling its home",
    "truce": "a truce starts",
    "truce_broken": "the truce collapses",
    "facilitator_removed": "a facilitator is taken down (`how`: takedown under anti_laundering, removed by a lever; "
    "actors: its clients)",
    "election": "a country holds elections (`captured`, `seats`)",
}


def _reporter_note(name: str, fn: Callable) -> str:
    if name in OUTPUT_NOTES:
        return OUTPUT_NOTES[name]
    if fn.__name__ != "<lambda>" and fn.__doc__:
        return _first_line(fn.__doc__)
    try:
        src = inspect.getsource(fn).strip().rstrip(",")
    except (OSError, TypeError):
        return ""
    return "`" + src.split("lambda m:", 1)[-1].strip() + "`" if "lambda" in src else f"`{fn.__name__}`"


def _tiny_run():
    """A 3-week run on a 12-territory synthetic world: the exact columns of the output tables."""
    from sim.run import run

    return run(_compose(["world=synthetic", "world.n_territories=12", "steps=2", "burn_in=1", "seed=0"]))


def block_outputs() -> str:
    from sim.model import metrics, state

    res = _tiny_run()
    reporters = metrics.model_reporters()
    rows = [[f"`{c}`", _reporter_note(c, reporters[c]) if c in reporters else ""] for c in res.timeseries.columns]
    terr_notes = {n: c for n, c, _g in _class_fields_comments(Path(state.__file__), "TerritoryState")}
    terr_notes.update(
        step="Mesa step",
        territory="territory id",
        country="ISO code",
        region="region label",
        year="as in the timeseries",
        homicide_rate="homicides per 100k per year (annualised)",
        controller="name of the controlling organisation ('' if none)",
    )
    terr_rows = [[f"`{c}`", terr_notes.get(c, "")] for c in res.territories.columns]
    country_rows = [[f"`{c}`", metrics.COUNTRY_COLUMNS.get(c, "")] for c in res.countries.columns]
    summary = ", ".join(f"`{k}`" for k in res.summary)
    return "\n".join(
        [
            "**`timeseries.parquet`** (one row per week, `sim.model.metrics.model_reporters`):",
            "",
            _table(["column", "meaning"], rows),
            "",
            (
                "**`territories.parquet`** (one row per territory and sampled week, every `output.territory_every` "
                "weeks, `sim.model.metrics.record_territories`):"
            ),
            "",
            _table(["column", "meaning"], terr_rows),
            "",
            (
                "**`countries.parquet`** (one row per country and week, every week, `sim.model.metrics.record_countries`; "
                "over all of the country's territories):"
            ),
            "",
            _table(["column", "meaning"], country_rows),
            "",
            (
                f"**`events.parquet`**: columns {', '.join(f'`{c}`' for c in ('step', 'year', 'kind', 'actors', 'territory'))}"
                " plus the extra fields of some kinds (next table)."
            ),
            "",
            f"**`summary.json`** keys: {summary}.",
        ]
    )


def block_accounts() -> str:
    from sim.model.accounts import ACCOUNTS, TOTALS

    rows = [[f"`{a}`", "`total`", TOTALS[a]] for a in ACCOUNTS]
    rows += [[f"`{a}`", f"`{c}`", meaning] for a, causes in ACCOUNTS.items() for c, meaning in causes.items()]
    rows.sort(key=lambda r: list(ACCOUNTS).index(r[0].strip("`")))
    return "\n".join(
        [
            "**`flows.parquet`** (long format, one row per week, country, account and cause; rows whose value is 0 "
            "are left out): columns `step, year, country` (ISO code), `account, cause, value`; `cause` is one of "
            "the causes below or `total`, the account's observed total (generated from `sim.model.accounts.ACCOUNTS`):",
            "",
            _table(["account", "cause", "meaning"], rows),
        ]
    )


def event_kinds() -> list[tuple[str, str]]:
    """(kind, where) of every ``model.event("kind", ...)`` call in ``sim/``."""
    found: list[tuple[str, str]] = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "event"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    where = f"`{_rel(path)}: {fn.name}`"
                    if (node.args[0].value, where) not in found:
                        found.append((node.args[0].value, where))
    return found


def block_events() -> str:
    rows = [[f"`{k}`", EVENT_NOTES.get(k, ""), where] for k, where in event_kinds()]
    return _table(["event kind", "meaning", "emitted in"], rows)


def block_targets() -> str:
    path = DATA_DIR / "targets.csv"
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    rows = []
    for r in csv.DictReader(lines):
        rows.append(
            [
                f"`{r['id']}`",
                r["quantity"],
                f"{r['value']} [{r['low']}, {r['high']}]",
                r["units"],
                r["years"],
                r["calibrate"],
                r.get("world") or "hemisphere",
                r["source"],
            ]
        )
    return _table(["target", "quantity", "value [band]", "units", "years", "calibrated on", "world", "source"], rows)


def block_checks() -> str:
    from sim.analysis.validate import CHECKS

    rows = [[f"`{c.id}`", c.country, c.tests, c.claim, c.criterion, c.source] for c in CHECKS]
    return _table(["check", "measured in", "tests", "claim", "criterion (fixed in advance)", "source"], rows)


def block_header() -> str:
    return (
        "<!-- Generated by `python -m sim.odd` from docs/ODD.template.md and the code; do not edit by hand. "
        "Edit the template (prose) or the code and configs (tables), then run `python -m sim.odd`. -->"
    )


BLOCKS: dict[str, Callable[[], str]] = {
    "header": block_header,
    "phases": block_phases,
    "state_territory": block_state_territory,
    "state_agents": block_state_agents,
    "ties": block_ties,
    "worlds": block_worlds,
    "synthetic_world": block_synthetic_world,
    "world_schema": block_world_schema,
    "run_settings": block_run_settings,
    "params": block_params,
    "calibration": block_calibration,
    "levers": block_levers,
    "scenarios": block_scenarios,
    "outputs": block_outputs,
    "accounts": block_accounts,
    "events": block_events,
    "targets": block_targets,
    "checks": block_checks,
    "mechanism_modules": block_mechanism_modules,
}


def render(template: str | None = None) -> str:
    """The full text of docs/ODD.md: the template with every ``{{ name }}`` line replaced."""
    text = TEMPLATE.read_text() if template is None else template
    out, cache = [], {}
    for line in text.splitlines():
        m = PLACEHOLDER.match(line.strip())
        if not m:
            out.append(line)
            continue
        name = m.group(1)
        if name not in BLOCKS:
            raise KeyError(f"docs/ODD.template.md: unknown block {{{{ {name} }}}}; known: {', '.join(BLOCKS)}")
        if name not in cache:
            cache[name] = BLOCKS[name]()
        if name == "header":
            out.append(cache[name])
        else:
            out += [f"<!-- generated: {name} (sim/odd.py) -->", cache[name], "<!-- end generated -->"]
    return "\n".join(out).rstrip() + "\n"


def check(path: Path | None = None, text: str | None = None) -> str | None:
    """None if ``path`` (default docs/ODD.md) holds what :func:`render` gives, else a one-line reason."""
    path = OUTPUT if path is None else path
    expected = render() if text is None else text
    if not path.exists():
        return f"{_rel(path)} is missing: run `python -m sim.odd`"
    actual = path.read_text()
    if actual == expected:
        return None
    a, e = actual.splitlines(), expected.splitlines()
    line = next((i for i, (x, y) in enumerate(zip(a, e), 1) if x != y), min(len(a), len(e)) + 1)
    return f"{_rel(path)} is out of date (first difference at line {line}): run `python -m sim.odd`"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.odd", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/ODD.md differs from what would be written")
    args = ap.parse_args(argv)
    from sim.run import quiet_mesa

    quiet_mesa()
    if args.check:
        problem = check()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        print(f"{_rel(OUTPUT)} is up to date")
        return 0
    text = render()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {_rel(OUTPUT)} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
