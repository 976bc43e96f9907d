"""The run's status (scenario, levers, week, how to repeat it from the CLI) and the recent events."""

from __future__ import annotations

import shlex

from sim.model.config import REGION, programmes
from sim.model.policies import LEVERS, active
from sim.viz.factory import FIXED
from sim.viz.map import geometry
from sim.viz.style import EVENT_STYLE, FONT, esc, panel_title

MAX_EVENTS = 12
HEADLINE_KINDS = ("leader_removed", "extradition", "split", "militia_formed", "dissolved", "leader_returned")


def reach_text(countries) -> str:
    """A lever's reach in words: in its countries (``region``: the region), or everywhere."""
    codes = [str(c) for c in countries]
    if not codes:
        return "everywhere"
    return "in " + ", ".join("the region" if c == REGION else c for c in codes)


def programmes_html(name: str, progs: list[tuple[str, str, list[str]]] | None) -> str:
    """The levers a scenario file switches on (read-only, under its name in the sidebar), one line per
    programme: its own levers, then each government's (``scenario.governments.<label>``)."""
    style = f"{FONT}; font-size: 12px; line-height: 17px; color: #444; margin: -6px 0 8px 0"
    if progs is None:
        return f'<div style="{style}; color: firebrick">{esc(name)}: the file does not compose</div>'
    if not progs:
        return f'<div style="{style}">{esc(name)}: no lever switched on (status quo)</div>'
    lines: dict[str, list[str]] = {}
    for label, lever, countries in progs:
        lines.setdefault(label, []).append(f"{lever.replace('_', ' ')} {reach_text(countries)}")
    rows = "".join(
        f"<div>{'government <b>' + esc(label) + '</b>' if label else 'the scenario'}: {esc('; '.join(items))}</div>"
        for label, items in lines.items()
    )
    return f'<div style="{style}"><div style="color: dimgray">Levers of {esc(name)} (read-only):</div>{rows}</div>'


def _now(model) -> str:
    mv = model.datacollector.model_vars
    if not mv.get("year"):
        return "Press <b>Step</b> or <b>▶</b> to run the model week by week."

    def last(key, scale=1.0):
        vals = mv.get(key)
        return vals[-1] * scale if vals else float("nan")

    return (
        f"Now: <b>{last('homicide_rate'):.1f}</b> homicides/100k/yr · "
        f"<b>{last('drug_delivered_kg', 52 / 1000):,.0f}</b> t/yr delivered · "
        f"<b>{last('corrupt_police_share', 100):.0f}%</b> police corrupt · "
        f"trust <b>{last('community_trust'):.2f}</b> · <b>{last('active_groups'):.0f}</b> groups"
    )


def status_html(model) -> str:
    cfg = model.cfg
    scn = model.scenario_cfg
    week = model.week
    total = int(cfg.burn_in) + int(cfg.steps)
    if week < 0:
        phase = f"burn-in: policies start in {-week} week{'s' if week != -1 else ''}"
    else:
        phase = f"year {week / 52:.1f} after the burn-in"
    levers = []
    for label, programme in programmes(scn):
        for name in LEVERS:
            lv = getattr(programme, name, None)
            if lv is None or not lv.enabled:
                continue
            state = "on" if active(lv, week) else ("from week " + str(int(cfg.burn_in) + int(lv.start)))
            changed = any(o.startswith(f"scenario.{name}.") for o in model.ui_overrides)
            source = ", changed in the sidebar" if not label and changed else ""
            who = f"{label}: " if label else ""
            levers.append(f"{who}{name.replace('_', ' ')} {reach_text(lv.countries)} ({state}{source})")
    lever_text = "; ".join(levers) if levers else "none (status quo)"
    cli = " ".join(shlex.quote(o) for o in model.ui_overrides if o not in FIXED)
    err = (
        f'<div style="color: firebrick; margin-top: 4px">{esc(model.ui_error)}</div>'
        if getattr(model, "ui_error", None)
        else ""
    )
    if model.steps >= total:
        phase = "the run has reached its horizon (Reset starts a new one)"
    return (
        panel_title("Run", f"week {model.steps} of {total} · {phase}")
        + f'<div style="{FONT}; font-size: 12px; line-height: 18px; color: #222">'
        f'<div>Scenario <b data-testid="scenario-name">{esc(scn.name)}</b>: {esc(scn.description)}</div>'
        f"<div>Policy levers: {esc(lever_text)}</div>"
        f"<div>World <b>{esc(cfg.world.name)}</b> ({model.world.n} territories) · seed {int(cfg.seed)}</div>"
        f'<div style="margin-top: 3px">{_now(model)}</div>'
        f'<div style="color: dimgray; margin-top: 3px">Same run from the command line: '
        f'<span style="font-family: monospace; font-size: 11px">python -m sim {esc(cli)}</span></div>{err}</div>'
    )


def _badge(kind: str) -> str:
    colour, label = EVENT_STYLE.get(kind, ("gray", kind.replace("_", " ")))
    return (
        f'<span style="display: inline-block; min-width: 96px; padding: 0 5px; border-radius: 3px; '
        f'color: white; background: {colour}; font-size: 11px; text-align: center">{esc(label)}</span>'
    )


def _shown(ev: dict) -> bool:
    """Elections only when crime-funded candidates won seats; the rest, without repeats."""
    if ev["kind"] == "election":
        return float(ev.get("captured", 0) or 0) > 0
    # a removal by extradition is also an "extradition" event: show that one only
    return not (ev["kind"] == "leader_removed" and ev.get("how") == "extradited")


def events_html(model, focus: str | None = None) -> str:
    """The counts of the headline events and the most recent ones; ``focus``: those in one country (ISO code)."""
    geo = geometry(model)
    counts: dict[str, int] = {}
    evs = model.events
    if focus:
        evs = [ev for ev in evs if (i := geo.id_index.get(ev.get("territory", ""))) is not None and geo.iso[i] == focus]
    for ev in evs:
        counts[ev["kind"]] = counts.get(ev["kind"], 0) + 1
    summary = " · ".join(f"{EVENT_STYLE[k][1]} {counts[k]}" for k in HEADLINE_KINDS if counts.get(k))
    recent: list[dict] = []
    for ev in reversed(evs):
        if len(recent) == MAX_EVENTS:
            break
        if _shown(ev):
            recent.append(ev)
    rows = []
    for ev in recent:
        i = geo.id_index.get(ev.get("territory", ""))
        where = geo.short[i] if i is not None else ""
        actors = str(ev.get("actors", ""))
        if ev["kind"] == "election":
            won, seats = int(ev.get("captured", 0)), int(ev.get("seats", 0))
            actors = f"{actors}: {won} of {seats} seats to crime-funded candidates"
        elif ev["kind"] == "leader_removed" and ev.get("how"):
            actors = f"{actors} ({ev['how']})"
        actors = actors if len(actors) <= 90 else actors[:89] + "…"
        rows.append(
            f'<tr style="vertical-align: top"><td style="color: dimgray; white-space: nowrap; '
            f'padding-right: 6px">wk {ev["step"]}</td>'
            f'<td style="padding-right: 6px">{_badge(ev["kind"])}</td>'
            f"<td>{esc(actors)}{' · ' + esc(where) if where else ''}</td></tr>"
        )
    table = '<table style="border-collapse: collapse; width: 100%; font-size: 12px; line-height: 17px">'
    body = (
        table + "".join(rows) + "</table>"
        if rows
        else '<div style="color: dimgray">No events yet. Leader removals, extraditions, splits and militias '
        "appear here as they happen (and as ▲ on the map).</div>"
    )
    return (
        panel_title(f"Recent events{' in ' + esc(focus) if focus else ''}", summary or "newest first")
        + f'<div data-testid="events" style="{FONT}; font-size: 12px; line-height: 19px">{body}</div>'
    )


def panel_html(model, focus: str | None = None) -> str:
    return status_html(model) + '<div style="height: 10px"></div>' + events_html(model, focus)
