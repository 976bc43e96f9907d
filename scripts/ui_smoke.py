#!/usr/bin/env python
"""Offline browser smoke test of a Mesa SolaraViz app (Playwright + Debian's chromium).

    python scripts/ui_smoke.py SCREENSHOT.png [--app APP.py] [--assets DIR] [--keep-log LOG]

Run with the project's venv python after ``scripts/ui_setup.sh``. Without ``--app`` it writes a
tiny Boltzmann-wealth-on-a-Network SolaraViz app to /tmp and tests that.

It starts ``solara run APP --production`` on 127.0.0.1 (free port) with the offline asset
environment, opens the page in headless chromium, records page errors, every request to a host
other than localhost, failed local requests and the server's asset-cache misses, waits for
"Time: 0", clicks Step, waits for "Time: 1", waits for the plots to be drawn (--expect), saves a
screenshot, and exits 0 with "OK: ..." or 1 with a one-line "FAIL: ..." reason.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
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
PLOT_SELECTORS = {
    "vega": ".vega-embed canvas, .vega-embed svg",  # Altair charts (needs the vega* assets)
    "image": "img.widget-image[src^='blob:'], img[src^='data:image']",  # matplotlib figures
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

DEMO_APP = '''\
"""Tiny Boltzmann-wealth model on a mesa.discrete_space.Network (offline UI smoke test)."""
import networkx as nx

import mesa
from mesa.discrete_space import CellAgent, Network
from mesa.visualization import SolaraViz, make_plot_component, make_space_component
from mesa.visualization.components import AgentPortrayalStyle


def gini(model):
    w = sorted(a.wealth for a in model.agents)
    n = len(w)
    if n == 0 or sum(w) == 0:
        return 0.0
    cum = sum((i + 1) * x for i, x in enumerate(w))
    return (2 * cum) / (n * sum(w)) - (n + 1) / n


class Walker(CellAgent):
    def __init__(self, model, cell):
        super().__init__(model)
        self.cell = cell
        self.wealth = 1

    def step(self):
        self.cell = self.cell.neighborhood.select_random_cell()
        if self.wealth > 0:
            others = [a for a in self.cell.agents if a is not self]
            if others:
                self.random.choice(others).wealth += 1
                self.wealth -= 1


class WealthOnNetwork(mesa.Model):
    def __init__(self, n=30, nodes=20, rng=42):
        super().__init__(rng=rng)
        graph = nx.connected_watts_strogatz_graph(
            nodes, 4, 0.2, seed=int(self.rng.integers(2**31))
        )
        # fixed positions: no spring layout at start-up or on every redraw
        self.positions = nx.circular_layout(graph)
        self.grid = Network(graph, random=self.random, layout=self.positions)
        cells = self.grid.all_cells.cells
        for _ in range(n):
            Walker(self, self.random.choice(cells))
        self.datacollector = mesa.DataCollector(model_reporters={"Gini": gini})
        self.datacollector.collect(self)

    def step(self):
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def portrayal(agent):
    return AgentPortrayalStyle(color="tab:red" if agent.wealth > 1 else "tab:blue", size=40)


model = WealthOnNetwork()
positions = model.positions

SpaceView = make_space_component(
    portrayal, layout_alg=lambda graph, **_: positions
)
GiniPlot = make_plot_component({"Gini": "steelblue"}, backend="altair")

page = SolaraViz(
    model,
    components=[SpaceView, GiniPlot],
    model_params={"n": 30, "nodes": 20, "rng": 42},
    name="UI smoke: wealth on a network",
)
page  # noqa: B018
'''


class Fail(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def offline_env(assets: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(assets)
    env["SOLARA_ASSETS_PROXY"] = "true"
    # a cache miss goes to a dead local port: fails at once and never leaves the machine
    env.setdefault("SOLARA_ASSETS_CDN", "http://127.0.0.1:9/npm/")
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    env.setdefault("SOLARA_MODE", "production")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def wait_for_server(url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise Fail(f"solara exited with {proc.returncode}: {' | '.join(tail)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise Fail(f"solara server not answering on {url} after {timeout:.0f}s")


def cache_misses(log_path: Path) -> list[str]:
    """URLs the server failed to fetch because they were not in the asset cache."""
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    return sorted(set(re.findall(r"Could not load URL: '?([^'\s]+)", log)))


def run(args) -> str:
    try:
        from playwright.sync_api import Error as PWError
        from playwright.sync_api import TimeoutError as PWTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise Fail("playwright is not installed in this python: run scripts/ui_setup.sh") from None
    if not Path(CHROMIUM).exists():
        raise Fail(f"{CHROMIUM} missing: run scripts/ui_setup.sh")
    assets = Path(args.assets).resolve()
    if not (assets / "requirejs@2.3.6" / "require.js").exists():
        raise Fail(f"asset cache {assets} is empty: run scripts/ui_setup.sh")

    workdir = Path(tempfile.mkdtemp(prefix="ui_smoke_"))
    if args.app:
        app = Path(args.app).resolve()
    else:
        app = workdir / "smoke_app.py"
        app.write_text(DEMO_APP)
    log_path = Path(args.keep_log) if args.keep_log else workdir / "solara.log"

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    solara_bin = Path(sys.executable).parent / "solara"
    cmd = [str(solara_bin), "run", str(app), "--host", "127.0.0.1", "--port", str(port), "--production", "--no-open"]
    log_file = open(log_path, "w")  # noqa: SIM115 (closed when the server is stopped)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=app.parent, env=offline_env(assets), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    page_errors: list[str] = []
    external: list[str] = []
    bad_local: list[str] = []
    console_errors: list[str] = []
    try:
        wait_for_server(url, proc, log_path, args.timeout)
        t_server = time.monotonic() - t0

        def on_request(req):
            parts = urlsplit(req.url)
            if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
                return
            if parts.hostname not in LOCAL_HOSTS:
                external.append(req.url)

        def on_response(resp):
            if resp.status >= 400 and urlsplit(resp.url).hostname in LOCAL_HOSTS:
                bad_local.append(f"{resp.status} {resp.url}")

        def on_request_failed(req):
            if urlsplit(req.url).hostname in LOCAL_HOSTS:
                bad_local.append(f"failed({req.failure}) {req.url}")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.on("pageerror", lambda e: page_errors.append(str(e).splitlines()[0]))
                page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
                page.on("request", on_request)
                page.on("response", on_response)
                page.on("requestfailed", on_request_failed)
                ms = int(args.timeout * 1000)
                page.goto(url, wait_until="domcontentloaded", timeout=ms)
                try:
                    page.get_by_text(re.compile(r"^\s*Time: 0(\.0)?\s*$")).first.wait_for(timeout=ms)
                except PWTimeout:
                    page.screenshot(path=args.screenshot, full_page=True)
                    raise Fail(
                        f"'Time: 0' not shown after {args.timeout:.0f}s "
                        f"(page errors: {page_errors[:2]}; see {args.screenshot})"
                    ) from None
                t_page = time.monotonic() - t0
                page.get_by_role("button", name="Step", exact=True).click(timeout=ms)
                try:
                    page.get_by_text(re.compile(r"^\s*Time: 1(\.0)?\s*$")).first.wait_for(timeout=ms)
                except PWTimeout:
                    page.screenshot(path=args.screenshot, full_page=True)
                    raise Fail("'Time: 1' not shown after clicking Step") from None
                # the plots: vega (an Altair chart) and/or a matplotlib figure (an image widget)
                expect = args.expect if args.expect is not None else ([] if args.app else ["vega", "image"])
                for what in expect:
                    try:
                        page.locator(PLOT_SELECTORS[what]).first.wait_for(timeout=ms)
                    except PWTimeout:
                        page.screenshot(path=args.screenshot, full_page=True)
                        raise Fail(f"no {what} plot drawn ({PLOT_SELECTORS[what]})") from None
                page.wait_for_timeout(1500)  # let the last redraw settle before the picture
                page.screenshot(path=args.screenshot, full_page=True)
            except PWError as e:
                raise Fail(f"playwright: {str(e).splitlines()[0]}") from e
            finally:
                browser.close()
    except Fail as e:
        # a missing asset is the usual root cause of a page that never finishes: say so
        misses = cache_misses(log_path)
        if misses:
            raise Fail(f"asset cache miss(es) (add to scripts/ui_setup.sh): {', '.join(misses)}; then: {e}") from e
        if external:
            raise Fail(f"{e}; {len(external)} request(s) left localhost, first: {external[0]}") from e
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log_file.close()

    log = log_path.read_text(errors="replace")
    misses = cache_misses(log_path)
    for item in console_errors[:10]:
        print(f"  console error: {item}", file=sys.stderr)
    if page_errors:
        raise Fail(f"{len(page_errors)} page error(s), first: {page_errors[0]}")
    if external:
        raise Fail(f"{len(external)} request(s) left localhost, first: {external[0]}")
    if misses:
        raise Fail(f"asset cache miss(es) (add to scripts/ui_setup.sh): {', '.join(misses)}")
    if bad_local:
        raise Fail(f"{len(bad_local)} failed local request(s), first: {bad_local[0]}")
    if "Traceback" in log:
        raise Fail(f"traceback in the solara log {log_path}")
    return (
        f"server up {t_server:.1f}s, 'Time: 0' at {t_page:.1f}s, Step -> 'Time: 1'; "
        f"0 page errors, 0 external requests, {len(console_errors)} console errors; "
        f"screenshot {args.screenshot}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("screenshot", help="where to write the PNG screenshot")
    ap.add_argument("--app", help="SolaraViz app file (default: a tiny demo written to /tmp)")
    ap.add_argument(
        "--assets",
        default=os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR", str(REPO / ".cache" / "solara-assets")),
        help="asset cache dir (default $SOLARA_ASSETS_PROXY_CACHE_DIR or <repo>/.cache/solara-assets)",
    )
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds for each wait")
    ap.add_argument(
        "--expect",
        action="append",
        choices=sorted(PLOT_SELECTORS),
        help="plot kind that must be drawn (repeatable); default: vega and image for the demo app, none for --app",
    )
    ap.add_argument("--keep-log", help="write the solara server log here")
    args = ap.parse_args()
    Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
    try:
        print("OK: " + run(args))
        return 0
    except Fail as e:
        print(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
