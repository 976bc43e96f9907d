"""``python -m sim.status STORE``: a sweep's planned runs done, running, queued, failed and missing,
with each failure's last error line (the code is :mod:`sim.analysis.sweep`)."""

from sim.analysis.sweep import status_main

if __name__ == "__main__":
    raise SystemExit(status_main())
