"""The map: territories at their coordinates, corridors drawn by the drugs that flow along them.

* A territory is a disc at its (lon, lat), sized by population. Its colour is the group that
  controls it (grey: none); the shade is its homicide rate over the last four weeks (pale: calm,
  full colour: violent). A dashed ring marks a contested plaza; a diamond shape a production
  zone, a square a consumer market; a small black mark a recent event (hover for details).
* A corridor is a thin grey line (dashed: sea, dotted: air); its width is the cocaine that
  moved along it last week (land and river: sienna, sea and air: steelblue).
* The projection is fixed per world and schematic: each axis is a blend of longitude (latitude)
  and its rank among the territories (:func:`warp`). North stays north and east stays east, but
  crowded places (Central America, the Andes) get room and empty ones (the Atlantic between the
  Americas and Europe) shrink.

Everything that does not change during a run (projection, corridor geometry, country labels) is
built once per model; each redraw only writes the changing attributes. :func:`map_html` is a
plain function of the model (no Solara), timed in ``tests/test_ui.py``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.config import ROLES
from sim.viz.style import (
    FONT,
    NO_CONTROLLER,
    assign_colours,
    chip,
    esc,
    legend_row,
    org_colour,
    panel_title,
)

W = 800.0  # SVG user units (the picture scales to the panel's width)
PAD = 30.0
H = 640.0
WARP = 0.8  # weight of the rank in the schematic projection (0: plain lon/lat, 1: ranks only)
SHADE_REF = 120.0  # homicides per 100k per year drawn at full colour
RECENT_WEEKS = 8
MODE_DASH = {"land": "", "river": "", "sea": "7 5", "air": "2 4"}
MODE_FLOW_COLOUR = {"land": "sienna", "river": "sienna", "sea": "steelblue", "air": "steelblue"}


def warp(v: np.ndarray, alpha: float) -> np.ndarray:
    """Monotone map of coordinates to [0, 1]: ``alpha`` x rank + (1 - alpha) x linear position."""
    v = np.asarray(v, float)
    span = float(v.max() - v.min())
    lin = (v - v.min()) / span if span > 0 else np.full(v.shape, 0.5)
    order = np.argsort(v, kind="stable")
    rank = np.empty(len(v))
    rank[order] = np.arange(len(v))
    for val in np.unique(v):  # ties share their mean rank
        sel = v == val
        rank[sel] = rank[sel].mean()
    rank = rank / max(len(v) - 1, 1)
    return alpha * rank + (1.0 - alpha) * lin


def short_name(name: str) -> str:
    """'Catatumbo & Cúcuta (Norte de Santander)' -> 'Catatumbo'."""
    for sep in (" (", " & ", ", "):
        name = name.split(sep)[0]
    return name


class Geometry:
    """The fixed drawing of a world: projected positions, corridors, static SVG layers."""

    def __init__(self, model) -> None:
        w = model.world
        lon, lat = np.asarray(w.lon, float), np.asarray(w.lat, float)
        self.x = PAD + warp(lon, WARP) * (W - 2 * PAD)
        self.h = H
        self.y = H - PAD - warp(lat, WARP) * (H - 2 * PAD)
        self.n = w.n
        pop = np.maximum(np.asarray(w.population, float), 1.0)
        self.r = np.clip(5.0 + 2.5 * np.log10(pop / 1e5), 5.0, 12.0)
        self.production = w.roles[:, ROLES.index("production")]
        self.market = w.roles[:, ROLES.index("market")]
        self.names = list(w.names)
        self.short = [short_name(nm) for nm in w.names]
        self.country = [w.countries[c].name for c in w.country]
        self.iso = [w.countries[c].iso for c in w.country]
        self.id_index = {tid: i for i, tid in enumerate(w.ids)}
        self.roles = [", ".join(r for r, on in zip(ROLES, row) if on) for row in w.roles]
        # corridors
        self.edges = [(int(a), int(b), d.get("mode", "land")) for a, b, d in w.graph.edges(data=True)]
        self.edge_index = {(a, b): k for k, (a, b, _m) in enumerate(self.edges)}
        self.edge_index.update({(b, a): k for k, (a, b, _m) in enumerate(self.edges)})
        self.hop_edge, self.incidence = self._path_edges(model)
        self.flow_ref = max(float(np.sum(w.production_kg)), 1.0)  # kg/week drawn at full width
        self.static_svg = self._static()
        self.labels_svg = self._labels()

    def view_box(self, iso: str | None) -> tuple[float, float, float, float]:
        """The SVG viewBox: the whole map, or the territories of country ``iso`` with a margin (the
        map's aspect ratio kept, so the picture keeps its size)."""
        sel = [i for i, c in enumerate(self.iso) if c == iso]
        if not sel:
            return 0.0, 0.0, W, self.h
        xs, ys = self.x[sel], self.y[sel]
        margin = 60.0
        w = max(float(xs.max() - xs.min()) + 2 * margin, 420.0)  # at most about 2x: the neighbours stay in view
        h = max(float(ys.max() - ys.min()) + 2 * margin, 420.0 * self.h / W)
        w, h = max(w, h * W / self.h), max(h, w * self.h / W)
        cx, cy = float(xs.mean()), float(ys.mean())
        return cx - w / 2, cy - h / 2, w, h

    def _path_edges(self, model):
        """For the candidate routes: the corridor of each hop ((paths, hops), -1 = none) and the
        (paths, corridors) 0/1 incidence matrix. (None, None) if the routes are not there."""
        try:
            nodes, valid = model.routes.nodes, model.routes.valid
            hop = np.full((len(nodes), nodes.shape[1] - 1), -1, dtype=np.int64)
            inc = np.zeros((len(nodes), len(self.edges)))
            for r in range(len(nodes)):
                for j in range(nodes.shape[1] - 1):
                    if valid[r, j] and valid[r, j + 1]:
                        k = self.edge_index[(int(nodes[r, j]), int(nodes[r, j + 1]))]
                        hop[r, j] = k
                        inc[r, k] = 1.0
            return hop, inc
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            return None, None

    def _labels(self) -> str:
        """Country labels at the mean position of their territories, drawn above the territories
        (with a white halo, so a disc never covers one)."""
        parts = []
        by_country: dict[str, list[int]] = {}
        for i, c in enumerate(self.country):
            by_country.setdefault(c, []).append(i)
        for c, idx in by_country.items():
            cx, cy = float(np.mean(self.x[idx])), float(np.mean(self.y[idx]))
            label = c if len(c) <= 16 else c[:15] + "…"
            half = 5.5 * len(label)  # about half the label's width at this font size
            cx = min(max(cx, half + 2), W - half - 2)
            parts.append(
                f'<text x="{cx:.1f}" y="{cy + 30:.1f}" font-size="17" fill="#555" stroke="white" '
                f'stroke-width="3" paint-order="stroke" text-anchor="middle" font-weight="600" '
                f'pointer-events="none">{esc(label)}</text>'
            )
        return "".join(parts)

    def _static(self) -> str:
        parts = []
        # corridors, thin base lines
        for a, b, mode in self.edges:
            parts.append(
                f'<line x1="{self.x[a]:.1f}" y1="{self.y[a]:.1f}" x2="{self.x[b]:.1f}" '
                f'y2="{self.y[b]:.1f}" stroke="gainsboro" stroke-width="1.5" '
                f'stroke-dasharray="{MODE_DASH.get(mode, "")}"/>'
            )
        return "".join(parts)


def geometry(model) -> Geometry:
    cache = model.view_cache
    if "map_geometry" not in cache:
        cache["map_geometry"] = Geometry(model)
    return cache["map_geometry"]


def corridor_flow(model, geo: Geometry) -> np.ndarray:
    """kg carried along each corridor last week.

    With ``routes.arriving`` (kg reaching each position of each route this week, kept by
    ``sim/model/phases/trade.py: routing``): what reached the far end of every hop, summed over the
    routes using the corridor (as ``trade.corridor_flows``, vectorised). Otherwise the week's
    delivered shipments (the delivery buffer at slot ``(steps + delay) % len``) over the routes
    using it; failing that, the smaller of the flows through its two ends.
    """
    R = getattr(model, "routes", None)
    try:
        arriving = getattr(R, "arriving", None)
        if geo.hop_edge is not None and arriving is not None:
            reached = arriving[:, 1:]
            ok = geo.hop_edge >= 0
            return np.bincount(geo.hop_edge[ok], weights=reached[ok], minlength=len(geo.edges))
        if geo.incidence is not None and R is not None:
            slots = (model.steps + R.delay) % R.buffer.shape[0]
            return R.buffer[slots, np.arange(R.buffer.shape[1])] @ geo.incidence
    except (AttributeError, IndexError, ValueError, TypeError):
        pass
    f = model.terr.flow
    return np.array([min(f[a], f[b]) for a, b, _m in geo.edges])


def homicide_rates(model, weeks: int = 4) -> np.ndarray:
    """Homicides per 100k per year in each territory, averaged over the last ``weeks`` recorded weeks."""
    t = model.terr
    frames = getattr(model, "territory_frames", None) or []
    hom = np.mean([f["homicides"] for f in frames[-weeks:]], axis=0) if frames else t.homicides
    return hom * 52.0 / np.maximum(t.population / 1e5, 1e-9)


def recent_events(model, weeks: int = RECENT_WEEKS) -> dict[int, list[str]]:
    """Territory index -> descriptions of its events in the last ``weeks`` weeks (elections aside)."""
    geo = geometry(model)
    out: dict[int, list[str]] = {}
    for ev in reversed(model.events):
        if ev["step"] <= model.steps - weeks:
            break
        i = geo.id_index.get(ev.get("territory", ""))
        if i is None or ev["kind"] == "election":
            continue
        out.setdefault(i, []).append(f"week {ev['step']}: {ev['kind'].replace('_', ' ')} ({ev['actors']})")
    return out


def _marker(shape: str, x: float, y: float, r: float, attrs: str) -> str:
    if shape == "diamond":
        q = r * 1.25
        return f'<path d="M{x:.1f},{y - q:.1f}L{x + q:.1f},{y:.1f}L{x:.1f},{y + q:.1f}L{x - q:.1f},{y:.1f}Z" {attrs}/>'
    if shape == "square":
        q = r * 0.95
        return f'<rect x="{x - q:.1f}" y="{y - q:.1f}" width="{2 * q:.1f}" height="{2 * q:.1f}" {attrs}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {attrs}/>'


DIFF_REF = 40.0  # homicides per 100k per year above (red) or below (blue) the baseline drawn at full colour


def _diff_colour(d: float) -> tuple[str, float]:
    """Fill colour and opacity of a territory's homicide rate minus the baseline's."""
    return ("crimson" if d > 0 else "royalblue"), 0.1 + 0.9 * min(1.0, math.log1p(abs(d)) / math.log1p(DIFF_REF))


def _shrunk(labels: str, zoom: float) -> str:
    """The country labels drawn ``zoom`` times smaller (font and halo)."""
    return labels.replace('font-size="17"', f'font-size="{17 / zoom:.1f}"').replace(
        'stroke-width="3"', f'stroke-width="{3 / zoom:.2f}"'
    )


def map_svg(model, focus: str | None = None, baseline=None) -> str:
    """The map of the model's current week as an SVG string. ``focus``: a country's ISO code (the
    map zooms to it, the others are faded); ``baseline``: a model stepped in lockstep (territories
    are then coloured by their homicide rate minus the baseline's)."""
    geo = geometry(model)
    t = model.terr
    assign_colours(model)
    orgs = {o.unique_id: o for o in list(model.orgs.agents)}
    controller = t.controller.copy()
    contested = t.contested.copy()
    rate = homicide_rates(model)
    diff = rate - homicide_rates(baseline) if baseline is not None and baseline.steps == model.steps else None
    flow = corridor_flow(model, geo)
    vx, vy, vw, vh = geo.view_box(focus)
    zoom = W / vw
    parts = [
        (
            f'<svg viewBox="{vx:.1f} {vy:.1f} {vw:.1f} {vh:.1f}" xmlns="http://www.w3.org/2000/svg" '
            f'data-step="{model.steps}" data-focus="{esc(focus or "")}" '
            f'data-mode="{"difference" if diff is not None else "control"}" '
            f'style="width: 100%; height: auto; {FONT}">'
        ),
        geo.static_svg,
    ]
    # corridors carrying drugs
    for k in np.flatnonzero(flow > 1.0):
        a, b, mode = geo.edges[k]
        width = 1.5 + 14.0 * math.sqrt(flow[k] / geo.flow_ref)
        parts.append(
            f'<line x1="{geo.x[a]:.1f}" y1="{geo.y[a]:.1f}" x2="{geo.x[b]:.1f}" y2="{geo.y[b]:.1f}" '
            f'stroke="{MODE_FLOW_COLOUR.get(mode, "sienna")}" stroke-opacity="0.65" '
            f'stroke-width="{width:.1f}" stroke-linecap="round"><title>{esc(geo.short[a])} – '
            f"{esc(geo.short[b])} ({mode}): {flow[k]:,.0f} kg last week</title></line>"
        )
    # territories
    events = recent_events(model)
    for i in range(geo.n):
        uid = int(controller[i])
        org = orgs.get(uid)
        colour = org_colour(model, uid) if org is not None else NO_CONTROLLER
        owner = org.name if org is not None else "no group"
        shade = 0.12 + 0.88 * min(1.0, math.log1p(max(rate[i], 0.0)) / math.log1p(SHADE_REF))
        fill = colour
        if diff is not None:
            fill, shade = _diff_colour(float(diff[i]))
        shape = "diamond" if geo.production[i] else "square" if geo.market[i] else "circle"
        x, y, r = geo.x[i], geo.y[i], geo.r[i]
        tip = (
            f"{geo.names[i]} ({geo.country[i]})\ncontrolled by {owner}{' (contested)' if contested[i] else ''}\n"
            f"homicides: {rate[i]:.1f} per 100k/yr"
            + (f" ({diff[i]:+.1f} against the baseline)" if diff is not None else "")
            + f"\ndrugs passing: {t.flow[i]:,.0f} kg/week\n"
            f"corrupt police: {100 * t.corrupt[i]:.0f}%   trust: {t.trust[i]:.2f}\nroles: {geo.roles[i]}"
        )
        if i in events:
            tip += "\n" + "\n".join(events[i][:4])
        attrs = f'fill="{fill}" fill-opacity="{shade:.2f}" stroke="{colour}" stroke-width="2.5"'
        if focus and geo.iso[i] != focus:
            attrs += ' opacity="0.3"'
        parts.append(f"<g>{_marker(shape, x, y, r, attrs)}<title>{esc(tip)}</title></g>")
        if contested[i]:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 5:.1f}" fill="none" stroke="black" '
                f'stroke-width="1.8" stroke-dasharray="4 3"/>'
            )
        if i in events:
            q = 5.5
            ex, ey = x + r * 0.8, y - r * 0.9
            parts.append(
                f'<path d="M{ex:.1f},{ey - q:.1f}L{ex + q:.1f},{ey + q * 0.8:.1f}'
                f'L{ex - q:.1f},{ey + q * 0.8:.1f}Z" fill="black"><title>{esc(chr(10).join(events[i][:4]))}'
                f"</title></path>"
            )
    # the country labels keep their size on screen when the map zooms in on a country
    parts.append(geo.labels_svg if zoom <= 1 else _shrunk(geo.labels_svg, zoom))
    # names of the most violent territories (of the focused country), skipping labels that would overlap
    placed: list[tuple[float, float]] = []
    fs = 18.0 / max(zoom, 1.0) ** 0.8
    for i in np.argsort(-rate):
        if rate[i] <= 0 or len(placed) == 4 or (focus and geo.iso[i] != focus):
            continue
        lx, ly = geo.x[i] + geo.r[i] + 4, geo.y[i] + 5
        if any(abs(lx - px) < 9 * fs and abs(ly - py) < 1.2 * fs for px, py in placed):
            continue
        placed.append((lx, ly))
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="{fs:.1f}" '
            f'fill="black" stroke="white" stroke-width="3" paint-order="stroke">'
            f"{esc(geo.short[i])} {rate[i]:.0f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def map_legend(model, difference: bool = False) -> str:
    t = model.terr
    counts: dict[int, int] = {}
    for uid in t.controller.tolist():
        counts[uid] = counts.get(uid, 0) + 1
    orgs = {o.unique_id: o for o in list(model.orgs.agents)}
    top = sorted((u for u in counts if u in orgs), key=lambda u: (-counts[u], u))
    items = [chip(org_colour(model, u), f"{orgs[u].name} ({counts[u]})") for u in top[:8]]
    if len(top) > 8:
        items.append(f'<span style="color: dimgray; margin-right: 9px">+{len(top) - 8} more groups</span>')
    items.append(chip(NO_CONTROLLER, f"no group ({counts.get(-1, 0)})"))
    shades = "".join(
        f'<circle cx="{8 + 16 * k}" cy="7" r="6" fill="dimgray" '
        f'fill-opacity="{0.12 + 0.88 * min(1.0, math.log1p(v) / math.log1p(SHADE_REF)):.2f}"/>'
        for k, v in enumerate((0, 5, 15, 40, 120))
    )
    ramp = (
        f'<span style="white-space: nowrap; margin-right: 9px">homicides/100k/yr 0 '
        f'<svg width="82" height="14" style="vertical-align: middle">{shades}</svg> 120+</span>'
    )
    if difference:
        cells = "".join(
            f'<circle cx="{8 + 16 * k}" cy="7" r="6" fill="{_diff_colour(v)[0]}" fill-opacity="{_diff_colour(v)[1]:.2f}"/>'
            for k, v in enumerate((-40, -10, 0, 10, 40))
        )
        ramp = (
            f'<span style="white-space: nowrap; margin-right: 9px">homicides/100k/yr against the baseline −40 '
            f'<svg width="82" height="14" style="vertical-align: middle">{cells}</svg> +40 (ring: controlling group)</span>'
        )
    keys = [
        ramp,
        chip("black", "contested", shape="ring", dash="3 2"),
        chip("sienna", "drugs by land/river", shape="line"),
        chip("steelblue", "by sea/air", shape="line"),
        '<span style="white-space: nowrap; margin-right: 9px">◆ production ■ market ▲ recent event</span>',
        '<span style="color: dimgray">schematic projection (order of lon/lat kept); hover for details</span>',
    ]
    return legend_row(items) + legend_row(keys)


def map_html(model, focus: str | None = None, baseline=None) -> str:
    """Title, map and legend of the current week (HTML); ``focus`` and ``baseline`` as in :func:`map_svg`."""
    t = model.terr
    free = int((t.controller < 0).sum())
    contested = int(t.contested.sum())
    if model.steps == 0:
        sub = "week 0: who controls what, the violence and the drug flows appear after the first step"
    else:
        sub = f"week {model.steps} · {free} of {len(t.controller)} territories held by no group · {contested} contested"
    return (
        panel_title("Territories: who controls them, how violent, where drugs flow", sub)
        + map_svg(model, focus, baseline)
        + map_legend(model, difference=baseline is not None)
    )
