"""The crimenet browser UI: a Mesa SolaraViz page. Start it with ``python -m sim.viz`` (``make ui``).

Each browser session gets its own model: :func:`Page` is a component, and the model is created
inside it (``solara.use_memo``), never at module level (a module-level instance would be shared
by every session). Reset builds a new :class:`~sim.viz.factory.UIModel` from the sidebar's values
through :func:`sim.compose`, with the same configs as the CLI.

The four views are plain functions of the model, re-run by SolaraViz after every step:
the map (``map.py``), the network (``network.py``), the headline outcomes (``plots.py``) and the
run's status with the recent events (``panels.py``). All four are HTML/inline SVG strings (the map
and the network from fixed layouts), so a redraw is a few milliseconds on the server and one DOM
swap per view in the browser, with nothing fetched. Above the plots, a selector switches them from
the headline (the report regions) to one country's series; the choice is kept per browser tab.

The sidebar is Mesa's, with two additions (:func:`UserInputs`): each lever's countries are picked
in a multi-select, and under the scenario the levers of the selected file (its governments'
programmes included) are listed read-only.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _solara_viz

from sim.viz import factory, panels, plots
from sim.viz import map as map_view
from sim.viz import network as network_view
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

#: Mesa's sidebar inputs (``solara_viz.UserInputs``), drawn by :func:`UserInputs` for every input it knows.
_MESA_USER_INPUTS: Any = getattr(_solara_viz, "UserInputs", None)
PICKER = "SelectMultiple"  # the input type of a lever's countries (factory.model_params)


def _picked(user_params: dict) -> dict[str, list[str]]:
    return {k: list(v["value"]) for k, v in user_params.items() if isinstance(v, dict) and v.get("type") == PICKER}


@solara.component
def ScenarioLevers(name: str):
    """Under the scenario: the levers the selected file switches on, with their countries (read-only)."""
    progs = solara.use_memo(lambda: factory.scenario_programmes(name), dependencies=[name])
    solara.HTML(
        tag="div", unsafe_innerHTML=panels.programmes_html(name, progs), attributes={"data-testid": "programmes"}
    )


@solara.component
def UserInputs(user_params: dict, on_change=None):
    """Mesa's sidebar inputs, plus what Mesa 3.5 has no input for: each lever's countries (a
    ``solara.SelectMultiple`` of the sidebar world's codes and ``region``) and, under the scenario,
    its levers (:func:`ScenarioLevers`). Installed by :func:`_use_country_pickers`."""
    world, set_world = solara.use_state(user_params.get("world", {}).get("value"))
    scenario, set_scenario = solara.use_state(user_params.get("scenario_name", {}).get("value"))
    picked, set_picked = solara.use_state(_picked(user_params))
    choices = solara.use_memo(lambda: factory.country_choices(world) if world else [], dependencies=[world])

    def changed(name, value):
        if name == "world":  # another world: its countries, and the picks it does not have dropped
            allowed = set(factory.country_choices(value))
            kept = {k: [c for c in v if c in allowed] for k, v in picked.items()}
            for k, v in kept.items():
                if v != picked[k]:
                    on_change(k, v)
            set_picked(kept)
            set_world(value)
        elif name == "scenario_name":
            set_scenario(value)
        on_change(name, value)

    def pick(name, values):
        set_picked(lambda old: {**old, name: list(values)})
        on_change(name, list(values))

    for name, spec in user_params.items():
        if isinstance(spec, dict) and spec.get("type") == PICKER:
            solara.SelectMultiple(
                spec.get("label", name),
                values=picked.get(name, []),
                all_values=choices or spec["values"],
                on_value=functools.partial(pick, name),
                dense=True,
            )
        else:
            _MESA_USER_INPUTS({name: spec}, on_change=changed)
        if name == "scenario_name" and scenario:
            ScenarioLevers(scenario)


def _use_country_pickers() -> bool:
    """Let Mesa's ``ModelCreator`` draw the sidebar with :func:`UserInputs`. Without Mesa's function
    (another Mesa version) the countries are a text field (codes separated by commas)."""
    if _MESA_USER_INPUTS is None:
        return False
    _solara_viz.UserInputs = UserInputs
    return True


COUNTRY_PICKERS = _use_country_pickers()


def sidebar_params() -> dict:
    """:func:`~sim.viz.factory.model_params`, the countries as text fields when they cannot be picked."""
    params = model_params()
    if not COUNTRY_PICKERS:
        for spec in params.values():
            if spec.get("type") == PICKER:
                spec.update(type="InputText", value=",".join(spec["value"]))
    return params


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


def _box(i: int, above: int = 0) -> str:
    """CSS of view ``i``: fits its grid cell (a row is 30 px + 10 px gap) below ``above`` px of
    controls, scrolls if longer."""
    height = DASHBOARD_LAYOUT[i]["h"] * 40 - 10 - above
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


#: The plots' choice, the label of a country or plots.REGION. A module-level solara.reactive holds
#: one value per browser tab (per kernel).
plot_country = solara.reactive(plots.REGION)
SELECTOR_PX = 44  # height of the country selector above the plots


def PlotsView(model):
    """Outcomes over time (small multiples): the headline, or the country selected above them."""
    iso_of = {label: iso for iso, label in plots.country_options(model)}
    choice = plot_country.value if plot_country.value in iso_of else plots.REGION
    iso = iso_of.get(choice)
    with solara.Column(gap="0px") as view:
        solara.Select(
            "Outcomes of",
            value=choice,
            values=[plots.REGION, *iso_of],
            on_value=plot_country.set,
            dense=True,
            style="max-width: 300px; margin: 2px 8px 0 8px",
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=_safe(lambda m: plots.timeseries_html(m, iso), model, "plots"),
            attributes={"data-testid": "plots"},
            style=_box(2, SELECTOR_PX),
        )
    return view


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
    "<b>scenario</b> or tick a <b>lever</b> (and pick its countries) in the sidebar and press <b>Reset</b>. "
    "<b>Outcomes of</b> above the plots shows one country's. Hover for details."
)


@solara.component
def Page():
    """One browser session: its own model, built from the sidebar's defaults."""
    params = solara.use_memo(sidebar_params, dependencies=[])
    model = solara.use_memo(lambda: UIModel(**default_kwargs()), dependencies=[])
    solara.Title("crimenet")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=INTRO,
        style="font-size: 13px; line-height: 19px; padding: 4px 14px 0 14px; color: #222",
    )
    SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE, play_interval=50)


page = Page
