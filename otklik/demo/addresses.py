"""A synthetic street-level address layer for the demo region, loaded through the address registry.

The demo's region ships districts and towns only (hflabs/city, OpenStreetMap district outlines): no
street or building coordinates exist offline for it. A real region loads its registry with
``otklik import-addresses`` or ``otklik import-osm``; the demo does the same with a table it makes
here — **synthetic, not a map of any real town**: everyday Russian street names (the kind nearly
every town has) laid out as a small grid around each demo place's point, kept inside its district's
polygon, houses numbered along each street (odd on one side, even on the other).

The table goes through the importer's own reader and loader (:func:`read_address_rows`,
:func:`load_buildings`), so the buildings get their territories from the polygons and every
process's place cache is bumped exactly as after a real import. The layout depends only on the
place (its name, size and point): re-running gives the same table and loading it again changes
nothing. :func:`town_streets` is what the message generator names, so residents write addresses the
registry knows — and, now and then, a house number it lacks (placed at the nearest house).
"""

from __future__ import annotations

import csv
import math
import random
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.prepared import prep

from otklik.directory.models import Territory
from otklik.directory.tables import Report
from otklik.understanding.places.loading import load_buildings, read_address_rows

from .places import Place, region_places

SOURCE = "demo"  # Street.source of the synthetic layer

# Street names found in most Russian towns (not any one town's list). The first ones come first
# in every town: a town's main streets.
COMMON_STREETS: tuple[str, ...] = (
    "ул. Ленина",
    "ул. Советская",
    "ул. Мира",
    "ул. Гагарина",
    "ул. Садовая",
    "ул. Молодёжная",
    "ул. Школьная",
    "ул. Пушкина",
    "ул. Комсомольская",
    "ул. Октябрьская",
    "ул. Набережная",
    "ул. Рабочая",
    "ул. Победы",
    "ул. Кирова",
    "ул. Чапаева",
    "ул. Юбилейная",
    "ул. Заводская",
    "ул. Степная",
    "ул. Почтовая",
    "ул. Первомайская",
    "ул. Зелёная",
    "ул. Лесная",
    "ул. Строителей",
    "ул. Механизаторов",
    "ул. Маяковского",
    "ул. Горького",
    "ул. Чехова",
    "ул. Лермонтова",
    "ул. Циолковского",
    "ул. Королёва",
    "ул. Северная",
    "ул. Южная",
    "ул. Полевая",
    "ул. Вокзальная",
    "ул. Луговая",
    "пер. Школьный",
    "пер. Садовый",
    "пер. Почтовый",
    "пр-т Строителей",
    "пр-т Энтузиастов",
)
MAIN_STREETS = 4  # every town has the first four
SHRINK = (1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1)


@dataclass(frozen=True)
class TownStreet:
    name: str  # "ул. Садовая"
    houses: int  # numbered 1 … houses


def _size(place: Place) -> tuple[int, int, float]:
    """Streets, houses a street and the half-width of the grid in degrees of latitude."""
    if place.population > 300_000:
        return 36, 80, 0.05
    if place.population > 100_000:
        return 24, 60, 0.03
    if place.population > 30_000:
        return 14, 40, 0.016
    if place.population > 10_000:
        return 10, 30, 0.011
    return 6, 24, 0.007


def _rng(place: Place) -> random.Random:
    return random.Random(zlib.crc32(f"{place.municipality_name}/{place.name}".encode()))


def town_streets(place: Place) -> tuple[TownStreet, ...]:
    """The place's streets in the synthetic layer (deterministic: the place's name and size)."""
    count, houses, _ = _size(place)
    rng = _rng(place)
    rest = list(COMMON_STREETS[MAIN_STREETS:])
    rng.shuffle(rest)
    names = [*COMMON_STREETS[:MAIN_STREETS], *rest][:count]
    return tuple(TownStreet(name, houses - (i % 3) * houses // 5) for i, name in enumerate(names))


@dataclass(frozen=True)
class LayerRow:
    settlement: str
    street: str
    house: str
    lat: float
    lon: float


def place_rows(place: Place, centre: tuple[float, float], polygon: object | None) -> list[LayerRow]:
    """The buildings of one place: its streets as a rotated grid around ``centre``, streets running
    alternately across and along, houses spaced evenly from one end, odd numbers on one side, even
    on the other; a building outside ``polygon`` (a prepared shapely geometry) is moved towards the
    centre until it is inside (left out only when even the centre's neighbourhood is not)."""
    streets = town_streets(place)
    _, _, half = _size(place)
    rng = _rng(place)
    angle = math.radians(rng.uniform(-35, 35))
    lat0, lon0 = centre
    lon_scale = 1 / math.cos(math.radians(lat0))
    across = [s for i, s in enumerate(streets) if i % 2 == 0]
    along = [s for i, s in enumerate(streets) if i % 2 == 1]
    rows: list[LayerRow] = []
    side = 0.00015  # a house stands off the street's axis (≈ 17 m)
    for group, vertical in ((across, False), (along, True)):
        for k, street in enumerate(group):
            offset = -half + (2 * half) * (k + 0.5) / len(group)
            positions = (street.houses + 1) // 2
            for n in range(1, street.houses + 1):
                step = (n - 1) // 2
                t = -half + (2 * half) * (step + 0.5) / positions
                u = offset + (side if n % 2 else -side)
                x, y = (u, t) if vertical else (t, u)  # x east, y north, in degrees of latitude
                dx = x * math.cos(angle) - y * math.sin(angle)
                dy = x * math.sin(angle) + y * math.cos(angle)
                # past the district's edge (a river, a border) the street is drawn in towards the
                # centre, so every street keeps all its houses, the ones residents write about
                for shrink in SHRINK:
                    lat = round(lat0 + dy * shrink, 6)
                    lon = round(lon0 + dx * shrink * lon_scale, 6)
                    if polygon is None or polygon.contains(Point(lon, lat)):  # type: ignore[attr-defined]
                        rows.append(LayerRow(place.name, street.name, str(n), lat, lon))
                        break
    return rows


def _centre_and_polygon(place: Place) -> tuple[tuple[float, float] | None, object | None]:
    """The place's point (a district centre without one: its district's point) and its district's
    polygon, prepared."""
    municipality = Territory.objects.filter(name=place.municipality_name, parent__parent=None).first()
    geometry = place.geometry or (municipality.geometry if municipality else None)
    polygon = prep(shape(geometry)) if geometry else None
    if place.lat is not None and place.lon is not None:
        return (place.lat, place.lon), polygon
    if municipality is not None and municipality.lat is not None and municipality.lon is not None:
        return (municipality.lat, municipality.lon), polygon
    return None, polygon


def layer_rows(region: Territory) -> list[LayerRow]:
    rows: list[LayerRow] = []
    for place in region_places(region):
        centre, polygon = _centre_and_polygon(place)
        if centre is not None:
            rows += place_rows(place, centre, polygon)
    return rows


def write_layer(region: Territory, path: str | Path) -> int:
    """The synthetic layer as an address table ``otklik import-addresses`` reads; the rows written."""
    rows = layer_rows(region)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["населенный пункт", "улица", "дом", "широта", "долгота"])
        writer.writerows([r.settlement, r.street, r.house, f"{r.lat:.6f}", f"{r.lon:.6f}"] for r in rows)
    return len(rows)


def ensure_demo_addresses(region: Territory) -> Report:
    """Load the synthetic layer into the region's address registry (idempotent: a second load
    reports every building unchanged)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-addresses.csv"
        write_layer(region, path)
        buildings, skipped = read_address_rows(path, region)
    return load_buildings(region, buildings, source=SOURCE, skipped=skipped)
