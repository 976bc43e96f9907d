"""Command line: ``python -m sim [overrides]`` or ``crimenet [overrides]``.

One configured run with a progress bar (on a terminal; one line in a log); writes the output
contract into Hydra's output directory under ``results/`` and prints the headline outcomes. Bad
input is reported in one line naming the key and what is allowed, with a non-zero exit and nothing
written. ``-m`` (``--multirun``) plans a sweep and runs it into a result store, locally or on SLURM
(:mod:`sim.analysis.sweep`).
"""

from __future__ import annotations

import re
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.model.config import ConfigError, register, validate
from sim.run import CONFIG_DIR, allowed_keys, combined_name, compose, quiet_mesa, run

MULTIRUN = ("-m", "--multirun")


def describe_error(err: BaseException, overrides: list[str]) -> str:
    """One line naming the key and what is allowed."""
    if isinstance(err, ConfigError):
        return str(err)
    chain = []
    e: BaseException | None = err
    while e is not None:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        full_key = getattr(e, "full_key", None)
        if full_key:
            given = next((o.split("=", 1)[1] for o in overrides if o.lstrip("+~").split("=", 1)[0] == full_key), None)
            name = type(e).__name__
            if "KeyError" in name or "not in struct" in str(e) or re.search(r"Key '.+' not in '", str(e)):
                allowed = allowed_keys(full_key)
                return f"{full_key}: unknown key" + (f"; allowed keys here: {allowed}" if allowed else "")
            msg = str(e).splitlines()[0]
            return f"{full_key}={given}: {msg}" if given is not None else f"{full_key}: {msg}"
    options = getattr(err, "options", None)
    missing = getattr(err, "missing_cfg_file", None)
    if options is not None and missing:
        group = str(missing).split("/")[0]
        given = next(
            (o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == group), str(missing).split("/", 1)[-1]
        )
        return f"{group}={given}: unknown option; allowed: {', '.join(options)}"
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return " ".join(lines)


def print_summary(result) -> None:
    s = result.summary
    h = s.get("headline", {})
    rows = [
        ("homicide rate /100k/yr", "homicide_rate", "{:.1f}"),
        ("criminal members", "criminal_members", "{:,.0f}"),
        ("prison population", "prison_population", "{:,.0f}"),
        ("incarceration /100k", "incarceration_rate", "{:.0f}"),
        ("drug delivered kg/wk", "drug_delivered_kg", "{:,.0f}"),
        ("seizure share", "seizure_share", "{:.3f}"),
        ("active groups", "active_groups", "{:.1f}"),
        ("corrupt police share", "corrupt_police_share", "{:.3f}"),
        ("captured politicians", "captured_politicians_share", "{:.3f}"),
        ("community trust", "community_trust", "{:.3f}"),
        ("extortion rate", "extortion_rate", "{:.3f}"),
        ("emigration /wk", "emigration", "{:,.0f}"),
        ("criminal revenue $/wk", "criminal_revenue", "{:,.0f}"),
        ("route territories", "route_territories", "{:.1f}"),
    ]
    years = [k for k in ("year_1", "year_5", "year_10") if k in h]
    print(f"\nscenario={s['scenario']} world={s['world']} seed={s['seed']} config={s['config_hash']}")
    print(f"{'outcome (yearly mean)':<26}" + "".join(f"{y.replace('_', ' '):>16}" for y in years))
    for label, key, fmt in rows:
        print(f"{label:<26}" + "".join(f"{fmt.format(h[y][key]):>16}" for y in years))
    regions = s.get("homicide_rate_by_region", {})
    if regions:
        print("homicide rate by region (/100k/yr): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(regions.items())))
    t = h.get("totals", {})
    if t:
        print(
            f"totals: leader removals {t['leader_removals']}, splits {t['splits']}, "
            f"extraditions {t['extraditions']}, seized {t['drug_seized_kg'] / 1000:,.0f} t, "
            f"delivered {t['drug_delivered_kg'] / 1000:,.0f} t"
        )
    if result.output_dir is not None:
        print(f"outputs: {result.output_dir}")


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    quiet_mesa()
    validate(cfg)
    if cfg.store:
        from sim.analysis.store import run_into_store

        folder, result = run_into_store(cfg, cfg.store)
        if result is False:
            print(f"complete already, skipped: {folder}")
            return
    else:
        result = run(cfg, output_dir=HydraConfig.get().runtime.output_dir)
    print_summary(result)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    register()
    if any(a in MULTIRUN for a in argv):  # a sweep: planned and checked whole, then run into a store
        from sim.analysis.sweep import main as sweep_main

        raise SystemExit(sweep_main([a for a in argv if a not in MULTIRUN]))
    hydra_flags = [a for a in argv if a.startswith("-")]
    if not hydra_flags:  # a single run: check the config before Hydra creates a run directory
        try:
            compose(argv)
        except Exception as err:
            print(f"error: {describe_error(err, argv)}", file=sys.stderr)
            raise SystemExit(2) from None
    # a combination scenario=[a,b] is named a+b (each file sets its own name; the last would win)
    if not any(a.startswith("scenario.name=") for a in argv):
        labels = [combined_name(a.split("=", 1)[1]) for a in argv if a.startswith("scenario=")]
        argv += [f"scenario.name={label}" for label in labels if label]
    sys.argv = [sys.argv[0], *argv]
    _task()
