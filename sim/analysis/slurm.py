"""A planned sweep on SLURM: chunks of runs as job arrays, a check job that retries time-outs.

``python -m sim -m ... hydra/launcher=slurm`` (knobs in ``configs/hydra/launcher/slurm.yaml``):

- the runs still to do are cut into tasks of ``runs_per_task`` runs (default: tasks of about
  ``task_minutes`` at the runs' expected duration, but at least ``array_parallelism`` tasks);
- the tasks go out as job arrays of at most the cluster's ``MaxArraySize`` tasks (read from
  ``scontrol show config``), each task running ``python -m sim.worker run ...`` on its chunk;
- a small check job, started when the arrays have ended (``--dependency=afterany``), reads their
  states from ``sacct``: the unfinished runs of tasks that hit the time limit (or lost their node)
  are submitted again with twice the time limit, at most ``retries`` times, and then recorded as
  failed; runs of tasks killed otherwise (out of memory) are recorded as failed; cancelled tasks
  are left alone;
- the launcher then waits, printing progress, until every run is done or failed (``detach=true``:
  it returns right after submitting; ``python -m sim.status STORE`` follows the sweep).

Everything a task needs is in the store: ``.sweep/launches/<launch>/round-<n>.json`` (the tasks'
run keys and overrides; the arrays' job ids), ``task.sh`` (the job script), and the tasks' logs
in ``.sweep/logs/<launch>/``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sim.analysis.store import FAILED, RUNNING, is_complete, read_marker, write_json_atomic
from sim.analysis.sweep import SWEEP_DIR, Plan, Run, SweepError, measured_seconds

RETRY_STATES = ("TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE")
KILLED_STATES = ("FAILED", "OUT_OF_MEMORY")
LIVE_STATES = ("PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED", "CONFIGURING")  # may still run runs
DEFAULT_MAX_ARRAY_SIZE = 1001  # SLURM's own default
MIN_TASK_SECONDS = 120  # expected work per task at least (automatic runs_per_task)


def _cmd(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise SweepError(f"{args[0]}: not found; is this a SLURM login node (and SLURM_CONF set)?") from None
    except subprocess.TimeoutExpired:
        raise SweepError(f"{' '.join(args[:2])}: no answer from SLURM within {timeout:.0f} s") from None


def max_array_size() -> int:
    """The cluster's ``MaxArraySize`` (an array's task ids run from 0 to MaxArraySize - 1)."""
    out = _cmd(["scontrol", "show", "config"])
    m = re.search(r"^MaxArraySize\s*=\s*(\d+)", out.stdout, re.M)
    return int(m.group(1)) if out.returncode == 0 and m else DEFAULT_MAX_ARRAY_SIZE


def _launches(store: Path) -> Path:
    return store / SWEEP_DIR / "launches"


def read_rounds(store: str | Path) -> list[tuple[Path, dict]]:
    """Every submission round recorded in the store: (its file, its content)."""
    out = []
    for p in sorted(_launches(Path(store)).glob("*/round-*.json")):
        try:
            out.append((p, json.loads(p.read_text())))
        except (OSError, ValueError):
            continue
    return out


def _job_ids(rnd: dict) -> list[str]:
    return [a["job"] for a in rnd.get("arrays", []) if a.get("job")] + (
        [rnd["check_job"]] if rnd.get("check_job") else []
    )


def squeue(jobs: list[str]) -> dict[str, str]:
    """{``<job>`` or ``<array job>_<task>``: state} of the given jobs still known to slurmctld."""
    if not jobs:
        return {}
    try:
        out = subprocess.run(
            ["squeue", "-h", "-r", "-o", "%i|%T", "-j", ",".join(jobs)], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    states = {}
    for line in out.stdout.splitlines():
        if "|" in line:
            job, state = line.strip().split("|", 1)
            states[job] = state
    return states


def queued_runs(store: str | Path) -> tuple[set[str], dict[str, str]]:
    """The run keys whose array task is still queued or running, and squeue's states of the store's jobs."""
    rounds = read_rounds(store)
    jobs = [j for _, rnd in rounds for j in _job_ids(rnd)]
    if not jobs:
        return set(), {}
    live = squeue(jobs)
    keys: set[str] = set()
    for _, rnd in rounds:
        for a in rnd.get("arrays", []):
            for i in range(a["count"]):
                if live.get(f"{a['job']}_{i}") in LIVE_STATES:
                    keys.update(rnd["tasks"][a["offset"] + i])
    return keys, live


def cancel(store: str | Path, wait_s: float = 60) -> list[str]:
    """``scancel`` the store's jobs that are still queued or running and wait (at most ``wait_s``)
    until none runs any more; returns their ids."""
    jobs = sorted({j.split("_")[0] for j, s in queued_runs(store)[1].items() if s in LIVE_STATES})
    if jobs:
        _cmd(["scancel", *jobs])
        deadline = time.time() + wait_s
        while time.time() < deadline and any(s in LIVE_STATES for s in squeue(jobs).values()):
            time.sleep(0.5)
    return jobs


def runs_per_task(knobs: dict, n_runs: int, seconds: float) -> int:
    """The knob, or enough runs for ``array_parallelism`` tasks, but tasks of at least
    ``MIN_TASK_SECONDS`` (a task's start-up, ~5-15 s, stays under a tenth) and at most
    ``task_minutes`` of expected work."""
    given = knobs.get("runs_per_task")
    if given is not None:
        if not isinstance(given, int) or given < 1:
            raise SweepError(f"hydra.launcher.runs_per_task={given}: must be an integer >= 1 (or null: automatic)")
        return given
    seconds = max(seconds, 0.01)
    longest = math.ceil(float(knobs.get("task_minutes") or 10) * 60 / seconds)
    shortest = math.ceil(MIN_TASK_SECONDS / seconds)
    spread = n_runs // max(1, int(knobs.get("array_parallelism") or 1))
    return max(1, min(longest, max(shortest, spread)))


def time_limit(knobs: dict, k: int, seconds: float, attempt: int) -> float:
    """Task time limit in minutes: the knob, or 2 min of start-up plus 3x the chunk's expected time
    (at least 5 min); doubled at every retry."""
    given = knobs.get("timeout_min")
    if given is not None and (not isinstance(given, (int, float)) or given <= 0):
        raise SweepError(f"hydra.launcher.timeout_min={given}: must be a number of minutes > 0 (or null: automatic)")
    base = float(given) if given else max(5, math.ceil((120 + 3 * k * seconds) / 60))
    return base * 2**attempt


def _time(minutes: float) -> str:
    """sbatch --time as minutes:seconds."""
    total = max(1, math.ceil(minutes * 60))
    return f"{total // 60}:{total % 60:02d}"


def _script(store: Path, launch: str, knobs: dict) -> Path:
    python = knobs.get("python") or shlex.quote(sys.executable)
    setup = knobs.get("setup") or []
    if isinstance(setup, str):
        setup = [setup]
    path = _launches(store) / launch / "task.sh"
    text = "\n".join(
        [
            "#!/bin/bash",
            "# A crimenet sweep task (python -m sim -m ... hydra/launcher=slurm): python -m sim.worker run|check ...",
            *map(str, setup),
            f'exec {python} -m sim.worker "$@"',
            "",
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755 & ~_umask())
    return path


def _umask() -> int:
    from sim.analysis.store import file_mode

    return 0o666 & ~file_mode()


def _sbatch_options(knobs: dict) -> list[str]:
    opts = []
    for knob, flag in (("partition", "partition"), ("account", "account"), ("qos", "qos")):
        if knobs.get(knob):
            opts.append(f"--{flag}={knobs[knob]}")
    opts.append(f"--cpus-per-task={int(knobs.get('cpus_per_task') or 1)}")
    if knobs.get("mem_gb"):
        opts.append(f"--mem={math.ceil(float(knobs['mem_gb']) * 1024)}M")
    for k, v in (knobs.get("additional_parameters") or {}).items():
        opts.append(f"--{str(k).replace('_', '-')}" + ("" if v is True else f"={v}"))
    return opts


def _sbatch(args: list[str]) -> str:
    out = _cmd(["sbatch", "--parsable", *args])
    if out.returncode != 0:
        raise SweepError(f"sbatch: {' '.join(out.stderr.split()) or 'failed'}")
    return out.stdout.strip().split(";")[0]


def submit_round(
    store: Path,
    launch: str,
    number: int,
    attempt: int,
    common: list[str],
    runs: list[Run] | list[tuple[str, list[str]]],
    knobs: dict,
    seconds: float,
) -> dict:
    """Submit ``runs`` as chunks in job arrays (each under MaxArraySize) plus the check job; the
    round is recorded in the store before the first task can start."""
    pairs = [(r.key, r.overrides) if isinstance(r, Run) else (r[0], list(r[1])) for r in runs]
    k = min(runs_per_task(knobs, len(pairs), seconds), max(1, len(pairs)))
    tasks = [[key for key, _ in pairs[i : i + k]] for i in range(0, len(pairs), k)]
    limit = time_limit(knobs, k, seconds, attempt)
    biggest = int(knobs.get("max_array_size") or max_array_size())
    parallel = int(knobs.get("array_parallelism") or 0)
    name = str(knobs.get("name") or "crimenet")
    folder = _launches(store) / launch
    logs = store / SWEEP_DIR / "logs" / launch
    logs.mkdir(parents=True, exist_ok=True)
    script = _script(store, launch, knobs) if number == 0 else folder / "task.sh"
    path = folder / f"round-{number}.json"
    rnd: dict[str, Any] = {
        "launch": launch,
        "round": number,
        "attempt": attempt,
        "submitted": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs_per_task": k,
        "time_min": limit,
        "expected_seconds": seconds,
        "compact": bool(knobs.get("compact")),
        "knobs": knobs,
        "common": common,
        "runs": dict(pairs),
        "tasks": tasks,
        "arrays": [],
        "check_job": None,
        "logs": str(logs),
    }
    write_json_atomic(path, rnd)
    opts = [
        *_sbatch_options(knobs),
        f"--time={_time(limit)}",
        f"--chdir={os.getcwd()}",
        "--open-mode=append",
    ]
    try:
        for offset in range(0, len(tasks), biggest):
            count = min(biggest, len(tasks) - offset)
            throttle = f"%{parallel}" if parallel else ""
            job = _sbatch(
                [
                    f"--array=0-{count - 1}{throttle}",
                    f"--job-name={name}",
                    f"--output={logs}/%A_%a.out",
                    *opts,
                    str(script),
                    "run",
                    str(store),
                    str(path),
                    str(offset),
                ]
            )
            rnd["arrays"].append({"job": job, "offset": offset, "count": count})
            write_json_atomic(path, rnd)
        after = ":".join(a["job"] for a in rnd["arrays"])
        check_opts = [o for o in _sbatch_options(knobs) if not o.startswith(("--cpus-per-task", "--mem"))]
        rnd["check_job"] = _sbatch(
            [
                f"--dependency=afterany:{after}",
                "--kill-on-invalid-dep=yes",
                f"--job-name={name}-check",
                f"--output={logs}/check-%j.out",
                "--time=15:00",
                "--cpus-per-task=1",
                "--mem=1024M",
                f"--chdir={os.getcwd()}",
                *check_opts,
                str(script),
                "check",
                str(store),
                str(path),
            ]
        )
    finally:
        write_json_atomic(path, rnd)
    return rnd


def launch(plan: Plan, todo: list[Run]) -> int:
    """Submit the runs still to do; wait for them unless ``detach``. Exit status as :func:`sweep.main`."""
    from sim.analysis.sweep import states

    knobs = plan.knobs
    store = plan.store
    if not todo:
        print("nothing to submit")
        return _finish(plan, time.perf_counter())
    measured = measured_seconds(store, [r.key for r in plan.runs])
    seconds = measured if measured is not None else max(r.seconds for r in todo)
    t0 = time.perf_counter()
    launch_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    rnd = submit_round(store, launch_id, 0, 0, plan.common, todo, knobs, seconds)
    arrays = ", ".join(f"{a['job']} ({a['count']} tasks)" for a in rnd["arrays"])
    print(
        f"submitted {len(todo)} runs in {len(rnd['tasks'])} tasks of {rnd['runs_per_task']} "
        f"(expected {seconds:.1f} s per run{' measured' if measured else ''}, limit {rnd['time_min']:g} min per task) "
        f"in {time.perf_counter() - t0:.1f} s: arrays {arrays}; check job {rnd['check_job']}; "
        f"logs in {rnd['logs']}",
        flush=True,
    )
    if knobs.get("detach"):
        print(f"detached: follow with python -m sim.status {store}; gather with python -m sim.collect {store}")
        return 0
    poll = float(knobs.get("poll_seconds") or 10)
    remaining = [r.key for r in todo]  # runs not yet done or failed: the only ones looked at again
    ended = {"done": 0, "failed": 0}
    last = ""
    try:
        while True:
            time.sleep(poll)
            st = states(store, remaining)
            for state in st.values():
                if state in ended:
                    ended[state] += 1
            remaining = [k for k in remaining if st[k] not in ended]
            counts = {**ended, **{s: sum(1 for v in st.values() if v == s) for s in ("running", "queued")}}
            line = " | ".join(f"{s} {n}" for s, n in counts.items())
            if line != last:
                print(f"[{time.perf_counter() - t0:.0f} s] {line}", flush=True)
                last = line
            jobs = [j for _, r in read_rounds(store) if r.get("launch") == launch_id for j in _job_ids(r)]
            live = {j: s for j, s in squeue(jobs).items() if s in LIVE_STATES}
            if not remaining:
                pending_checks = [j for j in jobs if live.get(j) == "PENDING" and "_" not in j]
                if pending_checks:
                    _cmd(["scancel", *pending_checks])
                break
            if not live:
                break
    except KeyboardInterrupt:
        print(f"\nstopped waiting; the jobs go on. Follow with python -m sim.status {store}", file=sys.stderr)
        return 130
    return _finish(plan, t0)


def _finish(plan: Plan, t0: float) -> int:
    from sim.analysis.sweep import states

    st = states(plan.store, [r.key for r in plan.runs])
    counts = {s: sum(1 for v in st.values() if v == s) for s in ("done", "failed", "missing", "queued", "running")}
    print(
        f"sweep: {counts['done']} of {len(plan.runs)} runs done, {counts['failed']} failed, {counts['missing']} missing"
        f" ({time.perf_counter() - t0:.0f} s)"
        + (f"; python -m sim.status {plan.store} tells more" if counts["done"] < len(plan.runs) else ""),
        flush=True,
    )
    return 0 if counts["done"] == len(plan.runs) else 1


# ------------------------------------------------------------------------------------------------
# On the cluster: python -m sim.worker run STORE ROUND OFFSET | check STORE ROUND
# ------------------------------------------------------------------------------------------------


def _process_age() -> float | None:
    """Seconds since this process started (Linux), i.e. the task's start-up cost so far."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_task(store: Path, round_path: Path, offset: int) -> int:
    """Run one array task's chunk; one line per run. Exit status 1 if a run failed."""
    import signal

    from sim.analysis.sweep import Runner, _terminate, label

    signal.signal(signal.SIGTERM, _terminate)  # time limit or scancel: clean up, then stop
    rnd = json.loads(round_path.read_text())
    index = offset + int(os.environ.get("SLURM_ARRAY_TASK_ID", "0"))
    keys = rnd["tasks"][index]
    job = f"{os.environ.get('SLURM_ARRAY_JOB_ID', '?')}_{os.environ.get('SLURM_ARRAY_TASK_ID', '?')}"
    runner = Runner(store, rnd["common"], rnd.get("compact", False))
    age = _process_age()
    print(f"task {job}: {len(keys)} runs; Python up and the plan read after {age or 0:.1f} s", flush=True)
    failed = 0
    for key in keys:
        status, seconds, error = runner.execute(key, rnd["runs"][key])
        if status == "failed":
            failed += 1
            _note_log(store / key, rnd, job)
        print(f"{key} {label(rnd['runs'][key])}: {error or status} ({seconds:.1f} s)", flush=True)
    print(f"task {job}: done after {_process_age() or 0:.1f} s, {failed} failed", flush=True)
    return 1 if failed else 0


def _note_log(folder: Path, rnd: dict, job: str) -> None:
    m = read_marker(folder, FAILED)
    if m is not None:
        m["log"] = f"{rnd['logs']}/{job}.out"
        write_json_atomic(folder / FAILED, m)


def _sacct(jobs: list[str]) -> dict[str, str]:
    out = subprocess.run(
        ["sacct", "-n", "-P", "-X", "-j", ",".join(jobs), "-o", "JobID,State"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return {
        line.split("|")[0]: line.split("|")[1].split()[0] for line in out.stdout.splitlines() if line.count("|") >= 1
    }


def check_round(store: Path, round_path: Path, wait_s: float = 120) -> int:
    """After a round's arrays ended: retry the unfinished runs of timed-out tasks (or record them
    as failed after the last retry) and record the runs of killed tasks as failed."""
    from sim.analysis.store import record_failure

    rnd = json.loads(round_path.read_text())
    arrays = rnd.get("arrays", [])
    deadline = time.time() + wait_s
    while True:  # accounting reaches slurmdbd a moment after the jobs end
        try:
            acct = _sacct([a["job"] for a in arrays])
        except Exception as err:
            print(f"check: sacct failed ({err}); no retries, relaunch the sweep to resume", flush=True)
            return 1
        task_states = {
            f"{a['job']}_{i}": acct.get(f"{a['job']}_{i}", "PENDING") for a in arrays for i in range(a["count"])
        }
        if not any(s in LIVE_STATES for s in task_states.values()) or time.time() > deadline:
            break
        time.sleep(3)
    retry: list[str] = []
    failed = 0
    for a in arrays:
        for i in range(a["count"]):
            job = f"{a['job']}_{i}"
            state = task_states[job]
            unfinished = [
                k
                for k in rnd["tasks"][a["offset"] + i]
                if not is_complete(store / k) and not (store / k / FAILED).is_file()
            ]
            if not unfinished or state in ("COMPLETED", "CANCELLED"):
                continue
            if state in RETRY_STATES:
                retry.extend(unfinished)
            elif state in KILLED_STATES:
                for k in unfinished:
                    if (store / k / RUNNING).is_file():  # the run that was going when the task was killed
                        record_failure(
                            store / k,
                            RuntimeError(f"task {job} ended {state} during this run"),
                            log=f"{rnd['logs']}/{job}.out",
                        )
                        failed += 1
    retries = int(rnd.get("knobs", {}).get("retries") or 0)
    if retry and rnd["attempt"] < retries:
        number = 1 + max(int(p.stem.split("-")[1]) for p in round_path.parent.glob("round-*.json"))
        new = submit_round(
            store,
            rnd["launch"],
            number,
            rnd["attempt"] + 1,
            rnd["common"],
            [(k, rnd["runs"][k]) for k in retry],
            {**rnd["knobs"], "runs_per_task": rnd["runs_per_task"]},
            rnd["expected_seconds"],
        )
        print(
            f"check: {len(retry)} runs of timed-out tasks submitted again (attempt {new['attempt'] + 1}, "
            f"limit {new['time_min']:g} min): arrays {' '.join(a['job'] for a in new['arrays'])}",
            flush=True,
        )
    elif retry:
        for k in retry:
            record_failure(
                store / k,
                TimeoutError(
                    f"its task hit the time limit ({rnd['time_min']:g} min) on attempt {rnd['attempt'] + 1} of "
                    f"{retries + 1}; raise hydra.launcher.timeout_min or lower runs_per_task"
                ),
            )
        print(f"check: {len(retry)} runs timed out {retries + 1} times; recorded as failed", flush=True)
    print(f"check: round {rnd['round']} of launch {rnd['launch']} checked; {failed} runs of killed tasks failed")
    return 0


def worker_main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m sim.worker", description="Run a SLURM task's chunk of a sweep.")
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run", help="run the chunk of array task SLURM_ARRAY_TASK_ID + OFFSET")
    r.add_argument("store")
    r.add_argument("round")
    r.add_argument("offset", type=int)
    c = sub.add_parser("check", help="after a round: retry timed-out runs, record killed ones")
    c.add_argument("store")
    c.add_argument("round")
    a = ap.parse_args(argv)
    from sim.run import quiet_mesa

    quiet_mesa()
    if a.what == "run":
        return run_task(Path(a.store), Path(a.round), a.offset)
    return check_round(Path(a.store), Path(a.round))
