"""crimenet: an agent-based model of criminal-state networks in Latin America (Mesa 3.5, Hydra 1.3).

>>> import sim
>>> cfg = sim.compose(["world=synthetic", "world.n_territories=30", "steps=52"])
>>> result = sim.run(cfg)            # result.timeseries, .territories, .countries, .events, .summary
"""

from sim.run import RunResult, compose, run

__all__ = ["RunResult", "compose", "run"]
