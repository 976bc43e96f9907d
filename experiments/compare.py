"""Compare every policy scenario across seeds (default: the 15 scenarios x 30 seeds, all cores).

    .venv/bin/python experiments/compare.py                 # results/compare/report.md
    .venv/bin/python experiments/compare.py --seeds 8       # the README's main job (~2 min on 2 cores)
    .venv/bin/python experiments/compare.py --scenarios baseline,mano_dura_2022+police_reform steps=260

See sim/analysis/compare.py for what is computed.
"""

from sim.analysis.compare import main

if __name__ == "__main__":
    main()
