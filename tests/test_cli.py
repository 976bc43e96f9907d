"""Bad input: one line naming the key and what is allowed, non-zero exit, nothing written."""

from __future__ import annotations

import subprocess
import sys
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


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["world=synthetic", "world.n_territories=-3"], "world.n_territories=-3"),
        (["scenario=nonexistent"], "allowed: baseline"),
        (["steps=abc"], "steps=abc"),
        (["no_such_key=1"], "no_such_key: unknown key"),
        (["params.violence.pax_factor=7"], "params.violence.pax_factor=7.0: allowed range is [0.0, 1.0]"),
        (["world=synthetic", "world.generator.port_share=2"], "world.generator.port_share=2.0: allowed range"),
        (
            ["world=synthetic", "world.generator.police_pay_min=2"],
            "world.generator.police_pay_min=2.0: must be at most world.generator.police_pay_max=1.5",
        ),
        (["world=atlantis"], "allowed: "),
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
