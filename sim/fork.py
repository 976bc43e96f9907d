"""Runs that share their burn-in: the burn-in once, then a copy of the model for each run.

The scenarios of one seed differ only from the policy start: :func:`sim.model.config.validate` refuses
a lever that starts before week 0, a lever acts only while it is on (:func:`sim.model.policies.active`),
and of the rest of its scenario the model reads during the burn-in only what :func:`burn_in_key`
keeps. So a model that has run its burn-in under one scenario is, bit for bit, the one every other
scenario would have at that week; each run goes on from its own copy (:func:`fork`: the state, the
random generators, what the burn-in recorded). tests/test_fork.py checks it table by table.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator

from omegaconf import DictConfig, OmegaConf

from sim.analysis.store import run_key
from sim.run import RunResult, advance, collect, make_model


def burn_in_key(cfg: DictConfig, resolved: dict | None = None) -> str:
    """What a run's burn-in depends on: its config but the scenario, of which only the extradition
    lever's ``return_years`` (``enforcement._return_delay`` reads it in every week, lever on or off).
    ``resolved``: ``OmegaConf.to_container(cfg, resolve=True)`` when the caller has it (not changed)."""
    data = OmegaConf.to_container(cfg, resolve=True) if resolved is None else dict(resolved)
    assert isinstance(data, dict)
    scenario = data.pop("scenario")
    data["extradition_return_years"] = scenario["extradition"]["return_years"]
    return json.dumps(data, sort_keys=True, default=str)


def forked_runs(
    cfgs: Iterable[DictConfig], resolved: Iterable[dict] | None = None, full: bool = True
) -> Iterator[RunResult]:
    """The result of :func:`sim.run.run` (without outputs written) for each of ``cfgs``, in order; the
    burn-in is run once for all the configs that share it (:func:`burn_in_key`). ``resolved``: each
    config resolved (``OmegaConf.to_container(cfg, resolve=True)``), when the caller has them.
    ``full=False``: only the tables a comparison reads (:func:`sim.run.collect`)."""
    burnt: dict[str, object] = {}
    given = iter(resolved) if resolved is not None else None
    for cfg in cfgs:
        # resolved once, for both keys
        data = next(given) if given is not None else OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(data, dict)
        key = burn_in_key(cfg, data)
        if key not in burnt:
            burnt[key] = model = make_model(cfg)
            advance(model, int(cfg.burn_in))
        model = fork(burnt[key], cfg)
        advance(model, int(cfg.steps))
        yield collect(model, run_key(cfg, data), full=full)


def fork(model, cfg: DictConfig):
    """A copy of ``model`` that runs on under ``cfg`` (``model.use_scenario``). The model's own config
    is not copied (``memo`` maps it to ``cfg``, which replaces it anyway): on the default world that
    copy would cost four times the rest of the model. Neither are the weeks the burn-in recorded (the
    rows of the countries, territories and accounts tables, the events): nothing writes to a record
    once it is kept, so the copy's lists hold the same records, and only what the copy records next
    is its own."""
    memo: dict[int, object] = {id(model.cfg): cfg}
    for record in (*model.country_frames, *model.territory_frames, *model.accounts.weeks, *model.events):
        memo[id(record)] = record
    twin = copy.deepcopy(model, memo=memo)
    twin.use_scenario(cfg)
    return twin
