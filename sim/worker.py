"""``python -m sim.worker run|check ...``: what a sweep's SLURM job runs (the code is
:mod:`sim.analysis.slurm`; the job script ``task.sh`` in the store calls it)."""

from sim.analysis.slurm import worker_main

if __name__ == "__main__":
    raise SystemExit(worker_main())
