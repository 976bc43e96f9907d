"""Check the seeds' stylized facts (mechanisms M1-M19 and the policy claims) on the default world.

    .venv/bin/python experiments/validate.py              # 12 runs x 10 seeds, ~3 min on 2 idle cores
    .venv/bin/python experiments/validate.py --seeds 30   # tighter intervals
    .venv/bin/python experiments/validate.py --no-replays # without the replays (7 episodes x 2 arms more)

Prints a pass/fail table (country where each check is measured, claim, seed line, criterion,
measured effect with its 90% CI) and, in a "Replays" section, the country episodes replayed from
their years' states (sim/analysis/replay.py, data/replays.csv); writes results/validate/ (report.md,
checks.csv, replays.csv, runs_yearly.csv, countries_yearly.csv, countries_weekly.csv,
baseline_cross_section.csv).
A failing check is reported, never hidden. Logic: sim/analysis/validate.py.
"""

import sys

from sim.analysis.validate import main

if __name__ == "__main__":
    sys.exit(main())
