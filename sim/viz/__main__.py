"""Start the browser UI offline: ``python -m sim.viz [--port 8765] [--host 127.0.0.1] [--no-open]``.

Runs ``solara run sim.viz.app --production`` (a child process; its address is printed once it
listens, and Ctrl-C or SIGTERM stops it) with the environment that keeps the page off the
internet and quiet (no Solara banner over the page, the light theme, no cookie warning): Solara's asset proxy serves the JavaScript/CSS the page needs from the project's cache
(``.cache/solara-assets``, filled by ``scripts/ui_setup.sh``), a cache miss goes to a dead local
port instead of a CDN, and telemetry is off. Without the cache it stops and says how to fill it
(``--allow-cdn`` lets Solara fetch the assets from its CDN instead).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sim.resources import WORK_ROOT as PROJECT_ROOT

APP = "sim.viz.app"  # a module (the app uses relative imports), importable from the project root
DEFAULT_ASSETS = PROJECT_ROOT / ".cache" / "solara-assets"
CHECK_FILE = Path("requirejs@2.3.6") / "require.js"


def offline_env(assets: Path | None, base: dict | None = None) -> dict[str, str]:
    """The environment for ``solara run``: assets from ``assets`` (None: Solara's CDN), no telemetry."""
    env = dict(os.environ if base is None else base)
    if assets is not None:
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(assets)
        env["SOLARA_ASSETS_PROXY"] = "true"
        env.setdefault("SOLARA_ASSETS_CDN", "http://127.0.0.1:9/npm/")  # a miss fails fast, locally
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    env.setdefault("SOLARA_MODE", "production")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "false")  # "This website runs on Solara" covered the sidebar
    env.setdefault("SOLARA_THEME_VARIANT", "light")
    env.setdefault("SOLARA_THEME_TITLE", "crimenet")
    path = env.get("PYTHONPATH", "")
    if str(PROJECT_ROOT) not in path.split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), path) if p)
    return env


def command(host: str, port: int, open_browser: bool) -> list[str]:
    cmd = [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port), "--production"]
    if not open_browser:
        cmd.append("--no-open")
    return cmd


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.viz", description="Start the crimenet browser UI (offline).")
    ap.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    ap.add_argument("--no-open", action="store_true", help="do not open a browser window")
    ap.add_argument(
        "--assets",
        default=os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR", str(DEFAULT_ASSETS)),
        help="offline asset cache (default .cache/solara-assets, filled by scripts/ui_setup.sh)",
    )
    ap.add_argument(
        "--allow-cdn",
        action="store_true",
        help="without the cache, let Solara fetch the page's assets from its CDN (needs internet)",
    )
    args = ap.parse_args(argv)
    cache = Path(args.assets).resolve()
    assets: Path | None = cache  # None: Solara fetches the assets from its CDN
    if not (cache / CHECK_FILE).is_file():
        if not args.allow_cdn:
            print(
                f"error: the offline asset cache {cache} is empty: run scripts/ui_setup.sh "
                "(or make ui), or pass --allow-cdn",
                file=sys.stderr,
            )
            return 2
        assets = None
    cmd = command(args.host, args.port, not args.no_open)
    proc = subprocess.Popen(cmd, env=offline_env(assets), stdout=subprocess.PIPE, text=True, bufsize=1)
    # Solara prints its address as it starts, seconds before the port listens: that line is dropped
    # and ours is printed once the page can be opened; the rest of its output passes through
    threading.Thread(target=_forward, args=(proc.stdout,), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        while proc.poll() is None and not listening(args.host, args.port):
            time.sleep(0.2)
        if proc.poll() is None:
            print(f"crimenet UI: http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


def _forward(stream) -> None:
    """Copy the server's output to ours, without Solara's early "server is starting" line."""
    for line in stream:
        if not line.startswith("Solara server is starting"):
            sys.stdout.write(line)
            sys.stdout.flush()


def listening(host: str, port: int) -> bool:
    """Whether something accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
