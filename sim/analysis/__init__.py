"""Experiments on runs of the model: comparison of scenarios (``compare``, ``stats``), the result
store of sweeps (``store``, ``collect``), calibration targets and fitting (``targets``,
``calibrate``), the seeds' stylized facts as checks (``validate``) and Morris screening
(``sensitivity``). Nothing here changes what a run computes."""
