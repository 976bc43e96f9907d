"""Morris screening (SALib) of the headline outcomes over every declared parameter range.

    .venv/bin/python experiments/sensitivity.py                       # all parameters, 8 trajectories, 5 years
    .venv/bin/python experiments/sensitivity.py --groups violence,enforcement --trajectories 4

Writes results/sensitivity/ (report.md with the overall ranking, morris.csv with mu*, its
interval and sigma per parameter and outcome, runs.csv, morris.png). Logic: sim/analysis/sensitivity.py.
"""

import sys

from sim.analysis.sensitivity import main

if __name__ == "__main__":
    sys.exit(main())
