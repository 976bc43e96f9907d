"""The browser UI (``sim/viz``): the views without a browser, then the real page in chromium.

The browser test starts ``python -m sim.viz`` (the documented command) on a free localhost port
and drives it with Playwright and Debian's chromium: no page errors, no request leaving
localhost (the page works offline), Step x5 advances Time and changes the map and the plots,
a second tab has its own model, Play and Pause work, a scenario is switched and a policy lever
ticked with a country picked, Reset rebuilds the model (the status shows the countries' override),
the plots switch to a country's series, and a screenshot of that goes to
``results/ui_screenshot.png``.

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
SCREENSHOT = REPO / "results" / "ui_screenshot.png"
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
    assert not any(o.startswith("scenario.prevention") for o in ovr)  # unticked: the scenario file decides
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
    assert "scenario.mano_dura.countries=[]" in f.overrides(base)  # none picked = everywhere
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


@pytest.fixture
def ui_server(tmp_path):
    """``python -m sim.viz`` on a free port; yields (url, log path); stopped by its process group."""
    _setup_or_skip()
    port = _free_port()
    log_path = tmp_path / "solara.log"
    log = open(log_path, "w")  # noqa: SIM115 - the server writes to it until the fixture ends
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.viz",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-open",
            "--assets",
            str(ASSETS),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the UI server exited ({proc.returncode}):\n{log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the UI server did not answer on {url}:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.3)
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


def _time_is(page, n: int, timeout: float = 30_000) -> None:
    page.get_by_text(re.compile(rf"^\s*Time: {n}(\.0)?\s*$")).first.wait_for(timeout=timeout)


def _time(page) -> float:
    text = page.get_by_text(re.compile(r"^\s*Time: ")).first.inner_text()
    return float(text.split(":")[1])


def _select(page, label: str, option: str) -> None:
    page.locator(".v-select", has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.slow  # a headless chromium against the served UI (installs chromium first under CI)
@pytest.mark.timeout(1200 if IN_CI else 300)
def test_browser_ui(ui_server):
    from playwright.sync_api import sync_playwright

    url, log_path = ui_server
    errors: list[str] = []
    external: list[str] = []
    step_ms: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1250})

            def watch(page):
                page.on("pageerror", lambda e: errors.append(str(e).splitlines()[0]))

                def on_request(req):
                    parts = urlsplit(req.url)
                    if parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOCAL:
                        external.append(req.url)

                page.on("request", on_request)
                return page

            page = watch(context.new_page())
            page.goto(url, wait_until="domcontentloaded", timeout=90_000)
            _time_is(page, 0, timeout=90_000)
            the_map = page.locator("[data-testid=map] svg").first
            plots = page.locator("[data-testid=plots] svg").first
            network = page.locator("[data-testid=network] svg").first
            map0, net0, plots0_html = the_map.inner_html(), network.inner_html(), plots.inner_html()
            plots0 = plots.screenshot()
            assert the_map.get_attribute("data-step") == "0"

            # Step x5: Time advances, the map and the plots change
            for k in range(1, 6):
                t0 = time.perf_counter()
                page.get_by_role("button", name="Step", exact=True).click()
                _time_is(page, k)
                page.locator(f'[data-testid=map] svg[data-step="{k}"]').wait_for(timeout=30_000)
                step_ms.append(1000 * (time.perf_counter() - t0))
            page.locator('[data-testid=plots] svg[data-step="5"]').wait_for(timeout=30_000)
            assert _time(page) == 5
            assert the_map.inner_html() != map0, "the map did not change after 5 steps"
            assert network.inner_html() != net0, "the network did not change after 5 steps"
            assert plots.inner_html() != plots0_html, "the plots did not change after 5 steps"
            assert plots.screenshot() != plots0, "the plots look the same after 5 steps"
            assert "week 5 of" in page.locator("[data-testid=status]").inner_text()

            # a second tab has its own model
            other = watch(context.new_page())
            other.goto(url, wait_until="domcontentloaded", timeout=90_000)
            _time_is(other, 0, timeout=90_000)
            assert "week 0 of" in other.locator("[data-testid=status]").inner_text()
            other.close()
            assert _time(page) == 5

            # Play, then Pause
            page.get_by_role("button", name="▶", exact=True).click()
            deadline = time.monotonic() + 30
            while _time(page) < 8 and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            page.get_by_role("button", name="❚❚", exact=True).click()
            page.wait_for_timeout(800)  # a step under way when pausing completes
            paused_at = _time(page)
            assert paused_at >= 8, "Play did not advance the model"
            page.wait_for_timeout(1000)
            assert _time(page) == paused_at, "the model kept running after Pause"

            # switch the scenario (its levers are listed under it), tick a policy lever in one country, Reset
            page.locator(".v-select", has_text="Scenario (configs/scenario)").first.click()
            options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
            others = [o for o in options if o != "baseline"]
            if others:
                page.get_by_role("option", name=others[0], exact=True).click()
                expect_text = f"Scenario {others[0]}"
                programmes = page.locator("[data-testid=programmes]")
                programmes.get_by_text(f"Levers of {others[0]}").wait_for(timeout=30_000)
            else:
                page.keyboard.press("Escape")
                expect_text = "mano dura"
            page.get_by_text("Mano dura (add lever)", exact=True).click()
            _select(page, "Mano dura: arrests of gang members", "20")
            _select(page, "Mano dura: countries", "SLV")
            page.keyboard.press("Escape")  # a multi-select stays open
            _select(page, "Burn-in weeks", "0")  # policies act from the first week
            page.get_by_role("button", name="Reset", exact=True).click()
            _time_is(page, 0)
            status = page.locator("[data-testid=status]")
            status.get_by_text(re.compile(re.escape(expect_text))).first.wait_for(timeout=30_000)
            assert "burn_in=0" in status.inner_text()
            assert "'scenario.mano_dura.countries=[SLV]'" in status.inner_text()
            assert "mano dura in SLV" in status.inner_text()
            # run the new configuration for most of a year, for a picture worth looking at
            page.get_by_role("button", name="▶", exact=True).click()
            deadline = time.monotonic() + 40
            while _time(page) < 40 and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            page.get_by_role("button", name="❚❚", exact=True).click()
            page.wait_for_timeout(800)
            final = int(_time(page))
            assert final >= 10, "Play did not run after Reset"
            page.locator(f'[data-testid=map] svg[data-step="{final}"]').wait_for(timeout=30_000)
            # the plots: El Salvador's series instead of the headline
            _select(page, "Outcomes of", "El Salvador (SLV)")
            page.locator(f'[data-testid=plots] svg[data-country="SLV"][data-step="{final}"]').wait_for(timeout=30_000)
            assert "El Salvador (SLV), week by week" in page.locator("[data-testid=plots]").inner_text()
            page.wait_for_timeout(300)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    log = log_path.read_text(errors="replace")
    misses = sorted(set(re.findall(r"Could not load URL: '?([^'\s]+)", log)))
    print(
        f"click Step -> Time and map updated, as Playwright sees it (its polling included): median "
        f"{statistics.median(step_ms):.0f} ms ({', '.join(f'{x:.0f}' for x in step_ms)}); "
        f"screenshot {SCREENSHOT.relative_to(REPO)}"
    )
    assert not errors, f"page errors: {errors[:3]}"
    assert not external, f"requests left localhost (the page must work offline): {external[:3]}"
    assert not misses, f"assets missing from the offline cache (add them to scripts/ui_setup.sh): {misses}"
    assert "Traceback" not in log, f"traceback in the UI server log:\n{log[-3000:]}"
    assert SCREENSHOT.stat().st_size > 50_000
