#!/usr/bin/env python
"""Generate the ``world=mexico`` preset (configs/world/mexico.yaml) from the project's data.

    .venv/bin/python scripts/build_mexico_world.py            # rewrite configs/world/mexico.yaml
    .venv/bin/python scripts/build_mexico_world.py --check    # exit 1 if the committed file is stale

Inputs (all in the repository):

* ``data/mexico_states.csv``: the 32 states (population, homicide rate, youth/NEET shares,
  poverty, state presence, roles, coordinates), each figure with its source column;
* ``data/mexico_adjacency.csv``: pairs of states that share a border (land corridors);
* ``data/bacrim2020/``: the 150 BACRIM 2020 groups with their state, and their alliance and
  rivalry edges (Prieto-Curiel, Campedelli and Hope, Science 2023; attribution in its README).

The external nodes (the source of the cocaine that crosses Mexico, the US crossings and the US
markets) and the national institutions are written here, each figure with its source, in the
conventions of configs/world/hemisphere.yaml. The model reads only the generated YAML at run
time; tests/test_world_mexico.py checks that the committed file is what this script writes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
BACRIM = DATA / "bacrim2020"
OUT = REPO / "configs" / "world" / "mexico.yaml"
COMMENT_COL = 44  # column of the source comments, as in hemisphere.yaml

# --------------------------------------------------------------------------------------------
# Rules that turn the BACRIM tables into organisations (each an assumption, stated in the YAML)
# --------------------------------------------------------------------------------------------

# Members. BACRIM lists groups and ties but no sizes. All Mexican cartels together had an
# estimated 160,000-185,000 members in 2022, after gaining about 7,000 a year over 2012-2022
# (external approx: Prieto-Curiel, Campedelli and Hope, Science 2023, the study that published
# these data; recalled; data/targets.csv mex_members_growth). A run starts two burn-in years before
# policy year 1 = 2012, so in 2010: 175,000 less twelve years of 7,000 (derived). They are split
# over the 150 groups in proportion to 1 + the summed weights of the group's alliance and rivalry
# ties (assumption: the groups the press reports most often are the largest).
MEMBERS_2022 = 175_000
GROWTH_PER_YEAR = 7_000
START_YEAR = 2010
TOTAL_MEMBERS = MEMBERS_2022 - (2022 - START_YEAR) * GROWTH_PER_YEAR

# Kind. BACRIM has no type column. A group is a cartel (a trafficking organisation that may leave
# its state) if its name says so ("Cártel", "Cartel", "CJNG") or its ties reach groups based in at
# least CARTEL_STATES states; otherwise it is a gang (local: extortion, retail, hired violence).
CARTEL_WORDS = ("cártel", "cartel", "cárteles", "cjng")
CARTEL_STATES = 3

# A pair listed both as allies and as rivals (5 pairs in BACRIM 2020) keeps the tie with the
# larger weight; a tie in weight counts as a rivalry (the model holds one tie per pair).

LIEUTENANTS = {"cartel": 3, "gang": 1}  # assumption (succession depth; as in hemisphere.yaml)
COHESION = 0.6  # assumption (between the hemisphere preset's 0.4 and 0.8)

# --------------------------------------------------------------------------------------------
# External nodes and institutions (figures with sources)
# --------------------------------------------------------------------------------------------

US_COCAINE_T = 400.0  # hemisphere.yaml: US market 400 t/yr (assumption, 004 l.3546)
VIA_MEXICO = 0.9  # external approx: ~90% of the cocaine reaching the US transits Mexico (US State Dept INCSR 2016)

COUNTRIES = [
    (
        "MEX",
        "Mexico",
        [
            ("police_per_100k", 340.0, "assumption (as in hemisphere.yaml)"),
            (
                "police_pay",
                0.9,
                "assumption (police underpaid: 004 l.518; under-resourced municipal police: 004 l.3020)",
            ),
            (
                "police_integrity",
                0.4,
                "assumption: municipal police 'deeply penetrated' (004 l.2990); TI CPI 2015 ~35 (external)",
            ),
            ("investigative_capacity", 0.15, "assumption: arrests released for lack of evidence (004 l.3082, l.3116)"),
            ("prison_capacity_per_100k", 170.0, "assumption (order of magnitude of official prison capacity c.2015)"),
            ("extradites", True, "external: Mexico extradites nationals to the US"),
            ("election_every_years", 6, "external: presidential term"),
            (
                "arms_us_share",
                0.7,
                "external approx: GAO-16-223 (2016): ~70% of the firearms seized in Mexico in 2009-14 and traced "
                "were US-sourced; 004 l.452-456",
            ),
            (
                "natural_increase",
                0.014,
                "share a year: external approx, UN World Population Prospects 2019, births less deaths in 2010-2015 (per 1,000, /1,000), rounded",
            ),
            (
                "armed_self_defence",
                True,
                "004 l.2992 (indigenous community police permitted by the constitution for decades), "
                "l.3038-3040 (45 groups in 14 states), l.2958-3124 (the autodefensas of Michoacán and Guerrero)",
            ),
        ],
    ),
    (
        "USA",
        "United States",
        [
            ("police_per_100k", 230.0, "external approx: FBI UCR 2014, ~2.3 sworn officers per 1,000 people"),
            ("police_pay", 1.6, "assumption"),
            ("police_integrity", 0.85, "assumption, ordered by TI Corruption Perceptions Index 2015 (~76, external)"),
            ("investigative_capacity", 0.7, "assumption"),
            ("prison_capacity_per_100k", 700.0, "assumption (order of magnitude of US incarceration, ~700 per 100k)"),
            ("extradites", False, "not applicable (the destination of extraditions)"),
            ("election_every_years", 4, "external: presidential term"),
            (
                "natural_increase",
                0.004,
                "share a year: external approx, UN World Population Prospects 2019, births less deaths in 2010-2015 (per 1,000, /1,000), rounded",
            ),
            ("armed_self_defence", False, "the seeds name no armed community self-defence here"),
            (
                "armed_plazas",
                False,
                "as in hemisphere.yaml: the groups sell wholesale across the line (US border counties near the "
                "national ~5 per 100k, FBI Uniform Crime Reports); before this input Laredo/Rio Grande Valley had "
                "58 homicides per 100k here",
            ),
        ],
    ),
    (
        "GTM",
        "Guatemala (stands for the Central American and Eastern Pacific supply routes)",
        [
            (
                "police_per_100k",
                190.0,
                "assumption (as Guatemala in hemisphere.yaml; NT police ~70,000 officers, cf. 004 l.356)",
            ),
            ("police_pay", 0.9, "assumption (police underpaid: 004 l.518)"),
            (
                "police_integrity",
                0.33,
                "assumption: 'long corrupted National Police' (004 l.2576); TI CPI 2015 ~28 (external)",
            ),
            ("investigative_capacity", 0.2, "assumption (CICIG investigations, 004 l.2574-2576)"),
            ("prison_capacity_per_100k", 45.0, "assumption (order of magnitude of official prison capacity c.2015)"),
            ("extradites", True, "external: extradites nationals (e.g. the Lorenzana brothers, 2014-2016)"),
            ("election_every_years", 4, "external: presidential term"),
            (
                "arms_us_share",
                0.5,
                'assumption: about half (the pipeline reaches Central America, 004 l.452; NT "awash in weapons", '
                "l.681); no seed figure",
            ),
            (
                "natural_increase",
                0.021,
                "share a year: external approx, UN World Population Prospects 2019, births less deaths in 2010-2015 (per 1,000, /1,000), rounded",
            ),
            (
                "armed_self_defence",
                False,
                "the seeds name no armed community self-defence here; residents under extortion emigrate (004 l.326-328)",
            ),
        ],
    ),
]

_US_SOCIAL = [
    ("youth_share", 0.21, "assumption (close to the UN WPP 2015 share aged 15-29, rounded)"),
    ("neet_share", 0.15, "external approx: OECD, US NEET share 15-29 c.2015"),
]


def _us_market(share_note: str, consumption: float) -> tuple:
    return (
        "consumption_t",
        consumption,
        (
            f"derived: {VIA_MEXICO:.0%} (external approx: US State Dept INCSR 2016, ~90% of US cocaine "
            f"transits Mexico) of the hemisphere preset's US market of {US_COCAINE_T:.0f} t/yr "
            f"(assumption, 004 l.3546), {share_note}"
        ),
    )


# (id, name, country, region, roles, [(field, value, source), ...]); figures as in hemisphere.yaml
EXTERNAL = [
    (
        "south_america_supply",
        "South American cocaine via Central America and the Eastern Pacific (source node)",
        "GTM",
        "source",
        ["production", "border", "transit"],
        [
            (
                "population",
                16_300_000,
                "external approx: Guatemala 2015 (UN WPP 2015 / INE; recalled), the country the land route crosses",
            ),
            ("youth_share", 0.28, "assumption (young population; close to the UN WPP 2015 share aged 15-29)"),
            (
                "neet_share",
                0.27,
                "assumption: 004 l.1045 regional 22% plus a Northern Triangle premium (30% of youth, 004 l.326)",
            ),
            ("poverty", 0.59, "external approx: Guatemala ENCOVI 2014 national poverty 59.3% (recalled)"),
            ("state_presence", 0.4, "assumption (as Guatemala in hemisphere.yaml)"),
            (
                "homicide_rate",
                31.0,
                "external approx: Guatemala ~31 per 100k in 2014 (as in hemisphere.yaml); not in the headline rates",
            ),
            ("lon", -90.5, "external approx: coordinates of Guatemala City (distances to the Mexican entry points)"),
            ("lat", 14.6, "external approx: coordinates of Guatemala City (distances to the Mexican entry points)"),
            (
                "production_t",
                round(VIA_MEXICO * US_COCAINE_T, 1),
                (
                    f"derived: {VIA_MEXICO:.0%} (external approx: US State Dept INCSR 2016, ~90% of the cocaine reaching the US "
                    f"transits Mexico) of the hemisphere preset's US market of {US_COCAINE_T:.0f} t/yr (assumption, 004 l.3546)"
                ),
            ),
        ],
    ),
    (
        "san_diego",
        "San Diego crossing (San Ysidro, Otay Mesa)",
        "USA",
        "us_border",
        ["border", "transit"],
        [
            ("population", 3_300_000, "external approx: US Census Bureau 2015 estimate, San Diego County"),
            *_US_SOCIAL,
            ("poverty", 0.14, "assumption"),
            ("state_presence", 0.9, "assumption"),
            ("homicide_rate", 3.0, "external approx: San Diego County ~3"),
            ("lon", -117.16, "external approx: coordinates of San Diego"),
            ("lat", 32.72, "external approx: coordinates of San Diego"),
        ],
    ),
    (
        "nogales_arizona",
        "Nogales & Tucson sector (Arizona)",
        "USA",
        "us_border",
        ["border", "transit"],
        [
            (
                "population",
                1_180_000,
                "external approx: US Census Bureau 2015 estimates, Pima + Santa Cruz + Cochise counties",
            ),
            *_US_SOCIAL,
            ("poverty", 0.2, "assumption"),
            ("state_presence", 0.85, "assumption"),
            ("homicide_rate", 6.0, "assumption"),
            ("lon", -110.95, "external approx: coordinates of Nogales-Tucson"),
            ("lat", 31.8, "external approx: coordinates of Nogales-Tucson"),
        ],
    ),
    (
        "el_paso",
        "El Paso crossing",
        "USA",
        "us_border",
        ["border", "transit"],
        [
            ("population", 835_000, "external approx: US Census Bureau 2015 estimate, El Paso County"),
            *_US_SOCIAL,
            ("poverty", 0.22, "assumption"),
            ("state_presence", 0.85, "assumption"),
            ("homicide_rate", 3.0, "external approx: El Paso ~3"),
            ("lon", -106.49, "external approx: coordinates of El Paso"),
            ("lat", 31.76, "external approx: coordinates of El Paso"),
        ],
    ),
    (
        "laredo_rgv",
        "Laredo, Eagle Pass & Rio Grande Valley crossings (Texas)",
        "USA",
        "us_border",
        ["border", "transit"],
        [
            (
                "population",
                1_600_000,
                "external approx: US Census Bureau 2015 estimates, Webb + Hidalgo + Cameron + Starr counties",
            ),
            *_US_SOCIAL,
            ("poverty", 0.3, "assumption"),
            ("state_presence", 0.8, "assumption"),
            ("homicide_rate", 5.0, "assumption"),
            ("lon", -98.8, "external approx: coordinates of Laredo-McAllen"),
            ("lat", 26.8, "external approx: coordinates of Laredo-McAllen"),
        ],
    ),
    (
        "us_west",
        "US West (consumer market)",
        "USA",
        "us",
        ["market"],
        [
            (
                "population",
                71_560_000,
                "derived: US Census 2015 West region 76.0M minus the San Diego and Arizona nodes",
            ),
            *_US_SOCIAL,
            ("poverty", 0.135, "external: US Census official poverty rate, 2015"),
            ("state_presence", 0.9, "assumption"),
            ("homicide_rate", 4.0, "external approx: FBI UCR 2014 West region"),
            ("lon", -118.2, "external approx: coordinates of Los Angeles"),
            ("lat", 34.1, "external approx: coordinates of Los Angeles"),
            _us_market("split by population as in hemisphere.yaml (93 of 400 t)", round(VIA_MEXICO * 93.0, 1)),
        ],
    ),
    (
        "us_south",
        "US South (consumer market)",
        "USA",
        "us",
        ["market", "capital"],
        [
            (
                "population",
                112_740_000,
                "derived: US Census 2015 South region 121.2M minus the Texas and Florida border nodes",
            ),
            *_US_SOCIAL,
            ("poverty", 0.135, "external: US Census official poverty rate, 2015"),
            ("state_presence", 0.9, "assumption"),
            ("homicide_rate", 5.5, "external approx: FBI UCR 2014 South region"),
            ("lon", -90.0, "external approx: coordinates of centre of the South region"),
            ("lat", 32.5, "external approx: coordinates of centre of the South region"),
            _us_market("split by population as in hemisphere.yaml (146 of 400 t)", round(VIA_MEXICO * 146.0, 1)),
        ],
    ),
    (
        "us_northeast_midwest",
        "US Northeast & Midwest (consumer market)",
        "USA",
        "us",
        ["market"],
        [
            ("population", 124_190_000, "external: US Census 2015, Northeast 56.3M + Midwest 67.9M"),
            *_US_SOCIAL,
            ("poverty", 0.135, "external: US Census official poverty rate, 2015"),
            ("state_presence", 0.9, "assumption"),
            ("homicide_rate", 4.1, "external approx: FBI UCR 2014 Northeast and Midwest"),
            ("lon", -80.0, "external approx: coordinates of between Chicago and New York"),
            ("lat", 41.0, "external approx: coordinates of between Chicago and New York"),
            _us_market("split by population as in hemisphere.yaml (161 of 400 t)", round(VIA_MEXICO * 161.0, 1)),
        ],
    ),
]

# corridors from the source node and across the US border: (a, b, mode, source)
EXTERNAL_CORRIDORS = [
    ("south_america_supply", "chiapas", "land", "004 l.390, l.2766 (Mexico's southern border with Guatemala)"),
    (
        "south_america_supply",
        "tabasco",
        "land",
        "004 l.2612-2620 (Tenosique, Tabasco, not far from the Guatemalan border)",
    ),
    (
        "south_america_supply",
        "quintana_roo",
        "sea",
        "assumption (Caribbean go-fast landings and the Belize border; external approx: INCSR)",
    ),
    (
        "south_america_supply",
        "oaxaca",
        "sea",
        "assumption (Eastern Pacific go-fast and semi-submersible landings; external approx: INCSR)",
    ),
    (
        "south_america_supply",
        "guerrero",
        "sea",
        "assumption (Eastern Pacific landings near Acapulco; external approx: INCSR)",
    ),
    ("south_america_supply", "michoacan", "sea", "004 l.3024 (Lázaro Cárdenas port); cocaine landings: assumption"),
    (
        "south_america_supply",
        "colima",
        "sea",
        "assumption (container cocaine through Manzanillo; external approx: INCSR)",
    ),
    ("south_america_supply", "veracruz", "sea", "assumption (Gulf container ports; external approx: INCSR)"),
    ("baja_california", "san_diego", "land", "004 l.2301 (cross-border tunnel near San Diego)"),
    ("sonora", "nogales_arizona", "land", "assumption (Nogales crossing)"),
    ("chihuahua", "el_paso", "land", "004 l.560 (Ciudad Juárez)"),
    ("tamaulipas", "laredo_rgv", "land", "assumption (Nuevo Laredo, Reynosa and Matamoros crossings)"),
    ("nuevo_leon", "laredo_rgv", "land", "002 l.7 (Monterrey -> Rio Grande -> Texas)"),
    (
        "coahuila",
        "laredo_rgv",
        "land",
        "assumption (Piedras Negras-Eagle Pass and Acuña-Del Rio crossings, folded into this node)",
    ),
    ("san_diego", "us_west", "land", "assumption"),
    ("nogales_arizona", "us_west", "land", "assumption"),
    ("el_paso", "us_west", "land", "assumption"),
    ("el_paso", "us_south", "land", "assumption"),
    ("laredo_rgv", "us_south", "land", "assumption"),
    ("laredo_rgv", "us_northeast_midwest", "land", "assumption"),
]


# --------------------------------------------------------------------------------------------
# Reading the data
# --------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:  # BACRIM files start with a BOM
        return list(csv.DictReader(fh))


def states() -> list[dict]:
    return _rows(DATA / "mexico_states.csv")


def adjacency() -> list[tuple[str, str]]:
    return [(r["a"], r["b"]) for r in _rows(DATA / "mexico_adjacency.csv")]


def bacrim_groups() -> list[dict]:
    return _rows(BACRIM / "BACRIM2020_Nodes.csv")


def bacrim_pairs(kind: str) -> dict[frozenset, int]:
    """Undirected pairs of node ids -> weight, from ``Alliances`` or ``Rivals`` (directed rows,
    not always listed in both directions; the weight of a pair is the same in both)."""
    pairs: dict[frozenset, int] = {}
    for r in _rows(BACRIM / f"BACRIM2020_{kind}.csv"):
        key = frozenset((r["Node"], r["RNode"]))
        w = int(r["weight"])
        if pairs.get(key, w) != w:
            raise ValueError(f"BACRIM {kind}: pair {sorted(key)} listed with weights {pairs[key]} and {w}")
        pairs[key] = w
    return pairs


def resolved_ties() -> tuple[dict[frozenset, int], dict[frozenset, int], list[tuple]]:
    """(alliances, rivalries, conflicts): a pair in both files keeps the heavier tie (rivalry on equal weight)."""
    allies, rivals = bacrim_pairs("Alliances"), bacrim_pairs("Rivals")
    conflicts = []
    for key in sorted(set(allies) & set(rivals), key=sorted):
        a, r = allies[key], rivals[key]
        conflicts.append((tuple(sorted(key)), a, r, "alliance" if a > r else "rivalry"))
        if a > r:
            del rivals[key]
        else:
            del allies[key]
    return allies, rivals, conflicts


def organisations() -> list[dict]:
    """The 150 BACRIM groups as OrgSpec dicts, with the notes their YAML comments show."""
    groups = bacrim_groups()
    by_state = {s["bacrim_state"]: s["id"] for s in states()}
    name = {g["Node"]: g["Group"] for g in groups}
    home = {g["Node"]: by_state[g["State"]] for g in groups}  # KeyError = a state the table lacks
    allies_raw, rivals_raw = bacrim_pairs("Alliances"), bacrim_pairs("Rivals")
    allies, rivals, _ = resolved_ties()
    weight = defaultdict(int)  # summed weight of every reported tie (before resolving conflicts)
    reach: dict[str, set] = defaultdict(set)  # states where the group's allies and rivals are based
    for pairs in (allies_raw, rivals_raw):
        for key, w in pairs.items():
            a, b = sorted(key)
            weight[a] += w
            weight[b] += w
            reach[a].add(home[b])
            reach[b].add(home[a])
    ally_of, rival_of = defaultdict(list), defaultdict(list)
    for pairs, out in ((allies, ally_of), (rivals, rival_of)):
        for key in sorted(pairs, key=sorted):
            a, b = sorted(key)
            out[a].append(b)
            out[b].append(a)
    total_w = sum(1 + weight[g["Node"]] for g in groups)
    orgs = []
    for g in groups:
        node = g["Node"]
        states_reached = len(reach[node] | {home[node]})
        named = any(word in g["Group"].lower() for word in CARTEL_WORDS)
        kind = "cartel" if named or states_reached >= CARTEL_STATES else "gang"
        members = int(round(TOTAL_MEMBERS * (1 + weight[node]) / total_w, -1))
        why = (
            ("name" if named else f"ties reach {states_reached} states")
            if kind == "cartel"
            else f"ties reach {states_reached} state{'s' if states_reached != 1 else ''}"
        )
        orgs.append(
            {
                "node": node,
                "name": name[node],
                "kind": kind,
                "members": members,
                "territories": [home[node]],
                "allies": [name[o] for o in sorted(ally_of[node])],
                "rivals": [name[o] for o in sorted(rival_of[node])],
                "lieutenants": LIEUTENANTS[kind],
                "cohesion": COHESION,
                "notes": {"kind": why, "members": f"tie weight {weight[node]}", "state": g["State"]},
            }
        )
    return orgs


# --------------------------------------------------------------------------------------------
# Writing the YAML
# --------------------------------------------------------------------------------------------


def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def line(text: str, source: str | None = None) -> str:
    if not source:
        return text
    return f"{text.ljust(COMMENT_COL - 1)} # {source}" if len(text) < COMMENT_COL - 1 else f"{text}  # {source}"


def scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def state_roles(s: dict) -> list[str]:
    return [r for r in s["roles"].split(";") if r]


def render() -> str:
    st = states()
    ext_ids = [e[0] for e in EXTERNAL]
    orgs = organisations()
    allies, rivals, conflicts = resolved_ties()
    allies_raw, rivals_raw = bacrim_pairs("Alliances"), bacrim_pairs("Rivals")
    gname = {g["Node"]: g["Group"] for g in bacrim_groups()}
    regions = sorted({s["region"] for s in st})
    n_cartel = sum(o["kind"] == "cartel" for o in orgs)
    corridors = [
        (a, b, "land", "external approx: the two states share a border (data/mexico_adjacency.csv)")
        for a, b in adjacency()
    ] + EXTERNAL_CORRIDORS
    out: list[str] = []
    w = out.append
    conflict_text = "\n".join(
        f"#     {gname[a]} / {gname[b]}: alliance weight {wa}, rivalry weight {wr} -> {k}"
        for (a, b), wa, wr, k in conflicts
    )
    header = f"""\
# World preset "mexico": Mexico's 32 states with the 150 criminal groups of BACRIM 2020 and their
# alliance and rivalry ties, between a source of South American cocaine to the south and US
# markets beyond the northern crossings.
#
# GENERATED by scripts/build_mexico_world.py from data/mexico_states.csv, data/mexico_adjacency.csv
# and data/bacrim2020/ (BACRIM 2020: Prieto-Curiel, Campedelli and Hope, Science 381 (2023)
# 1312-1316, data on Dryad doi:10.5061/dryad.zw3r228d7; attribution in data/bacrim2020/README.md).
# Do not edit by hand: change the data or the script and regenerate (tests/test_world_mexico.py
# fails while this file is stale). Schema: WorldConfig and friends in sim/model/config.py.
#
# SOURCES, as in hemisphere.yaml: `NNN l.X-Y` seed file and lines; `external: ...` a named public
# statistic; `external approx: ...` one recalled rather than copied from a table; `derived: ...`
# arithmetic on those; `assumption` a modelling guess. The state figures carry the source columns
# of data/mexico_states.csv (see data/mexico_README.md).
#
# YEARS. The states' population, homicide rates (INEGI 2015; they sum to ~21,200 homicides, against
# 20,763 for 2015 in data/bacrim2020/Trends2012_2021.csv) and poverty (CONEVAL 2016) are of
# 2015-2016; the groups and ties are of 2020, when national homicides were 36,773 (same file).
# The map is a stylised 2015-2020, not a single year.
#
# ORGANISATIONS: {len(orgs)} BACRIM groups ({n_cartel} cartels, {len(orgs) - n_cartel} gangs), {len(allies)} alliance and {len(rivals)} rivalry pairs.
# - Territory: the one state BACRIM gives for each group (the model spreads groups from there).
#   BACRIM's state is sometimes not the group's best-known base (e.g. Cártel de Sinaloa: Durango,
#   Los Zetas: Yucatán); the data are used as they stand.
# - Kind: BACRIM has no type. Cartel if the name says so (Cártel, Cartel, CJNG) or the group's
#   ties reach groups based in >= {CARTEL_STATES} states; otherwise gang (local; assumption).
# - Members: BACRIM has no sizes. {TOTAL_MEMBERS:,} in all at the start ({START_YEAR}, two burn-in years
#   before policy year 1 = 2012): Prieto-Curiel et al. 2023 estimate {MEMBERS_2022:,} (160,000-185,000)
#   cartel members in Mexico in 2022 after gains of ~{GROWTH_PER_YEAR:,} a year (external approx;
#   recalled), less {2022 - START_YEAR} years of those gains (derived). Split in proportion to
#   1 + the summed weight of each group's reported ties (assumption: the groups the press reports
#   most are the largest), rounded to tens.
# - Ties: BACRIM lists {len(allies_raw)} alliance and {len(rivals_raw)} rivalry pairs; {len(conflicts)} pairs are in both, and the model
#   holds one tie per pair, so each keeps its heavier tie (rivalry on equal weight; assumption):
{conflict_text}
# - lieutenants {LIEUTENANTS["cartel"]} for cartels and {LIEUTENANTS["gang"]} for gangs, cohesion {COHESION} (assumptions).
#
# EXTERNAL NODES. Mexico grows no coca, so one source node (production_t, country GTM) stands for
# the supply arriving by land across the Guatemalan border and by sea on the Pacific, Caribbean
# and Gulf coasts; four US crossing nodes and three US market nodes (figures as in hemisphere.yaml)
# lie beyond the northern border. Headline rates (report_regions) cover the 32 states only.
# Cocaine only: Mexican heroin, methamphetamine and marijuana, and Mexico's own retail market, are
# not modelled.
"""
    out.extend(header.rstrip("\n").split("\n"))
    w("")
    w("name: mexico")
    w(
        f"description: {q('Mexico: 32 states, the 150 BACRIM 2020 groups and their alliances and rivalries (Prieto-Curiel et al. 2023)')}"
    )
    w(line("n_facilitators: 40", "assumption (as in hemisphere.yaml; about one per territory)"))
    w(f"report_regions: [{', '.join(regions)}]")
    w("")
    w("countries:")
    for iso, cname, fields_ in COUNTRIES:
        w(f"  - iso: {iso}")
        w(f"    name: {q(cname)}")
        for k, v, src in fields_:
            w(line(f"    {k}: {scalar(v)}", src))
    w("")
    w("territories:")
    for region in regions:
        w(f"  # --- {region} " + "-" * max(3, 90 - len(region)))
        for s in (s for s in st if s["region"] == region):
            w(f"  - id: {s['id']}")
            w(f"    name: {q(s['name'])}")
            w("    country: MEX")
            w(f"    region: {region}")
            w(line(f"    population: {int(s['population'])}", s["population_source"]))
            w(line(f"    youth_share: {float(s['youth_share'])}", s["social_source"]))
            w(line(f"    neet_share: {float(s['neet_share'])}", s["social_source"]))
            w(line(f"    poverty: {float(s['poverty'])}", s["poverty_source"]))
            w(line(f"    state_presence: {float(s['state_presence'])}", s["presence_source"]))
            w(line(f"    homicide_rate: {float(s['homicide_rate'])}", s["homicide_source"]))
            w(line(f"    roles: [{', '.join(state_roles(s))}]", s["roles_source"]))
            w(line(f"    lon: {float(s['lon'])}", s["coords_source"]))
            w(line(f"    lat: {float(s['lat'])}", s["coords_source"]))
    for region in ("source", "us_border", "us"):
        w(f"  # --- {region} " + "-" * max(3, 90 - len(region)))
        for tid, tname, country, reg, roles, fields_ in (e for e in EXTERNAL if e[3] == region):
            w(f"  - id: {tid}")
            w(f"    name: {q(tname)}")
            w(f"    country: {country}")
            w(f"    region: {reg}")
            w(f"    roles: [{', '.join(roles)}]")
            for k, v, src in fields_:
                w(line(f"    {k}: {scalar(v)}", src))
    w("")
    w("corridors:")
    known = {s["id"] for s in st} | set(ext_ids)
    for a, b, mode, src in corridors:
        if a not in known or b not in known:
            raise ValueError(f"corridor {a}-{b}: unknown territory")
        w(line(f"  - {{a: {a}, b: {b}, mode: {mode}}}", src))
    w("")
    w("organisations:")
    for o in orgs:
        n = o["notes"]
        w(line(f"  - name: {q(o['name'])}", f"BACRIM {o['node']}"))
        w(line(f"    kind: {o['kind']}", f"assumption ({n['kind']})"))
        w(line(f"    members: {o['members']}", f"assumption ({n['members']}; see header)"))
        w(line(f"    territories: [{', '.join(o['territories'])}]", f"BACRIM state: {n['state']}"))
        w(f"    allies: [{', '.join(q(a) for a in o['allies'])}]")
        w(f"    rivals: [{', '.join(q(r) for r in o['rivals'])}]")
        w(line(f"    lieutenants: {o['lieutenants']}", "assumption"))
        w(line(f"    cohesion: {o['cohesion']}", "assumption"))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if configs/world/mexico.yaml is stale")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != text
        print(f"{OUT.relative_to(REPO)}: {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
