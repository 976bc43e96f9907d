"""The criminal network: organisations, facilitators and corrupt officials, with their ties.

A fixed radial layout (never a spring layout per redraw): the angle of a node is geography, its
ring is the kind of actor.

* Angle: territories are placed around the circle in the order of their angle around the map's
  centre (so the north of the map is at the top), evenly spaced. A police unit or a mayor sits at
  its territory's angle, a legislator or an executive at its country's. The organisations of the
  first week sit at their home's angle, pushed apart just enough to leave room for each; one
  that appears later (a splinter, a militia, a returned leader) goes on an inner ring next to
  its founder (or home).
* Rings, from the centre out: facilitators (a sunflower disc, the largest in the middle: they
  sit between otherwise separate groups), organisations (cartels ●, gangs ■, militias ▲, in the
  colour they have on the map), corrupt police units (on a payroll), politicians who took
  criminal money (captured ones darker).
* Ties (``sim/model/ties.py``) are drawn by kind; organisation-to-organisation ties curve through the
  middle. Officials appear only while they are tied to crime.

A node's position is computed the first time it appears and then kept for the run (new groups
from splits, militias and returned leaders take a free slot next to their home).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.model.agents import Cartel, Facilitator, Gang, Militia, Office
from sim.model.ties import edges_of
from sim.viz.map import geometry
from sim.viz.style import (
    FONT,
    TIE_STYLE,
    assign_colours,
    chip,
    esc,
    legend_row,
    org_colour,
    panel_title,
    short,
)

R = 300.0  # radius of the outer ring, SVG units
RING = {"facilitator": 0.30, "late": 0.45, "organisation": 0.60, "police": 0.80, "mayor": 0.90, "national": 0.98}
GOLDEN = math.pi * (3.0 - math.sqrt(5.0))
OFFICIAL_MIN_CORRUPT = 0.02  # police units drawn when at least this share of officers is corrupt
LABELS = 9  # organisations labelled by name (the largest that fit); the others on hover
TOP_N = 40  # organisations drawn one by one (the largest); the rest are one aggregate node
REST_XY = (0.0, 1.16 * R)  # where the aggregate of the smaller organisations sits (below the rings)


class Layout:
    """Fixed positions by agent unique_id, filled lazily and never moved."""

    def __init__(self, model) -> None:
        geo = geometry(model)
        w = model.world
        n = w.n
        cx, cy = float(np.mean(geo.x)), float(np.mean(geo.y))
        phi = np.arctan2(geo.y - cy, geo.x - cx)  # screen angle (y down) of each territory
        order = np.argsort(phi, kind="stable")
        rank = np.empty(n)
        rank[order] = np.arange(n)
        start = float(phi[order[0]])
        self.theta = start + 2.0 * math.pi * rank / n  # evenly spaced, in map order
        self.countries = [c.name for c in w.countries]
        self.region_theta = {}
        regions = np.array(w.regions)
        for reg in dict.fromkeys(w.regions):
            sel = np.flatnonzero(regions == reg)
            self.region_theta[reg] = math.atan2(np.sin(self.theta[sel]).mean(), np.cos(self.theta[sel]).mean())
        self.country_theta = {}
        for ci in range(len(w.countries)):
            sel = np.flatnonzero(w.country == ci)
            if sel.size:
                self.country_theta[ci] = math.atan2(np.sin(self.theta[sel]).mean(), np.cos(self.theta[sel]).mean())
        self.pos: dict[int, tuple[float, float]] = {}
        self.kind: dict[int, str] = {}
        self.angle: dict[int, float] = {}  # organisation -> its angle
        self.late_slots: dict[float, int] = {}  # angle (rounded) -> late organisations placed there
        self.national_slots: dict[int, int] = {}
        self._facilitators(model)
        self._initial_organisations(model)

    @staticmethod
    def _xy(theta: float, r: float) -> tuple[float, float]:
        return (R * r * math.cos(theta), R * r * math.sin(theta))

    def _facilitators(self, model) -> None:
        facs = sorted(model.agents_by_type.get(Facilitator, []), key=lambda f: (-f.capacity, f.unique_id))
        n = max(len(facs), 1)
        for k, f in enumerate(facs):
            r = RING["facilitator"] * math.sqrt((k + 0.5) / n)
            self.pos[f.unique_id] = self._xy(k * GOLDEN, r)
            self.kind[f.unique_id] = "facilitator"

    def _initial_organisations(self, model) -> None:
        """Organisations present at the start: at their home's angle, pushed apart just enough
        to leave room for each (a one-dimensional relaxation on the circle, done once)."""
        orgs = sorted(model.orgs.agents, key=lambda o: (self.theta[int(o.home)], o.unique_id))
        n = len(orgs)
        if not n:
            return
        th = np.array([self.theta[int(o.home)] for o in orgs], dtype=float)
        gap = min(0.8 * 2.0 * math.pi / n, 0.22)
        for _ in range(300):
            d = np.diff(np.append(th, th[0] + 2.0 * math.pi))  # gaps to the next, circularly
            short_ = d < gap - 1e-9
            if not short_.any():
                break
            push = np.where(short_, (gap - d) / 2.0, 0.0)
            th -= push  # move each away from its next neighbour ...
            th += np.roll(push, 1)  # ... and its previous one
        for k, o in enumerate(orgs):
            r = RING["organisation"] + (0.045 if k % 2 else -0.045)
            self.pos[o.unique_id] = self._xy(float(th[k]), r)
            self.kind[o.unique_id] = "organisation"
            self.angle[o.unique_id] = float(th[k])

    def organisation(self, org) -> tuple[float, float]:
        """Position of an organisation; one that appears later (a splinter, a militia, a returned
        leader) goes on the inner ring at its founder's (else its home's) angle."""
        uid = org.unique_id
        if uid not in self.pos:
            founder = getattr(org, "founded_by", None)
            th = self.angle[founder] if founder in self.angle else self.theta[int(org.home)]
            k = self.late_slots.get(round(th, 1), 0)
            self.late_slots[round(th, 1)] = k + 1
            th += 0.06 * ((k + 1) // 2) * (1 if k % 2 else -1)
            self.pos[uid] = self._xy(th, RING["late"] - 0.07 * (k // 3))
            self.kind[uid] = "organisation"
            self.angle[uid] = th
        return self.pos[uid]

    def police(self, unit) -> tuple[float, float]:
        if unit.unique_id not in self.pos:
            self.pos[unit.unique_id] = self._xy(self.theta[unit.idx], RING["police"])
            self.kind[unit.unique_id] = "police"
        return self.pos[unit.unique_id]

    def politician(self, pol) -> tuple[float, float]:
        uid = pol.unique_id
        if uid not in self.pos:
            if pol.level == Office.MAYOR:
                self.pos[uid] = self._xy(self.theta[pol.territory], RING["mayor"])
            else:
                k = self.national_slots.get(pol.country, 0)
                self.national_slots[pol.country] = k + 1
                base = self.country_theta.get(pol.country, self.theta[pol.territory])
                self.pos[uid] = self._xy(base + 0.03 * (k - 1), RING["national"])
            self.kind[uid] = "politician"
        return self.pos[uid]


def layout(model) -> Layout:
    cache = model.view_cache
    if "network_layout" not in cache:
        cache["network_layout"] = Layout(model)
    return cache["network_layout"]


def _shape(kind: str, x: float, y: float, r: float, attrs: str) -> str:
    if kind == "square":
        q = r * 0.9
        return f'<rect x="{x - q:.1f}" y="{y - q:.1f}" width="{2 * q:.1f}" height="{2 * q:.1f}" {attrs}/>'
    if kind == "triangle":
        return (
            f'<path d="M{x:.1f},{y - r * 1.15:.1f}L{x + r:.1f},{y + r * 0.75:.1f}'
            f'L{x - r:.1f},{y + r * 0.75:.1f}Z" {attrs}/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {attrs}/>'


def _in_country(model, iso: str) -> tuple[set[int], np.ndarray]:
    """Organisations based in or controlling territory in country ``iso``, and its territories (mask)."""
    w, t = model.world, model.terr
    codes = [c.iso for c in w.countries]
    mask = w.country == codes.index(iso) if iso in codes else np.zeros(w.n, bool)
    present = {int(u) for u in np.unique(t.controller[mask]) if u >= 0}
    present |= {o.unique_id for o in model.orgs.agents if mask[int(o.home)]}
    return present, mask


def snapshot(model, focus: str | None = None, top: int = TOP_N) -> dict:
    """The nodes and ties to draw this week (copies, so a stepping thread cannot change them).

    Politicians are drawn while they hold illicit money or are captured. ``focus``: a country's ISO
    code; only its groups (based there or holding territory there) and its officials. At most ``top``
    organisations are drawn, the largest; the others are one aggregate node (``rest``), their ties
    redirected to it, so a world of 150+ groups stays readable."""
    lay = layout(model)
    orgs = list(model.orgs.agents)
    ties: dict[str, Any] = {kind: dict(edges_of(model, kind)) for kind in TIE_STYLE}
    t = model.terr
    police = [u for u in model.police if t.corrupt[u.idx] >= OFFICIAL_MIN_CORRUPT]
    pols = [p for p in model.offices.politicians if p.captured or p.illicit_money > 0]
    if focus:
        present, mask = _in_country(model, focus)
        orgs = [o for o in orgs if o.unique_id in present]
        police = [u for u in police if mask[u.idx]]
        codes = [c.iso for c in model.world.countries]
        pols = [p for p in pols if (mask[p.territory] if p.level == Office.MAYOR else codes[p.country] == focus)]
    for o in orgs:
        lay.organisation(o)
    for u in police:
        lay.police(u)
    for p in pols:
        lay.politician(p)
    orgs.sort(key=lambda o: (-o.members, o.unique_id))
    rest = orgs[top:]
    orgs = orgs[:top]
    shown = {o.unique_id for o in orgs} | {u.unique_id for u in police} | {p.unique_id for p in pols}
    shown |= {uid for uid, k in lay.kind.items() if k == "facilitator"}
    if rest:  # the smaller groups' ties go to their aggregate (duplicates merged)
        gone = {o.unique_id for o in rest}
        ties = {
            kind: list(dict.fromkeys((REST if a in gone else a, REST if b in gone else b) for a, b in pairs))
            for kind, pairs in ties.items()
        }
        ties = {kind: [(a, b) for a, b in pairs if a != b] for kind, pairs in ties.items()}
        shown.add(REST)
    return {"orgs": orgs, "rest": rest, "police": police, "pols": pols, "ties": ties, "shown": shown}


REST = -2  # the id of the aggregate node of the smaller organisations in a snapshot's ties


def network_svg(model, snap: dict | None = None) -> str:
    snap = snap or snapshot(model)
    lay = layout(model)
    assign_colours(model)
    pos, shown = {**lay.pos, REST: REST_XY}, snap["shown"]
    t = model.terr
    mx, my = 1.75 * R, 1.25 * R  # wide enough for the country labels and the names beside the outer nodes
    parts = [
        (
            f'<svg viewBox="{-mx:.0f} {-my:.0f} {2 * mx:.0f} {2 * my:.0f}" xmlns="http://www.w3.org/2000/svg" '
            f'data-step="{model.steps}" data-groups="{len(snap["orgs"])}" data-rest="{len(snap["rest"])}" '
            f'style="width: 100%; height: auto; {FONT}">'
        )
    ]
    # rings and country labels (static look)
    for key in ("organisation", "police", "mayor"):
        parts.append(
            f'<circle cx="0" cy="0" r="{R * RING[key]:.1f}" fill="none" stroke="whitesmoke" stroke-width="1.5"/>'
        )
    for reg, th in lay.region_theta.items():
        x, y = 1.07 * R * math.cos(th), 1.07 * R * math.sin(th)
        anchor = "start" if math.cos(th) > 0.3 else "end" if math.cos(th) < -0.3 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{y + 6:.1f}" font-size="19" fill="gray" '
            f'text-anchor="{anchor}">{esc(short(reg.replace("_", " "), 18))}</text>'
        )
    # ties, weakest layers first
    for kind in ("brokerage", "finance", "service", "corruption", "subcontract", "alliance", "rivalry"):
        colour, dash, _label = TIE_STYLE[kind]
        width = 2.2 if kind in ("alliance", "rivalry", "subcontract") else 1.0
        opacity = {"alliance": 0.8, "rivalry": 0.8, "subcontract": 0.8, "service": 0.5, "corruption": 0.5}.get(
            kind, 0.3
        )
        segs: dict[bool, list[str]] = {False: [], True: []}  # True: a tie of the aggregate (drawn faint)
        for a, b in snap["ties"][kind]:
            if a not in shown or b not in shown or a not in pos or b not in pos:
                continue
            (x1, y1), (x2, y2) = pos[a], pos[b]
            if lay.kind.get(a) == "organisation" and lay.kind.get(b) == "organisation":
                qx, qy = 0.25 * (x1 + x2), 0.25 * (y1 + y2)  # curve through the middle
                segs[REST in (a, b)].append(f"M{x1:.1f},{y1:.1f}Q{qx:.1f},{qy:.1f} {x2:.1f},{y2:.1f}")
            else:
                segs[REST in (a, b)].append(f"M{x1:.1f},{y1:.1f}L{x2:.1f},{y2:.1f}")
        for faint, paths in segs.items():
            if paths:
                parts.append(
                    f'<path d="{"".join(paths)}" fill="none" stroke="{colour}" stroke-width="{width}" '
                    f'stroke-opacity="{opacity * (0.25 if faint else 1.0):.2f}" stroke-dasharray="{dash}"/>'
                )
    # facilitators
    clients: dict[int, int] = {}
    for a, b in snap["ties"]["service"]:
        clients[a] = clients.get(a, 0) + 1
        clients[b] = clients.get(b, 0) + 1
    for f in model.agents_by_type.get(Facilitator, []):
        if f.unique_id not in pos:
            continue
        x, y = pos[f.unique_id]
        r = min(2.5 + 2.0 * math.sqrt(f.capacity), 9.0)
        tip = f"facilitator ({f.kind}), capacity {f.capacity:.1f}, {clients.get(f.unique_id, 0)} clients"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="slategray" stroke="white" '
            f'stroke-width="1"><title>{esc(tip)}</title></circle>'
        )
    # corrupt police units and politicians
    for u in snap["police"]:
        x, y = pos[u.unique_id]
        c = float(t.corrupt[u.idx])
        q = 2.5 + 5.0 * math.sqrt(c)
        tip = f"police unit, {model.world.names[u.idx]}: {100 * c:.0f}% of officers on a payroll"
        parts.append(
            f'<rect x="{x - q:.1f}" y="{y - q:.1f}" width="{2 * q:.1f}" height="{2 * q:.1f}" '
            f'fill="darkorange" stroke="white" stroke-width="0.8"><title>{esc(tip)}</title></rect>'
        )
    for p in snap["pols"]:
        x, y = pos[p.unique_id]
        colour = "purple" if p.captured else "plum"
        where = model.world.names[p.territory] if p.level == Office.MAYOR else lay.countries[p.country]
        tip = (
            f"{p.level}{' (broker)' if getattr(p, 'broker', False) else ''}, {where}: "
            f"{'captured' if p.captured else 'took criminal money'} (US$ {p.illicit_money:.2f} M)"
        )
        r = 5.5 if p.level != Office.MAYOR else 4.0
        parts.append(
            f"<g>{_shape('triangle', x, y, r, f'fill={chr(34)}{colour}{chr(34)}')}<title>{esc(tip)}</title></g>"
        )
    if snap["rest"]:
        members = sum(o.members for o in snap["rest"])
        x, y = REST_XY
        tip = f"{len(snap['rest'])} smaller groups ({members:,.0f} free members), drawn as one; pick a country to see them"
        parts.append(
            f'<g data-testid="rest"><circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="lightgray" stroke="black" '
            f'stroke-dasharray="2 2"/><title>{esc(tip)}</title></g>'
            f'<text x="{x + 15:.1f}" y="{y + 6:.1f}" font-size="17" fill="dimgray">'
            f"+{len(snap['rest'])} smaller groups</text>"
        )
    # organisations on top, with the largest labelled
    orgs = sorted(snap["orgs"], key=lambda o: -o.members)
    placed: list[tuple[float, float]] = []
    labels = []
    for o in orgs:
        x, y = pos[o.unique_id]
        r = 4.0 + 2.6 * math.log10(max(o.members, 0.0) + 1.0)
        shape = "triangle" if isinstance(o, Militia) else "square" if isinstance(o, Gang) else "circle"
        kind = (
            "militia"
            if isinstance(o, Militia)
            else "gang"
            if isinstance(o, Gang)
            else ("cartel" if isinstance(o, Cartel) else "group")
        )
        plazas = int((t.controller == o.unique_id).sum())
        tip = f"{o.name} ({kind}): {o.members:,.0f} free members, {plazas} plazas"
        attrs = f'fill="{org_colour(model, o.unique_id)}" stroke="black" stroke-width="1"'
        parts.append(f"<g>{_shape(shape, x, y, r, attrs)}<title>{esc(tip)}</title></g>")
        if len(placed) < LABELS:  # the largest groups get a name, if it does not overlap another
            lx = x + (r + 4 if x >= 0 else -(r + 4))
            if all(abs(y - py) > 20 or abs(lx - px) > 170 for px, py in placed):
                placed.append((lx, y))
                labels.append(
                    f'<text x="{lx:.1f}" y="{y + 6:.1f}" font-size="19" '
                    f'text-anchor="{"start" if x >= 0 else "end"}" fill="black" stroke="white" '
                    f'stroke-width="3.5" paint-order="stroke">{esc(short(o.name, 18))}</text>'
                )
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)


def network_legend(model, snap: dict) -> str:
    nodes = [
        chip("dimgray", "● cartel  ■ gang  ▲ militia (map colours)"),
        chip("slategray", "facilitator"),
        chip("darkorange", "corrupt police unit"),
        chip("purple", "captured politician"),
        chip("plum", "funded politician"),
    ]
    shown = snap["shown"]
    ties = []
    for kind, (colour, dash, label) in TIE_STYLE.items():
        count = sum(1 for (a, b) in snap["ties"][kind] if a in shown and b in shown)
        ties.append(chip(colour, f"{label} {count}", shape="line", dash=dash))
    return legend_row(nodes) + legend_row(ties)


def network_html(model, focus: str | None = None) -> str:
    """Title, network and legend; ``focus``: one country's groups and officials (ISO code)."""
    snap = snapshot(model, focus)
    n_fac = len(model.agents_by_type.get(Facilitator, []))
    captured = sum(1 for p in snap["pols"] if p.captured)
    n = len(snap["orgs"]) + len(snap["rest"])
    groups = f"{n} groups" + (f" (the {len(snap['orgs'])} largest drawn)" if snap["rest"] else "")
    sub = (
        f"{'in ' + esc(focus) + ': ' if focus else ''}{groups} · {n_fac} facilitators · "
        f"{len(snap['police'])} corrupt police units · {captured} captured politicians"
    )
    return panel_title("Criminal network", sub) + network_svg(model, snap) + network_legend(model, snap)
