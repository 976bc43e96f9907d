"""The crimenet browser UI: a Solara page. Start it with ``python -m sim.viz`` (``make ui``).

Each browser tab gets its own run (:class:`~sim.viz.session.Run`: the sidebar's model and the
same seed's baseline beside it), built in a background task when the page opens and on every
Reset, through :func:`sim.compose` with the same configs as the CLI.

Why not Mesa's ``SolaraViz`` page? Its controller (Mesa 3.5) cannot do what the page must:
Reset builds the model in the event handler (3-10 s with the old run on screen and Step
enabled), a run has no horizon, Pause lets the loop finish its render interval, the sliders do not
show their values, its sidebar inputs cannot be disabled or re-loaded from a scenario file, and
every step re-renders the whole page (sidebar included) through a draggable grid. So the page is
built from Solara's own components, with the same pieces Mesa would use (``solara.lab.use_task``
for the play loop, the Mesa model's ``step``) and these rules:

* The sidebar shows the values the run will use: picking a scenario loads its file's levers and
  knobs (:func:`~sim.viz.factory.scenario_values`); an unticked lever's knobs are disabled; every
  input is a drop-down showing its value; a change not yet applied says "press Reset to apply".
* Reset builds the new run in a thread, shows a progress bar and disables Step and Play until it is
  ready. A run stops at its horizon (burn-in + ``steps`` weeks); Pause stops before the next week.
* Play steps a week only while the browser has drawn all but :data:`AHEAD` of the frames it was sent
  (it reports each frame it draws: :func:`~sim.viz.browser.FrameShown`,
  :class:`~sim.viz.session.Frames`), so the server is never more than AHEAD frames ahead of the
  screen: after Pause at most AHEAD + 1 more weeks appear (the frames on their way and the week
  under way), where without the bound they queued up by the dozen (42 weeks after Pause measured
  with no bound). AHEAD = 6 keeps Play as fast as with no bound (15.7 against 15.5 weeks/s on a
  quiet 2-core machine, ``scripts/ui_frametime.py``, 2026-12-03); with 1, 3 and 4 it fell to 11.6,
  13.6 and 14.4 weeks/s, since each frame then waits for the browser's report of the one before.
* The views (map, network, plots, status and events: plain functions of the model returning
  HTML/SVG strings) are one component that alone re-renders after a step. Above them, the
  country view (plots, events, map and network focus on one country) and the map's colouring
  (controlling group, or homicides against the baseline).
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from typing import cast

import solara

from sim.viz import export, factory, panels, plots, session
from sim.viz import map as map_view
from sim.viz import network as network_view
from sim.viz.browser import FrameShown, PngDownload
from sim.viz.session import Run
from sim.viz.style import esc

log = logging.getLogger(__name__)
# Solara warns, on every page load over plain http from 127.0.0.1, that it falls back to samesite=lax
# cookies: true and harmless for a page on the loopback interface (it is not embedded in an iframe).
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

TITLE = "crimenet: criminal-state networks in Latin America"
REGION = plots.REGION
DELAYS = (0, 50, 100, 250, 500, 1000)  # ms between frames in Play (0: as fast as it draws)
#: s Play waits for the browser to report a frame drawn before it steps on regardless (a tab in the
#: background draws nothing: its run goes on at one frame per FRAME_WAIT)
FRAME_WAIT = 1.0
#: frames Play may send beyond the last one the browser has drawn (it steps the next week meanwhile)
AHEAD = 6
WEEKS_PER_FRAME = (1, 2, 4, 13, 26, 52)  # weeks per Step, and per frame in Play
MAP_MODES = {"control": "controlling group, shaded by homicides", "difference": "homicides against the baseline"}

#: One paragraph for a first-time user (HTML: solara.Markdown would fetch mermaid from a CDN).
INTRO = (
    "<b>Step</b> or <b>▶</b> runs the model week by week until its horizon (❚❚ pauses at once). The grey dashed "
    "lines are the <b>baseline</b> with the same seed; <b>Δ</b> is the scenario minus the baseline. Map: "
    "territories in the colour of the group that controls them, darker where more people are killed; corridors "
    "wider where more cocaine moves. Network: groups, facilitators (middle) and corrupt officials (outside). "
    "To try a policy, pick a <b>scenario</b> (its levers load into the sidebar) or change a <b>lever</b>, "
    "then press <b>Reset</b>. <b>Country view</b> focuses every view on one country. Hover for details."
)
CSS = """
.v-application .v-navigation-drawer { width: 360px !important; }
.crimenet-view { padding: 4px 8px; background: white; border: 1px solid #e4e4e4; border-radius: 4px; }
.crimenet-dim { opacity: 0.35; pointer-events: none; }
"""


# when the server starts: a run of the sidebar's defaults, ready for the first tab (session.new_run)
session.prepare(factory.default_kwargs())


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


def pending_changes(form: dict, applied: dict) -> list[str]:
    """The sidebar's inputs whose value differs from the running model's (what Reset would change)."""
    return [k for k, v in form.items() if k in applied and applied[k] != v]


# ------------------------------------------------------------------ the sidebar


def _select(label: str, value, values, on_value, disabled: bool = False, testid: str = "") -> None:
    values = list(values)
    if value not in values:
        values = sorted([*values, value]) if all(isinstance(v, (int, float)) for v in values) else [*values, value]
    solara.Select(label, value=value, values=values, on_value=on_value, disabled=disabled, dense=True)


@solara.component
def Settings(form: solara.Reactive[dict], params: dict):
    """The model's inputs: scenario (loading its levers), world, seed, burn-in, each lever."""
    values = form.value
    world = values["world"]
    choices = solara.use_memo(lambda: factory.country_choices(world), dependencies=[world])

    def set_value(name, value):
        new = {**form.value, name: value}
        if name == "scenario_name":  # the file's levers, knobs and countries
            new |= factory.scenario_values(value)
        elif name == "world":  # its countries; the picks it does not have dropped
            allowed = set(factory.country_choices(value))
            new |= {k: [c for c in v if c in allowed] for k, v in new.items() if k.endswith(factory.SEP + "countries")}
        form.set(new)

    scenario = values["scenario_name"]
    progs = solara.use_memo(lambda: factory.scenario_programmes(scenario), dependencies=[scenario])
    for name in ("scenario_name", "world", "seed", "burn_in"):
        spec = params[name]
        _select(spec["label"], values[name], spec["values"], functools.partial(set_value, name))
        if name == "scenario_name":
            solara.HTML(
                tag="div",
                unsafe_innerHTML=panels.programmes_html(values["scenario_name"], progs),
                attributes={"data-testid": "programmes"},
            )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<b>Policy levers</b> of the scenario itself, as its file sets them (its governments' "
            "programmes, listed above, are read-only); change, then Reset"
        ),
    )
    for lever, knobs in factory.levers().items():
        on = bool(values[lever])
        spec = params[lever]
        solara.Checkbox(
            label=spec["label"].replace(" (add lever)", ""), value=on, on_value=functools.partial(set_value, lever)
        )
        with solara.Column(style="padding-left: 28px; margin-top: -14px", gap="0px"):
            for knob in knobs:
                key = f"{lever}{factory.SEP}{knob}"
                _select(
                    params[key]["label"], values[key], params[key]["values"], functools.partial(set_value, key), not on
                )
            key = f"{lever}{factory.SEP}countries"
            solara.SelectMultiple(
                params[key]["label"],
                values=list(values[key]),
                all_values=choices,
                on_value=functools.partial(set_value, key),
                dense=True,
                disabled=not on,
            )


@solara.component
def WeekLine(run: Run, tick: solara.Reactive[int]):
    """The run's week and horizon, re-rendered after every step."""
    _ = tick.value
    extra = " · reached its horizon" if run.done else ""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>week {run.steps} of {run.horizon}</b>{extra}",
        attributes={"data-testid": "week"},
    )


@solara.component
def Controls(
    run: Run | None,
    building: bool,
    playing: solara.Reactive[bool],
    tick: solara.Reactive[int],
    at_end: solara.Reactive[bool],
    weeks: solara.Reactive[int],
    delay: solara.Reactive[int],
    on_reset,
    changed: list[str],
):
    """Reset, Play/Pause, Step, the run's week and horizon, the play speed. Re-rendered when the run
    reaches its horizon (``at_end``), not after every step (:func:`WeekLine` is)."""
    done = run is None or at_end.value

    def step():
        if run is not None:
            run.step(weeks.value)
            tick.set(tick.value + 1)
            at_end.set(run.done)

    def play_pause():
        if playing.value:
            playing.set(False)
            if run is not None:
                run.stop()
        else:
            playing.set(True)

    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=on_reset, disabled=building)
        solara.Button(
            "❚❚" if playing.value else "▶",
            color="primary",
            on_click=play_pause,
            disabled=building or (done and not playing.value),
        )
        solara.Button("Step", color="primary", on_click=step, disabled=building or playing.value or done)
    if building:
        solara.ProgressLinear(True)
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Building the model (and its baseline): a few seconds…",
            attributes={"data-testid": "building"},
        )
    elif run is not None:
        WeekLine(run, tick)
    if changed:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"Changed: {esc(', '.join(changed))}. <b>Press Reset to apply.</b>",
            attributes={"data-testid": "pending"},
            style="color: #8a4b00; background: #fff3e0; border-radius: 4px; padding: 4px 8px; margin: 6px 0",
        )
    _select("Weeks per Step (and per frame in Play)", weeks.value, WEEKS_PER_FRAME, weeks.set)
    _select("Pause between frames in Play (ms)", delay.value, DELAYS, delay.set)


@solara.component
def Export(
    run: Run | None,
    tick: solara.Reactive[int],
    playing: solara.Reactive[bool],
    focus: str | None,
    difference: bool,
):
    """Downloads: the series and events (scenario and baseline) and the views. Their names carry the
    week, except in Play (not to re-render the buttons every frame): a run at rest re-renders them
    after each Step, a playing one after Pause."""
    if run is None:
        return
    prefix = f"crimenet_{run.model.scenario_cfg.name}_seed{int(run.model.cfg.seed)}"
    if playing.value:
        name = f"{prefix}_playing"
    else:
        _ = tick.value  # at rest: re-rendered after every Step
        name = f"{prefix}_week{run.steps}"
    with solara.Row(style="flex-wrap: wrap; gap: 4px"):
        for what, frame in (("series", export.series_frame), ("events", export.events_frame)):
            for fmt in export.FORMATS:
                solara.FileDownload(
                    functools.partial(lambda f, fmt: export.table_bytes(f(run), fmt), frame, fmt),
                    filename=f"{name}_{what}.{fmt}",
                    label=f"{what} .{fmt}",
                )
        for view in ("map", "network", "plots"):
            solara.FileDownload(
                functools.partial(export.view_svg, run, view, focus, difference),
                filename=f"{name}_{view}.svg",
                label=f"{view} .svg",
            )
            PngDownload(view=view, prefix=prefix, label=f"{view} .png")


# ------------------------------------------------------------------ the views


def _view(html: str, testid: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=html, attributes={"data-testid": testid}, classes=["crimenet-view"])


@solara.component
def Views(run: Run, tick: solara.Reactive[int], focus: str | None, difference: bool, dim: bool, frames):
    """Map, network, plots, status and events of the run's current week; the browser reports when it
    has drawn them (``frames``: :class:`~sim.viz.session.Frames`)."""
    frame = tick.value  # re-render after every step
    m, base = run.model, run.baseline
    with run.lock:  # a step under way (Play) finishes first
        the_map = _safe(lambda mm: map_view.map_html(mm, focus, base if difference else None), m, f"map{focus}")
        net = _safe(lambda mm: network_view.network_html(mm, focus), m, f"network{focus}")
        ts = _safe(lambda mm: plots.timeseries_html(mm, focus, base), m, f"plots{focus}")
        status = _safe(lambda mm: panels.panel_html(mm, focus), m, f"events{focus}")
    with solara.Column(gap="8px", classes=["crimenet-dim"] if dim else []):
        with solara.Columns([1, 1], gutters_dense=True):
            _view(the_map, "map")
            _view(net, "network")
        with solara.Columns([3, 2], gutters_dense=True):
            _view(ts, "plots")
            _view(status, "status")
    FrameShown(frame=frame, event_shown=frames.shown)


@solara.component
def Page():
    """One browser tab: its sidebar, its run (built in the background), its views."""
    params = solara.use_memo(factory.model_params, dependencies=[])
    form = solara.use_reactive(solara.use_memo(factory.default_kwargs, dependencies=[]))
    resets = solara.use_reactive(0)
    tick = solara.use_reactive(0)
    at_end = solara.use_reactive(False)  # the run on screen has reached its horizon
    playing = solara.use_reactive(False)
    weeks = solara.use_reactive(1)
    delay = solara.use_reactive(0)
    focus = solara.use_reactive(REGION)
    map_mode = solara.use_reactive("control")
    last = solara.use_ref(cast("Run | None", None))  # the run on screen while the next one builds
    frames = solara.use_memo(session.Frames, dependencies=[])  # the frames this tab's browser has drawn

    def build() -> Run:
        return session.new_run(dict(form.value))

    task = solara.lab.use_task(build, dependencies=[resets.value], prefer_threaded=True)
    building = not task.finished
    run: Run | None = task.value if task.finished else last.current
    if task.finished:
        last.current = task.value
    if task.error:
        solara.Error(f"building the model failed: {task.exception}")

    def play() -> None:
        r = task.value if task.finished else None
        while r is not None and playing.value:
            t0 = time.perf_counter()
            r.step(weeks.value)
            frame = tick.value + 1
            tick.set(frame)
            if r.done:
                at_end.set(True)
                playing.set(False)
                break
            frames.wait(frame - AHEAD, FRAME_WAIT)  # the next week once at most AHEAD frames are unseen
            rest = delay.value / 1000 - (time.perf_counter() - t0)
            if rest > 0:
                time.sleep(rest)

    solara.lab.use_task(play, dependencies=[playing.value, resets.value], prefer_threaded=True)

    def reset() -> None:
        playing.set(False)
        if run is not None:
            run.stop()
        at_end.set(False)
        resets.set(resets.value + 1)

    applied = run.model.ui_settings if run is not None else form.value
    changed = [params[k]["label"].split(" (")[0] for k in pending_changes(form.value, applied) if k in params]

    solara.Title("crimenet")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Run", margin=0):
            Controls(run, building, playing, tick, at_end, weeks, delay, reset, changed)
        with solara.Card("Model (applied on Reset)", margin=0):
            Settings(form, params)
        with solara.Card("Export (this week)", margin=0):
            Export(
                run,
                tick,
                playing,
                None if focus.value == REGION else _iso(run, focus.value),
                map_mode.value == "difference",
            )
    solara.HTML(
        tag="div", unsafe_innerHTML=INTRO, style="font-size: 13px; line-height: 19px; padding: 0 4px; color: #222"
    )
    options = plots.country_options(run.model) if run is not None else []
    labels = {label: iso for iso, label in options}
    with solara.Row(style="align-items: center; gap: 16px"):
        solara.Select(
            "Country view",
            value=focus.value if focus.value in labels else REGION,
            values=[REGION, *labels],
            on_value=focus.set,
            dense=True,
            style="max-width: 320px",
        )
        base_ok = run is not None and run.baseline is not None
        solara.Select(
            "Map colours",
            value=map_mode.value if base_ok else "control",
            values=list(MAP_MODES) if base_ok else ["control"],
            on_value=map_mode.set,
            dense=True,
            style="max-width: 320px",
        )
        solara.HTML(
            tag="span",
            unsafe_innerHTML=esc(MAP_MODES[map_mode.value if base_ok else "control"]),
            style="color: dimgray; font-size: 12px",
        )
    if run is None:
        solara.ProgressLinear(True)
        return
    iso = labels.get(focus.value)
    Views(run, tick, iso, base_ok and map_mode.value == "difference", building, frames)


def _iso(run: Run | None, label: str) -> str | None:
    if run is None:
        return None
    return {lab: iso for iso, lab in plots.country_options(run.model)}.get(label)


page = Page
