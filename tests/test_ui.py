"""The browser UI (``sim/viz``): the views and the run without a browser, then the real page in chromium.

The browser tests share one ``python -m sim.viz`` (the documented command; its address is printed
only once it listens) on a free localhost port and one headless chromium (Playwright, Debian's
chromium); each test opens its own tab, which gets its own run (week 0 while the other tabs have
stepped). They check, from the page: the sidebar shows the run's values (a scenario loads its
levers, unticked levers' knobs disabled, "Press Reset to apply"), Reset shows progress and disables
Step and Play, the baseline is beside the scenario (plots and map), the country view, an exported
file that parses, Pause stops at once and a run stops at its horizon; and, at the end, that no page
error occurred, no request left localhost, no asset was missing and the server logged no traceback
or warning. Screenshots go to ``results/ui_*.png``.

Under CI (``CI=true``) it first runs ``scripts/ui_setup.sh`` (playwright, chromium, the offline
asset cache) and must run; elsewhere it skips, saying what is missing.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from conftest import require_service

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / ".cache" / "solara-assets"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = REPO / "results"  # screenshots: ui_first_page, ui_baseline, ui_country, ui_country_regime, ui_horizon (.png)
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}
IN_CI = os.environ.get("CI", "").lower() == "true"


# ------------------------------------------------------------------ without a browser


@pytest.fixture(scope="module")
def viz():
    from sim.viz import factory, map, network, panels, plots

    return {"factory": factory, "map": map, "network": network, "panels": panels, "plots": plots}


def test_sidebar_lists_the_configs_on_disk(viz):
    f = viz["factory"]
    on_disk = {p.stem for p in (REPO / "configs" / "scenario").glob("*.yaml")}
    params = f.model_params()
    assert set(params["scenario_name"]["values"]) == on_disk
    assert params["scenario_name"]["values"][0] == "baseline"
    assert set(params["world"]["values"]) == {p.stem for p in (REPO / "configs" / "world").glob("*.yaml")}
    assert params["world"]["value"] == f.default_world() == "hemisphere"  # the project default world
    for key, spec in params.items():  # every choice offered is a valid value
        if spec["type"] == "Select":
            assert spec["value"] in spec["values"], key
        if spec["type"] == "SelectMultiple":  # a lever's countries: none picked, the world's codes offered
            assert key.endswith("__countries") and spec["value"] == []
            assert spec["values"] == ["region", *f.world_countries("hemisphere")] and "SLV" in spec["values"]


def test_levers_become_the_cli_overrides(viz):
    f = viz["factory"]
    settings = {**f.default_kwargs(), "mano_dura": True, "mano_dura__arrest_multiplier": 20.0, "truce": True, "seed": 3}
    ovr = f.overrides(settings)
    assert "scenario.mano_dura.enabled=true" in ovr and "scenario.mano_dura.arrest_multiplier=20" in ovr
    assert "scenario.truce.enabled=true" in ovr and "seed=3" in ovr
    assert not any(o.startswith("scenario.prevention") for o in ovr)  # unticked, as in the file: nothing to say
    cfg = f.composed(ovr)
    assert cfg.scenario.mano_dura.enabled and cfg.scenario.mano_dura.arrest_multiplier == 20.0
    assert cfg.seed == 3
    with pytest.raises(TypeError, match="unknown parameter"):
        f.UIModel(no_such_knob=1)


def test_lever_countries_become_the_cli_override(viz):
    f, panels = viz["factory"], viz["panels"]
    base = {**f.default_kwargs(), "mano_dura": True}
    ovr = f.overrides({**base, "mano_dura__countries": ["SLV", "region"], "truce__countries": ["HND"]})
    assert "scenario.mano_dura.countries=[SLV,region]" in ovr
    assert not any(o.startswith("scenario.truce") for o in ovr)  # unticked: its countries are not applied
    assert f.composed(ovr).scenario.mano_dura.countries == ["SLV", "region"]
    assert not any("countries" in o for o in f.overrides(base))  # none picked = everywhere = the file's value
    assert "scenario.mano_dura.countries=[SLV,HND]" in f.overrides({**base, "mano_dura__countries": "SLV, HND"})
    # the model built from the sidebar acts where picked, and its status line says so (shell-quoted)
    m = f.UIModel(world="synthetic", burn_in=0, mano_dura=True, mano_dura__countries=["C001"])
    assert m.ui_error is None and m.cfg.scenario.mano_dura.countries == ["C001"]
    status = panels.status_html(m)
    assert "mano dura in C001" in status and "&#x27;scenario.mano_dura.countries=[C001]&#x27;" in status
    # a country the world lacks: the defaults, and why
    bad = f.UIModel(world="synthetic", mano_dura=True, mano_dura__countries=["SLV"])
    assert bad.ui_error and "unknown country SLV" in bad.ui_error


def test_sidebar_lists_the_governments_programmes_of_a_scenario(viz):
    f, panels = viz["factory"], viz["panels"]
    assert f.world_countries("synthetic") == ["C000", "C001", "C002", "C003"]
    progs = f.scenario_programmes("slv_exception_2022")
    assert progs == [("slv_2022", "mano_dura", ["SLV"])]
    html = panels.programmes_html("slv_exception_2022", progs)
    assert "government <b>slv_2022</b>: mano dura in SLV" in html
    assert f.scenario_programmes("baseline") == [] and "status quo" in panels.programmes_html("baseline", [])
    assert f.scenario_programmes("no_such_scenario") is None
    # the running model's status lists the government's programme too
    m = f.UIModel(scenario_name="slv_exception_2022", burn_in=0)
    m.step()
    assert "slv_2022: mano dura in SLV (on)" in panels.status_html(m)


def test_a_config_that_does_not_compose_falls_back_and_says_why(viz):
    m = viz["factory"].UIModel(scenario_name="no_such_scenario")
    assert m.ui_error and "scenario=no_such_scenario" in m.ui_error
    assert m.cfg.scenario.name == "baseline"
    assert "no_such_scenario" in viz["panels"].status_html(m)


@pytest.mark.parametrize("scenario", sorted(p.stem for p in (REPO / "configs" / "scenario").glob("*.yaml")))
def test_every_scenario_builds_in_the_ui(viz, scenario):
    f = viz["factory"]
    # in the small synthetic world, unless the file names real countries (then the default world)
    named = {c for _label, _lever, countries in f.scenario_programmes(scenario) for c in countries} - {"region"}
    m = f.UIModel(scenario_name=scenario, world=f.default_world() if named else "synthetic")
    assert m.ui_error is None, m.ui_error
    assert m.cfg.scenario.name == scenario
    m.step()
    m.step()
    assert viz["panels"].panel_html(m)


def test_views_change_when_the_model_steps_and_redraw_fast(viz):
    """Each view is a plain function of the model; on the default world a redraw takes a few ms."""
    m = viz["factory"].UIModel()
    assert m.world.n >= 50  # the default world
    draw = {
        "map": viz["map"].map_html,
        "network": viz["network"].network_html,
        "panels": viz["panels"].panel_html,
        "plots": viz["plots"].timeseries_html,
    }
    before = {k: fn(m) for k, fn in draw.items()}
    assert 'data-step="0"' in before["map"]
    times = []
    for _ in range(12):
        m.step()
        t0 = time.perf_counter()
        after = {k: fn(m) for k, fn in draw.items()}
        times.append(time.perf_counter() - t0)
    for k in draw:
        assert after[k] != before[k], f"{k} did not change after 12 steps"
    assert 'data-step="12"' in after["map"]
    year, series = viz["plots"].series(m)
    assert len(year) == 12 and np.isfinite(series["homicide_rate"][-1])
    assert 'data-step="12"' in after["plots"] and "no data yet" in before["plots"]
    median_ms = 1000 * statistics.median(times)
    print(f"server-side redraw of the four views: median {median_ms:.1f} ms")
    assert median_ms < 250, f"redrawing the views takes {median_ms:.0f} ms a step"


def test_country_series_are_the_country_s_own_values(viz):
    """The plots' series of a selected country equal its values computed from the model's state."""
    plots = viz["plots"]
    m = viz["factory"].UIModel(burn_in=2)
    w, t = m.world, m.terr
    c = [x.iso for x in w.countries].index("SLV")
    mine = w.country == c
    direct: dict[str, list[float]] = {k: [] for k in ("homicide", "members", "prisoners", "incarceration", "trust")}
    for _ in range(8):
        m.step()
        pop = t.population[mine].sum()
        direct["homicide"].append(t.homicides[mine].sum() * 52.0 / (pop / 1e5))
        direct["members"].append(m.orgs.presence[:, mine].sum())
        direct["prisoners"].append(m.prisons.population(m)[c])
        direct["incarceration"].append(m.prisons.population(m)[c] / (pop / 1e5))
        direct["trust"].append((t.trust * t.population)[mine].sum() / pop)
        year, got = plots.country_series(m, "SLV")  # redrawn every week: the cache grows a week at a time
    assert np.allclose(year, np.asarray(m.datacollector.model_vars["year"]))
    for key, col in (
        ("homicide", "homicide_rate"),
        ("members", "members_present"),
        ("prisoners", "prison_population"),
        ("incarceration", "incarceration_rate"),
        ("trust", "trust"),
    ):
        np.testing.assert_allclose(got[col], direct[key], rtol=1e-9, err_msg=col)
    assert direct["prisoners"][-1] > 0 and direct["members"][-1] > 0
    html = plots.timeseries_html(m, "SLV")
    assert 'data-country="SLV"' in html and "El Salvador (SLV), week by week" in html
    assert 'data-country="Region"' in plots.timeseries_html(m)
    with pytest.raises(KeyError):
        plots.country_series(m, "XXX")


def test_the_country_view_shows_the_money_and_the_regime_where_there_is_one(viz):
    """Issue 15's outputs in the country view: money laundered for every country, and a regime's
    revenue (its four sources, B USD a year) only where a regime rules: Venezuela, not El Salvador."""
    plots = viz["plots"]
    m = viz["factory"].UIModel(burn_in=2)
    ven = next(r for r in m.regimes.agents if m.world.countries[r.country].iso == "VEN")
    revenue = []
    for _ in range(4):
        m.step()
        revenue.append(ven.total * 52.0 / 1e9)
    _year, got = plots.country_series(m, "VEN")
    np.testing.assert_allclose(got["regime_revenue"], revenue, rtol=1e-9)
    assert revenue[-1] > 0 and "laundered_usd" in got
    _year, slv = plots.country_series(m, "SLV")
    assert "regime_revenue" not in slv and "laundered_usd" in slv
    assert "Regime revenue" in plots.timeseries_html(m, "VEN") and "Regime revenue" not in plots.timeseries_html(
        m, "SLV"
    )


def test_the_country_view_shows_the_regime_s_accounts_and_the_groups_it_shelters(viz):
    """Where a regime rules (Venezuela): its revenue by source stacked (B USD a year), its forces'
    loyalty and its effort over time equal the Regime agent's week by week; the groups it shelters
    are listed with their members. None of it where no regime rules (El Salvador)."""
    from sim.viz.style import esc

    plots = viz["plots"]
    m = viz["factory"].UIModel(burn_in=2)
    ven = plots.regime_of(m, "VEN")
    assert ven is not None and plots.regime_of(m, "SLV") is None
    by_source: dict[str, list[float]] = {s: [] for s in ven.revenue}
    loyalty, effort = [], []
    for _ in range(5):
        m.step()
        for s, usd in ven.revenue.items():
            by_source[s].append(usd * 52.0 / 1e9)
        loyalty.append(ven.loyalty)
        effort.append(ven.effort)
    _year, stack = plots.regime_revenue(m, "VEN")
    assert list(stack) == list(by_source)
    for s, values in by_source.items():
        np.testing.assert_allclose(stack[s], values, rtol=1e-9, atol=1e-12, err_msg=s)
    _year, got = plots.country_series(m, "VEN")
    np.testing.assert_allclose(np.sum(list(stack.values()), axis=0), got["regime_revenue"], rtol=1e-9)
    np.testing.assert_allclose(got["regime_loyalty"], loyalty, rtol=1e-9)
    np.testing.assert_allclose(got["regime_effort"], effort, rtol=1e-9)
    html = plots.timeseries_html(m, "VEN")
    drawn = re.findall(r'data-testid="regime-revenue".*?</svg>', html)[0]
    assert set(re.findall(r'data-band="(\w+)"', drawn)) == {s for s, v in by_source.items() if v[-1] > 0}
    groups = [m.orgs.by_uid[u] for u in ven.sheltered]
    assert groups, "the regime shelters no group"
    listed = re.findall(r'<span data-org="(\d+)">(.*?) \(([\d,]+) members\)</span>', html)
    assert listed == [(str(g.unique_id), esc(g.name), f"{round(g.members):,}") for g in groups]
    assert f"loyalty <b>{ven.loyalty:.2f}</b>" in html and f"effort <b>{ven.effort:.2f}</b>" in html
    _year, slv = plots.country_series(m, "SLV")
    assert not set(plots.REGIME_PANELS) & set(slv) and plots.regime_revenue(m, "SLV")[1] == {}
    assert 'data-testid="regime"' not in plots.timeseries_html(m, "SLV")


def test_picking_a_scenario_loads_its_levers_and_the_run_uses_them(viz):
    """The sidebar shows what the run uses: a scenario's file sets its lever inputs, the overrides
    are only what the user changed, and unticking a lever the file switches on switches it off."""
    f = viz["factory"]
    vals = f.scenario_values("mano_dura_2022")
    cfg = f.composed(["scenario=mano_dura_2022", f"world={f.default_world()}"]).scenario.mano_dura
    assert vals["mano_dura"] is True and cfg.enabled
    assert (
        vals["mano_dura__arrest_multiplier"]
        == cfg.arrest_multiplier
        != f.default_kwargs()["mano_dura__arrest_multiplier"]
    )
    assert vals["mano_dura__military_deployment"] == cfg.military_deployment
    assert vals["mano_dura__countries"] == list(cfg.countries)
    loaded = {**f.default_kwargs(), "scenario_name": "mano_dura_2022", **vals}
    ovr = f.overrides(loaded)
    assert not any(o.startswith("scenario.") for o in ovr), ovr  # as the file: nothing overridden
    m = f.UIModel(**loaded)
    assert m.cfg.scenario.mano_dura.arrest_multiplier == cfg.arrest_multiplier and m.cfg.scenario.mano_dura.enabled
    off = f.overrides({**loaded, "mano_dura": False, "mano_dura__arrest_multiplier": 3.0})
    assert "scenario.mano_dura.enabled=false" in off and not any("arrest_multiplier" in o for o in off)
    assert not f.composed(off).scenario.mano_dura.enabled
    # a scenario given without its lever inputs gets its file's levers, not the default scenario's
    assert f.UIModel(scenario_name="mano_dura_2022").ui_settings["mano_dura"] is True
    app = pytest.importorskip("sim.viz.app")
    assert app.pending_changes(loaded, m.ui_settings) == []
    assert app.pending_changes({**loaded, "seed": 7}, m.ui_settings) == ["seed"]


@pytest.fixture(scope="module")
def run_pair():
    """A run of the synthetic world with a lever ticked, and its baseline beside it, 6 weeks in."""
    from sim.viz.session import Run

    run = Run({"world": "synthetic", "burn_in": 0, "mano_dura": True, "mano_dura__arrest_multiplier": 20.0})
    assert run.baseline is not None and run.baseline.cfg.scenario.name == "baseline"
    assert not run.baseline.cfg.scenario.mano_dura.enabled and run.baseline.cfg.seed == run.model.cfg.seed
    assert run.step(6) == 6
    return run


def test_the_baseline_runs_in_lockstep_and_the_plots_show_both(viz, run_pair):
    run = run_pair
    assert run.model.steps == run.baseline.steps == 6
    plots = viz["plots"]
    html = plots.timeseries_html(run.model, None, run.baseline)
    assert 'data-baseline="yes"' in html and 'data-series="baseline"' in html
    deltas = [float(x) for x in re.findall(r'data-delta="([^"]+)"', html)]
    _y, mine = plots.series(run.model)
    _y, base = plots.series(run.baseline)
    expected = mine["homicide_rate"][-1] - base["homicide_rate"][-1]
    assert deltas and np.isclose(deltas[0], expected, rtol=1e-5, atol=1e-9)  # the first panel: homicides
    assert 'data-baseline="no"' in plots.timeseries_html(run.model)
    # the map coloured against the baseline
    diff_map = viz["map"].map_svg(run.model, None, run.baseline)
    assert 'data-mode="difference"' in diff_map and diff_map != viz["map"].map_svg(run.model)
    # the baseline itself has none beside it
    from sim.viz.session import Run

    assert Run({"world": "synthetic", "burn_in": 0}).baseline is None


def test_a_run_stops_at_its_horizon_and_when_told(run_pair):
    import threading

    from sim.viz.session import Run

    run = Run({"world": "synthetic", "burn_in": 0})
    assert run.horizon == int(run.model.cfg.burn_in) + int(run.model.cfg.steps)
    run.horizon = 5  # a short horizon, to test the rule
    assert run.step(3) == 3 and not run.done
    assert run.step(10) == 2 and run.done and run.steps == 5
    assert run.step(1) == 0 and run.steps == 5
    # stop(): a long step ends before its next week
    long_run = Run({"world": "synthetic", "burn_in": 0})
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(long_run.step(400)))
    worker.start()
    time.sleep(0.3)
    long_run.stop()
    worker.join(30)
    assert result and 0 < result[0] < 400 and long_run.steps == result[0]


def test_play_waits_for_the_browser_to_draw_the_frame():
    """Play's back-pressure (session.Frames): a wait for frame k ends when the browser reports k or a
    later frame drawn, not an earlier one; without a report it ends after its timeout, saying so."""
    import threading

    from sim.viz.session import Frames

    frames = Frames()
    assert not frames.wait(0, 0.05)  # nothing drawn yet
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(frames.wait(3, 10.0)))
    waiter.start()
    frames.shown(2)
    waiter.join(0.3)
    assert waiter.is_alive() and not result  # frame 2 drawn: still waiting for 3
    t0 = time.perf_counter()
    frames.shown(4)
    waiter.join(5)
    assert result == [True] and time.perf_counter() - t0 < 1.0
    frames.shown(1)  # a late report of an older frame does not take the count back
    assert frames.drawn == 4 and frames.wait(4, 0.0)


def test_the_country_view_focuses_map_network_and_events(viz, run_pair):
    run = run_pair
    m = run.model
    iso = m.world.countries[1].iso
    svg = viz["map"].map_svg(m, iso)
    assert f'data-focus="{iso}"' in svg and 'viewBox="0 0 ' not in svg  # zoomed in
    assert 'opacity="0.3"' in svg  # the other countries faded
    snap = viz["network"].snapshot(m, iso)
    mine = m.world.country == 1
    for o in snap["orgs"]:
        assert mine[int(o.home)] or (m.terr.controller[mine] == o.unique_id).any()
    for u in snap["police"]:
        assert mine[u.idx]
    geo = viz["map"].geometry(m)
    html = viz["panels"].events_html(m, iso)
    others = {geo.short[i] for i in range(m.world.n) if not mine[i]} - {geo.short[i] for i in np.flatnonzero(mine)}
    rows = re.findall(r"<tr.*?</tr>", html)
    assert all(not any(f"· {name}<" in r for name in others) for r in rows)


def test_the_network_aggregates_the_smaller_groups(viz, run_pair):
    net = viz["network"]
    m = run_pair.model
    n = len(m.orgs.agents)
    assert n > 4
    snap = net.snapshot(m, top=3)
    assert len(snap["orgs"]) == 3 and len(snap["rest"]) == n - 3
    assert min(o.members for o in snap["orgs"]) >= max(o.members for o in snap["rest"])
    gone = {o.unique_id for o in snap["rest"]}
    assert all(a not in gone and b not in gone for pairs in snap["ties"].values() for a, b in pairs)
    svg = net.network_svg(m, snap)
    assert 'data-groups="3"' in svg and f'data-rest="{n - 3}"' in svg and f"+{n - 3} smaller groups" in svg
    assert 'data-rest="0"' in net.network_svg(m)  # a small world: every group drawn


def test_homicides_by_cause_add_up_to_the_country_s_homicides(viz, run_pair):
    """The stacked series (the model's accounts) sum to the country's weekly homicides (countries.parquet)."""
    plots = viz["plots"]
    m = run_pair.model
    if getattr(m, "accounts", None) is None:
        pytest.skip("the model keeps no accounts (sim/model/accounts.py)")
    iso = m.world.countries[0].iso
    year, causes = plots.homicide_causes(m, iso)
    assert len(year) == m.steps and set(causes) <= set(plots.CAUSE_COLOURS)
    hom = plots.country_table(m)["homicides"][:, 0]
    k = plots.CAUSE_SMOOTH
    expected = [hom[max(0, i + 1 - k) : i + 1].mean() for i in range(len(hom))]
    np.testing.assert_allclose(np.sum(list(causes.values()), axis=0), expected, rtol=1e-9, atol=1e-9)
    assert 'data-testid="causes"' in plots.timeseries_html(m, iso)


def test_exports_parse(run_pair):
    import io
    import xml.etree.ElementTree as ET

    import pandas as pd

    from sim.viz import export

    run = run_pair
    series = pd.read_csv(io.BytesIO(export.table_bytes(export.series_frame(run), "csv")))
    assert set(series["run"]) == {"scenario", "baseline"} and set(series["scenario_file"]) == {"baseline"}
    assert (series.groupby("run")["step"].max() == 6).all()
    assert np.allclose(
        series.loc[series["run"] == "baseline", "homicide_rate"], run.baseline.datacollector.model_vars["homicide_rate"]
    )
    pq = pd.read_parquet(io.BytesIO(export.table_bytes(export.series_frame(run), "parquet")))
    assert pq.shape == series.shape
    events = pd.read_csv(io.BytesIO(export.table_bytes(export.events_frame(run), "csv")))
    assert len(events) == len(run.model.events) + len(run.baseline.events)
    for view in ("map", "network", "plots"):
        root = ET.fromstring(export.view_svg(run, view))
        assert root.tag.endswith("svg")


# ------------------------------------------------------------------ in a real browser


def _setup_or_skip() -> None:
    """Under CI: install what the browser test needs. Elsewhere: skip with what is missing."""
    if IN_CI:
        venv = Path(sys.prefix)
        proc = subprocess.run(
            ["bash", str(REPO / "scripts" / "ui_setup.sh"), str(venv)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(f"scripts/ui_setup.sh failed:\n{proc.stderr[-3000:]}")
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip)")
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if not (ASSETS / "requirejs@2.3.6" / "require.js").exists():
        missing.append("the offline asset cache .cache/solara-assets")
    if missing:
        require_service(f"browser UI test needs {', '.join(missing)}: run scripts/ui_setup.sh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    """``python -m sim.viz`` on a free port, shared by the module's browser tests; yields (url, log
    path, seconds until it printed its address); stopped by its process group."""
    _setup_or_skip()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("ui") / "solara.log"
    log = open(log_path, "w")  # noqa: SIM115 - the server writes to it until the fixture ends
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "sim.viz", "--host", "127.0.0.1", "--port", str(port), "--no-open"]
    proc = subprocess.Popen(
        [*cmd, "--assets", str(ASSETS)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while "crimenet UI: http://" not in log_path.read_text(errors="replace"):
            if proc.poll() is not None:
                pytest.fail(f"the UI server exited ({proc.returncode}):\n{log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the UI server did not say it listens on {url}:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        with urllib.request.urlopen(url, timeout=10) as r:  # the start-up line is printed once it listens
            assert r.status == 200
        yield url, log_path
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(ui_server):
    """One headless chromium for the module; collects page errors and requests leaving localhost."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[str]] = {"errors": [], "external": []}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = b.new_context(viewport={"width": 1500, "height": 1900}, accept_downloads=True)
        try:
            yield context, seen
        finally:
            b.close()


@pytest.fixture
def page(ui_server, browser):
    """A new tab (its own run) showing the page at week 0."""
    url, _log = ui_server
    context, seen = browser
    pg = context.new_page()
    pg.on("pageerror", lambda e: seen["errors"].append(str(e).splitlines()[0]))

    def on_request(req):
        parts = urlsplit(req.url)
        if parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOCAL:
            seen["external"].append(req.url)

    pg.on("request", on_request)
    t0 = time.perf_counter()
    pg.goto(url, wait_until="domcontentloaded", timeout=90_000)
    _week_is(pg, 0, timeout=90_000)
    pg.first_page_s = time.perf_counter() - t0  # type: ignore[attr-defined]
    yield pg
    pg.close()


def _default_cfg():
    from sim.viz import factory

    return factory.composed(factory.overrides(factory.default_kwargs()))


def _week(page) -> int:
    return int(page.locator("[data-testid=map] svg").first.get_attribute("data-step") or -1)


def _week_is(page, n: int, timeout: float = 30_000) -> None:
    page.locator(f'[data-testid=map] svg[data-step="{n}"]').wait_for(timeout=timeout)


def _select(page, label: str, option: str) -> None:
    page.locator(".v-select", has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _selected(page, label: str) -> str:
    return page.locator(".v-select", has_text=label).first.locator(".v-select__selection").first.inner_text().strip()


def _until(check, timeout: float = 10.0) -> bool:
    """Whether ``check()`` becomes true within ``timeout`` seconds (the page updates asynchronously)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _disabled(page, label: str) -> bool:
    return "v-input--is-disabled" in (page.locator(".v-input", has_text=label).first.get_attribute("class") or "")


def _button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def _step(page, k: int) -> None:
    _button(page, "Step").click()
    _week_is(page, k)


#: Clicks Pause in the page and returns the week of the map on the screen at that instant.
PAUSE_JS = """() => {
  const week = parseInt(document.querySelector('[data-testid=map] svg').getAttribute('data-step'));
  [...document.querySelectorAll('button')].find(b => b.textContent.trim() === '❚❚').click();
  return week;
}"""


def _shot(page, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_first_page_shows_the_run_it_will_step(page):
    """Week 0 of the horizon, nothing over the page, the default scenario's levers as its file sets
    them (none), an unticked lever's knobs disabled; Step advances the map, the plots and the week."""
    print(f"first page (navigation to the map of week 0): {page.first_page_s:.2f} s")
    cfg = _default_cfg()
    horizon = int(cfg.burn_in) + int(cfg.steps)
    assert f"week 0 of {horizon}" in page.locator("[data-testid=week]").inner_text()
    assert page.get_by_text("runs on Solara").count() == 0
    assert not page.get_by_role("checkbox", name="Mano dura", exact=True).is_checked()
    assert _disabled(page, "Mano dura: arrests of gang members")
    assert _selected(page, "Weeks per Step") == "1" and _selected(page, "Pause between frames") == "0"
    plots0 = page.locator("[data-testid=plots]").inner_html()
    for k in (1, 2, 3):
        _step(page, k)
    assert f"week 3 of {horizon}" in page.locator("[data-testid=week]").inner_text()
    assert page.locator("[data-testid=plots]").inner_html() != plots0
    assert 'data-baseline="no"' in page.locator("[data-testid=plots]").inner_html()  # the run is the baseline
    _shot(page, "ui_first_page.png")


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_a_scenario_loads_its_levers_reset_shows_progress_and_the_baseline_is_beside_it(page):
    _select(page, "Scenario (configs/scenario)", "mano_dura_2022")
    # the file's lever, knobs and countries, and the hint to press Reset
    assert _until(page.get_by_role("checkbox", name="Mano dura", exact=True).is_checked)
    assert _until(lambda: _selected(page, "Mano dura: arrests of gang members") == "20")
    assert _selected(page, "Mano dura: share of territories with troops") == "1"
    assert not _disabled(page, "Mano dura: arrests of gang members")
    assert "Press Reset to apply" in page.locator("[data-testid=pending]").inner_text()
    assert "baseline" in page.locator("[data-testid=status]").inner_text()  # still the old run
    _button(page, "Reset").click()
    page.locator("[data-testid=building]").wait_for(timeout=5_000)
    assert _button(page, "Step").is_disabled() and _button(page, "▶").is_disabled()
    page.locator("[data-testid=building]").wait_for(state="detached", timeout=60_000)
    _week_is(page, 0)
    assert page.locator("[data-testid=pending]").count() == 0
    status = page.locator("[data-testid=status]").inner_text()
    assert "Scenario mano_dura_2022" in status and "scenario.mano_dura" not in status  # the file's values, unchanged
    for k in range(1, 4):
        _step(page, k)
    plots = page.locator("[data-testid=plots]")
    assert _until(lambda: plots.locator('svg[data-step="3"][data-baseline="yes"]').count() == 1)
    assert _until(lambda: plots.locator("[data-series=baseline]").count() == 8), plots.inner_html()[:3000]
    assert plots.locator("text[data-delta]").count() == 8
    _select(page, "Map colours", "difference")
    page.locator('[data-testid=map] svg[data-mode="difference"]').wait_for(timeout=10_000)
    # a year into the policy (burn-in 104 weeks): the two runs have parted, and the plots say by how much
    _select(page, "Weeks per Step", "52")
    for k in (55, 107, 159):
        _step(page, k)
    assert _until(lambda: plots.locator('svg[data-step="159"][data-baseline="yes"]').count() == 1)
    deltas = [float(d.get_attribute("data-delta") or 0) for d in plots.locator("text[data-delta]").all()]
    assert len(deltas) == 8 and any(d != 0 for d in deltas), deltas
    _shot(page, "ui_baseline.png")


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_the_country_view_focuses_every_view(page):
    for k in (1, 2):
        _step(page, k)
    _select(page, "Country view", "El Salvador (SLV)")
    page.locator('[data-testid=map] svg[data-focus="SLV"]').wait_for(timeout=10_000)
    page.locator('[data-testid=plots] svg[data-country="SLV"]').first.wait_for(timeout=10_000)
    if page.locator("[data-testid=causes]").count():  # the country's homicides by cause, where the model has them
        assert page.locator('[data-testid=causes][data-country="SLV"] path[data-band]').count() > 0
    assert "El Salvador (SLV), week by week" in page.locator("[data-testid=plots]").inner_text()
    assert "Recent events in SLV" in page.locator("[data-testid=status]").inner_text()
    assert "in SLV:" in page.locator("[data-testid=network]").inner_text()
    assert page.locator("[data-testid=regime]").count() == 0  # no regime rules El Salvador
    _step(page, 3)  # the focus holds while the run goes on
    page.locator('[data-testid=map] svg[data-focus="SLV"][data-step="3"]').wait_for(timeout=10_000)
    _shot(page, "ui_country.png")
    # where a regime rules: its revenue by source, loyalty, effort and the groups it shelters
    _select(page, "Country view", "Venezuela (VEN)")
    page.locator('[data-testid=regime-revenue][data-country="VEN"] path[data-band]').first.wait_for(timeout=10_000)
    assert int(page.locator("[data-testid=sheltered]").get_attribute("data-count") or 0) > 0
    assert "members" in page.locator("[data-testid=sheltered]").inner_text()
    plots = page.locator("[data-testid=plots]").inner_text()
    assert "Regime revenue, B USD/yr" in plots and "Loyalty of the regime's forces" in plots
    _select(page, "Weeks per Step", "52")  # a year on: the picture has lines
    _step(page, 55)
    page.locator('[data-testid=regime-revenue][data-step="55"]').wait_for(timeout=10_000)
    _shot(page, "ui_country_regime.png")


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_exports_download_and_parse(page, tmp_path):
    import xml.etree.ElementTree as ET

    import pandas as pd

    for k in (1, 2):
        _step(page, k)
    with page.expect_download(timeout=30_000) as dl:
        _button(page, "series .csv").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name.endswith("_week2_series.csv"), path.name
    df = pd.read_csv(path)
    assert list(df["step"]) == [1, 2] and np.isfinite(df["homicide_rate"]).all()
    with page.expect_download(timeout=30_000) as dl:
        _button(page, "map .svg").click()
    svg = tmp_path / "map.svg"
    dl.value.save_as(svg)
    assert ET.parse(svg).getroot().get("data-step") == "2"
    assert dl.value.suggested_filename.endswith("_week2_map.svg"), dl.value.suggested_filename


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_views_export_as_png_as_the_page_draws_them(page, tmp_path):
    """Each view's PNG is a real PNG of that view: its pictures' shape on the screen (at twice the
    size), this week in its name, and for the plots the colours of their lines."""
    from PIL import Image

    for k in (1, 2):
        _step(page, k)
    for view in ("map", "network", "plots"):
        # the view's outermost pictures (those the PNG stacks), as the page lays them out
        boxes = page.evaluate(
            """view => [...document.querySelectorAll(`[data-testid=${view}] svg[viewBox]`)]
                .filter(el => !el.parentElement.closest('svg'))
                .map(el => { const b = el.getBoundingClientRect(); return [b.width, b.height]; })""",
            view,
        )
        with page.expect_download(timeout=30_000) as dl:
            page.locator(f"[data-png={view}]").click()
        assert dl.value.suggested_filename.endswith(f"_week2_{view}.png"), dl.value.suggested_filename
        path = tmp_path / f"{view}.png"
        dl.value.save_as(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as img:
            img.load()
            rgb = np.asarray(img.convert("RGB"))
        width, height = max(w for w, _h in boxes), sum(h for _w, h in boxes)
        assert abs(rgb.shape[1] - 2 * width) <= 1 and abs(rgb.shape[0] - 2 * height) <= 1, (rgb.shape, boxes)
        assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50, f"{view}: the PNG is (nearly) blank"
        if view == "plots":  # the homicides' line (firebrick) and the prisoners' (dimgray) are drawn
            for colour in ((178, 34, 34), (105, 105, 105)):
                assert (rgb == colour).all(axis=2).sum() > 20, f"no {colour} in the plots' PNG"


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_pause_stops_at_once_and_a_run_stops_at_its_horizon(page):
    from sim.viz import app

    _button(page, "▶").click()
    t0 = time.monotonic()
    while _week(page) < 10 and time.monotonic() < t0 + 30:
        page.wait_for_timeout(50)
    # Pause, clicked in the page with the week on the screen at that instant
    clicked_at = page.evaluate(PAUSE_JS)
    print(f"Play: {clicked_at / (time.monotonic() - t0):.1f} weeks/s (on a busy machine: a lower bound)")
    paused_at, still = _week(page), 0
    while still < 5:  # the frames already on their way when Pause was pressed arrive
        page.wait_for_timeout(200)
        paused_at, still = _week(page), (still + 1 if _week(page) == paused_at else 0)
    assert clicked_at >= 10, "Play did not advance the model"
    print(f"weeks shown after Pause was pressed: {paused_at - clicked_at}")
    # the server steps a week only once the browser has drawn the one before the last it sent
    # (app.AHEAD frames ahead): after the click come at most those and the week under way
    assert paused_at - clicked_at <= app.AHEAD + 1, "the model ran ahead of the browser, or on after Pause"
    page.wait_for_timeout(1200)
    assert _week(page) == paused_at, "the model kept running after Pause"
    # to the horizon: no burn-in, a year per frame
    _select(page, "Burn-in weeks", "0")
    _button(page, "Reset").click()
    page.locator("[data-testid=building]").wait_for(state="detached", timeout=60_000)
    _week_is(page, 0)
    _select(page, "Weeks per Step", "52")
    _button(page, "▶").click()
    page.get_by_text("reached its horizon").first.wait_for(timeout=240_000)
    steps = int(_default_cfg().steps)
    _week_is(page, steps)
    assert f"week {steps} of {steps}" in page.locator("[data-testid=week]").inner_text()
    assert _button(page, "Step").is_disabled() and _button(page, "▶").is_disabled()
    page.wait_for_timeout(500)
    assert _week(page) == steps
    _shot(page, "ui_horizon.png")


@pytest.mark.slow
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_the_page_stayed_offline_without_errors_or_warnings(ui_server, browser):
    """After the module's tests: no page error, no request left localhost, no asset missing from the
    offline cache, no traceback or cookie warning in the server's log."""
    _url, log_path = ui_server
    _context, seen = browser
    log = log_path.read_text(errors="replace")
    misses = sorted(set(re.findall(r"Could not load URL: '?([^'\s]+)", log)))
    assert not seen["errors"], f"page errors: {seen['errors'][:3]}"
    assert not seen["external"], f"requests left localhost (the page must work offline): {seen['external'][:3]}"
    assert not misses, f"assets missing from the offline cache (add them to scripts/ui_setup.sh): {misses}"
    assert "Traceback" not in log, f"traceback in the UI server log:\n{log[-3000:]}"
    assert "samesite" not in log and "Warning" not in log, f"warnings in the UI server log:\n{log[-3000:]}"
    # one address line, ours, printed once the port listens (Solara's own comes seconds too early)
    assert "Solara server is starting" not in log and log.count("crimenet UI: http://") == 1
