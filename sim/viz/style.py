"""Colours and small helpers shared by the views. Colours are CSS names (Vega and SVG read them)."""

from __future__ import annotations

from html import escape

#: Organisation colours, handed out in order of first appearance (stable for a run).
PALETTE = (
    "royalblue",
    "darkorange",
    "forestgreen",
    "crimson",
    "darkviolet",
    "saddlebrown",
    "deeppink",
    "teal",
    "olive",
    "navy",
    "goldenrod",
    "mediumseagreen",
    "orchid",
    "steelblue",
    "chocolate",
    "slateblue",
    "darkcyan",
    "indianred",
    "yellowgreen",
    "mediumvioletred",
    "cadetblue",
    "peru",
    "darkkhaki",
    "tomato",
    "darkolivegreen",
    "hotpink",
    "dodgerblue",
    "sienna",
    "mediumpurple",
    "lightseagreen",
)
NO_CONTROLLER = "darkgray"

#: Tie kinds of the network view: colour, dash pattern, label.
TIE_STYLE = {
    "alliance": ("seagreen", "", "alliance"),
    "rivalry": ("crimson", "5 3", "rivalry"),
    "subcontract": ("sienna", "", "subcontract (cartel → gang)"),
    "service": ("steelblue", "", "service (facilitator)"),
    "corruption": ("darkorange", "", "corruption (police payroll)"),
    "finance": ("orchid", "", "campaign finance"),
    "brokerage": ("thistle", "2 2", "brokerage"),
}

#: Event kinds of the events panel: colour of the badge, label.
EVENT_STYLE = {
    "leader_removed": ("firebrick", "leader removed"),
    "extradition": ("darkblue", "extradition"),
    "extradition_blocked": ("slategray", "extradition blocked"),
    "succession": ("darkgoldenrod", "succession"),
    "split": ("darkorange", "split"),
    "dissolved": ("dimgray", "dissolved"),
    "leader_returned": ("purple", "leader returned"),
    "militia_formed": ("forestgreen", "militia formed"),
    "militia_predatory": ("saddlebrown", "militia predatory"),
    "militia_captured": ("maroon", "militia captured"),
    "truce": ("teal", "truce"),
    "truce_broken": ("crimson", "truce broken"),
    "election": ("steelblue", "election"),
}

FONT = "font-family: Roboto, Helvetica, Arial, sans-serif"


def org_colour(model, uid: int) -> str:
    """The colour of an organisation, the same on the map, in the network and in the legends."""
    colours = model.view_cache.setdefault("org_colours", {})
    if uid not in colours:
        colours[uid] = PALETTE[len(colours) % len(PALETTE)]
    return colours[uid]


def assign_colours(model) -> None:
    """Give every current organisation its colour, in order of unique_id (stable across redraws)."""
    for org in model.orgs.agents:  # in unique_id order
        org_colour(model, org.unique_id)


def esc(text) -> str:
    return escape(str(text), quote=True)


def short(name: str, n: int = 22) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def panel_title(title: str, subtitle: str = "") -> str:
    sub = f'<span style="color: dimgray; font-weight: normal"> · {esc(subtitle)}</span>' if subtitle else ""
    return f'<div style="{FONT}; font-size: 14px; font-weight: 600; margin: 0 0 4px 2px">{esc(title)}{sub}</div>'


def chip(colour: str, label: str, shape: str = "dot", dash: str = "") -> str:
    """A legend entry: a small swatch and a label."""
    if shape == "line":
        sw = (
            f'<svg width="22" height="8" style="vertical-align: middle"><line x1="1" y1="4" x2="21" y2="4" '
            f'stroke="{colour}" stroke-width="3" stroke-dasharray="{dash}"/></svg>'
        )
    elif shape == "ring":
        sw = (
            f'<svg width="12" height="12" style="vertical-align: middle"><circle cx="6" cy="6" r="4.5" '
            f'fill="white" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/></svg>'
        )
    else:
        sw = (
            f'<span style="display: inline-block; width: 10px; height: 10px; border-radius: 5px; '
            f'background: {colour}; vertical-align: middle"></span>'
        )
    return f'<span style="white-space: nowrap; margin-right: 9px">{sw} {esc(label)}</span>'


def legend_row(items: list[str]) -> str:
    return f'<div style="{FONT}; font-size: 11px; line-height: 17px; color: #333">{"".join(items)}</div>'
