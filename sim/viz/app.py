"""The crimenet browser UI: a Mesa SolaraViz page. Start it with ``python -m sim.viz`` (``make ui``).

Each browser session gets its own model: :func:`Page` is a component, and the model is created
inside it (``solara.use_memo``), never at module level (a module-level instance would be shared
by every session). Reset builds a new :class:`~sim.viz.factory.UIModel` from the sidebar's values
through :func:`sim.compose`, with the same configs as the CLI.

The four views are plain functions of the model, re-run by SolaraViz after every step:
the map (``map.py``), the network (``network.py``), the headline outcomes (``plots.py``) and the
run's status with the recent events (``panels.py``). All four are HTML/inline SVG strings (the map
and the network from fixed layouts), so a redraw is a few milliseconds on the server and one DOM
swap per view in the browser, with nothing fetched.
"""

from __future__ import annotations

import logging

import solara
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _solara_viz

from sim.viz import map as map_view
from sim.viz import network as network_view
from sim.viz import panels, plots
from sim.viz.factory import UIModel, default_kwargs, model_params
from sim.viz.style import esc

log = logging.getLogger(__name__)

TITLE = "crimenet: criminal-state networks in Latin America"

#: Where the four views go on Mesa's grid (12 columns; a row is 30 px + 10 px gap). Mesa 3.5 puts
#: every component in a half-width, 390 px tall box; the map and the network need more room.
DASHBOARD_LAYOUT = (
    {"i": 0, "x": 0, "y": 0, "w": 6, "h": 14},  # map
    {"i": 1, "x": 6, "y": 0, "w": 6, "h": 14},  # network
    {"i": 2, "x": 0, "y": 14, "w": 7, "h": 12},  # headline outcomes
    {"i": 3, "x": 7, "y": 14, "w": 5, "h": 12},  # status and events
)


def _use_dashboard_layout() -> None:
    """Give SolaraViz's grid our initial layout when it lays out our four views.

    Mesa 3.5 has no argument for the initial grid layout; ``ComponentsView`` calls the module
    function ``make_initial_grid_layout(n)``. This wraps it (other apps in the same process, with
    another number of components, keep Mesa's layout). Without the function (another Mesa
    version) the views still work, in Mesa's default grid.
    """
    original = getattr(_solara_viz, "make_initial_grid_layout", None)
    if original is None or getattr(original, "_crimenet", False):
        return

    def layout(num_components: int):
        if num_components == len(DASHBOARD_LAYOUT):
            return [{**item, "moved": False} for item in DASHBOARD_LAYOUT]
        return original(num_components)

    layout._crimenet = True  # type: ignore[attr-defined]
    _solara_viz.make_initial_grid_layout = layout


_use_dashboard_layout()


def _safe(build, model, key: str) -> str:
    """Run a view builder; on an error keep showing the last good picture (and say why)."""
    cache = model.view_cache
    try:
        html = build(model)
        cache[f"last_{key}"] = html
        return html
    except Exception as err:
        log.exception("drawing %s failed", key)
        note = (
            f'<div style="color: firebrick; font-size: 12px">{key}: drawing failed '
            f"({type(err).__name__}: {esc(err)})</div>"
        )
        return note + cache.get(f"last_{key}", "")


def _box(i: int) -> str:
    """CSS of view ``i``: fits its grid cell (a row is 30 px + 10 px gap), scrolls if longer."""
    height = DASHBOARD_LAYOUT[i]["h"] * 40 - 10
    return f"padding: 2px 8px; max-height: {height}px; overflow-y: auto; overflow-x: hidden"


def MapView(model):
    """Territories and corridors."""
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=_safe(map_view.map_html, model, "map"),
        attributes={"data-testid": "map"},
        style=_box(0),
    )


def NetworkView(model):
    """Organisations, facilitators, corrupt officials and their ties."""
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=_safe(network_view.network_html, model, "network"),
        attributes={"data-testid": "network"},
        style=_box(1),
    )


def PlotsView(model):
    """Headline outcomes over time (small multiples)."""
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=_safe(plots.timeseries_html, model, "plots"),
        attributes={"data-testid": "plots"},
        style=_box(2),
    )


def EventsView(model):
    """The run's scenario and levers, the current values and the recent events."""
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=_safe(panels.panel_html, model, "events"),
        attributes={"data-testid": "status"},
        style=_box(3),
    )


COMPONENTS = [(MapView, 0), (NetworkView, 0), (PlotsView, 0), (EventsView, 0)]

#: One paragraph for a first-time user (HTML: solara.Markdown would fetch mermaid from a CDN).
INTRO = (
    "<b>Step</b> or <b>▶</b> runs the model week by week (❚❚ pauses). Map: territories in the colour of the "
    "group that controls them, darker where more people are killed; corridors wider where more cocaine moves. "
    "Network: groups, facilitators (middle) and corrupt officials (outside). To try a policy, pick a "
    "<b>scenario</b> or tick a <b>lever</b> in the sidebar and press <b>Reset</b>. Hover for details."
)


@solara.component
def Page():
    """One browser session: its own model, built from the sidebar's defaults."""
    params = solara.use_memo(model_params, dependencies=[])
    model = solara.use_memo(lambda: UIModel(**default_kwargs()), dependencies=[])
    solara.Title("crimenet")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=INTRO,
        style="font-size: 13px; line-height: 19px; padding: 4px 14px 0 14px; color: #222",
    )
    SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE, play_interval=50)


page = Page
