"""docs/ODD.md: generated from docs/ODD.template.md and the code (sim/odd.py), and kept up to date."""

from __future__ import annotations

import dataclasses
import re

import pytest

from sim import odd
from sim.model import config
from sim.model.model import PHASES


@pytest.fixture(scope="module")
def rendered() -> str:
    """The whole document, rendered once: ~10 s (it composes every scenario on the default world),
    so the tests that read it are marked slow; the quick checks of sim.odd render one block."""
    return odd.render()


def _fields(cls: type, prefix: str):
    """(dotted key, field) for every scalar field reachable from a config dataclass."""
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory()):
            yield from _fields(type(f.default_factory()), f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", f


@pytest.mark.slow
def test_docs_odd_is_up_to_date(rendered):
    """The --check path: docs/ODD.md is exactly what `python -m sim.odd` would write."""
    problem = odd.check(text=rendered)
    assert problem is None, problem


@pytest.mark.slow
def test_cli_check_passes_on_the_committed_doc(rendered, monkeypatch):
    monkeypatch.setattr(odd, "render", lambda template=None: rendered)  # rendered once per module
    assert odd.main(["--check"]) == 0


@pytest.mark.slow
def test_every_mechanism_parameter_is_in_a_table_row_with_its_metadata(rendered):
    lines = rendered.splitlines()
    for key, f in _fields(config.ParamsConfig, ""):
        row = [ln for ln in lines if ln.startswith(f"| `{key}` |")]
        assert len(row) == 1, f"params.{key}: expected one table row, found {len(row)}"
        cells = [c.strip() for c in row[0].strip("|").split(" | ")]
        default = f.default
        assert cells[1] == (f"{default:g}" if isinstance(default, float) else str(default)), (key, cells)
        if "range" in f.metadata:
            lo, hi = f.metadata["range"]
            assert cells[2] == f"[{lo:g}, {hi:g}]", (key, cells)
            assert cells[3] == " ".join(f.metadata["units"].split()).replace("|", "\\|"), (key, cells)
            assert cells[4] == " ".join(f.metadata["source"].split()).replace("|", "\\|"), (key, cells)


@pytest.mark.slow
def test_every_lever_knob_is_in_a_table_row(rendered):
    lines = rendered.splitlines()
    for f in dataclasses.fields(config.LeverSet):
        lever = f.name
        for g in dataclasses.fields(type(f.default_factory())):
            if g.name in {x.name for x in dataclasses.fields(config.Lever)}:
                token = f"| `{g.name}` |"
            else:
                token = f"| `{lever}.{g.name}` |"
            assert any(ln.startswith(token) for ln in lines), f"scenario.{lever}.{g.name} missing"


@pytest.mark.slow
def test_every_field_of_sim_config_appears(rendered):
    """Every parameter, lever knob, world field and run setting declared in sim/model/config.py."""
    for key, _f in _fields(config.Config, ""):
        name = key.split(".")[-1]
        assert re.search(rf"`[\w.\[\]]*\b{re.escape(name)}`", rendered), f"{key} not in docs/ODD.md"
    for cls in (config.CountrySpec, config.TerritorySpec, config.CorridorSpec, config.OrgSpec):
        for f in dataclasses.fields(cls):
            assert f"[].{f.name}`" in rendered, f"{cls.__name__}.{f.name} not in docs/ODD.md"


@pytest.mark.slow
def test_every_phase_appears_in_order(rendered):
    positions = []
    for name, fn in PHASES:
        entry = f"**{name}**: `{fn.__module__}.{fn.__name__}`"
        assert entry in rendered, f"phase {name} missing"
        positions.append(rendered.index(entry))
    assert positions == sorted(positions), "phases out of the order of sim.model.model.PHASES"


@pytest.mark.slow
def test_every_world_scenario_and_mechanism_is_listed(rendered):
    for path in sorted((odd.CONFIGS / "world").glob("*.yaml")):
        assert re.search(rf"^\| `{path.stem}`( \(default\))? \|", rendered, re.MULTILINE), f"world {path.stem} missing"
    for path in sorted((odd.CONFIGS / "scenario").glob("*.yaml")):
        assert re.search(rf"^\| `{path.stem}`( \(default\))? \|", rendered, re.MULTILINE), (
            f"scenario {path.stem} missing"
        )
    for m in range(1, 20):
        assert re.search(rf"^\| M{m} \|", rendered, re.MULTILINE), f"M{m} missing from the mechanism tables"


@pytest.mark.slow
def test_check_fails_when_the_doc_is_altered(rendered, tmp_path):
    doc = tmp_path / "ODD.md"
    doc.write_text(rendered)
    assert odd.check(doc, rendered) is None
    # a parameter's default edited by hand in the generated table
    line = next(ln for ln in rendered.splitlines() if ln.startswith("| `violence.pax_factor` |"))
    doc.write_text(rendered.replace(line, line.replace("| `violence.pax_factor` | ", "| `violence.pax_factor` | 9")))
    problem = odd.check(doc, rendered)
    assert problem is not None and "out of date" in problem and "\n" not in problem
    # a phase dropped
    doc.write_text(rendered.replace("**violence**", "**violins**"))
    assert odd.check(doc, rendered) is not None
    # missing file
    doc.unlink()
    assert "missing" in odd.check(doc, rendered)


@pytest.mark.slow
def test_cli_check_exits_1_with_one_line_when_out_of_date(rendered, tmp_path, monkeypatch, capsys):
    doc = tmp_path / "ODD.md"
    doc.write_text(rendered + "hand edit\n")
    monkeypatch.setattr(odd, "OUTPUT", doc)
    monkeypatch.setattr(odd, "render", lambda template=None: rendered)
    assert odd.main(["--check"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "out of date" in err


def test_generated_tables_follow_the_code(monkeypatch):
    """A parameter's metadata changed in the code shows up in the rendered document."""
    template = "{{ params }}\n"
    before = odd.render(template)
    f = next(x for x in dataclasses.fields(config.ViolenceParams) if x.name == "pax_factor")
    monkeypatch.setattr(f, "metadata", {**f.metadata, "units": "a changed unit"})
    after = odd.render(template)
    assert before != after and "a changed unit" in after


def test_unknown_block_is_an_error():
    with pytest.raises(KeyError, match="unknown block"):
        odd.render("{{ no_such_block }}\n")


@pytest.mark.slow
def test_mechanism_table_points_at_existing_submodels(rendered):
    """Each `7.N name` reference in the M1-M19 table names an existing submodel heading."""
    headings = {m.group(1): m.group(2).lower() for m in re.finditer(r"^### (7\.\d+) (.+)$", rendered, re.MULTILINE)}
    rows = [ln for ln in rendered.splitlines() if re.match(r"^\| M\d+ \| .+ \| .+ \| .+ \|$", ln)]
    assert len(rows) == 19
    for row in rows:
        for num, word in re.findall(r"\b(7\.\d+) ([a-z]+)", row.split(" | ")[-1]):
            assert num in headings, f"{row[:8]}: section {num} does not exist"
            assert word in headings[num], f"{row[:8]}: section {num} is '{headings[num]}', not {word}"


def test_every_mechanism_parameter_has_a_range_units_and_source():
    """No free parameter without its documentation (the guide: units, plausible range, source)."""
    missing = [
        key for key, f in _fields(config.ParamsConfig, "") if not {"range", "units", "source"} <= set(f.metadata)
    ]
    assert not missing, f"parameters without metadata: {missing}"


def test_declared_ranges_leave_out_structural_integers():
    ranges = config.declared_ranges()
    assert "routing.k_paths" not in ranges and "politics.brokers_per_country" not in ranges
    assert ranges["enforcement.max_arrest_share"] == (0.1, 1.0)
