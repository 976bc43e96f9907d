"""Time series of the headline outcomes: small multiples drawn as one inline SVG.

Why not Vega-Lite (Altair)? The page would re-compile and re-render the whole chart spec on every
step: about 40 ms of browser time per week for eight panels, more than everything else on the
page together (``scripts/ui_frametime.py``). The SVG here costs a few milliseconds on the server
and a DOM swap in the browser.

The x axis is the year after the burn-in (negative during it, shaded grey; policies start at the
dashed line). It reaches a year ahead of the run and grows a year at a time up to the configured
horizon, so the lines grow from left to right and the axis seldom rescales. Each panel shows the
last value at the end of its line; hovering gives the value at any week.

The headline is the world's report regions (the DataCollector's columns) or one country: the model's
per-country weekly rows (``countries.parquet``, :func:`sim.model.metrics.countries_frame`), read by
:func:`country_table`. With a baseline (the same seed's run, stepped in lockstep:
``sim/viz/session.py``) every panel also draws it, grey and dashed, and shows the difference at the
current week (Δ). Where a regime rules the country (Venezuela in the default world), three panels
show its revenue, its forces' loyalty and its illicit effort, and under them its revenue by source
is stacked and the groups it shelters are listed (:func:`regime_html`). Under the panels, where the
model keeps accounts (``sim/model/accounts.py``), the week's homicides by cause are stacked
(:func:`causes_svg`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim.model import metrics
from sim.model.phases import regime
from sim.viz.style import FONT, PALETTE, chip, esc, legend_row, panel_title

#: (DataCollector column, title, CSS colour, scale to the unit in the title, value format)
SERIES = (
    ("homicide_rate", "Homicides per 100k per year", "firebrick", 1.0, "{:,.1f}"),
    ("drug_delivered_kg", "Cocaine delivered to markets, t/yr", "sienna", 52.0 / 1000.0, "{:,.0f}"),
    ("seizure_share", "Share of shipments seized, %", "steelblue", 100.0, "{:.1f}"),
    ("corrupt_police_share", "Police on a criminal payroll, %", "darkorange", 100.0, "{:.1f}"),
    ("community_trust", "Community trust in the state (0-1)", "seagreen", 1.0, "{:.3f}"),
    ("criminal_members", "Criminal members, thousands", "slateblue", 1.0 / 1000.0, "{:,.1f}"),
    ("incarceration_rate", "Prisoners per 100k", "dimgray", 1.0, "{:,.0f}"),
    ("active_groups", "Active criminal groups", "purple", 1.0, "{:.0f}"),
)
#: The same panels for one country: columns of ``countries.parquet`` (sim/model/metrics.py), same layout.
COUNTRY_SERIES = (
    ("homicide_rate", "Homicides per 100k per year", "firebrick", 1.0, "{:,.1f}"),
    ("drug_flow_kg", "Cocaine passing through, t/yr", "sienna", 52.0 / 1000.0, "{:,.0f}"),
    ("prison_population", "Prisoners (members and others)", "steelblue", 1.0, "{:,.0f}"),
    ("corrupt_police_share", "Police on a criminal payroll, %", "darkorange", 100.0, "{:.1f}"),
    ("trust", "Community trust in the state (0-1)", "seagreen", 1.0, "{:.3f}"),
    ("members_present", "Criminal members present", "slateblue", 1.0, "{:,.0f}"),
    ("incarceration_rate", "Prisoners per 100k", "dimgray", 1.0, "{:,.0f}"),
    ("active_groups_present", "Criminal groups present", "purple", 1.0, "{:.0f}"),
    # the money (issue 15): laundering through the country's groups' launderers; a regime's revenue
    ("laundered_usd", "Criminal money laundered, M USD/week", "goldenrod", 1e-6, "{:,.0f}"),
    ("regime_revenue", "Regime revenue, B USD/yr", "darkred", 52.0 / 1e9, "{:,.2f}"),
    ("regime_loyalty", "Loyalty of the regime's forces (0-1)", "maroon", 1.0, "{:.2f}"),
    ("regime_effort", "Regime's push into crime, effort (0-1)", "indianred", 1.0, "{:.2f}"),
)
#: Country panels shown only where a regime rules (sim/model/phases/regime.py).
REGIME_PANELS = ("regime_revenue", "regime_loyalty", "regime_effort")
REGION = "Region"  # the headline choice that is not a country: the world's report regions
MAX_POINTS = 400  # points per line (longer runs are thinned evenly, the last week always kept)
HOVER_STRIPS = 40  # hover targets per panel
COLS = 2
PANEL_W, PANEL_H = 310.0, 104.0  # SVG units per panel, margins included
LEFT, RIGHT, TOP, BOTTOM = 40.0, 44.0, 23.0, 17.0  # TOP: the title clears the highest tick label
BASELINE_COLOUR = "#888"
ROW_MAX_PX = 105  # screen pixels a row of panels may take at most (a wide page does not blow them up)


def x_range(model) -> tuple[float, float]:
    burn_in = int(getattr(model, "burn_in", 0))
    horizon = int(model.cfg.steps) if hasattr(model, "cfg") else 520
    x0 = -burn_in / 52.0
    now = (model.steps - burn_in) / 52.0
    x1 = max(min(math.ceil(now + 0.5), horizon / 52.0), x0 + 3.0, math.ceil(now))
    return x0, float(x1)


def _thin(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` of ``n`` weeks, evenly spread, the last week kept."""
    if n > max_points:
        return np.unique(np.append(np.linspace(0, n - 1, max_points).astype(int), n - 1))
    return np.arange(n)


def series(model, max_points: int = MAX_POINTS) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Years and the plotted series (in the units of their titles), thinned to ``max_points``."""
    mv = model.datacollector.model_vars
    fields = [f for f, *_ in SERIES if f in mv]
    n = min([len(mv.get("year", []))] + [len(mv[f]) for f in fields])
    if n == 0:
        return np.zeros(0), {}
    idx = _thin(n, max_points)
    year = np.asarray(mv["year"][:n], float)[idx]
    scale = {f: k for f, _t, _c, k, _fmt in SERIES}
    out = {f: np.asarray(mv[f][:n], float)[idx] * scale[f] for f in fields}
    if "seizure_share" in out and "drug_delivered_kg" in out:  # undefined until deliveries arrive
        out["seizure_share"] = np.where(out["drug_delivered_kg"] > 0, out["seizure_share"], np.nan)
    return year, out


def country_table(model) -> dict[str, np.ndarray]:
    """The model's per-country rows so far (``countries.parquet``: :func:`sim.model.metrics.countries_frame`)
    as arrays: ``year`` (weeks,) and each numeric column (weeks, countries), countries in world order.

    The rows of the weeks already seen are kept in ``model.view_cache``: a redraw computes only the
    new weeks'."""
    cache = getattr(model, "view_cache", {})
    table = cache.get("countries")
    done = len(table["year"]) if table else 0
    if table is None or done < len(model.country_frames):
        df = metrics.countries_frame(model, done)  # the new weeks only
        n_c = len(model.world.countries)
        k = len(df) // n_c
        new = {"year": df["year"].to_numpy(float).reshape(k, n_c)[:, 0]}
        new |= {c: df[c].to_numpy(float).reshape(k, n_c) for c in df.columns if c not in ("step", "year", "country")}
        table = {c: np.concatenate([table[c], v]) for c, v in new.items()} if table else new
        cache["countries"] = table
    return table


def country_options(model) -> list[tuple[str, str]]:
    """(ISO code, label) of the world's countries, in world order."""
    return [(c.iso, f"{c.name} ({c.iso})" if c.name and c.name != c.iso else c.iso) for c in model.world.countries]


def country_series(model, iso: str, max_points: int = MAX_POINTS) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Years and the country's plotted series (:data:`COUNTRY_SERIES`, in the units of their titles),
    thinned to ``max_points``."""
    codes = [c.iso for c in model.world.countries]
    if iso not in codes:
        raise KeyError(f"no country {iso} in this world ({', '.join(codes)})")
    table = country_table(model)
    n = len(table["year"])
    if n == 0:
        return np.zeros(0), {}
    idx, col = _thin(n, max_points), codes.index(iso)
    out = {f: table[f][idx, col] * k for f, _t, _c, k, _fmt in COUNTRY_SERIES if f in table}
    if regime_of(model, iso) is None:
        out = {f: v for f, v in out.items() if f not in REGIME_PANELS}
    return table["year"][idx], out


def regime_of(model, iso: str):
    """The :class:`~sim.model.agents.Regime` ruling the country ``iso`` (ISO code), or None."""
    codes = [c.iso for c in model.world.countries]
    regimes = getattr(getattr(model, "regimes", None), "agents", [])
    return next((r for r in regimes if codes[r.country] == iso), None)


#: Colours of the regime's revenue sources (``regime_revenue_<source>`` of ``countries.parquet``,
#: sim/model/phases/regime.py ``COUNTRY_COLUMNS``); a source not listed gets a colour of the palette.
SOURCE_COLOURS = {
    "formal": "steelblue",
    "drug_protection": "sienna",
    "drug_operations": "mediumpurple",
    "gold": "goldenrod",
    "sanctions_evasion": "slategray",
}
REVENUE_PREFIX = "regime_revenue_"


def regime_revenue(model, iso: str, max_points: int = MAX_POINTS) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Years and the regime's revenue by source in the country ``iso`` (B USD a year, the weekly
    ``regime_revenue_<source>`` columns of ``countries.parquet`` x 52), thinned to ``max_points``;
    empty where no regime rules."""
    if regime_of(model, iso) is None:
        return np.zeros(0), {}
    table = country_table(model)
    n = len(table["year"])
    if n == 0:
        return np.zeros(0), {}
    col = [c.iso for c in model.world.countries].index(iso)
    idx = _thin(n, max_points)
    sources = [c for c in regime.COUNTRY_COLUMNS if c.startswith(REVENUE_PREFIX) and c in table]
    return table["year"][idx], {c[len(REVENUE_PREFIX) :]: table[c][idx, col] * 52.0 / 1e9 for c in sources}


def regime_html(model, iso: str | None) -> str:
    """Where a regime rules the country ``iso``: its revenue by source stacked (B USD a year), its forces'
    loyalty and its illicit effort now, and the groups it shelters with their members; else ""."""
    r = regime_of(model, iso) if iso else None
    if r is None or iso is None:
        return ""
    year, data = regime_revenue(model, iso)
    colours = {s: SOURCE_COLOURS.get(s, PALETTE[k % len(PALETTE)]) for k, s in enumerate(data)}
    parts = []
    if data:
        title = "Regime revenue by source, B USD/yr"
        parts.append(stacked_svg(model, year, data, colours, title, "regime-revenue", iso, "{:,.2f} B USD/yr now"))
        parts.append(legend_row([chip(c, s.replace("_", " ")) for s, c in colours.items()]))
    by_uid = model.orgs.by_uid
    groups = [by_uid[u] for u in r.sheltered if u in by_uid]
    names = ", ".join(
        f'<span data-org="{g.unique_id}">{esc(g.name)} ({round(g.members):,} members)</span>' for g in groups
    )
    shelters = f"{len(groups)} group{'s' if len(groups) != 1 else ''}: {names}" if groups else "no group"
    parts.append(
        f'<div style="{FONT}; font-size: 12px; line-height: 18px; color: #222; margin-bottom: 8px">'
        f"The regime now: its forces' loyalty <b>{r.loyalty:.2f}</b> · illicit effort <b>{r.effort:.2f}</b> · "
        f'<span data-testid="sheltered" data-count="{len(groups)}">shelters {shelters}</span></div>'
    )
    return f'<div data-testid="regime">{"".join(parts)}</div>'


#: Colours of the causes of homicides (``sim.model.accounts.ACCOUNTS["homicides"]``), stacked in this order.
CAUSE_COLOURS = {
    "war_militias": "forestgreen",
    "war_splinters": "darkorange",
    "war_returned": "purple",
    "war_rivals": "crimson",
    "war_encroachment": "indianred",
    "gang_violence": "slateblue",
    "state_abuse": "saddlebrown",
    "background": "silver",
}
CAUSE_SMOOTH = 4  # weeks averaged in the stacked series (the weekly counts are Poisson draws)
CAUSE_H = 150.0  # SVG units of the stacked panel
CAUSE_POINTS = 160  # points per band (the stacked series are smoothed: fewer points than the lines)


def homicide_causes(model, country: str | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Years and the weekly homicides by cause (``sim.model.accounts.by_cause``) of one country (ISO
    code) or of the headline countries, averaged over :data:`CAUSE_SMOOTH` weeks and thinned to
    :data:`CAUSE_POINTS`; empty when the model keeps no accounts. The weeks already seen are kept in
    ``model.view_cache``: a redraw computes only the new weeks'."""
    acc = getattr(model, "accounts", None)
    if acc is None or not getattr(acc, "weeks", None):
        return np.zeros(0), {}
    from sim.model import accounts

    cache = getattr(model, "view_cache", {})
    key = f"causes_{country}"
    year, values, causes = cache.get(key, (np.zeros(0), None, None))
    if len(year) < len(acc.weeks):  # only the new weeks' rows
        new = accounts.by_cause(model, "homicides", country, len(year))
        causes = causes or [c for c in CAUSE_COLOURS if c in new.columns]
        rows = new[causes].to_numpy(float)
        year = np.concatenate([year, new["year"].to_numpy(float)])
        values = rows if values is None else np.vstack([values, rows])
        cache[key] = (year, values, causes)
    if values is None or causes is None:
        return np.zeros(0), {}
    n = len(year)
    csum = np.vstack([np.zeros((1, len(causes))), np.cumsum(values, axis=0)])
    lo = np.maximum(np.arange(1, n + 1) - CAUSE_SMOOTH, 0)
    smooth = (csum[1:] - csum[lo]) / (np.arange(1, n + 1) - lo)[:, None]
    idx = _thin(n, CAUSE_POINTS)
    return year[idx], {c: smooth[idx, k] for k, c in enumerate(causes)}


def causes_svg(model, country: str | None = None) -> str:
    """Homicides a week by cause, stacked (a full-width panel under the small multiples); "" without accounts."""
    year, data = homicide_causes(model, country)
    if not data:
        return ""
    title = f"Homicides a week by cause ({CAUSE_SMOOTH}-week mean)"
    svg = stacked_svg(model, year, data, CAUSE_COLOURS, title, "causes", country, "{:,.1f} a week now")
    legend = legend_row([chip(c, k.replace("_", " ").replace("war ", "fights: ")) for k, c in CAUSE_COLOURS.items()])
    return svg + legend


def stacked_svg(
    model,
    year: np.ndarray,
    data: dict[str, np.ndarray],
    colours: dict[str, str],
    title: str,
    testid: str,
    country: str | None,
    now_fmt: str,
) -> str:
    """A full-width panel of ``data``'s series stacked in their order (bands in ``colours``; each band's
    hover text its value at the last week in ``now_fmt``), on the small multiples' x axis."""
    x0, x1 = x_range(model)
    w = COLS * PANEL_W
    pw, ph = w - LEFT - RIGHT, CAUSE_H - TOP - BOTTOM
    px0, py0 = LEFT, TOP

    def sx(v):
        return px0 + (v - x0) / (x1 - x0) * pw

    total = np.sum(list(data.values()), axis=0)
    ticks, _step = nice_ticks(0.0, float(total.max()) if len(total) else 1.0)
    hi = max(ticks[-1], float(total.max()), 1e-9)

    def sy(v):
        return py0 + ph - v / hi * ph

    parts = [
        f'<svg viewBox="0 0 {w:.0f} {CAUSE_H:.0f}" xmlns="http://www.w3.org/2000/svg" data-step="{model.steps}" '
        f'data-testid="{testid}" data-country="{esc(country or REGION)}" style="width: 100%; height: auto; {FONT}">',
        f'<text x="4" y="12" font-size="12.5" fill="#333">{esc(title)}</text>',
    ]
    for t in ticks:
        parts.append(
            f'<line x1="{px0:.1f}" y1="{sy(t):.1f}" x2="{px0 + pw:.1f}" y2="{sy(t):.1f}" stroke="#eee"/>'
            f'<text x="{px0 - 4:.1f}" y="{sy(t) + 3.5:.1f}" font-size="10" fill="gray" text-anchor="end">'
            f"{_fmt_tick(t, _step)}</text>"
        )
    for yr in range(math.ceil(x0), math.floor(x1) + 1):
        parts.append(
            f'<text x="{sx(yr):.1f}" y="{py0 + ph + 12:.1f}" font-size="10" fill="gray" text-anchor="middle">{yr}</text>'
        )
    below = np.zeros(len(year))
    xs = [f"{v:.1f}" for v in sx(year).tolist()]  # Python floats format several times faster than numpy's

    def ys(v: np.ndarray) -> list[str]:
        return [f"{y:.1f}" for y in sy(v).tolist()]

    for key, values in data.items():
        above = below + values
        if len(year) and float(values.max()) > 0:
            top = "L".join(f"{x},{y}" for x, y in zip(xs, ys(above)))
            bottom = "L".join(f"{x},{y}" for x, y in zip(reversed(xs), ys(below[::-1])))
            parts.append(
                f'<path d="M{top}L{bottom}Z" fill="{colours[key]}" fill-opacity="0.85" data-band="{key}">'
                f"<title>{esc(key.replace('_', ' '))}: {esc(now_fmt.format(values[-1]))}</title></path>"
            )
        below = above
    parts.append(f'<rect x="{px0:.1f}" y="{py0:.1f}" width="{pw:.1f}" height="{ph:.1f}" fill="none" stroke="#ccc"/>')
    parts.append("</svg>")
    return "".join(parts)


def nice_ticks(lo: float, hi: float, n: int = 3, integer: bool = False) -> tuple[list[float], float]:
    """About ``n`` round tick values covering [lo, hi], and their step (at least 1 if ``integer``)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], 1.0
    if hi - lo < 1e-12:
        pad = max(abs(hi) * 0.05, 1.0 if integer else 0.0) or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    if integer:
        step = max(1.0, round(step))
    t = math.floor(lo / step) * step
    ticks: list[float] = []
    while t <= hi + step * 0.5 and len(ticks) < 12:
        ticks.append(round(t, 10))
        t += step
    return ticks, step


def _fmt_tick(v: float, step: float) -> str:
    if abs(v) >= 10000 and step >= 1000:
        return f"{v / 1000:,.0f}k"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step < 1 and round(step * 10**decimals) % 1:  # e.g. 0.25
        decimals += 1
    return f"{v:,.{decimals}f}"


def _delta(fmt: str, d: float) -> str:
    """The difference scenario - baseline in the panel's format, signed."""
    text = fmt.format(abs(d))
    return ("+" if d > 0 else "−" if d < 0 else "±") + text


def _panel(
    k: int,
    title: str,
    colour: str,
    fmt: str,
    year: np.ndarray,
    y: np.ndarray,
    x0: float,
    x1: float,
    base: np.ndarray | None = None,
) -> str:
    """One small multiple; ``base`` (the baseline's values at the same weeks) drawn grey and dashed
    under the line, with the difference at the last week in the title's corner."""
    ox = (k % COLS) * PANEL_W
    oy = (k // COLS) * PANEL_H
    pw, ph = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    px0, py0 = ox + LEFT, oy + TOP

    def sx(v):
        return px0 + (v - x0) / (x1 - x0) * pw

    parts = [f'<text x="{ox + 4:.0f}" y="{oy + 12:.0f}" font-size="12.5" fill="#333">{esc(title)}</text>']
    if x0 < 0:
        parts.append(
            f'<rect x="{px0:.1f}" y="{py0:.1f}" width="{sx(0) - px0:.1f}" height="{ph:.1f}" '
            f'fill="gainsboro" fill-opacity="0.6"/>'
        )
    # x ticks: whole years
    year_step = 1 if x1 - x0 <= 6 else 2
    for yr in range(math.ceil(x0), math.floor(x1) + 1):
        if yr % year_step:
            continue
        x = sx(yr)
        parts.append(
            f'<line x1="{x:.1f}" y1="{py0:.1f}" x2="{x:.1f}" y2="{py0 + ph:.1f}" stroke="#eee"/>'
            f'<text x="{x:.1f}" y="{py0 + ph + 12:.1f}" font-size="10" fill="gray" '
            f'text-anchor="middle">{yr}</text>'
        )
    if x0 < 0 < x1:
        parts.append(
            f'<line x1="{sx(0):.1f}" y1="{py0:.1f}" x2="{sx(0):.1f}" y2="{py0 + ph:.1f}" '
            f'stroke="gray" stroke-dasharray="3 3"/>'
        )
    ok = np.isfinite(y)
    if base is not None and len(base) != len(y):
        base = None
    okb = np.isfinite(base) if base is not None else np.zeros(len(y), bool)
    if ok.any():
        both = np.concatenate([y[ok], base[okb]]) if base is not None else y[ok]
        lo, hi = float(np.min(both)), float(np.max(both))
        integer = bool(np.all(both == np.round(both)))
        ticks, step = nice_ticks(lo, hi, integer=integer)
        lo, hi = min(ticks[0], lo), max(ticks[-1], hi)

        def sy(v):
            return py0 + ph - (v - lo) / (hi - lo) * ph if hi > lo else py0 + ph / 2

        for t in ticks:
            parts.append(
                f'<line x1="{px0:.1f}" y1="{sy(t):.1f}" x2="{px0 + pw:.1f}" y2="{sy(t):.1f}" '
                f'stroke="#eee"/><text x="{px0 - 4:.1f}" y="{sy(t) + 3.5:.1f}" font-size="10" '
                f'fill="gray" text-anchor="end">{_fmt_tick(t, step)}</text>'
            )

        def path(values, good) -> str:  # the line, broken where the value is undefined
            segs, cur = [], []
            for xv, yv, g in zip(year, values, good):
                if g:
                    cur.append(f"{sx(xv):.1f},{sy(yv):.1f}")
                elif cur:
                    segs.append(cur)
                    cur = []
            if cur:
                segs.append(cur)
            return "".join("M" + "L".join(s) for s in segs)

        if base is not None and okb.any():
            parts.append(
                f'<path d="{path(base, okb)}" fill="none" stroke="{BASELINE_COLOUR}" stroke-width="1.4" '
                f'stroke-dasharray="4 3" data-series="baseline"/>'
            )
        parts.append(
            f'<path d="{path(y, ok)}" fill="none" stroke="{colour}" stroke-width="1.6" stroke-linejoin="round"/>'
        )
        last = int(np.flatnonzero(ok)[-1])
        if base is not None and okb[last]:
            diff = float(y[last] - base[last])
            parts.append(
                f'<text x="{ox + PANEL_W - 4:.0f}" y="{oy + 12:.0f}" font-size="11" fill="{colour}" '
                f'text-anchor="end" font-weight="600" data-delta="{diff:.6g}">Δ {esc(_delta(fmt, diff))}'
                f"<title>scenario − baseline (same seed), this week</title></text>"
            )
        lx, ly = sx(year[last]), sy(y[last])
        parts.append(
            f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.6" fill="{colour}"/>'
            f'<text x="{min(lx + 4, px0 + pw + 2):.1f}" y="{ly + 4:.1f}" font-size="10.5" '
            f'fill="{colour}">{esc(fmt.format(y[last]))}</text>'
        )
        # hover strips: the value at that week
        edges = np.linspace(0, len(year), min(HOVER_STRIPS, len(year)) + 1).astype(int)
        for a, b in itertools.pairwise(edges):
            if b <= a:
                continue
            j = (a + b - 1) // 2
            xa = sx(year[a]) if a > 0 else px0
            xb = sx(year[b]) if b < len(year) else sx(year[-1]) + 2
            val = fmt.format(y[j]) if ok[j] else "n/a"
            if base is not None and okb[j]:
                val += f" (baseline {fmt.format(base[j])})"
            parts.append(
                f'<rect x="{xa:.1f}" y="{py0:.1f}" width="{max(xb - xa, 1):.1f}" height="{ph:.1f}" '
                f'fill="transparent"><title>year {year[j]:.2f}: {esc(val)}</title></rect>'
            )
    else:
        parts.append(f'<text x="{px0 + 6:.1f}" y="{py0 + ph / 2:.1f}" font-size="11" fill="gray">no data yet</text>')
    parts.append(f'<rect x="{px0:.1f}" y="{py0:.1f}" width="{pw:.1f}" height="{ph:.1f}" fill="none" stroke="#ccc"/>')
    return "".join(parts)


def _data(model, country: str | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return country_series(model, country) if country else series(model)


def timeseries_svg(model, country: str | None = None, baseline=None) -> str:
    """The panels of the headline (``country`` None) or of one country (its ISO code); with
    ``baseline`` (a model stepped in lockstep) its lines too."""
    year, data = _data(model, country)
    bdata: dict[str, np.ndarray] = {}
    if baseline is not None:
        byear, bdata = _data(baseline, country)
        if len(byear) != len(year):
            bdata = {}
    x0, x1 = x_range(model)
    specs = COUNTRY_SERIES if country else SERIES
    panels = [(f, title, colour, fmt) for f, title, colour, _k, fmt in specs if f in data or not data]
    rows = math.ceil(len(panels) / COLS)
    w, h = COLS * PANEL_W, rows * PANEL_H
    parts = [
        (
            f'<svg viewBox="0 0 {w:.0f} {h:.0f}" xmlns="http://www.w3.org/2000/svg" data-step="{model.steps}" '
            f'data-country="{esc(country or REGION)}" data-baseline="{"yes" if bdata else "no"}" '
            f'style="width: 100%; height: auto; max-height: {ROW_MAX_PX * rows}px; {FONT}">'
        )
    ]
    for k, (f, title, colour, fmt) in enumerate(panels):
        y = data.get(f, np.zeros(0))
        parts.append(_panel(k, title, colour, fmt, year if len(y) else np.zeros(0), y, x0, x1, bdata.get(f)))
    parts.append("</svg>")
    return "".join(parts)


def timeseries_html(model, country: str | None = None, baseline=None) -> str:
    """The panel: the headline outcomes (the report regions), or one country's (``country``: ISO code);
    with ``baseline``, its lines (grey, dashed) and the difference."""
    burn_in = int(getattr(model, "burn_in", 0))
    sub = (
        f"x: years after the {burn_in}-week burn-in (grey); policies start at the dashed line"
        if burn_in
        else "x: years; policies start at 0"
    )
    if country:
        name = dict(country_options(model)).get(country, country)
        title = f"{name}, week by week"
        sub = "all of the country's territories · " + sub
    else:
        title = "Headline outcomes, week by week"
    if baseline is not None:
        sub += " · grey dashed: the baseline with the same seed; Δ: scenario − baseline"
    return (
        panel_title(title, sub)
        + timeseries_svg(model, country, baseline)
        + regime_html(model, country)
        + causes_svg(model, country)
    )
