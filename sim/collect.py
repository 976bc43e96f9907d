"""``python -m sim.collect STORE -o table.parquet``: gather a result store into one table
(the code is :mod:`sim.analysis.collect`)."""

from sim.analysis.collect import main

if __name__ == "__main__":
    main()
