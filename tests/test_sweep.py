"""The result store, collection, the sweep planner, local sweeps killed and resumed, and sweeps on a
real SLURM cluster: chunked across several job arrays, cancelled and relaunched, refused before
submission."""

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
import pytest
from conftest import compose, require_service

import sim
from sim.analysis.collect import collect, collect_timeseries, parameters
from sim.analysis.collect import main as collect_main
from sim.analysis.store import (
    FAILED,
    complete_runs,
    is_complete,
    read_marker,
    run_folders,
    run_into_store,
    run_key,
)
from sim.analysis.sweep import Runner, SweepError, plan_sweep, states, status_main

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
    params = parameters(table)  # the config keys that differ between the runs: the truce's levers
    assert params[0] == "scenario.name" and params[-1] == "seed" and "scenario.truce.enabled" in params
    assert not any(p.startswith(("params.", "world.", "scenario.mano_dura")) for p in params)
    assert {"year_1.homicide_rate", "run_seconds"} <= set(table.columns)
    assert _arms(table) == [("baseline", 0), ("baseline", 1), ("truce", 0), ("truce", 1)]
    ts = collect_timeseries(tmp_path, table)
    assert len(ts) == 4 * 22 and list(ts.columns[: len(params) + 1]) == ["run", *params]
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


@pytest.mark.slow  # 16 runs of 260 weeks through Hydra sweeps in subprocesses (~20 s)
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

    # relaunch (no launcher: the runs one after another in one process, one line each)
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{len(finished)} done already" in again.stdout and f"{n - len(finished)} to run" in again.stdout
    assert again.stdout.count(": done in ") == n - len(finished)  # only the missing runs ran
    assert len(run_folders(store)) == len(complete_runs(store)) == n  # every run, once
    assert not list(store.rglob("*.tmp")) and not list(store.glob("*/running"))  # the killed runs' leftovers
    assert all(_stamp(store / k) == s for k, s in finished.items())  # finished runs were not recomputed
    table = collect(store)
    assert len(table) == n and not table.duplicated(["scenario.name", "seed"]).any()
    assert _arms(table) == [(sc, s) for sc in ("baseline", "truce") for s in range(8)]  # sorted by collect


def test_killing_the_local_launcher_stops_its_workers(tmp_path):
    """SIGKILL to the launcher alone (not its process group): its workers stop too, and remove their
    runs' temporary files and running markers on the way out."""
    store = tmp_path / "store"
    cmd = [*_sweep_cmd(store, "range(0,8)"), "hydra/launcher=local", "hydra.launcher.n_jobs=2"]
    launcher = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.time() + 120
    while time.time() < deadline and launcher.poll() is None:
        if len(list(store.glob("*/running"))) >= 2:  # both workers are running a run
            workers = _children(launcher.pid)
            break
        time.sleep(0.05)
    assert launcher.poll() is None and len(workers) >= 2, "the sweep ended, or never started two workers"
    launcher.kill()
    launcher.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and _state(w) != "Z"], "workers outlived the launcher"
    assert not list(store.rglob("*.tmp")) and not list(store.glob("*/running"))


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.slow  # composes a config per checked run, some on the default world (~9 s)
def test_planned_runs_have_the_keys_of_the_configs_they_run():
    plan = plan_sweep(
        [
            "seed=0,1",
            "scenario=baseline,[mano_dura_2022,police_reform]",
            "params.violence.pax_factor=0.25,1",  # an integer for a float field
            "scenario.truce.enabled=true,false",
            "world=synthetic,hemisphere",
            "steps=26",
            "progress=false",
        ]
    )
    assert len(plan.runs) == 32 and plan.constant == {"steps": 26}
    assert plan.swept == ["scenario.name", "params.violence.pax_factor", "scenario.truce.enabled", "world.name", "seed"]
    for r in plan.runs[::4]:
        assert run_key(sim.compose([*plan.common, *r.overrides])) == r.key, r.overrides
    assert {r.params["scenario.name"] for r in plan.runs} == {"baseline", "mano_dura_2022+police_reform"}
    assert {r.params["params.violence.pax_factor"] for r in plan.runs} == {0.25, 1.0}


def test_planning_is_cheap_per_run():
    t0 = time.perf_counter()
    plan = plan_sweep(["seed=range(0,1000)", "scenario=baseline,truce", "params.violence.pax_factor=0.2,0.4"])
    elapsed = time.perf_counter() - t0
    assert len(plan.runs) == 4000
    assert elapsed / 4000 < 0.05, f"{elapsed:.1f} s for 4,000 runs"  # two world builds excluded: ~0.1 ms a run


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["params.violence.no_such=0.1,0.2"], "params.violence.no_such: unknown key; allowed keys here: "),
        (["+params.violence.no_such=0.1,0.2"], "params.violence.no_such: unknown key"),
        (["params.violence.pax_factor=0.5,7"], "params.violence.pax_factor=7.0: allowed range is [0.0, 1.0]"),
        (["seed=range(0,0)"], "seed=range(0,0): the sweep is empty"),
        (["output.territory_every=2,abc"], "output.territory_every=abc"),
        (
            ["scenario=baseline,atlantis"],
            "scenario=atlantis: unknown option; allowed: anti_laundering, arms_interdiction, baseline",
        ),
        (["hydra.launcher.no_such=1"], "hydra.launcher.no_such: unknown knob"),
        (["output.write=true,false"], "output.write=true,false: a run setting, not a parameter; it cannot be swept"),
    ],
)
def test_a_bad_sweep_is_refused_whole(args, expect):
    with pytest.raises(SweepError) as err:
        plan_sweep([*TINY, *args])
    assert expect in str(err.value) and "\n" not in str(err.value)


def test_status_and_missing_runs_of_a_sweep(tmp_path, monkeypatch, capsys):
    """Runs of a plan: one fails (its error recorded, the next runs go on), one is never started."""
    store = tmp_path / "store"
    plan = plan_sweep([*TINY, "seed=0,1,2", f"store={store}"])
    plan.store.mkdir(parents=True)
    plan.save()
    run_module = sys.modules["sim.run"]  # (the attribute sim.run is the function)
    real = run_module.run

    def sometimes(cfg, *a, **k):
        if int(cfg.seed) == 1:
            raise RuntimeError("boom in week 3")
        return real(cfg, *a, **k)

    monkeypatch.setattr(run_module, "run", sometimes)
    runner = Runner(store, plan.common)
    outcomes = [runner.execute(r.key, r.overrides)[0] for r in plan.runs[:2]]
    assert outcomes == ["done", "failed"]
    assert read_marker(store / plan.runs[1].key, FAILED)["error"] == "RuntimeError: boom in week 3"
    assert states(store) == {plan.runs[0].key: "done", plan.runs[1].key: "failed", plan.runs[2].key: "missing"}
    capsys.readouterr()
    assert status_main([str(store)]) == 1
    out = capsys.readouterr().out
    assert "done 1 | running 0 | queued 0 | failed 1 | missing 1" in out
    assert f"{plan.runs[1].key} seed=1: RuntimeError: boom in week 3" in out
    collect_main([str(store), "--missing"])
    listed = capsys.readouterr().out.split("\n")
    assert sorted(line.split()[0] for line in listed if line) == sorted([plan.runs[1].key, plan.runs[2].key])
    table = collect(store)  # the plan's parameters: swept, then the ones the sweep fixed
    assert list(table["seed"]) == [0] and table.attrs["swept"] == ["scenario.name", "seed"]
    assert {"world.name", "world.n_territories", "steps", "burn_in"} <= set(table.attrs["constant"])


def test_store_files_follow_the_umask_and_compact_runs_keep_the_summary(tmp_path):
    old = os.umask(0o002)
    try:
        folder, _ = run_into_store(compose(*TINY, "seed=1"), tmp_path / "group")
    finally:
        os.umask(old)
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {
        p.name: "0o664" for p in folder.iterdir()
    }  # readable and writable by the research group
    folder, _ = run_into_store(compose(*TINY, "seed=1"), tmp_path / "compact", compact=True)
    assert sorted(p.name for p in folder.iterdir()) == ["done", "summary.json"] and is_complete(folder)
    assert len(collect(tmp_path / "compact")) == 1


def test_the_check_job_retries_timed_out_runs_a_bounded_number_of_times(tmp_path, monkeypatch):
    """What the check job does after a round's arrays ended, with sacct's answer made up: the
    unfinished runs of a timed-out task go out again (twice the time limit); after the last retry
    they are recorded as failed; the run a killed task was running is recorded as failed."""
    from sim.analysis import slurm

    store = tmp_path / "store"
    plan = plan_sweep([*TINY, "seed=0,1,2", f"store={store}"])
    k0, k1, k2 = (r.key for r in plan.runs)
    Runner(store, plan.common).execute(k0, plan.runs[0].overrides)  # done before the time limit
    (store / k2).mkdir()
    (store / k2 / "running").write_text("{}")  # was running when its task was killed
    launch = store / ".sweep" / "launches" / "L"
    launch.mkdir(parents=True)
    rnd = {
        "launch": "L",
        "round": 0,
        "attempt": 0,
        "runs_per_task": 2,
        "time_min": 5,
        "expected_seconds": 1.0,
        "knobs": {"retries": 1},
        "common": plan.common,
        "runs": {r.key: r.overrides for r in plan.runs},
        "tasks": [[k0, k1], [k2]],
        "arrays": [{"job": "900", "offset": 0, "count": 2}],
        "logs": str(store / ".sweep" / "logs" / "L"),
    }
    (launch / "round-0.json").write_text(json.dumps(rnd))
    monkeypatch.setattr(slurm, "_sacct", lambda jobs: {"900_0": "TIMEOUT", "900_1": "OUT_OF_MEMORY"})
    submitted = []
    monkeypatch.setattr(
        slurm, "submit_round", lambda *a: submitted.append(a) or {"attempt": 1, "time_min": 10, "arrays": []}
    )
    assert slurm.check_round(store, launch / "round-0.json") == 0
    (_, _, number, attempt, _, runs, knobs, _) = submitted[0]
    assert (number, attempt, runs, knobs["runs_per_task"]) == (1, 1, [(k1, rnd["runs"][k1])], 2)
    assert "ended OUT_OF_MEMORY" in read_marker(store / k2, FAILED)["error"]
    monkeypatch.setattr(slurm, "_sacct", lambda jobs: {"900_0": "TIMEOUT"})
    rnd1 = {**rnd, "round": 1, "attempt": 1, "tasks": [[k1]], "arrays": [{"job": "900", "offset": 0, "count": 1}]}
    (launch / "round-1.json").write_text(json.dumps(rnd1))
    assert slurm.check_round(store, launch / "round-1.json") == 0 and len(submitted) == 1  # no third attempt
    assert read_marker(store / k1, FAILED)["error"].startswith("TimeoutError: its task hit the time limit")
    assert states(store, [k0, k1, k2]) == {k0: "done", k1: "failed", k2: "failed"}
    # the automatic chunking: tasks of 2 to 10 minutes of work, enough of them for the parallelism
    assert slurm.runs_per_task({"array_parallelism": 100, "task_minutes": 10}, 10_000, 2.5) == 100
    assert slurm.runs_per_task({"array_parallelism": 256, "task_minutes": 10}, 10_000, 2.5) == 48
    assert slurm.runs_per_task({"array_parallelism": 256, "task_minutes": 10}, 36, 0.8) == 150
    assert (
        slurm.time_limit({"timeout_min": None}, 100, 2.5, 0) == 15
        and slurm.time_limit({"timeout_min": 7}, 1, 1, 2) == 28
    )


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """The one-node cluster of scripts/slurm/up.sh with MaxArraySize=4 (a short sweep then needs
    several arrays); stopped at the end of the module."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        require_service("the one-node SLURM cluster needs root and apt-get (scripts/slurm/up.sh)")
    env = {**os.environ, "CRIMENET_SLURM_MAX_ARRAY_SIZE": "4"}
    t0 = time.time()
    up = subprocess.run(
        ["bash", str(ROOT / "scripts/slurm/up.sh")], capture_output=True, text=True, timeout=900, env=env
    )
    if up.returncode != 0:  # a daemon of an earlier cluster may still be going down: stop all, start once more
        subprocess.run(["bash", str(ROOT / "scripts/slurm/down.sh")], capture_output=True, timeout=400)
        up = subprocess.run(
            ["bash", str(ROOT / "scripts/slurm/up.sh")], capture_output=True, text=True, timeout=900, env=env
        )
    if up.returncode != 0:
        require_service(f"scripts/slurm/up.sh failed: {' | '.join(up.stderr.strip().splitlines()[-4:])}")
    conf = up.stdout.strip().splitlines()[-1].split("=", 1)[1]
    print(f"\nSLURM: cluster up in {time.time() - t0:.1f} s")
    yield {**os.environ, "SLURM_CONF": conf}
    subprocess.run(["bash", str(ROOT / "scripts/slurm/down.sh")], capture_output=True, timeout=400)


def _sacct(env: dict, jobs: list[str], expect: int = 1) -> list[list[str]]:
    """sacct's JobID|State|JobName of the jobs' tasks, once at least ``expect`` are listed and none of
    them is pending or running (accounting may list a finished array's tasks a moment apart)."""
    for _ in range(120):  # accounting is written after the job ends: give the last task a moment
        out = subprocess.run(
            ["sacct", "-n", "-P", "-X", "-j", ",".join(jobs), "-o", "JobID,State,JobName"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        ).stdout.splitlines()
        rows = [line.split("|") for line in out if line.strip()]
        if len(rows) >= expect and not any(r[1] in ("PENDING", "RUNNING") for r in rows):
            return rows
        time.sleep(0.5)
    return rows


def _rounds(store: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(store.glob(".sweep/launches/*/round-*.json"))]


@pytest.mark.slow  # a SLURM cluster (installed first under CI); ~30 s
def test_a_sweep_larger_than_max_array_size_runs_in_chunks_on_slurm(tmp_path, slurm):
    store = tmp_path / "store"
    cmd = _sweep_cmd(store, "range(0,9)", ["hydra/launcher=slurm", "hydra.launcher.runs_per_task=3"], steps=26)
    t0 = time.time()
    out = subprocess.run(
        [*cmd, "hydra.launcher.poll_seconds=1", "hydra.launcher.partition=debug"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=slurm,
    )
    assert out.returncode == 0, (out.stdout[-1500:], out.stderr[-1500:])
    t_sweep = time.time() - t0
    (rnd,) = _rounds(store)
    # 18 runs, 3 per task: 6 tasks, more than MaxArraySize=4 allows in one array: two arrays
    assert [(a["offset"], a["count"]) for a in rnd["arrays"]] == [(0, 4), (4, 2)]
    rows = _sacct(slurm, [a["job"] for a in rnd["arrays"]], expect=6)
    assert len(rows) == 6 and all(r[1:] == ["COMPLETED", "crimenet"] for r in rows), rows
    dones = [json.loads((p / "done").read_text()) for p in complete_runs(store)]
    assert len(dones) == 18 and len({d["slurm_job"] for d in dones}) == 6  # 3 runs in each task
    table = collect(store)
    assert len(table) == 18 and _arms(table) == [(sc, s) for sc in ("baseline", "truce") for s in range(9)]
    assert table["year_1.homicide_rate"].notna().all()
    # a run on the cluster equals the same run here (same folder name, same numbers)
    here = sim.run(
        compose("world=synthetic", "world.n_territories=12", "steps=26", "burn_in=2", "scenario=truce", "seed=2")
    )
    key = here.summary["config_hash"]
    assert key in set(table["run"])
    pd.testing.assert_frame_equal(
        pd.read_parquet(store / key / "timeseries.parquet"), here.timeseries, check_dtype=False
    )
    print(f"\nSLURM: 18 runs in 6 tasks, 2 arrays, in {t_sweep:.1f} s")


@pytest.mark.slow  # a SLURM cluster; ~40 s
def test_a_cancelled_slurm_sweep_relaunched_submits_only_the_missing_runs(tmp_path, slurm):
    store = tmp_path / "store"
    knobs = ["hydra/launcher=slurm", "hydra.launcher.runs_per_task=1", "hydra.launcher.poll_seconds=1"]
    cmd = _sweep_cmd(store, "range(0,5)", knobs, steps=104)  # 10 runs, one per task
    first = subprocess.run(
        [*cmd, "hydra.launcher.detach=true"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=slurm
    )
    assert first.returncode == 0 and "detached" in first.stdout, first.stderr
    deadline = time.time() + 180
    while time.time() < deadline and len(complete_runs(store)) < 2:
        time.sleep(0.2)
    cancel = subprocess.run(
        [sys.executable, "-m", "sim.status", str(store), "--cancel"], capture_output=True, text=True, env=slurm
    )
    assert "cancelled" in cancel.stdout, cancel.stdout + cancel.stderr
    (first_round,) = _rounds(store)
    rows = _sacct(slurm, [a["job"] for a in first_round["arrays"]])
    assert any(r[1].startswith("CANCELLED") for r in rows), rows  # cancelled midway
    finished = {p.name: _stamp(p) for p in complete_runs(store)}
    assert 2 <= len(finished) < 10

    # relaunch, 4 runs per task this time
    again = subprocess.run(
        [*cmd, "hydra.launcher.runs_per_task=4"], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=slurm
    )
    assert again.returncode == 0, (again.stdout[-1500:], again.stderr[-1500:])
    relaunch = [r for r in _rounds(store) if r["launch"] != first_round["launch"]]
    submitted = [k for r in relaunch for task in r["tasks"] for k in task]
    assert sorted(submitted) == sorted(set(first_round["runs"]) - set(finished))  # the missing runs, once each
    rows = _sacct(slurm, [a["job"] for r in relaunch for a in r["arrays"]])
    assert len(rows) == -(-(10 - len(finished)) // 4) and all(r[1] == "COMPLETED" for r in rows), rows
    assert len(complete_runs(store)) == 10 and all(_stamp(store / k) == s for k, s in finished.items())


@pytest.mark.slow  # a SLURM cluster
def test_a_bad_sweep_is_refused_before_anything_is_submitted(tmp_path, slurm):
    store = tmp_path / "store"
    name = f"refused-{os.getpid()}"
    knobs = ["hydra/launcher=slurm", f"hydra.launcher.name={name}"]
    cmd = _sweep_cmd(store, "0,1", ["params.violence.pax_factor=0.5,7", *knobs], steps=26)
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=slurm)
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("error: params.violence.pax_factor=7.0: allowed range is [0.0, 1.0]")
    assert not store.exists() and not (tmp_path / "hydra").exists()
    for job_name in (name, f"{name}-check"):
        acct = subprocess.run(
            ["sacct", "-n", "-X", "-P", "-o", "JobID", "-S", "now-1hours", f"--name={job_name}"],
            capture_output=True,
            text=True,
            env=slurm,
        )
        assert acct.returncode == 0 and acct.stdout.split() == [], acct
