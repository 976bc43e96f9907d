"""The result store, collection, a killed and resumed sweep, and a sweep on a real SLURM cluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from conftest import compose, require_service

import sim
from sim.analysis.collect import collect, collect_timeseries, parameters
from sim.analysis.collect import main as collect_main
from sim.analysis.store import complete_runs, is_complete, run_folders, run_into_store, run_key

ROOT = Path(__file__).resolve().parent.parent
TINY = ["world=synthetic", "world.n_territories=12", "steps=20", "burn_in=2", "progress=false"]


def _arms(table: pd.DataFrame) -> list[tuple[str, int]]:
    """(scenario, seed) of every row, in the table's order."""
    return list(zip(table["scenario.name"], table["seed"], strict=True))


def _stamp(folder: Path) -> dict:
    """(inode, mtime) of every file of a run folder: changes if any file is rewritten."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_run_key_is_stable_and_ignores_where_results_go():
    a = compose(*TINY, "seed=3")
    b = compose(*TINY, "seed=3", "store=elsewhere", "output.write=true", "progress=true")
    assert run_key(a) == run_key(b) and len(run_key(a)) == 16
    assert run_key(a) != run_key(compose(*TINY, "seed=4"))
    assert run_key(a) != run_key(compose(*TINY, "seed=3", "params.violence.pax_factor=0.5"))
    assert run_key(a) != run_key(compose(*TINY, "seed=3", "scenario.truce.enabled=true"))
    assert run_key(a) != run_key(compose(*TINY, "seed=3", "output.territory_every=4"))  # changes a file
    code = f"import sim, sim.analysis.store; print(sim.analysis.store.run_key(sim.compose({[*TINY, 'seed=3']!r})))"
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert other.stdout.strip() == run_key(a)  # the same in another process


def test_store_skips_complete_runs_and_collects_one_row_per_run(tmp_path):
    # output.write=false (the tests' default) does not stop the store from writing the contract
    cfgs = [compose(*TINY, f"seed={s}", f"scenario={sc}") for s in (1, 0) for sc in ("truce", "baseline")]
    folders = [run_into_store(c, tmp_path)[0] for c in cfgs]
    assert len(set(folders)) == 4 and all(is_complete(f) for f in folders)
    stamp = {f: _stamp(f) for f in folders}
    again = [run_into_store(c, tmp_path) for c in cfgs]
    assert all(ran is False for _, ran in again)  # complete runs are skipped ...
    assert all(_stamp(f) == stamp[f] for f in folders)  # ... and no file is rewritten
    assert not list(tmp_path.rglob("*.tmp"))
    done = json.loads((folders[0] / "done").read_text())
    assert done["key"] == folders[0].name and done["seconds"] > 0
    table = collect(tmp_path)
    assert len(table) == 4 and table["run"].is_unique
    assert parameters(table) == ["scenario.name", "scenario.truce.enabled", "seed"]
    assert {"year_1.homicide_rate", "run_seconds"} <= set(table.columns)
    assert _arms(table) == [("baseline", 0), ("baseline", 1), ("truce", 0), ("truce", 1)]
    ts = collect_timeseries(tmp_path, table)
    assert len(ts) == 4 * 22 and list(ts.columns[:4]) == ["run", "scenario.name", "scenario.truce.enabled", "seed"]
    collect_main([str(tmp_path), "--timeseries", str(tmp_path / "weeks.parquet")])  # python -m sim.collect
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "collected.parquet"), table)
    assert len(pd.read_parquet(tmp_path / "weeks.parquet")) == len(ts) and len(collect(tmp_path)) == 4


def test_a_folder_with_a_missing_file_is_run_again(tmp_path):
    cfg = compose(*TINY, "seed=5")
    folder, _ = run_into_store(cfg, tmp_path)
    (folder / "events.parquet").unlink()  # e.g. lost, or a run killed before it wrote everything
    assert not is_complete(folder) and collect(tmp_path).empty
    _, ran = run_into_store(cfg, tmp_path)
    assert ran is not False and is_complete(folder) and len(collect(tmp_path)) == 1


def test_concurrent_writers_of_one_store(tmp_path):
    """Three processes at once, two of them computing the same run: one folder per run, all complete,
    and the files equal to the same run computed here (same config and seed, any process)."""
    code = (
        "import sys, sim, sim.analysis.store; sim.analysis.store.run_into_store(sim.compose(sys.argv[2:]), sys.argv[1])"
    )
    args = [[*TINY, "seed=7"], [*TINY, "seed=7"], [*TINY, "seed=8"]]
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), *a]) for a in args]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    assert len(run_folders(tmp_path)) == 2 and len(complete_runs(tmp_path)) == 2
    assert not list(tmp_path.rglob("*.tmp"))
    here = sim.run(compose(*TINY, "seed=7"))
    stored = pd.read_parquet(tmp_path / run_key(compose(*TINY, "seed=7")) / "timeseries.parquet")
    pd.testing.assert_frame_equal(stored, here.timeseries, check_dtype=False)


def _sweep_cmd(store: Path, seeds: str, extra=(), steps: int = 520) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sim",
        "-m",
        f"seed={seeds}",
        "scenario=baseline,truce",
        f"store={store}",
        "world=synthetic",
        "world.n_territories=12",
        f"steps={steps}",
        "burn_in=2",
        "progress=false",
        f"hydra.sweep.dir={store.parent / 'hydra'}",
        *extra,
    ]


def test_a_killed_sweep_resumes_without_lost_or_duplicated_runs(tmp_path):
    store = tmp_path / "store"
    n = 16  # 2 scenarios x 8 seeds
    cmd = _sweep_cmd(store, "range(0,8)", steps=260)
    # first launch: two joblib workers writing into the store at once; killed (SIGKILL to the whole
    # process group: launcher and workers) once 4 runs have finished, while another one is running
    first = subprocess.Popen(
        [*cmd, "hydra/launcher=local", "hydra.launcher.n_jobs=2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and first.poll() is None:
        done = len(complete_runs(store))
        if done >= 4 and len(run_folders(store)) > done:
            break
        time.sleep(0.02)
    assert first.poll() is None, f"the sweep ended before it was killed: {first.stderr.read()[-2000:]}"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    time.sleep(0.3)
    finished = {p.name: _stamp(p) for p in complete_runs(store)}
    assert 4 <= len(finished) < len(run_folders(store)) <= n  # at least one run was cut midway

    # relaunch (basic launcher: one process, so its output tells what it skipped)
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("complete already, skipped") == len(finished)
    assert len(run_folders(store)) == len(complete_runs(store)) == n  # every run, once
    assert all(_stamp(store / k) == s for k, s in finished.items())  # finished runs were not recomputed
    table = collect(store)
    assert len(table) == n and not table.duplicated(["scenario.name", "seed"]).any()
    assert _arms(table) == [(sc, s) for sc in ("baseline", "truce") for s in range(8)]  # sorted by collect


def _start_slurm() -> str:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        require_service("the one-node SLURM cluster needs root and apt-get (scripts/slurm/up.sh)")
    up = subprocess.run(["bash", str(ROOT / "scripts/slurm/up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode != 0:  # a daemon of an earlier cluster may still be going down: stop all, start once more
        subprocess.run(["bash", str(ROOT / "scripts/slurm/down.sh")], capture_output=True, timeout=400)
        up = subprocess.run(["bash", str(ROOT / "scripts/slurm/up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode != 0:
        require_service(f"scripts/slurm/up.sh failed: {' | '.join(up.stderr.strip().splitlines()[-4:])}")
    return up.stdout.strip().splitlines()[-1].split("=", 1)[1]


def test_sweep_on_a_real_slurm_cluster(tmp_path):
    t0 = time.time()
    conf = _start_slurm()
    t_up = time.time() - t0
    env = {**os.environ, "SLURM_CONF": conf}
    store = tmp_path / "store"
    try:
        t1 = time.time()
        cmd = _sweep_cmd(
            store,
            "0,1,2",
            ["hydra/launcher=slurm", "hydra.launcher.timeout_min=10", "hydra.launcher.partition=debug"],
            steps=52,
        )
        out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
        assert out.returncode == 0, (out.stdout[-1500:], out.stderr[-1500:])
        t_sweep = time.time() - t1
        # the runs went through SLURM: one array job whose 6 tasks sacct shows as COMPLETED
        dones = [json.loads((p / "done").read_text()) for p in complete_runs(store)]
        jobs = [d["slurm_job"] for d in dones]
        assert all(j and "_" in j for j in jobs), jobs
        array_ids = {j.split("_")[0] for j in jobs}
        assert len(array_ids) == 1 and len(set(jobs)) == 6, jobs
        array_id = array_ids.pop()
        for _ in range(60):  # accounting is written after the job ends: give the last task a moment
            acct = subprocess.run(
                ["sacct", "-n", "-P", "-X", "-j", array_id, "-o", "JobID,State,JobName"],
                capture_output=True,
                text=True,
                env=env,
                timeout=30,
            ).stdout.split()
            if len(acct) == 6 and all("|COMPLETED|" in line for line in acct):
                break
            time.sleep(0.5)
        assert len(acct) == 6 and all(line.split("|")[1:] == ["COMPLETED", "crimenet"] for line in acct), acct
        table = collect(store)
        assert len(table) == 6
        assert _arms(table) == [(sc, s) for sc in ("baseline", "truce") for s in range(3)]
        assert table["year_1.homicide_rate"].notna().all()
        # a run on the cluster equals the same run here (same folder name, same numbers)
        here = sim.run(
            compose("world=synthetic", "world.n_territories=12", "steps=52", "burn_in=2", "scenario=truce", "seed=2")
        )
        key = here.summary["config_hash"]
        assert key in set(table["run"])
        pd.testing.assert_frame_equal(
            pd.read_parquet(store / key / "timeseries.parquet"), here.timeseries, check_dtype=False
        )
        print(f"\nSLURM: cluster up in {t_up:.1f} s; sweep of 6 runs (2 scenarios x 3 seeds) in {t_sweep:.1f} s")
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/slurm/down.sh")], capture_output=True, timeout=400)
