#!/usr/bin/env python
"""Measure how fast the browser UI answers on the default world (issue 17: under 100 ms from Step to
paint, at least 15 weeks a second in Play, first page under 3 s).

    .venv/bin/python scripts/ui_frametime.py [--weeks 600] [--browser-steps 30] [--play-seconds 10]

1. Server side, no browser: for every week of a run on the default world, the time of
   ``model.step()`` and of each view builder (map, network, status/events, plots).
2. In chromium (needs ``scripts/ui_setup.sh``): starts ``python -m sim.viz`` on a free port, then
   (a) times the first page: from navigation until the map of week 0 is in the DOM;
   (b) clicks Step N times and times each click with the page's clock (a MutationObserver) until
   the map's SVG carries ``data-step="k"`` and two more frames are painted;
   (c) presses Play (one week per frame, no pause between frames) for a while and counts the weeks
   drawn: weeks a second; (d) repeats (b) at the later week reached.
Prints medians (and 90th percentiles); ``--no-browser`` does part 1 only.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: Clicks Step in the page and times, with the page's own clock, until the map's SVG of the next week
#: (data-step="k") is in the DOM and two more frames have been painted.
CLICK_STEP_JS = """async () => {
  const cur = () => parseInt(document.querySelector('[data-testid=map] svg').getAttribute('data-step'));
  const k = cur() + 1;
  const btn = [...document.querySelectorAll('button')].find(b => b.textContent.trim().toLowerCase() === 'step');
  let tMap = null;
  const t0 = performance.now();
  const done = await new Promise(resolve => {
    const timer = setTimeout(() => { obs.disconnect(); resolve(false); }, 15000);
    const check = () => {
      if (tMap === null && document.querySelector(`[data-testid=map] svg[data-step="${k}"]`)) {
        tMap = performance.now(); clearTimeout(timer); obs.disconnect(); resolve(true);
      }
    };
    const obs = new MutationObserver(check);
    obs.observe(document.body, {subtree: true, childList: true, attributes: true});
    btn.click();
  });
  if (!done) return null;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = [tMap - t0, performance.now() - t0];
  await new Promise(r => setTimeout(r, 50));
  return out;
}"""


def report(what: str, lat: list) -> None:
    missed = sum(x is None for x in lat)
    lat = [x for x in lat if x is not None]
    if missed:
        print(f"  {what}: {missed} click(s) not answered within 15 s")
    if not lat:
        return
    for i, name in enumerate(("map redrawn", "+2 frames painted")):
        xs = [x[i] for x in lat]
        print(f"  {what} {name}: median {statistics.median(xs):.0f} ms, p90 {pct(xs, 0.9):.0f} ms")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def server_side(weeks: int) -> None:
    from sim.viz import map as vmap
    from sim.viz import network, panels, plots
    from sim.viz.session import Run

    t0 = time.perf_counter()
    run = Run({})
    m = run.model
    print(
        f"default world: {m.cfg.world.name}, {m.world.n} territories, {len(m.orgs.agents)} groups, "
        f"{len(m.agents)} agents; model (and baseline: {run.baseline is not None}) built in "
        f"{time.perf_counter() - t0:.2f} s"
    )
    builders = {
        "map": vmap.map_html,
        "network": network.network_html,
        "status+events": panels.panel_html,
        "plots": plots.timeseries_html,
    }
    times: dict[str, list[float]] = {"model.step": [], **{k: [] for k in builders}, "all views": []}
    for _ in range(weeks):
        t = time.perf_counter()
        m.step()
        times["model.step"].append(time.perf_counter() - t)
        total = 0.0
        for k, fn in builders.items():
            t = time.perf_counter()
            fn(m)
            dt = time.perf_counter() - t
            times[k].append(dt)
            total += dt
        times["all views"].append(total)
    print(f"server side over {weeks} weeks (ms): median / p90")
    for k, xs in times.items():
        print(f"  {k:14s} {1000 * statistics.median(xs):6.1f} / {1000 * pct(xs, 0.9):6.1f}")


def browser(steps: int, play_seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.viz", "--port", str(port), "--no-open"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1400, "height": 1250})

            def now() -> int:
                return int(page.locator("[data-testid=map] svg").first.get_attribute("data-step") or 0)

            t = time.perf_counter()
            page.goto(url)
            page.locator('[data-testid=map] svg[data-step="0"]').wait_for(timeout=60_000)
            print(f"browser, first page (navigation to the map of week 0): {time.perf_counter() - t:.2f} s")
            lat = [page.evaluate(CLICK_STEP_JS) for _ in range(steps)]
            report(f"browser, weeks 1-{steps}: click Step ->", lat)
            # Play, one week per frame and no pause between frames (the page's defaults)
            start = now()
            page.get_by_role("button", name="▶", exact=True).click()
            t = time.perf_counter()
            page.wait_for_timeout(int(play_seconds * 1000))
            n = now() - start
            elapsed = time.perf_counter() - t
            page.get_by_role("button", name="❚❚", exact=True).click()
            print(
                f"browser, Play: {n} weeks drawn in {elapsed:.1f} s = {1000 * elapsed / max(n, 1):.0f} ms per week "
                f"({n / elapsed:.1f} weeks/s)"
            )
            k0, still = now(), 0
            while still < 5:  # the frames on their way when Pause was pressed have arrived
                page.wait_for_timeout(200)
                k0, still = now(), (still + 1 if now() == k0 else 0)
            print(f"browser, weeks shown after Pause was pressed: {k0 - start - n}")
            lat = [page.evaluate(CLICK_STEP_JS) for _ in range(steps)]
            report(f"browser, weeks {k0 + 1}-{k0 + steps}: click Step ->", lat)
            b.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=600)
    ap.add_argument("--browser-steps", type=int, default=30)
    ap.add_argument("--play-seconds", type=float, default=10.0)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    server_side(args.weeks)
    if not args.no_browser:
        browser(args.browser_steps, args.play_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
