"""Fit an ensemble of parameter sets to data/targets.csv by history matching.

    .venv/bin/python experiments/ensemble.py                      # settings: configs/calibration.yaml
    .venv/bin/python experiments/ensemble.py --candidates 20 --seeds 2 --write ''   # a quick look
    .venv/bin/python experiments/ensemble.py --world mexico --tolerate 3 --write ''  # the Mexico preset, wave 1
    .venv/bin/python experiments/ensemble.py --world mexico --refocus results/ensemble_mexico/candidates.csv  # wave 2

Writes configs/ensemble.yaml (configs/ensemble_<world>.yaml for another world; read by
experiments/compare.py --ensemble N) and results/ensemble[_<world>]/ (report.md, candidates.csv,
check.csv, table.csv). Logic: sim/analysis/ensemble.py.
"""

import sys

from sim.analysis.ensemble import main

if __name__ == "__main__":
    sys.exit(main())
