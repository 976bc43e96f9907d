"""Replay the seeds' country episodes from their years' states and score them (issue 19).

    .venv/bin/python experiments/replay.py                 # 7 episodes x 2 arms x 10 seeds
    .venv/bin/python experiments/replay.py --seeds 4 --episodes hnd_military_police

Each episode (configs/scenario/<episode>.yaml) runs from its country's inputs as of its year
(configs/replay/<episode>.yaml), with its policy and without it, paired by seed; the criteria are
data/replays.csv (fixed before the runs). Prints the pass/fail table and writes results/replay/
(report.md, replays.csv, countries_yearly.csv, countries_weekly.csv). A failing replay is reported,
never hidden. Logic: sim/analysis/replay.py.
"""

import sys

from sim.analysis.replay import main

if __name__ == "__main__":
    sys.exit(main())
