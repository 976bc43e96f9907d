"""Fit an ensemble of parameter sets to data/targets.csv by history matching (one wave).

    .venv/bin/python experiments/ensemble.py                      # settings: configs/calibration.yaml
    .venv/bin/python experiments/ensemble.py --candidates 20 --seeds 2 --write ''   # a quick look

Writes configs/ensemble.yaml (read by experiments/compare.py --ensemble N) and
results/ensemble/ (report.md, candidates.csv, check.csv, table.csv). Logic: sim/analysis/ensemble.py.
"""

import sys

from sim.analysis.ensemble import main

if __name__ == "__main__":
    sys.exit(main())
