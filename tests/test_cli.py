"""Bad input: one line naming the key and what is allowed, non-zero exit, nothing written; for single
runs and for sweeps (``-m``). Progress: a bar on a terminal, one line per run in a log."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args, f"hydra.run.dir={tmp_path}/run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # a `python -m sim` per case (~2 s each); quick check: test_unknown_key_lists_allowed_keys
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["world=synthetic", "world.n_territories=-3"], "world.n_territories=-3"),
        (["scenario=nonexistent"], "allowed: anti_laundering, arms_interdiction, baseline"),
        (["steps=abc"], "steps=abc"),
        (["no_such_key=1"], "no_such_key: unknown key"),
        (["+no_such_key=1"], "no_such_key: unknown key; allowed keys here: seed, steps"),
        (["+params.violence.no_such=0.1"], "params.violence.no_such: unknown key; allowed keys here: "),
        (["~seed"], "~seed: deleting a key is not allowed"),
        (["params.violence.pax_factor=7"], "params.violence.pax_factor=7.0: allowed range is [0.0, 1.0]"),
        (["world=synthetic", "world.generator.port_share=2"], "world.generator.port_share=2.0: allowed range"),
        (
            ["world=synthetic", "world.generator.police_pay_min=2"],
            "world.generator.police_pay_min=2.0: must be at most world.generator.police_pay_max=1.5",
        ),
        (["world=atlantis"], "allowed: "),
        (
            ["scenario=slv_exception_2022", "scenario.governments.slv_2022.mano_dura.countries=[XYZ]"],
            "scenario.governments.slv_2022.mano_dura.countries: unknown country XYZ; allowed: region, COL",
        ),
        (["scenario=mano_dura_2022", "scenario.mano_dura.countries=[SLV,XYZ]"], "unknown country XYZ; allowed:"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, expect):
    out = cli(tmp_path, *args)
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ")
    assert expect in lines[0]
    assert "Traceback" not in out.stderr + out.stdout
    assert not (tmp_path / "run").exists()


def test_unknown_key_lists_allowed_keys(tmp_path):
    out = cli(tmp_path, "params.violence.no_such=1")
    assert "params.violence.no_such: unknown key" in out.stderr
    assert "pax_factor" in out.stderr  # the allowed keys at that level are listed


def test_cli_run_writes_the_contract(tmp_path):
    out = cli(tmp_path, "world=synthetic", "world.n_territories=20", "steps=20", "burn_in=4", "progress=false")
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"
    for name in ("timeseries.parquet", "territories.parquet", "events.parquet", "summary.json"):
        assert (run / name).stat().st_size > 0
    assert "homicide rate" in out.stdout
    assert "Step 1 at time" not in out.stdout + out.stderr  # Mesa's per-step logging is silenced


@pytest.mark.slow  # a `python -m sim -m` per case (~2 s each)
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["params.violence.no_such=0.1,0.2"], "params.violence.no_such: unknown key; allowed keys here: "),
        (["+params.violence.no_such=0.1,0.2"], "params.violence.no_such: unknown key"),
        (["params.violence.pax_factor=0.5,7"], "params.violence.pax_factor=7.0: allowed range is [0.0, 1.0]"),
        (["seed=range(0,0)"], "seed=range(0,0): the sweep is empty (0 runs); nothing was run"),
        (["hydra/launcher=slurm", "hydra.launcher.no_such=1"], "hydra.launcher.no_such: unknown knob"),
    ],
)
def test_a_bad_sweep_is_one_line_and_writes_nothing(tmp_path, args, expect):
    out = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "seed=0,1", *args, f"store={tmp_path}/store"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and out.stdout == ""
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], out.stderr
    assert not (tmp_path / "store").exists() and not (tmp_path / "results").exists()


TINY_RUN = ["world=synthetic", "world.n_territories=12", "steps=20", "burn_in=2", "output.write=false"]


def test_progress_in_a_log_is_one_line_per_run(tmp_path):
    out = cli(tmp_path, *TINY_RUN, "seed=4", "progress=true")
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("baseline seed=4: 22 weeks in "), out.stderr
    assert "\r" not in out.stderr and "wk/s" not in out.stderr


def test_progress_on_a_terminal_is_a_bar(tmp_path):
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns: room for the bar
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", *TINY_RUN, "progress=true", f"hydra.run.dir={tmp_path}/run"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=follower,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the terminal's other end closed: the run is over
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    assert "baseline seed=0" in shown and "wk" in shown and "weeks in" not in shown  # tqdm's bar, not the line


def test_the_progress_helper_draws_on_a_terminal_only(monkeypatch, capsys):
    from sim.run import on_terminal, progress

    assert not on_terminal(io.StringIO())
    assert list(progress(range(3), total=3, desc="runs")) == [0, 1, 2]
    lines = capsys.readouterr().err.splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["runs: 1/3 runs", "runs: 2/3 runs", "runs: 3/3 runs"]
    assert list(progress(range(3), total=3, desc="runs", enabled=False)) == [0, 1, 2]
    assert capsys.readouterr().err == ""
