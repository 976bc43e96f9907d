"""Downloads of the page: the run's series and events (CSV or Parquet) and each view as SVG.

Series and events are long tables with a ``run`` column (``scenario``: the sidebar's run, whose
scenario file is in the ``scenario_file`` column; ``baseline``: the same seed's baseline beside it),
so the difference is one pivot away; the series are the
DataCollector's columns (the headline of ``timeseries.parquet``), the events the model's event list
(``events.parquet``). The views are the SVG the page shows (standalone files, CSS colour names);
their PNGs are drawn by the browser from the page itself (:func:`sim.viz.browser.PngDownload`).
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from sim.viz import map as map_view
from sim.viz import network, plots

FORMATS = ("csv", "parquet")
XML = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _runs(run) -> list[tuple[str, Any]]:
    out = [("scenario", run.model)]
    if run.baseline is not None:
        out.append(("baseline", run.baseline))
    return out


def series_frame(run) -> pd.DataFrame:
    """The weekly series of the scenario and of its baseline, one row per run and week."""
    frames = []
    for name, m in _runs(run):
        df = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        if "step" not in df.columns:
            df.insert(0, "step", range(1, len(df) + 1))
        df.insert(0, "scenario_file", str(m.scenario_cfg.name))
        df.insert(0, "run", name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def events_frame(run) -> pd.DataFrame:
    """The events of the scenario and of its baseline, one row per event."""
    rows = [{"run": name, **ev} for name, m in _runs(run) for ev in m.events]
    return pd.DataFrame(rows, columns=None if rows else ["run", "step", "year", "kind", "actors", "territory"])


def table_bytes(df: pd.DataFrame, fmt: str) -> bytes:
    """``df`` as a CSV or Parquet file."""
    if fmt == "csv":
        return df.to_csv(index=False).encode()
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}: one of {FORMATS}")


def view_svg(run, view: str, focus: str | None = None, difference: bool = False) -> bytes:
    """One view (``map``, ``network`` or ``plots``) as the page draws it, as an SVG file."""
    base = run.baseline
    if view == "map":
        svg = map_view.map_svg(run.model, focus, base if difference else None)
    elif view == "network":
        svg = network.network_svg(run.model, network.snapshot(run.model, focus))
    elif view == "plots":
        svg = plots.timeseries_svg(run.model, focus, base)
    else:
        raise ValueError(f"unknown view {view!r}")
    return (XML + svg.replace("<svg ", '<svg width="1200" ', 1)).encode()
