"""Structured configuration: the one schema shared by the CLI, sweeps, the UI and the tests.

Every free parameter of the model is a dataclass field here, with its units, plausible range
and source in ``metadata`` (``units``, ``range``, ``source``). The ranges are enforced by
:func:`validate` and are the declared ranges used by sensitivity analysis. The values live in
the YAML files under ``configs/``; the defaults below are the documented baseline.

The dataclasses are registered in Hydra's ConfigStore, so a typo in a key or a wrong type is an
error when a config is composed (``version_base="1.3"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


def p(default: float, lo: float, hi: float, units: str, source: str = "free parameter") -> Any:
    """A documented model parameter: default value, plausible range [lo, hi], units, source."""
    return field(default=default, metadata={"range": (lo, hi), "units": units, "source": source})


# --------------------------------------------------------------------------------------------
# World: territories, corridors, countries, initial organisations
# --------------------------------------------------------------------------------------------

ROLES = ("production", "processing", "transit", "port", "border", "market", "mining", "capital")
MODES = ("land", "river", "sea", "air")
ORG_KINDS = ("cartel", "gang")


@dataclass
class TerritorySpec:
    """One territory of a world preset (a node of the geography graph)."""

    id: str = MISSING
    name: str = MISSING
    country: str = MISSING  # ISO 3166 alpha-3 code; must appear in the world's countries
    region: str = MISSING  # label used for regional reporting (e.g. northern_triangle)
    population: int = MISSING  # persons
    youth_share: float = 0.25  # share of population aged 15-29
    neet_share: float = 0.2  # share of youth neither in education, employment nor training
    poverty: float = 0.3  # share of population below the national poverty line
    state_presence: float = 0.5  # 0..1, reach of state institutions
    homicide_rate: float = 10.0  # homicides per 100,000 per year, observed baseline
    roles: list[str] = field(default_factory=list)  # subset of ROLES
    lon: float = 0.0
    lat: float = 0.0
    production_t: float = 0.0  # cocaine produced, tonnes per year (production territories)
    consumption_t: float = 0.0  # cocaine consumed, tonnes per year (market territories)
    interdiction: float = 1.0  # multiplier of the local seizure rate (e.g. patrolled sea approaches)
    gold_t: float = 0.0  # illicit gold mined, tonnes per year (mining territories; sim/model/phases/gold.py)


@dataclass
class CorridorSpec:
    """An undirected corridor (edge of the geography graph)."""

    a: str = MISSING
    b: str = MISSING
    mode: str = "land"  # one of MODES


@dataclass
class CountrySpec:
    """National institutions that shape every territory of a country."""

    iso: str = MISSING
    name: str = MISSING
    police_per_100k: float = 250.0  # police officers per 100,000 population
    police_pay: float = 1.0  # police wage relative to the local median wage
    police_integrity: float = 0.6  # 0..1 mean integrity of officers
    investigative_capacity: float = 0.3  # 0..1 share of arrests that can be investigated
    prison_capacity_per_100k: float = 200.0  # prison places per 100,000 population
    prisoners_per_100k: float = 0.0  # inmates per 100,000 at the start (0: initial_other_occupancy x capacity)
    extradites: bool = False  # whether the country extradites nationals to the US
    election_every_years: int = 4
    natural_increase: float = 0.0  # share a year: births less deaths (emigration, M14, takes from it)
    arms_us_share: float = 0.0  # 0..1 share of its groups' arms bought on the US market (phases/arms.py)
    armed_self_defence: bool = True  # whether communities arm against extortion (M9; 004 l.2992, l.3178)
    emigrants_overland: bool = True  # whether its emigrants travel north overland, paying smugglers at the crossings on the way (M19; 004 l.300, l.388-390)
    armed_plazas: bool = True  # whether groups send armed members to hold and contest its territories (M7; false: they sell across its border wholesale)


@dataclass
class OrgSpec:
    """An organisation present at the start of the run."""

    name: str = MISSING
    kind: str = "cartel"  # one of ORG_KINDS
    members: int = MISSING
    territories: list[str] = field(default_factory=list)  # first one is the home territory
    allies: list[str] = field(default_factory=list)
    rivals: list[str] = field(default_factory=list)
    lieutenants: int = 3  # succession depth
    cohesion: float = 0.7  # 0..1


@dataclass
class SponsorSpec:
    """A foreign sponsor whose rails carry a sanctioned regime's trade and money at a cost
    (000 l.92-114, l.371-373; 001 l.155-174); world data, read by sim/model/phases/regime.py."""

    name: str = MISSING  # e.g. Russia
    rail: str = ""  # how: crypto, ship-to-ship transfers, phantom companies, ... (a label)
    capacity: float = 0.0  # 0..1 what this rail can carry, as a share of the regime's formal revenue
    cost: float = 0.0  # 0..1 share of what the rail carries lost on the way (discounts, debts paid, fees)
    channel: str = "trade"  # the launderer's channel the rail is (CHANNELS: bank, trade, crypto)


@dataclass
class RegimeSpec:
    """A captured state (the eighth agent type, sim/model/agents.py ``Regime``): a government the seeds
    describe as a partner of organised crime (Venezuela: 000 l.58, l.92-114; 003 l.7, l.14)."""

    country: str = MISSING  # ISO code, among the world's countries
    forces: str = ""  # the organisation its security forces run in the trade ("" = none)
    shelters: list[str] = field(default_factory=list)  # organisations it shelters besides the forces' allies
    formal_musd: float = 0.0  # formal revenue (oil and taxes) before sanctions, M USD per year
    sponsors: list[SponsorSpec] = field(default_factory=list)


ASSUMED = "assumption (modeller's choice); no seed figure"


@dataclass
class SyntheticWorld:
    """Settings of the generator of ``world=synthetic``: the ranges and shares it draws from; illustrative.

    Read by ``sim/model/world/__init__.py: synthetic``. A pair ``x_min``, ``x_max`` bounds a uniform draw (``rng.integers`` for member counts: ``x_max``
    excluded); :func:`validate` requires ``x_min <= x_max``. Integers are structural.
    """

    # geography: a Latin-America-sized box, corridors to the nearest neighbours
    lon_min: float = p(
        -110.0, -180.0, 180.0, "degrees east: western edge of the box territories are scattered in", ASSUMED
    )
    lon_max: float = p(
        -60.0, -180.0, 180.0, "degrees east: eastern edge of the box territories are scattered in", ASSUMED
    )
    lat_min: float = p(-15.0, -90.0, 90.0, "degrees north: southern edge (producers are the southernmost)", ASSUMED)
    lat_max: float = p(32.0, -90.0, 90.0, "degrees north: northern edge (markets are the northernmost)", ASSUMED)
    neighbours: int = p(3, 1, 10, "corridors from each territory to its nearest neighbours (an integer)", ASSUMED)
    territories_per_producer: int = p(
        25, 1, 1000, "territories per production territory: n_territories // this, at least 1 (an integer)", ASSUMED
    )
    producers_max: int = p(16, 1, 100, "most production territories, whatever the map's size (an integer)", ASSUMED)
    territories_per_market: int = p(
        25, 1, 1000, "territories per market territory: n_territories // this, at least 1 (an integer)", ASSUMED
    )
    markets_max: int = p(16, 1, 100, "most market territories, whatever the map's size (an integer)", ASSUMED)
    port_share: float = p(0.15, 0.0, 1.0, "probability a transit territory is a port", ASSUMED)
    border_quantile: float = p(
        0.85, 0.0, 1.0, "latitude quantile above which transit territories are border crossings", ASSUMED
    )
    mining_share: float = p(0.08, 0.0, 1.0, "probability a transit territory has mining", ASSUMED)
    # countries: longitude bands, national institutions drawn uniformly
    territories_per_country: int = p(
        10, 1, 1000, "territories per country (longitude band): n_territories // this, at least 1 (an integer)", ASSUMED
    )
    police_per_100k_min: float = p(150.0, 10.0, 2000.0, "police officers per 100,000 population, lowest draw", ASSUMED)
    police_per_100k_max: float = p(400.0, 10.0, 2000.0, "police officers per 100,000 population, highest draw", ASSUMED)
    police_pay_min: float = p(0.6, 0.1, 5.0, "police wage relative to the local median wage, lowest draw", ASSUMED)
    police_pay_max: float = p(1.5, 0.1, 5.0, "police wage relative to the local median wage, highest draw", ASSUMED)
    police_integrity_min: float = p(0.4, 0.0, 1.0, "0..1 mean integrity of officers, lowest draw", ASSUMED)
    police_integrity_max: float = p(0.8, 0.0, 1.0, "0..1 mean integrity of officers, highest draw", ASSUMED)
    investigative_capacity_min: float = p(
        0.1, 0.0, 1.0, "0..1 share of arrests that can be investigated, lowest draw", ASSUMED
    )
    investigative_capacity_max: float = p(
        0.5, 0.0, 1.0, "0..1 share of arrests that can be investigated, highest draw", ASSUMED
    )
    prison_capacity_per_100k_min: float = p(
        100.0, 10.0, 2000.0, "prison places per 100,000 population, lowest draw", ASSUMED
    )
    prison_capacity_per_100k_max: float = p(
        400.0, 10.0, 2000.0, "prison places per 100,000 population, highest draw", ASSUMED
    )
    extradition_share: float = p(0.5, 0.0, 1.0, "probability a country extradites nationals to the US", ASSUMED)
    election_every_years: int = p(4, 1, 10, "years between a country's elections (an integer)", ASSUMED)
    # territories
    population_median: float = p(1.0e6, 1.0e4, 1.0e8, "persons: median of the log-normal territory population", ASSUMED)
    population_sigma: float = p(0.8, 0.0, 3.0, "standard deviation of log population", ASSUMED)
    market_population_factor: float = p(20.0, 1.0, 200.0, "x population of market territories", ASSUMED)
    homicide_rate_median: float = p(
        20.0, 0.1, 200.0, "homicides per 100,000 per year: median of the log-normal baseline rate", ASSUMED
    )
    homicide_rate_sigma: float = p(0.8, 0.0, 3.0, "standard deviation of the log baseline homicide rate", ASSUMED)
    market_homicide_rate: float = p(
        5.0, 0.0, 100.0, "homicides per 100,000 per year: baseline rate of market territories", ASSUMED
    )
    youth_share_min: float = p(0.2, 0.0, 1.0, "share of population aged 15-29, lowest draw", ASSUMED)
    youth_share_max: float = p(0.3, 0.0, 1.0, "share of population aged 15-29, highest draw", ASSUMED)
    neet_share_min: float = p(
        0.1, 0.0, 1.0, "share of youth neither in education, employment nor training, lowest draw", ASSUMED
    )
    neet_share_max: float = p(
        0.35, 0.0, 1.0, "share of youth neither in education, employment nor training, highest draw", ASSUMED
    )
    poverty_min: float = p(0.1, 0.0, 1.0, "share of population below the national poverty line, lowest draw", ASSUMED)
    poverty_max: float = p(0.6, 0.0, 1.0, "share of population below the national poverty line, highest draw", ASSUMED)
    state_presence_min: float = p(0.3, 0.0, 1.0, "0..1 reach of state institutions, lowest draw", ASSUMED)
    state_presence_max: float = p(0.9, 0.0, 1.0, "0..1 reach of state institutions, highest draw", ASSUMED)
    production_t: float = p(1000.0, 1.0, 10000.0, "tonnes of cocaine per year, split evenly over producers", ASSUMED)
    consumption_t: float = p(600.0, 1.0, 10000.0, "tonnes of cocaine per year, split evenly over markets", ASSUMED)
    # organisations: cartels around transit homes (the first ones also hold the production zones), local gangs
    territories_per_cartel: int = p(
        8, 1, 1000, "territories per cartel: n_territories // this, at least cartels_min (an integer)", ASSUMED
    )
    cartels_min: int = p(2, 1, 50, "fewest cartels, whatever the map's size (an integer)", ASSUMED)
    territories_per_gang: int = p(
        6, 1, 1000, "territories per gang: n_territories // this, at least gangs_min (an integer)", ASSUMED
    )
    gangs_min: int = p(1, 0, 50, "fewest gangs, whatever the map's size (an integer)", ASSUMED)
    territories_per_cartel_territory: int = p(
        5,
        1,
        1000,
        "territories per starting territory of a cartel (its home and nearest ones): n_territories // this, "
        "clipped to [cartel_territories_min, cartel_territories_max] (an integer)",
        ASSUMED,
    )
    cartel_territories_min: int = p(2, 1, 50, "fewest territories a cartel starts in (an integer)", ASSUMED)
    cartel_territories_max: int = p(6, 1, 50, "most territories a cartel starts in (an integer)", ASSUMED)
    cartel_members_min: int = p(500, 1, 100000, "members of a cartel at the start, lowest draw (an integer)", ASSUMED)
    cartel_members_max: int = p(
        5000, 2, 100000, "members of a cartel at the start, highest draw, excluded (an integer)", ASSUMED
    )
    cartel_lieutenants: int = p(3, 0, 10, "succession depth of a cartel at the start (an integer)", ASSUMED)
    cartel_cohesion: float = p(0.7, 0.0, 1.0, "0..1 cohesion of a cartel at the start", ASSUMED)
    gang_members_min: int = p(200, 1, 100000, "members of a gang at the start, lowest draw (an integer)", ASSUMED)
    gang_members_max: int = p(
        3000, 2, 100000, "members of a gang at the start, highest draw, excluded (an integer)", ASSUMED
    )
    gang_lieutenants: int = p(2, 0, 10, "succession depth of a gang at the start (an integer)", ASSUMED)
    gang_cohesion: float = p(0.6, 0.0, 1.0, "0..1 cohesion of a gang at the start", ASSUMED)
    rival_share: float = p(0.15, 0.0, 1.0, "probability two organisations start as rivals", ASSUMED)
    ally_share: float = p(
        0.1, 0.0, 1.0, "probability two organisations start as allies (rival_share + ally_share <= 1)", ASSUMED
    )


@dataclass
class WorldConfig:
    """A world preset. ``synthetic`` worlds are generated from ``n_territories`` and ``generator``."""

    name: str = "synthetic"
    description: str = ""
    n_territories: int = 40  # synthetic worlds only
    n_facilitators: int = 30
    facilitator_pareto_alpha: float = p(
        1.5, 1.1, 3.0, "Pareto shape of facilitator capacity", "004 l.2404-2454 (a few super-fixers)"
    )
    home_weight: float = p(
        2.0,
        1.0,
        10.0,
        "weight of an organisation's first (home) territory, against 1 for each other, when its members are "
        "spread over its territories at the start",
        ASSUMED,
    )
    generator: SyntheticWorld = field(default_factory=SyntheticWorld)  # synthetic worlds only
    countries: list[CountrySpec] = field(default_factory=list)
    territories: list[TerritorySpec] = field(default_factory=list)
    corridors: list[CorridorSpec] = field(default_factory=list)
    organisations: list[OrgSpec] = field(default_factory=list)
    report_regions: list[str] = field(default_factory=list)  # regions in headline rates; empty = all
    # weeks the world needs to settle before policies may start: the root ``burn_in`` defaults to it
    # (configs/config.yaml); a world that starts far from its own steady state needs more (hemisphere.yaml)
    burn_in: int = 104
    regimes: list[RegimeSpec] = field(default_factory=list)  # captured states (sim/model/phases/regime.py)


# --------------------------------------------------------------------------------------------
# Policy levers (the scenario group); each lever is off in the baseline
# --------------------------------------------------------------------------------------------


#: In a lever's ``countries``: every country of the world's headline (``report_regions``: Latin
#: America in the default world), so that a regional scenario file works in any world.
REGION = "region"


@dataclass
class Lever:
    """Common timing and reach of a policy lever: weeks after the burn-in, and the countries whose
    government applies it (ISO codes of the world's countries, or ``region`` for the countries of
    the headline; empty = every country, the markets abroad included)."""

    enabled: bool = False
    start: int = 0  # weeks after burn-in
    duration: int = -1  # weeks; -1 = until the end of the run
    countries: list[str] = field(default_factory=list)  # ISO codes or "region"; empty = everywhere


@dataclass
class ManoDura(Lever):
    """Mass arrests, military deployment, long pre-trial detention (003 l.241-252; 004 l.691-693)."""

    arrest_multiplier: float = p(3.0, 1.0, 20.0, "x baseline arrest rate of gang members", "003 l.241")
    military_deployment: float = p(0.5, 0.0, 1.0, "share of territories with troops", "004 l.522")
    pretrial_weeks: float = p(52.0, 4.0, 260.0, "weeks held without trial", "003 l.241-252")
    evidentiary_bar: float = p(0.3, 0.0, 1.0, "share of arrests needing investigation to convict", "004 l.691-693")
    prison_capacity_multiplier: float = p(1.0, 1.0, 10.0, "x prison places", "003 l.241 (2022 mega-prison)")
    release_share: float = p(0.8, 0.0, 1.0, "share of arrestees released without charge", "004 l.1083")
    abuse_multiplier: float = p(2.0, 1.0, 5.0, "x baseline abuse risk", "004 l.711-713")
    innocent_share: float = p(
        0.2, 0.0, 0.9, "share of mass arrestees who are not members", "003 l.241 ('thousands could be innocent')"
    )
    target_gangs: bool = True


@dataclass
class PoliceReform(Lever):
    """Vetting, pay, oversight, investigation, community policing (004 l.522-554)."""

    vetting: float = p(0.3, 0.0, 1.0, "share of corrupt officers removed per year", "004 l.542-554")
    pay_increase: float = p(0.5, 0.0, 2.0, "relative pay increase", "004 l.524")
    oversight: float = p(0.5, 0.0, 1.0, "0..1 internal-affairs strength", "004 l.542")
    investigative_boost: float = p(0.3, 0.0, 1.0, "absolute rise in investigative capacity", "004 l.532")
    rotation: float = p(0.0, 0.0, 1.0, "share of officers rotated per year", "004 l.524")
    transition_dip: float = p(0.3, 0.0, 1.0, "capacity lost in the first year", "assumption")
    transition_weeks: float = p(52.0, 0.0, 260.0, "weeks after the reform starts during which capacity dips", ASSUMED)


@dataclass
class Extradition(Lever):
    """Captured leaders are extradited unless blocked (000 l.214, l.267; 004 l.212)."""

    targeting_multiplier: float = p(2.0, 1.0, 10.0, "x high-value targeting rate", "004 l.236-238")
    return_years: float = p(8.0, 1.0, 30.0, "mean years before an extradited leader returns", "000 l.267")


@dataclass
class BorderHardening(Lever):
    """Interdiction capacity at border crossings and ports (004 l.388-390, l.2766)."""

    interdiction_multiplier: float = p(3.0, 1.0, 10.0, "x seizure rate at border/port territories", "004 l.388")
    migrant_control: float = p(0.5, 0.0, 1.0, "0..1 control of irregular crossings", "004 l.388-390")
    include_ports: bool = True
    targets: list[str] = field(default_factory=list)  # territory ids to harden; empty = all crossings


@dataclass
class Eradication(Lever):
    """Forced eradication of coca in the government's production territories (004 l.3588: in 2014
    Colombia eradicated 68,000 ha; l.3324, l.3364: eradication in Peru moved growing elsewhere).
    The year's eradication is ``share`` of the standing area plus ``hectares``, spread over the weeks
    and over the country's coca in proportion to area (sim/model/phases/cultivation.py)."""

    share: float = p(0.0, 0.0, 1.0, "share of the standing coca area eradicated per year", "004 l.3588")
    hectares: float = p(
        68000.0, 0.0, 500000.0, "hectares eradicated per year (besides share)", "004 l.3588 (Colombia 2014: 68,000 ha)"
    )


@dataclass
class Prevention(Lever):
    """Youth programmes and jobs that cut recruitment (004 l.360, l.374-376)."""

    coverage: float = p(0.3, 0.0, 1.0, "share of NEET youth reached", "004 l.360 (>25,000 youth)")
    effect: float = p(0.5, 0.0, 1.0, "relative cut in recruitment of reached youth", "free parameter")


@dataclass
class Truce(Lever):
    """A negotiated gang truce: fast drop, fragile (003 l.245; 004 l.560)."""

    violence_cut: float = p(0.5, 0.0, 1.0, "share of gang violence suspended", "003 l.245")
    weekly_break_prob: float = p(
        0.01, 0.0, 0.2, "probability per week that the truce collapses", "003 l.245, l.250 (pact ended March 2022)"
    )


@dataclass
class Sanctions(Lever):
    """Sanctions on a captured state (000 l.92, l.331, l.371-373; 001 l.60, l.168): they block part of
    the regime's formal revenue (oil, state finance) and its access to formal finance for its illicit
    proceeds; the sponsors' rails (world ``regimes[].sponsors``) carry part of what is blocked, at a
    cost (sim/model/phases/regime.py). Unlike the other levers, ``countries`` names the countries
    sanctioned (their regimes), not a government acting on its own ground; empty = every regime."""

    formal_cut: float = p(
        0.9,
        0.0,
        1.0,
        "share of the regime's formal revenue (oil, taxes on the formal economy) blocked",
        "001 l.60 (sanctions isolate Caracas from energy and financial markets); external: PDVSA designated in "
        "January 2019 (its dealings with US persons blocked; the US bought ~40% of its exports); ~0.1 left an assumption",
    )
    finance_cut: float = p(
        0.3,
        0.0,
        1.0,
        "share of the regime's illicit proceeds (drug protection, gold) lost for want of formal finance",
        "000 l.102, l.371-373 (crypto rails built to collect payments for oil, gold and cocaine); size an assumption",
    )
    secondary: float = p(
        0.0,
        0.0,
        1.0,
        "share of the sponsors' rail capacity closed by sanctions on the sponsors themselves",
        "001 l.29 (a Nicaraguan financial institution sanctioned); size an assumption",
    )


#: PROTON-OC's policy of imprisoning facilitators (Calderoni, Campedelli, Szekely, Paolucci and
#: Andrighetto 2022, J. Quant. Criminol. 38:197-237, doi:10.1007/s10940-020-09489-z).
PROTON_OC = "Calderoni et al. 2022 (PROTON-OC: facilitators targeted for imprisonment)"


@dataclass
class AntiLaundering(Lever):
    """Anti-money-laundering: the government follows its groups' money (004 l.2424-2428: Operation
    Titan, a bank named a laundering concern; 004 l.1750: a named bank's subsidiaries shut). Fees and
    confiscation rise on the laundering of the groups based in its countries, in proportion to each
    channel's exposure (banks most, crypto and sponsor rails least: 004 l.1877); investigators take
    down launderers, the super-fixers that move most of their groups' money first, in the spirit of
    PROTON-OC's facilitator policy (sim/model/phases/laundering.py)."""

    confiscation: float = p(
        0.05,
        0.0,
        0.5,
        "share of the laundered volume confiscated (on a fully exposed channel, besides the baseline's)",
        "004 l.2424-2426 (Titan: $23M seized against hundreds of millions laundered a year)",
    )
    fee_multiplier: float = p(
        2.0, 1.0, 10.0, "x launderers' fee on a fully exposed channel (they price the risk)", ASSUMED
    )
    takedowns_per_year: float = p(
        1.0,
        0.0,
        52.0,
        "expected launderers taken down a year were every country to apply the lever; each launderer with "
        "probability in proportion to the share of all laundered money it carries for the lever's countries' groups",
        f"{PROTON_OC}; 004 l.2424-2426 (Titan: over 130 arrests); size an assumption",
    )


@dataclass
class RemoveFacilitator(Lever):
    """The removal of one named facilitator in the lever's first week (arrest, extradition: Bout,
    004 l.2436): by default the largest super-fixer serving the groups of the lever's countries
    (004 l.2404-2454); the money it holds for its clients is seized with it
    (sim/model/phases/laundering.py)."""

    rank: int = p(
        1,
        -100,
        100,
        "which facilitator, by capacity among those serving the lever's countries' groups: 1 the largest, "
        "2 the next, -1 the smallest; 0 is not allowed (an integer)",
        "004 l.2404-2454 (a few super-fixers)",
    )
    facilitator_id: int = -1  # unique_id of the facilitator to remove (>= 0: overrides rank)
    kind: str = "launderer"  # launderer | transporter | forger | lawyer | broker | any


@dataclass
class ArmsInterdiction(Lever):
    """Stemming the US arms flows (004 l.452: "stem the flow of weapons and ammunition from the United
    States into Mexico and Central America"; l.456: needed "to turn the tide"): part of the arms the
    groups based in the lever's countries buy on the US market (world input ``arms_us_share``) no
    longer reaches them, so each dollar they spend on arms buys fewer (sim/model/phases/arms.py)."""

    supply_cut: float = p(
        0.5,
        0.0,
        1.0,
        "share of the US-sourced arms supply to the groups based in the lever's countries stopped",
        "004 l.452, l.456 (stem the pipeline of guns and ammunition); size an assumption",
    )


@dataclass
class LeverSet:
    """One of each policy lever: what one programme of government does."""

    mano_dura: ManoDura = field(default_factory=ManoDura)
    police_reform: PoliceReform = field(default_factory=PoliceReform)
    extradition: Extradition = field(default_factory=Extradition)
    border_hardening: BorderHardening = field(default_factory=BorderHardening)
    prevention: Prevention = field(default_factory=Prevention)
    truce: Truce = field(default_factory=Truce)
    eradication: Eradication = field(default_factory=Eradication)
    sanctions: Sanctions = field(default_factory=Sanctions)
    anti_laundering: AntiLaundering = field(default_factory=AntiLaundering)
    remove_facilitator: RemoveFacilitator = field(default_factory=RemoveFacilitator)
    arms_interdiction: ArmsInterdiction = field(default_factory=ArmsInterdiction)


#: The policy levers, in the order their effects are combined each week (sim/model/policies.py).
LEVERS = tuple(f.name for f in fields(LeverSet))


@dataclass
class ScenarioConfig(LeverSet):
    """A scenario: its own levers (each acting in its ``countries``, everywhere when empty) and, in
    ``governments``, further programmes by label, so that two governments can run different
    variants of the same lever in one scenario (e.g. El Salvador's 2022 regime and Honduras'
    military police). Scenario files that set different labels compose: ``scenario=[a,b]``."""

    name: str = "baseline"
    description: str = "status quo"
    governments: dict[str, LeverSet] = field(default_factory=dict)


def programmes(scenario: Any) -> list[tuple[str, Any]]:
    """The scenario's lever sets as (label, levers): its own (label ``""``), then each government's
    in label order."""
    return [("", scenario), *sorted(scenario.governments.items())]


# --------------------------------------------------------------------------------------------
# Mechanism parameters, one group per phase of the weekly step
# --------------------------------------------------------------------------------------------


@dataclass
class RoutingParams:
    """Phase 2, routing and interdiction (M1, M16, M19)."""

    k_paths: int = p(6, 1, 12, "candidate routes per production-market pair (an integer; not screened by Morris)")
    path_penalty: float = p(2.0, 1.05, 10.0, "corridor cost multiplier between searches for alternative routes")
    mode_cost_land: float = p(1.0, 0.1, 5.0, "cost multiplier of land corridors per km")
    mode_cost_river: float = p(0.8, 0.1, 5.0, "cost multiplier of river corridors per km")
    mode_cost_sea: float = p(0.4, 0.1, 5.0, "cost multiplier of sea corridors per km")
    mode_cost_air: float = p(0.6, 0.1, 5.0, "cost multiplier of air corridors per km")
    km_cost: float = p(1.0, 0.1, 5.0, "cost units per 1,000 km")
    risk_cost: float = p(
        25.0,
        0.0,
        100.0,
        "cost units per unit of perceived seizure probability (~ wholesale value / transport cost per 1,000 km)",
        "004 l.304-308",
    )
    rival_cost: float = p(1.0, 0.0, 5.0, "cost units per territory wholly held by hostile groups", "004 l.560")
    route_temperature: float = p(0.6, 0.05, 5.0, "logit temperature of route choice (cost units)")
    max_seizure: float = p(
        0.95, 0.5, 1.0, "cap on the weekly probability that a shipment passing a territory is seized"
    )
    base_seizure: float = p(
        0.02,
        0.0,
        0.2,
        "weekly seizure probability per territory at full honest capacity",
        "003 l.5 (small seizure share)",
    )
    risk_memory: float = p(0.1, 0.01, 1.0, "weekly update weight of perceived risk")
    ship_share: float = p(0.5, 0.05, 1.0, "share of producer stock shipped per week")
    transit_weeks_per_1000km: float = p(0.5, 0.1, 4.0, "weeks in transit per 1,000 km")


#: NarcoLogic (Magliocca et al., PNAS 2019, doi:10.1073/pnas.1812459116) steps by the month; its
#: monthly rates are converted to weekly ones: 1 - (1 - rate) ** (12 / 52).
NARCOLOGIC = "Magliocca et al. 2019 (NarcoLogic)"


@dataclass
class TraffickingParams:
    """Shippers that learn (M1): perceived risk per territory, loss tolerance, new routes
    (sim/model/phases/shippers.py); NarcoLogic's values as the starting point."""

    learning_rate: float = p(
        0.0964,
        0.01,
        1.0,
        "weekly weight of a shipment's own seizures in its shipper's perceived risk of a territory",
        f"{NARCOLOGIC}: rt_learn 0.3558 a month",
    )
    forget_rate: float = p(
        0.0192,
        0.0,
        0.5,
        "weekly pull of a shipper's perceived risk of a territory it does not use toward the public's (the news)",
        f"{NARCOLOGIC}: risk from the last 12 months of events (1/52 a week)",
    )
    loss_tolerance: float = p(
        0.1,
        0.0,
        0.5,
        "perceived share of a production-market pair's shipments lost to seizures above which its shipper explores",
        f"{NARCOLOGIC}: losslim 0.05 (of the largest edge's flow value, not of all shipments); set here above the "
        "default world's baseline losses (5-9%), an assumption",
    )
    trial_weeks: int = p(13, 1, 52, "weeks a newly opened route is kept before it may be dropped", ASSUMED)
    expand_max: float = p(
        9.0, 0.0, 30.0, "new territories a shipper may open per month", f"{NARCOLOGIC}: expandmax 9 nodes a month"
    )
    opening_cost: float = p(
        20000.0,
        0.0,
        500000.0,
        "USD a shipper pays per territory it opens to its routes (contacts, airstrips, bribes)",
        "004 l.3364 (an airstrip rebuilt in a day: cheap); size an assumption",
    )
    drop_share: float = p(
        0.05,
        0.001,
        0.5,
        "a route stays open while its logit weight relative to its pair's best route is at least this",
        ASSUMED,
    )


@dataclass
class InterdictionParams:
    """Interdiction that adapts (M1): each country's budget moves toward where it seizes
    (sim/model/phases/interdiction.py)."""

    mobile_share: float = p(
        0.5,
        0.0,
        1.0,
        "share of a country's interdiction budget that moves between its territories",
        f"{NARCOLOGIC}: capacity per node between sl_max/6 and sl_max; size an assumption",
    )
    learning_rate: float = p(
        0.19,
        0.0,
        1.0,
        "weekly move of the mobile budget toward where seizures per unit of effort were highest",
        f"{NARCOLOGIC}: sl_learn 0.6 a month",
    )


@dataclass
class CultivationParams:
    """Coca area, yield and farm-gate price; replanting and new area (sim/model/phases/cultivation.py)."""

    yield_kg_ha: float = p(
        7.0, 2.0, 15.0, "kg of cocaine per hectare of coca per year", "UNODC coca surveys (order of magnitude)"
    )
    replant_rate: float = p(
        1.0,
        0.0,
        5.0,
        "share of eradicated area replanted per year",
        "004 l.3324 (coca returned after forced eradication)",
    )
    expansion_rate: float = p(
        0.2,
        0.0,
        2.0,
        "new area per year, as a share of the standing area, per unit of farm-gate price above its reference",
        "004 l.3364 (growing migrates to other areas); size an assumption",
    )
    price_elasticity: float = p(
        1.0, 0.1, 3.0, "farm-gate price response to regional production below its reference", ASSUMED
    )
    risk_memory: float = p(
        0.0192,
        0.001,
        0.5,
        "weekly weight of this week's eradication in the growers' perceived eradication risk",
        "assumption: one year of memory, as the shippers (NarcoLogic)",
    )
    risk_aversion: float = p(
        5.0,
        0.0,
        50.0,
        "drop in the attractiveness of a territory for new planting per unit of yearly eradication share",
        ASSUMED,
    )


@dataclass
class MarketParams:
    """Phase 3 and production (M11)."""

    price_market: float = p(25000.0, 5000.0, 120000.0, "USD per kg wholesale at markets", "003 l.5 ($6-8B / 250-350 t)")
    price_source: float = p(2000.0, 500.0, 5000.0, "USD per kg at production", "free parameter")
    price_elasticity: float = p(0.5, 0.1, 2.0, "inverse demand elasticity")
    transit_tax: float = p(
        0.05,
        0.0,
        0.3,
        "share of local shipment value taxed by a territory's controller",
        "004 l.2422, l.3222, l.3328 (M11)",
    )
    production_tax: float = p(0.1, 0.0, 0.5, "share of production value taxed by its controller", "004 l.3328")
    last_mile_share: float = p(
        0.5,
        0.05,
        1.0,
        "share of wholesale value kept by whoever holds the last plaza before a market",
        "004 l.560 (Juarez: plazas at the border are fought over)",
    )
    production_growth: float = p(0.0, -0.2, 0.2, "yearly growth of production")
    supply_memory: float = p(0.1, 0.01, 1.0, "weekly weight of new deliveries in the supply average that sets prices")
    price_ratio_min: float = p(
        0.05, 0.01, 0.5, "lowest ratio of demand to supply ema the wholesale price responds to (glut floor)"
    )
    price_ratio_max: float = p(
        20.0, 2.0, 100.0, "highest ratio of demand to supply ema the wholesale price responds to (scarcity ceiling)"
    )


@dataclass
class CorruptionParams:
    """Phase 4, plata o plomo (M3, M12, M16)."""

    integrity_sd: float = p(0.05, 0.0, 0.3, "spread of unit integrity around the national mean")
    mean_tenure_years: float = p(5.5, 1.0, 20.0, "mean years in post of officers at the start")
    min_tenure_years: float = p(
        1.0, 0.0, 1.0, "shortest years in post at the start (uniform up to 2 x mean_tenure_years - this)", ASSUMED
    )
    local_recruitment: float = p(0.7, 0.0, 1.0, "share of officers recruited locally", "004 l.3338")
    wage_usd_week: float = p(120.0, 20.0, 2000.0, "median weekly wage (USD) that police pay is relative to")
    offer_rate: float = p(0.02, 0.0, 0.1, "weekly share of honest officers receiving an offer where groups are present")
    bribe_weight: float = p(2.0, 0.0, 10.0, "logit weight of bribe relative to pay", "004 l.518")
    integrity_weight: float = p(4.0, 0.0, 10.0, "logit weight of integrity")
    tenure_weight: float = p(0.15, 0.0, 1.0, "logit weight per year of local tenure", "004 l.3338, l.522-524")
    threat_weight: float = p(1.0, 0.0, 5.0, "logit weight of armed threat (plomo)")
    oversight_weight: float = p(3.0, 0.0, 10.0, "logit weight of oversight")
    base_logit: float = p(-1.0, -6.0, 2.0, "logit intercept of accepting an offer")
    turnover: float = p(0.01, 0.0, 0.05, "weekly share of corrupt officers leaving, caught or dropped")
    court_capture_rate: float = p(0.01, 0.0, 0.1, "weekly rate courts follow corrupt police", "004 l.518")
    court_threshold: float = p(0.3, 0.0, 1.0, "corrupt-police share above which courts get captured", "004 l.518")
    operate_threshold: float = p(0.6, 0.0, 1.0, "corrupt share above which a unit operates the trade", "003 l.7, l.14")
    military_corruptibility_weeks: float = p(
        104.0, 10.0, 520.0, "weeks of embedding until troops are as corruptible as police", "004 l.524"
    )
    bribe_share: float = p(0.2, 0.0, 1.0, "share of local criminal value offered as bribes")
    bribe_per_member: float = p(50.0, 0.0, 500.0, "USD offered per armed member present per week")
    presence_scale: float = p(0.1, 0.01, 2.0, "armed members per officer at which offers reach 63% of a unit")
    patron_change_loss: float = p(0.5, 0.0, 1.0, "share of a payroll lost when the dominant group changes")
    bribe_cost_weeks: float = p(0.5, 0.0, 52.0, "weeks of pay paid per newly corrupted officer")
    court_recovery: float = p(0.1, 0.0, 1.0, "court recovery rate relative to capture rate when police are clean")
    patron_threshold: float = p(
        0.01, 0.0, 0.1, "corrupt share of a unit above which it has a patron (who pays and is protected)", ASSUMED
    )


@dataclass
class ViolenceParams:
    """Phase 5, territorial competition and violence (M7, M8)."""

    background_share: float = p(0.5, 0.0, 1.0, "share of the baseline homicide rate not tied to organised crime")
    conflict_kill_rate: float = p(
        0.003, 0.0, 0.05, "killings per engaged armed member per week in a contested plaza", "004 l.2622-2628"
    )
    civilian_ratio: float = p(1.0, 0.0, 5.0, "bystander deaths per combatant death")
    gang_kill_rate: float = p(
        0.004, 0.0, 0.03, "homicides per gang member per week (extortion, retail)", "004 l.2630-2634"
    )
    gang_crowding: float = p(
        0.0,
        0.0,
        0.05,
        "per gang member per 100k residents: a gang member's killing rate is divided by 1 + this x the "
        "territory's gang members per 100k (0: killing in proportion to members); 1/this is the density "
        "at which it halves",
        "003 l.245; UNODC 2012 (El Salvador ~2x Honduras' maras per resident at a similar homicide rate)",
    )
    pax_factor: float = p(0.3, 0.0, 1.0, "violence multiplier in a monopolised plaza with a pact", "004 l.2622-2628")
    dominance: float = p(0.6, 0.5, 1.0, "strength share that makes a plaza monopolised")
    expansion_rate: float = p(0.02, 0.0, 0.2, "weekly share of members redeployed toward valuable plazas")
    foothold: float = p(100.0, 1.0, 5000.0, "members in a territory from which a group can move into its neighbours")
    scatter_share: float = p(
        0.1,
        0.0,
        1.0,
        "share of foothold below which a group's members in a plaza scatter and rejoin elsewhere",
        ASSUMED,
    )
    expansion_range_km: float = p(
        1000.0, 100.0, 20000.0, "distance from home (km along corridors) over which a plaza's value falls by 1/e"
    )
    abuse_kill_rate: float = p(
        0.02, 0.0, 0.2, "abuse killings per 1,000 militarised officers per week", "004 l.711-713"
    )
    deterrence: float = p(0.5, 0.0, 5.0, "violence reduction per unit of current military boost", "004 l.522")
    neutral_hostility: float = p(0.3, 0.0, 1.0, "hostility between co-present groups neither allied nor rival")
    gang_engagement: float = p(
        1.0,
        0.01,
        1.0,
        "share of a gang's members who fight hostile groups in a week (the rest extort, sell and keep watch)",
        "assumption; gang work is extortion and retail, 004 l.2630-2634",
    )
    contest_threshold: float = p(0.05, 0.0, 0.5, "engaged members / armed presence above which a plaza is contested")
    pact_corruption: float = p(
        0.2, 0.0, 1.0, "corrupt police share with the controller that makes a pact", "004 l.2622-2628"
    )
    extortion_value: float = p(
        430.0,
        0.0,
        5000.0,
        "USD per week 1,000 residents are worth to a group (what they can be made to pay)",
        "external approx: Honduran businesses and households paid ~$200M a year in extortion (2015, Honduran "
        "chamber of commerce as reported by InSight Crime; ~8.9M residents: ~430). Higher elsewhere: El Salvador "
        "~$756M a year (2014, central bank and UNDP: ~2,300); La Familia Michoacana 'USD 1.9 million' a day, "
        "'likely highly exaggerated' (004 l.3008: ~2,900 in Michoacán). The lowest is used. 20 until 2026-12-05, "
        "an assumption that drew the maras out of the cities toward the drug corridors",
    )


@dataclass
class GangParams:
    """Phase 6, gangs and communities (M2, M9, M17)."""

    extortion_per_member: float = p(30.0, 0.0, 500.0, "USD extorted per gang member per week", "004 l.2630")
    subcontract_share: float = p(
        0.005, 0.0, 0.1, "share of the value of drugs passing paid to local gangs", "004 l.308"
    )
    militia_tolerance: float = p(
        0.15, 0.0, 1.0, "extortion victimisation share that triggers a militia", "004 l.2974-3118"
    )
    militia_predation_prob: float = p(0.01, 0.0, 0.1, "weekly probability a militia turns predatory", "004 l.3328-3330")
    militia_capture_prob: float = p(
        0.01, 0.0, 0.1, "weekly probability a militia is captured by a cartel", "004 l.3328-3330"
    )
    militia_size: float = p(0.002, 0.0, 0.02, "militia members per resident")
    militia_cohesion: float = p(
        0.8, 0.0, 1.0, "cohesion of a newly formed militia (community-based groups start united)", "004 l.2974-3118"
    )
    diversify_rate: float = p(
        0.05, 0.0, 0.5, "weekly rise of diversification when squeezed", "004 l.202, l.3024-3026, l.3366"
    )
    squeeze_ratio: float = p(0.8, 0.0, 1.0, "drug income relative to its yearly norm below which a group is squeezed")
    diversify_decay: float = p(0.0125, 0.0, 0.5, "weekly fall of diversification when not squeezed")
    drug_norm_weeks: float = p(
        52.0,
        1.0,
        520.0,
        "weeks: memory of the drug-income norm squeeze_ratio compares with (weekly weight 1/this)",
        ASSUMED,
    )
    extortion_reach: float = p(20.0, 1.0, 200.0, "residents reached per extorting member")
    mining_per_member: float = p(
        100.0,
        0.0,
        1000.0,
        "USD per week per diversified member in mining territories",
        "000 l.232, l.263-267 (ELN, dissidents: illegal gold)",
    )
    smuggling_base_share: float = p(0.3, 0.0, 1.0, "share of migrants paying smugglers at an open border", "004 l.300")
    smuggling_fee: float = p(3000.0, 100.0, 20000.0, "USD per smuggled migrant", "004 l.300 ('thousands of dollars')")
    smuggling_fee_control: float = p(2.0, 0.0, 10.0, "fee rise per unit of migrant control", "004 l.388-390, l.2766")
    militia_max_state: float = p(0.6, 0.0, 1.0, "state presence above which communities do not arm", "004 l.2974-3118")


@dataclass
class RecruitmentParams:
    """Phase 7, recruitment (M6, M14)."""

    base_rate: float = p(
        0.00004,
        0.0,
        0.001,
        "weekly recruits per NEET youth at full pull",
        "004 l.326; scale: Mexican cartels recruit ~350 a week (Prieto-Curiel et al. 2023)",
    )
    revenue_pull: float = p(500.0, 10.0, 10000.0, "USD per member per week at which pull is half")
    abuse_grievance: float = p(0.5, 0.0, 5.0, "extra recruitment per 10 abuses per 100k per year", "004 l.747-751")
    prison_recruit_rate: float = p(
        0.01, 0.0, 0.1, "weekly share of non-member inmates recruited at full crowding", "003 l.241-252"
    )
    attrition: float = p(0.002, 0.0, 0.02, "weekly share of members leaving")
    gang_attrition: float = p(
        0.0005,
        0.0,
        0.005,
        "weekly share of gang members leaving (mean stay ~40 years at 0.0005: exits are death, prison or conversion)",
        "external: Brenneman, Homies and Hermanos (2012); Cruz et al., The New Face of Street Gangs (FIU 2017); value assumed",
    )
    initial_cash_weeks: float = p(10.0, 0.0, 104.0, "weeks of upkeep an organisation holds at the start")
    upkeep: float = p(100.0, 0.0, 2000.0, "USD paid per free cartel member per week")
    gang_upkeep: float = p(
        20.0, 0.0, 500.0, "USD a gang spends per free member per week (members live off extortion)", "004 l.2630-2632"
    )
    unpaid_exit: float = p(0.05, 0.0, 1.0, "weekly share of unpaid members who leave")


@dataclass
class EnforcementParams:
    """Phase 8, enforcement (M4, M5, M15, M18)."""

    arrest_rate: float = p(0.004, 0.0, 0.05, "weekly arrests per member at full honest capacity")
    max_arrest_share: float = p(
        0.5, 0.1, 1.0, "cap on the share of a group's members in a territory arrested in one week"
    )
    max_capacity: float = p(
        5.0, 1.0, 20.0, "cap on a unit's enforcement capacity (1 = reference police density, honest, no troops)"
    )
    leader_target_rate: float = p(
        0.004, 0.0, 0.05, "weekly probability a leader is removed at full capacity", "004 l.236-238"
    )
    military_boost: float = p(1.5, 0.0, 5.0, "extra capacity from troops, decaying", "004 l.522")
    military_decay_weeks: float = p(52.0, 4.0, 520.0, "e-folding time of the military effect", "004 l.522-524")
    tips_weight: float = p(0.8, 0.0, 1.0, "share of investigations needing tips", "004 l.542-554")
    abuse_rate: float = p(0.05, 0.0, 0.5, "abuses per arrest without investigation", "004 l.536-538, l.586")
    military_abuse: float = p(3.0, 0.0, 10.0, "extra abuses per arrest by troops, relative", "004 l.524, l.711-713")
    reference_police_per_100k: float = p(300.0, 50.0, 1000.0, "officers per 100k giving capacity 1")
    deploy_rate: float = p(0.25, 0.01, 1.0, "weekly approach of troop levels to their target when deploying")
    withdraw_rate: float = p(0.05, 0.01, 1.0, "weekly approach of troop levels to their target when withdrawing")
    military_investigation_penalty: float = p(0.8, 0.0, 1.0, "share of investigative capacity troops lack", "004 l.532")
    abuse_memory: float = p(0.05, 0.0, 1.0, "weekly update weight of the abuse index")
    embed_threshold: float = p(
        0.01, 0.0, 0.1, "military share of a unit above which its troops count as embedded (weeks accumulate)", ASSUMED
    )


@dataclass
class PrisonParams:
    """Phase 9, prisons (M15, M18)."""

    sentence_years: float = p(6.0, 0.5, 30.0, "mean sentence of convicted members")
    pretrial_weeks: float = p(12.0, 1.0, 104.0, "mean pre-trial detention of the unconvicted")
    prison_command: float = p(
        0.7, 0.0, 1.0, "probability a leader in a domestic prison still commands", "000 l.214; 004 l.212"
    )
    crowding_recruitment: float = p(1.0, 0.0, 5.0, "extra recruitment per unit of overcrowding", "003 l.241-252")
    initial_other_occupancy: float = p(0.4, 0.0, 2.0, "non-member inmates at the start, as a share of capacity")


@dataclass
class LeadershipParams:
    """Phase 10, leadership and fragmentation (M7)."""

    split_base: float = p(0.5, 0.0, 1.0, "probability of a split when succession fails", "004 l.236-238")
    cohesion_loss: float = p(0.15, 0.0, 1.0, "cohesion lost at each leader removal", "004 l.3022-3036")
    cohesion_recovery: float = p(0.005, 0.0, 0.05, "weekly cohesion recovery")
    splinter_share: float = p(0.45, 0.1, 0.9, "share of members leaving with a splinter group")
    min_members: float = p(30.0, 1.0, 500.0, "members below which a group dissolves")
    succession_weeks: float = p(6.0, 1.0, 52.0, "weeks until a successor retakes markets", "004 l.3022-3036")
    disruption: float = p(0.7, 0.0, 1.0, "share of expansion lost during a succession crisis", "004 l.3022-3036")
    splinter_cohesion: float = p(0.4, 0.0, 1.0, "cohesion of a splinter group at its founding", "004 l.236-238")
    returned_cohesion: float = p(
        0.5, 0.0, 1.0, "cohesion of the group a returned extradited leader founds", "000 l.267"
    )
    ally_inheritance: float = p(0.5, 0.0, 1.0, "probability a splinter inherits each alliance of its parent", ASSUMED)
    split_min_multiple: float = p(
        2.0, 1.0, 10.0, "members a group needs to split, as a multiple of min_members (it must exceed it)", ASSUMED
    )
    returned_members_multiple: float = p(
        2.0,
        1.0,
        10.0,
        "members of the group a returned extradited leader founds, as a multiple of min_members",
        ASSUMED,
    )
    splinter_lieutenants: int = p(
        1, 0, 5, "succession depth of a splinter group at its founding (an integer; not screened by Morris)", ASSUMED
    )
    returned_lieutenants: int = p(
        1,
        0,
        5,
        "succession depth of the group a returned extradited leader founds (an integer; not screened by Morris)",
        ASSUMED,
    )


@dataclass
class PoliticsParams:
    """Phase 11, politics (M13, M18)."""

    finance_rate: float = p(
        0.005, 0.0, 0.1, "share of weekly income given as illicit campaign money", "004 l.2668-2700"
    )
    capture_threshold: float = p(0.5, 0.0, 20.0, "illicit money (M USD) capturing a politician of integrity 0")
    money_vote_weight: float = p(1.0, 0.0, 5.0, "logit weight of illicit money on winning", "004 l.3334")
    block_extradition: float = p(0.8, 0.0, 1.0, "probability a captured executive blocks an extradition", "000 l.214")
    crackdown_demand: float = p(0.5, 0.0, 2.0, "enforcement pressure per doubling of homicides", "004 l.384")
    integrity_mean: float = p(
        0.67, 0.05, 0.95, "mean integrity of politicians (Beta, concentration integrity_concentration)"
    )
    integrity_concentration: float = p(
        6.0, 1.0, 50.0, "concentration (a + b) of the Beta distribution of politicians' integrity", ASSUMED
    )
    election_stagger_weeks: int = p(
        13, 0, 52, "weeks between successive countries' election weeks (an integer; not screened by Morris)", ASSUMED
    )
    elected_capture_share: float = p(
        0.5,
        0.0,
        1.0,
        "share of capture_threshold at which a winner financed by crime starts captured",
        ASSUMED,
    )
    brokers_per_country: int = p(
        2, 0, 10, "national brokers (legislators) per country (an integer; not screened by Morris)", "004 l.3334"
    )
    broker_passthrough: float = p(
        0.1, 0.0, 1.0, "yearly share of a captured broker's money passed to the executive", "004 l.3334"
    )


@dataclass
class CommunityParams:
    """Phase 12, community update (M5, M14)."""

    trust_rate: float = p(0.02, 0.0, 0.2, "weekly adjustment rate of trust", "004 l.542-554")
    effectiveness_weight: float = p(
        10.0, 0.0, 30.0, "steepness of trust's response to state effectiveness", "004 l.542-554"
    )
    trust_floor: float = p(0.2, 0.0, 0.9, "trust that does not depend on the state's effectiveness")
    effectiveness_pivot: float = p(0.45, 0.0, 1.0, "effectiveness at which trust is halfway", "004 l.542-554")
    violence_weight: float = p(
        0.3, 0.0, 2.0, "trust lost per violence_doublings doublings of (1 + homicide rate / violence_reference_rate)"
    )
    violence_reference_rate: float = p(
        10.0,
        1.0,
        100.0,
        "homicides per 100k per year: the violence penalty counts doublings of (1 + rate / this)",
        ASSUMED,
    )
    violence_doublings: float = p(
        4.0, 1.0, 10.0, "doublings of (1 + rate / violence_reference_rate) that cost violence_weight of trust", ASSUMED
    )
    abuse_weight: float = p(0.1, 0.0, 1.0, "trust lost per 10 abuses per 100k per year", "004 l.747-751")
    tips_exponent: float = p(2.5, 0.5, 5.0, "tips = trust^k (convex: the few who trust report little)", "004 l.542")
    emigration_base: float = p(
        0.000025,
        0.0,
        0.001,
        "weekly emigration share at zero violence and no idle youth",
        "scaled so the Northern Triangle loses ~1.3%/yr: 9% in recent years, 004 l.326",
    )
    emigration_violence: float = p(1.0, 0.0, 5.0, "emigration elasticity to homicide rate / 10", "004 l.326-328")
    emigration_neet: float = p(2.0, 0.0, 10.0, "emigration rise per unit NEET share", "004 l.302, l.326")
    max_emigration: float = p(0.01, 0.001, 0.05, "cap on the weekly share of a territory's residents who emigrate")
    initial_trust: float = p(0.6, 0.0, 1.0, "trust in the state before violence is subtracted")
    fear_memory: float = p(0.05, 0.0, 1.0, "weekly update weight of fear")
    rotation_trust_cost: float = p(1.0, 0.0, 5.0, "trust lost per unit of officers rotated", "004 l.524")


@dataclass
class FacilitatorParams:
    """Facilitators (M10)."""

    tie_weeks: float = p(26.0, 1.0, 260.0, "mean duration of a service tie", "004 l.2404-2454")
    clients_per_capacity: float = p(3.0, 0.5, 20.0, "clients served per unit capacity")
    unserved_cost: float = p(
        0.1,
        0.0,
        1.0,
        "share of revenue lost without a transporter (laundering: params.laundering.unserved_loss)",
        "004 l.2422",
    )
    fee: float = p(
        0.025,
        0.0,
        0.3,
        "share of revenue paid as the transporter's fee (laundering: params.laundering.fee); half the 0.05 "
        "once charged for transport and laundering together",
    )


#: Channels a launderer moves money through (sim/model/phases/laundering.py), each with its
#: exposure to anti-laundering: banks (004 l.2408, l.2428, l.1750), trade-based schemes and front
#: businesses (004 l.2448, l.3334), crypto and foreign sponsors' rails (000 l.100-102; 004 l.1877).
CHANNELS = ("bank", "trade", "crypto")


@dataclass
class LaunderingParams:
    """Laundering (M10 extended, sim/model/phases/laundering.py): every week each cartel's and gang's
    income of the last week passes through its launderers; what they cannot carry is moved by the
    group itself, at a loss. Baseline fee and loss equal the laundering half of what the services
    phase charged before laundering was a flow of its own."""

    fee: float = p(
        0.025,
        0.0,
        0.3,
        "share of the laundered volume paid to the launderer",
        "assumption: half the 0.05 services fee once charged for transport and laundering together",
    )
    unserved_loss: float = p(
        0.1,
        0.0,
        1.0,
        "share of the income its launderers cannot carry that a group loses moving it itself (bulk cash, own fronts)",
        "004 l.2422, l.3334, l.2448; half the 0.2 once lost without either service",
    )
    confiscation: float = p(
        0.002,
        0.0,
        0.1,
        "share of the laundered volume confiscated at baseline (on a fully exposed channel)",
        "UNODC 2011, Estimating illicit financial flows: under 1% (about 0.2%) of laundered proceeds seized",
    )
    usd_per_capacity: float = p(
        5.0e7,
        1.0e6,
        1.0e9,
        "USD a week a launderer of capacity 1 can carry (a launderer stands for a laundering network)",
        "004 l.2448 (Joumaa: up to $200M a month through one bank and others); 004 l.2680 ($120M in five years)",
    )
    exposure_bank: float = p(
        1.0,
        0.0,
        1.0,
        "exposure of bank channels to anti-laundering (x its fees and confiscation)",
        "004 l.1750, l.2428",
    )
    exposure_trade: float = p(
        0.5,
        0.0,
        1.0,
        "exposure of trade-based and front-business channels to anti-laundering",
        "004 l.2448, l.3334; size an assumption",
    )
    exposure_crypto: float = p(
        0.2,
        0.0,
        1.0,
        "exposure of crypto and foreign sponsors' rails to anti-laundering",
        "004 l.1877 (laundering through Russia, beyond U.S. asset freezes); 000 l.100-102; size an assumption",
    )
    seized_weeks: float = p(
        3.0,
        0.0,
        26.0,
        "weeks of its clients' volume seized with a launderer taken down (the money in its pipeline)",
        "004 l.2424-2426 ($23M seized against hundreds of millions a year: a few weeks' volume)",
    )
    entry_weeks: float = p(
        26.0,
        1.0,
        520.0,
        "mean weeks before a newcomer takes the place of a facilitator taken down (capacity drawn afresh)",
        "004 l.2452 (most middlemen are small; a few grow into super-fixers); size an assumption",
    )
    vetting_weeks: float = p(
        8.0,
        0.0,
        52.0,
        "weeks a group whose launderer was taken down or removed takes no new launderer (it vets newcomers); "
        "meanwhile its other launderers, or its own bulk cash at unserved_loss, move its money",
        "004 l.2404 (the groups contract vetted individuals), l.2430-2436 (undercover agents posing as partners; "
        "Bout caught in a sting); size an assumption",
    )


@dataclass
class GoldParams:
    """Illicit gold (sim/model/phases/gold.py): the output of the mining territories (world input
    ``gold_t``), taxed by the group that controls the territory and by a regime on its own ground,
    sold abroad at a discount (000 l.100, l.232, l.267; 004 l.3366). The laundering of the proceeds
    as money is ``params.laundering``; ``laundering_loss`` is the gold's own discount."""

    price_usd_kg: float = p(
        40000.0,
        10000.0,
        100000.0,
        "USD per kg of gold sold abroad",
        "external approx: ~1,250 USD per troy ounce, mean of 2014-2019 (LBMA); 32.15 oz per kg",
    )
    group_take: float = p(
        0.2,
        0.0,
        1.0,
        "share of a territory's gold output taken by the group that controls it (taxes on miners, own dredges)",
        "000 l.232, l.267 (ELN, FARC dissidents in illicit gold); 004 l.3366 (mining rivals cocaine); size an assumption",
    )
    regime_take: float = p(
        0.3,
        0.0,
        1.0,
        "share of the gold output of a regime's territory taken by the regime (state purchase, military control)",
        "000 l.100, l.102 (illicit gold among the regime's revenues); size an assumption",
    )
    laundering_loss: float = p(
        0.2,
        0.0,
        1.0,
        "share of gold proceeds lost when illicit gold is passed into the legal market (sold below price "
        "through smugglers and refiners)",
        "000 l.102, l.371-373 (crypto rails to collect payments for illicit gold); size an assumption",
    )


@dataclass
class ArmsParams:
    """Arms flows (sim/model/phases/arms.py): groups spend part of their income on arms and
    ammunition (004 l.458), from the US civilian market (004 l.452-456, l.464) or from state arsenals
    that leak (002 l.16; Venezuela's filled by its foreign suppliers: 001 l.13, l.155); the stock wears
    out. A group's firepower is its stock relative to the stock the same spending would hold at the
    status quo's supply (1 in the status quo); firepower makes its killings more lethal and its
    members harder to arrest (004 l.452-456, l.681-683)."""

    spend_share: float = p(
        0.05,
        0.0,
        0.5,
        "share of a group's income of the previous week spent on arms and ammunition",
        "004 l.458 (drug money buys the weapons and the mercenary armies); size an assumption",
    )
    price_usd: float = p(
        2000.0,
        100.0,
        20000.0,
        "USD per unit (a firearm with its ammunition) delivered to the group",
        "004 l.464 (bought at US gun shows, cheap at source); mark-up across the border an assumption",
    )
    service_years: float = p(
        5.0, 0.5, 30.0, "mean years a unit stays in service (lost, seized, worn out, its ammunition spent)", ASSUMED
    )
    lethality_elasticity: float = p(
        0.5,
        0.0,
        2.0,
        "elasticity of combat and gang killings in a territory to the firepower of the groups there",
        "004 l.452-454 (the pipeline of guns produces carnage); size an assumption",
    )
    arrest_elasticity: float = p(
        0.5,
        0.0,
        2.0,
        "elasticity of the arrest rate of a group's members to its firepower (with a minus sign)",
        "004 l.452-454, l.681-683 (police out-gunned, overwhelmed); size an assumption",
    )
    max_firepower: float = p(
        4.0, 1.0, 20.0, "bound of a group's firepower (stock / status-quo stock): within [1/this, this]", ASSUMED
    )
    start_memory_weeks: float = p(
        13.0, 1.0, 104.0, "weeks: memory of the purchases that set a group's stock during the burn-in", ASSUMED
    )


@dataclass
class RegimeParams:
    """A captured state (sim/model/phases/regime.py): what it takes from the trade, how it shelters its
    allies and pushes into crime when its revenue falls (000 l.58, l.92-114, l.267, l.331; 001 l.60-68,
    l.155-174; 002 l.1, l.9; 003 l.7, l.14)."""

    protection_rate: float = p(
        0.1,
        0.0,
        0.5,
        "share of the value of the drugs passing each of its territories the regime takes as protection",
        "003 l.5, l.7, l.10 (250-350 t a year leave Venezuela; drug trafficking the regime's main financing); "
        "size an assumption",
    )
    operate_share: float = p(
        0.5,
        0.0,
        1.0,
        "share of a regime territory's security forces that move the sheltered groups' drugs themselves (no "
        "seizures), at full loyalty",
        "003 l.7, l.14 (armed forces directly involved in moving drugs, no longer only bribed); size an assumption",
    )
    shelter: float = p(
        0.8,
        0.0,
        1.0,
        "share of arrests and leader targeting of sheltered groups in the regime's territory forgone, at full loyalty",
        "000 l.267 (a dissident bloc under direct political protection); 002 l.9 ('protects and gives space'); "
        "size an assumption",
    )
    sanctuary_members: float = p(
        50.0,
        0.0,
        5000.0,
        "members a sheltered group needs in the regime's territory for its leader to take refuge there",
        "002 l.8-9 (Arauca's armed groups find sanctuary across the border); size an assumption",
    )
    ally_share: float = p(
        0.005,
        0.0,
        0.1,
        "share of the regime's revenue paid to the groups it shelters",
        "000 l.58 (funds to rally new and old allies); 002 l.9; size an assumption",
    )
    loyalty_need: float = p(
        0.3,
        0.0,
        1.0,
        "share of its formal revenue before sanctions the regime must keep for its forces' full loyalty",
        "000 l.64 (in power because of the armed forces' support), l.299 (Bolivia: forces withdrew support); "
        "size an assumption",
    )
    squeeze_ratio: float = p(
        0.9,
        0.0,
        1.0,
        "revenue relative to its yearly norm below which the regime pushes into crime",
        "000 l.92, l.331 (sanctions met by illicit revenue); size an assumption",
    )
    effort_rate: float = p(
        0.05, 0.0, 0.5, "weekly rise of the regime's illicit effort while squeezed", "as gangs.diversify_rate"
    )
    effort_decay: float = p(
        0.0125, 0.0, 0.5, "weekly fall of the regime's illicit effort when not squeezed", "as gangs.diversify_decay"
    )
    effort_gain: float = p(
        1.0,
        0.0,
        5.0,
        "at full illicit effort, x (1 + this) the protection rate, the operated share and the gold take",
        "000 l.92, l.331; 003 l.14 (from taking bribes to leading operations); size an assumption",
    )
    revenue_memory_weeks: float = p(
        52.0, 1.0, 520.0, "weeks: memory of the revenue norm squeeze_ratio compares with", ASSUMED
    )


@dataclass
class ParamsConfig:
    routing: RoutingParams = field(default_factory=RoutingParams)
    trafficking: TraffickingParams = field(default_factory=TraffickingParams)
    interdiction: InterdictionParams = field(default_factory=InterdictionParams)
    cultivation: CultivationParams = field(default_factory=CultivationParams)
    market: MarketParams = field(default_factory=MarketParams)
    corruption: CorruptionParams = field(default_factory=CorruptionParams)
    violence: ViolenceParams = field(default_factory=ViolenceParams)
    gangs: GangParams = field(default_factory=GangParams)
    recruitment: RecruitmentParams = field(default_factory=RecruitmentParams)
    enforcement: EnforcementParams = field(default_factory=EnforcementParams)
    prisons: PrisonParams = field(default_factory=PrisonParams)
    leadership: LeadershipParams = field(default_factory=LeadershipParams)
    politics: PoliticsParams = field(default_factory=PoliticsParams)
    community: CommunityParams = field(default_factory=CommunityParams)
    facilitators: FacilitatorParams = field(default_factory=FacilitatorParams)
    gold: GoldParams = field(default_factory=GoldParams)
    regime: RegimeParams = field(default_factory=RegimeParams)
    laundering: LaunderingParams = field(default_factory=LaunderingParams)
    arms: ArmsParams = field(default_factory=ArmsParams)


# --------------------------------------------------------------------------------------------
# Replays (the replay group): a country's world inputs as of an episode's year
# --------------------------------------------------------------------------------------------


@dataclass
class CountryAsOf:
    """A country's state as of a replay's year (``configs/replay/*.yaml``, each figure with its source
    on its line); ``None`` keeps the settled world's. Pinned by sim/model/replay.py."""

    homicide_rate: float | None = None  # per 100k per year in the year before the episode: the observed rate
    police_per_100k: float | None = None  # police officers per 100,000 population
    prison_capacity_per_100k: float | None = None  # prison places per 100,000 population
    prisoners_per_100k: float | None = None  # inmates per 100,000 (members held included)
    members: int | None = None  # members, free and held, of the organisations based in the country
    extradites: bool | None = None  # whether the country extradites nationals to the US
    gang_pact: float | None = None  # share of gang violence a pact in force before the episode suspends (until week 0)


@dataclass
class ReplayConfig:
    """An episode replayed from the state of its year: ``countries`` pins each listed country's state
    (:class:`CountryAsOf`) ``settle_weeks`` before the episode, after the burn-in has settled the world;
    empty = the world preset's stylised present (no replay)."""

    name: str = "none"
    year: int = 0  # the episode's first year (0: no replay)
    description: str = ""
    countries: dict[str, CountryAsOf] = field(default_factory=dict)  # ISO code -> state as of ``year``
    # weeks from the pin to the episode's start: 52 pins the start of year 0, the year before the
    # episode, which the replay criteria's ``start`` rows read (data/replays.csv); 1 to the burn-in
    settle_weeks: int = 52


@dataclass
class OutputConfig:
    write: bool = True  # write the Parquet/JSON outputs into the run directory
    territory_every: int = 1  # sample territories.parquet every N weeks


@dataclass
class Config:
    """Root config. One step is one week; ``steps`` weeks are simulated after ``burn_in``."""

    seed: int = 0
    steps: int = 520  # weeks after the burn-in (10 years)
    burn_in: int = 104  # weeks before policies may start; configs/config.yaml sets it to the world's ``burn_in``
    progress: bool = True
    # a result store folder: each run goes to <store>/<hash of its config>/ and is skipped when
    # complete, so a relaunched sweep resumes (sim/analysis/store.py); empty = Hydra's output folder
    store: str = ""
    world: WorldConfig = field(default_factory=WorldConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    params: ParamsConfig = field(default_factory=ParamsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    replay: ReplayConfig = field(default_factory=ReplayConfig)  # the replay group (configs/replay/)


def declared_ranges(groups: tuple[str, ...] = ()) -> dict[str, tuple[float, float]]:
    """{``group.name``: (lo, hi)} for every documented parameter under ``params`` (optionally only
    some groups): the ranges :func:`validate` enforces, searched by calibration and sensitivity."""
    out: dict[str, tuple[float, float]] = {}
    for g in fields(ParamsConfig):
        if (groups and g.name not in groups) or not is_dataclass(g.default_factory):
            continue
        for f in fields(g.default_factory):
            rng = f.metadata.get("range")
            if (
                rng is not None and rng[1] > rng[0] and f.type not in ("int", int)
            ):  # structural integers are not searched
                out[f"{g.name}.{f.name}"] = (float(rng[0]), float(rng[1]))
    return out


def register() -> None:
    """Register the schema in Hydra's ConfigStore (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="schema", node=Config)


# --------------------------------------------------------------------------------------------
# Validation of values (types are checked by OmegaConf; ranges and cross-references here)
# --------------------------------------------------------------------------------------------


class ConfigError(ValueError):
    """A config value is out of range or inconsistent. ``str(err)`` is one line for users."""


def _check_params(node: Any, path: str, schema: type) -> None:
    for f in fields(schema):
        val = getattr(node, f.name)
        key = f"{path}.{f.name}"
        sub = globals().get(f.type) if isinstance(f.type, str) else f.type  # a nested group's dataclass
        if isinstance(sub, type) and is_dataclass(sub):
            _check_params(val, key, sub)
            continue
        rng = f.metadata.get("range")
        if rng is not None and isinstance(val, (int, float)) and not isinstance(val, bool):
            lo, hi = rng
            if not (math.isfinite(val) and lo <= val <= hi):
                raise ConfigError(f"{key}={val}: allowed range is [{lo}, {hi}] ({f.metadata['units']})")


def validate(cfg: Any) -> None:
    """Check ranges and cross-references of a composed config; raise ConfigError naming the key."""
    if cfg.steps < 1:
        raise ConfigError(f"steps={cfg.steps}: must be an integer >= 1 (weeks after burn-in)")
    if cfg.burn_in < 0:
        raise ConfigError(f"burn_in={cfg.burn_in}: must be an integer >= 0 (weeks)")
    if cfg.output.territory_every < 1:
        raise ConfigError(f"output.territory_every={cfg.output.territory_every}: must be >= 1")
    w = cfg.world
    if not w.territories and w.n_territories < 4:
        raise ConfigError(f"world.n_territories={w.n_territories}: must be an integer >= 4")
    if w.n_facilitators < 0:
        raise ConfigError(f"world.n_facilitators={w.n_facilitators}: must be >= 0")
    _check_params(cfg.params, "params", ParamsConfig)
    _check_params(w, "world", WorldConfig)
    codes = country_codes(w)
    _validate_replay(cfg.replay, codes, int(cfg.burn_in))
    for label, levers in programmes(cfg.scenario):
        where = f"scenario.governments.{label}" if label else "scenario"
        _check_params(levers, where, LeverSet)
        for lever in LEVERS:
            lv = getattr(levers, lever)
            if lv.start < 0:
                raise ConfigError(f"{where}.{lever}.start={lv.start}: must be >= 0 (weeks after burn-in)")
            if lv.duration < -1 or lv.duration == 0:
                raise ConfigError(f"{where}.{lever}.duration={lv.duration}: must be -1 (open-ended) or >= 1")
            unknown = [c for c in lv.countries if c not in codes and c != REGION]
            if unknown:
                raise ConfigError(
                    f"{where}.{lever}.countries: unknown country {unknown[0]}; allowed: {REGION}, {', '.join(codes)}"
                )
        _check_removal(levers.remove_facilitator, f"{where}.remove_facilitator")
    if w.territories:
        _validate_world_tables(w)
    else:
        _validate_generator(w.generator)


def _check_removal(lv: Any, where: str) -> None:
    """A ``remove_facilitator`` lever names a rank other than 0 and a kind of facilitator."""
    from sim.model.agents import Facilitator  # the kinds live with the agent

    if lv.rank == 0:
        raise ConfigError(f"{where}.rank=0: 1 is the largest, -1 the smallest")
    if lv.kind != "any" and lv.kind not in Facilitator.KINDS:
        raise ConfigError(f"{where}.kind={lv.kind}: allowed values are any, {', '.join(Facilitator.KINDS)}")


def country_codes(w: Any) -> list[str]:
    """ISO codes of a world config's countries, in world order, without building the world (the
    synthetic generator names its countries ``C000``, ``C001``, ...: sim/model/world)."""
    if w.territories:
        return [c.iso for c in w.countries]
    return [f"C{i:03d}" for i in range(max(1, w.n_territories // w.generator.territories_per_country))]


#: Allowed values of a replay's pinned inputs (:class:`CountryAsOf`): field -> (lo, hi).
AS_OF_RANGES = {
    "homicide_rate": (0.0, 500.0),
    "police_per_100k": (0.0, 5000.0),
    "prison_capacity_per_100k": (0.0, 5000.0),
    "prisoners_per_100k": (0.0, 5000.0),
    "members": (1, 10_000_000),
    "gang_pact": (0.0, 1.0),
}


def _validate_replay(r: Any, codes: list[str], burn_in: int) -> None:
    """A replay pins only countries of the world, with values in :data:`AS_OF_RANGES`, and names its year."""
    if r.countries and not 1900 <= r.year <= 2100:
        raise ConfigError(f"replay.year={r.year}: a replay that pins countries needs its year (1900-2100)")
    if r.countries and not 1 <= r.settle_weeks <= burn_in:
        raise ConfigError(f"replay.settle_weeks={r.settle_weeks}: must be 1 to the burn-in ({burn_in} weeks)")
    for iso, inputs in r.countries.items():
        if iso not in codes:
            raise ConfigError(f"replay.countries.{iso}: unknown country; allowed: {', '.join(codes)}")
        for name, (lo, hi) in AS_OF_RANGES.items():
            v = inputs[name]
            if v is not None and not (math.isfinite(v) and lo <= v <= hi):
                raise ConfigError(f"replay.countries.{iso}.{name}={v}: allowed range is [{lo}, {hi}]")


def _validate_generator(g: Any) -> None:
    """Each ``x_min`` at most its ``x_max`` (below it for member counts), and at most one tie per pair."""
    for f in fields(SyntheticWorld):
        if not f.name.endswith("_min") or not hasattr(g, f.name[:-4] + "_max"):
            continue
        hi_name = f.name[:-4] + "_max"
        lo, hi = getattr(g, f.name), getattr(g, hi_name)
        strict = f.name.endswith("_members_min")  # drawn with rng.integers(min, max): max excluded
        if lo > hi or (strict and lo == hi):
            raise ConfigError(
                f"world.generator.{f.name}={lo}: must be {'below' if strict else 'at most'} "
                f"world.generator.{hi_name}={hi}"
            )
    if g.rival_share + g.ally_share > 1.0:
        raise ConfigError(
            f"world.generator.rival_share + ally_share = {g.rival_share + g.ally_share}: must be at most 1"
        )


def _validate_world_tables(w: Any) -> None:
    isos = {c.iso for c in w.countries}
    ids: set[str] = set()
    for i, t in enumerate(w.territories):
        key = f"world.territories[{i}]"
        if t.id in ids:
            raise ConfigError(f"{key}.id={t.id}: duplicate territory id")
        ids.add(t.id)
        if t.country not in isos:
            raise ConfigError(f"{key}.country={t.country}: not among world.countries ({sorted(isos)})")
        if t.population <= 0:
            raise ConfigError(f"{key}.population={t.population}: must be > 0")
        for name in ("youth_share", "neet_share", "poverty", "state_presence"):
            v = getattr(t, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{key}.{name}={v}: allowed range is [0, 1]")
        if t.homicide_rate < 0 or t.production_t < 0 or t.consumption_t < 0:
            raise ConfigError(f"{key}: homicide_rate, production_t and consumption_t must be >= 0")
        for r in t.roles:
            if r not in ROLES:
                raise ConfigError(f"{key}.roles: '{r}' is not one of {list(ROLES)}")
    for i, c in enumerate(w.corridors):
        for end in (c.a, c.b):
            if end not in ids:
                raise ConfigError(f"world.corridors[{i}]: unknown territory '{end}'")
        if c.mode not in MODES:
            raise ConfigError(f"world.corridors[{i}].mode={c.mode}: allowed values are {list(MODES)}")
    names = {o.name for o in w.organisations}
    for i, o in enumerate(w.organisations):
        key = f"world.organisations[{i}]"
        if [p.name for p in w.organisations].count(o.name) > 1:
            raise ConfigError(f"{key}: the name '{o.name}' is used twice (allies and rivals are named: make it unique)")
        if o.kind not in ORG_KINDS:
            raise ConfigError(f"{key}.kind={o.kind}: allowed values are {list(ORG_KINDS)}")
        if o.members <= 0 or not o.territories:
            raise ConfigError(f"{key} ({o.name}): needs members > 0 and at least one territory")
        for t in o.territories:
            if t not in ids:
                raise ConfigError(f"{key}.territories: unknown territory '{t}'")
        for other in list(o.allies) + list(o.rivals):
            if other not in names:
                raise ConfigError(f"{key} ({o.name}): unknown ally or rival '{other}'")
    for i, r in enumerate(w.regimes):
        key = f"world.regimes[{i}]"
        if r.country not in isos:
            raise ConfigError(f"{key}.country={r.country}: not among world.countries ({sorted(isos)})")
        for other in ([r.forces] if r.forces else []) + list(r.shelters):
            if other not in names:
                raise ConfigError(f"{key}: unknown organisation '{other}'")
        if r.formal_musd < 0 or any(not (0 <= s.capacity <= 1 and 0 <= s.cost <= 1) for s in r.sponsors):
            raise ConfigError(f"{key}: formal_musd must be >= 0, sponsors' capacity and cost in [0, 1]")
        if any(s.channel not in CHANNELS for s in r.sponsors):
            raise ConfigError(f"{key}: a sponsor's channel must be one of {', '.join(CHANNELS)}")
    if any(not 0.0 <= c.arms_us_share <= 1.0 for c in w.countries):
        raise ConfigError("world.countries: arms_us_share must be in [0, 1]")
    if any(t.gold_t < 0 for t in w.territories):
        raise ConfigError("world.territories: gold_t must be >= 0")
    if not any(t.production_t > 0 for t in w.territories) or not any(t.consumption_t > 0 for t in w.territories):
        raise ConfigError("world: needs at least one territory with production_t > 0 and one with consumption_t > 0")
