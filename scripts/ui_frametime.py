#!/usr/bin/env python
"""Measure how fast the browser UI redraws on the default world (issue: redraw stays smooth).

    .venv/bin/python scripts/ui_frametime.py [--weeks 600] [--browser-steps 30] [--play-seconds 10]

1. Server side, no browser: for every week of a run on the default world, the time of
   ``model.step()`` and of each view builder (map, network, status/events, plots).
2. In chromium (needs ``scripts/ui_setup.sh``): starts ``python -m sim.viz`` on a free port, then
   (a) clicks Step N times and times each click with the page's clock (a MutationObserver) until
   "Time: k" shows, the map's SVG carries ``data-step="k"`` and two more frames are painted;
   (b) sets Play Interval to its minimum (1 ms), presses Play for a while and counts the weeks
   drawn: the sustained frame time; (c) repeats (a) at the later week reached.
Prints medians (and 90th percentiles); ``--no-browser`` does part 1 only.
"""

from __future__ import annotations

import argparse
import os
import re
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


#: Clicks Step in the page and times, with the page's own clock, until the "Time: k" text and the
#: map's SVG (data-step="k") are in the DOM and two more frames have been painted.
CLICK_STEP_JS = """async (k) => {
  const btn = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Step');
  const isTime = e => e.childElementCount === 0 && /^\\s*Time: /.test(e.textContent)
                      && parseFloat(e.textContent.split(':')[1]) === k;
  let tTime = null, tMap = null;
  const t0 = performance.now();
  const done = await new Promise(resolve => {
    const timer = setTimeout(() => { obs.disconnect(); resolve(false); }, 15000);
    const check = () => {
      if (tTime === null && [...document.querySelectorAll('div,span')].some(isTime)) tTime = performance.now();
      if (tMap === null && document.querySelector(`[data-testid=map] svg[data-step="${k}"]`)) tMap = performance.now();
      if (tTime !== null && tMap !== null) { clearTimeout(timer); obs.disconnect(); resolve(true); }
    };
    const obs = new MutationObserver(check);
    obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
    btn.click();
  });
  if (!done) return null;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = [tTime - t0, tMap - t0, performance.now() - t0];
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
    for i, name in enumerate(("Time shown", "map redrawn", "+2 frames painted")):
        xs = [x[i] for x in lat]
        print(f"  {what} {name}: median {statistics.median(xs):.0f} ms, p90 {pct(xs, 0.9):.0f} ms")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def server_side(weeks: int) -> None:
    from sim.viz import map as vmap
    from sim.viz import network, panels, plots
    from sim.viz.factory import UIModel

    t0 = time.perf_counter()
    m = UIModel()
    print(
        f"default world: {m.cfg.world.name}, {m.world.n} territories, {len(m.orgs.agents)} groups, "
        f"{len(m.agents)} agents; model built in {time.perf_counter() - t0:.2f} s"
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

            def time_is(n):
                page.get_by_text(re.compile(rf"^\s*Time: {n}(\.0)?\s*$")).first.wait_for(timeout=60_000)

            page.goto(url)
            time_is(0)
            lat = [page.evaluate(CLICK_STEP_JS, k) for k in range(1, steps + 1)]
            report(f"browser, weeks 1-{steps}: click Step ->", lat)
            # Play with the smallest play interval: sustained frames per second
            thumb = page.locator(".v-input", has_text="Play Interval (ms)").locator("[role=slider]").first
            thumb.focus()
            page.keyboard.press("Home")
            page.wait_for_timeout(300)
            interval = thumb.get_attribute("aria-valuenow")

            def now():
                return float(page.get_by_text(re.compile(r"^\s*Time: ")).first.inner_text().split(":")[1])

            start = now()
            page.get_by_role("button", name="▶", exact=True).click()
            t = time.perf_counter()
            page.wait_for_timeout(int(play_seconds * 1000))
            n = now() - start
            elapsed = time.perf_counter() - t
            page.get_by_role("button", name="❚❚", exact=True).click()
            print(
                f"browser, Play at Play Interval = {interval} ms: {n:.0f} weeks drawn in {elapsed:.1f} s = "
                f"{1000 * elapsed / max(n, 1):.0f} ms per week ({n / elapsed:.1f} frames/s)"
            )
            page.wait_for_timeout(1000)
            k0 = int(now())
            lat = [page.evaluate(CLICK_STEP_JS, k) for k in range(k0 + 1, k0 + steps + 1)]
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
