"""scripts/time_against.py: this checkout timed against a commit, alternating, with a check that both
computed the same numbers."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("time_against", ROOT / "scripts" / "time_against.py")
ta = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ta)

TINY = ["world=synthetic", "world.n_territories=30", "burn_in=26", "steps=26"]


def test_head_against_itself_computes_the_same_numbers(capsys):
    assert ta.main(["HEAD", "--rounds", "2", "--seeds", "1", "--scenarios", "baseline,truce", *TINY]) == 0
    lines = capsys.readouterr().out.splitlines()
    rounds = [line.split(" | ") for line in lines[1:3]]
    assert [r[0] for r in rounds] == ["1", "2"] and all(r[4] == "yes" for r in rounds)
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rounds)
    assert lines[3].startswith("median | ")
    worktrees = ta.subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "time_against_" not in worktrees  # the reference's checkout is removed


def test_same_tables_sees_one_changed_number(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "table.csv").write_text("x\n0.1\n")
    assert ta.same_tables(a, b)
    (b / "table.csv").write_text("x\n0.10000000000000002\n")
    assert not ta.same_tables(a, b)
    assert not ta.same_tables(a, tmp_path)  # no tables on one side


def test_the_main_job_is_the_makefiles():
    script, *args = ta.main_job()
    assert script == "experiments/compare.py"
    assert (ROOT / script).is_file()
    assert args[0] == "--seeds" and int(args[1]) >= 2  # compare refuses fewer
