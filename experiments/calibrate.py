"""Fit the free parameters in configs/calibration.yaml to the targets in data/targets.csv.

    .venv/bin/python experiments/calibrate.py                    # settings from configs/calibration.yaml
    .venv/bin/python experiments/calibrate.py --trials 20 --seeds 2 --write ''   # a quick look, nothing written

Writes configs/params/calibrated.yaml (the set the default config uses) and results/calibration/
(report.md: targets against simulated values before and after, with intervals; table.csv;
trials.csv). Logic: sim/analysis/calibrate.py.
"""

import sys

from sim.analysis.calibrate import main

if __name__ == "__main__":
    sys.exit(main())
