"""The model: agents, ties, state, the world and the weekly phases (everything a run computes).

Nothing in this package reads files outside its configs and data, writes outputs or knows about
experiments; :mod:`sim.run` composes a config and runs it, :mod:`sim.analysis` compares, calibrates
and validates runs, :mod:`sim.viz` draws them.
"""

from sim.model.model import PHASES, CrimeModel

__all__ = ["PHASES", "CrimeModel"]
