"""The result store, collection, a resumed sweep, and a sweep on a real SLURM cluster."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


from conftest import compose, require_service
from sim.collect import collect
from sim.store import complete_runs, run_into_store, run_key

ROOT = Path(__file__).resolve().parent.parent
TINY = ["world=synthetic", "world.n_territories=12", "steps=20", "burn_in=2", "progress=false"]


def test_run_key_is_stable_and_ignores_where_results_go():
    a = compose(*TINY, "seed=3")
    b = compose(*TINY, "seed=3", "store=elsewhere", "output.territory_every=4")
    assert run_key(a) == run_key(b) and len(run_key(a)) == 16
    assert run_key(a) != run_key(compose(*TINY, "seed=4"))
    assert run_key(a) != run_key(compose(*TINY, "seed=3", "params.violence.pax_factor=0.5"))


def test_store_skips_complete_runs_and_collects_one_row_per_run(tmp_path):
    cfgs = [compose(*TINY, "output.write=true", f"seed={s}", f"scenario={sc}") for s in (0, 1) for sc in ("baseline", "truce")]
    folders = [run_into_store(c, tmp_path)[0] for c in cfgs]
    stamp = {f: (f / "timeseries.parquet").stat().st_mtime_ns for f in folders}
    again = [run_into_store(c, tmp_path) for c in cfgs]
    assert all(ran is False for _, ran in again)  # complete runs are skipped ...
    assert all((f / "timeseries.parquet").stat().st_mtime_ns == stamp[f] for f in folders)  # ... not rewritten
    assert not list(tmp_path.rglob("*.tmp"))
    table = collect(tmp_path)
    assert len(table) == 4 and table["run"].is_unique
    assert {"seed", "scenario.name", "year_1.homicide_rate"} <= set(table.columns)
    assert sorted(zip(table["scenario.name"], table["seed"])) == [("baseline", 0), ("baseline", 1), ("truce", 0), ("truce", 1)]


def _sweep_cmd(store, seeds, extra=()):
    return [sys.executable, "-m", "sim", "-m", f"seed={seeds}", "scenario=baseline,truce", f"store={store}",
            "world=synthetic", "world.n_territories=12", "steps=156", "burn_in=2", "progress=false",
            f"hydra.sweep.dir={store}/../hydra", *extra]


def test_a_killed_sweep_resumes_without_lost_or_duplicated_runs(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    cmd = _sweep_cmd(store, "0,1,2,3,4")  # 10 runs, one after another (basic launcher)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while len(complete_runs(store)) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: (p / "done").stat().st_mtime_ns for p in complete_runs(store)}
    assert 3 <= len(finished) < 10, len(finished)
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("complete already, skipped") == len(finished)
    done = complete_runs(store)
    assert len(done) == 10
    assert all((store / k / "done").stat().st_mtime_ns == t for k, t in finished.items())  # not recomputed
    table = collect(store)
    assert len(table) == 10 and not table.duplicated(["scenario.name", "seed"]).any()


def test_sweep_on_a_real_slurm_cluster(tmp_path):
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        require_service("the one-node SLURM cluster needs root and apt-get (scripts/slurm/up.sh)")
    up = subprocess.run(["bash", str(ROOT / "scripts/slurm/up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode != 0:  # a daemon of an earlier cluster may still be going down: stop all, start once more
        subprocess.run(["bash", str(ROOT / "scripts/slurm/down.sh")], capture_output=True, timeout=120)
        up = subprocess.run(["bash", str(ROOT / "scripts/slurm/up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode != 0:
        require_service(f"scripts/slurm/up.sh failed: {' | '.join(up.stderr.strip().splitlines()[-4:])}")
    conf = up.stdout.strip().splitlines()[-1].split("=", 1)[1]
    env = {**os.environ, "SLURM_CONF": conf}
    store = tmp_path / "store"
    try:
        t0 = time.time()
        cmd = _sweep_cmd(store, "0,1,2", ["hydra/launcher=slurm", "hydra.launcher.timeout_min=10"])
        out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
        assert out.returncode == 0, (out.stdout[-1500:], out.stderr[-1500:])
        table = collect(store)
        assert len(table) == 6
        assert sorted(zip(table["scenario.name"], table["seed"])) == [
            (sc, s) for sc in ("baseline", "truce") for s in range(3)]
        assert table["year_1.homicide_rate"].notna().all()
        jobs = list((tmp_path / "hydra" / ".submitit").glob("*"))
        assert jobs, "no submitit job folders: the sweep did not go through SLURM"
        print(f"SLURM sweep of 6 runs: {time.time() - t0:.1f} s")
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/slurm/down.sh")], capture_output=True, timeout=120)
