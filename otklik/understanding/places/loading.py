"""Loading the address registry: buildings and streets from a table or an OpenStreetMap extract,
named places (neighbourhoods, squares, parks, metro stations) from a table or the same extract.

* ``otklik import-addresses FILE`` — a building per row: the whole address in one column
  ("г.Санкт-Петербург, Малодетскосельский проспект, дом 25/12, литера А") or in columns (street,
  house, korpus, litera, stroenie, settlement), with lat/lon. A history of appeals with a building
  address on each card works as well: the same building named on many rows is one building.
* ``otklik import-places FILE`` — a named place per row: name, kind, lat, lon, aliases.
* ``otklik import-osm FILE.osm|FILE.osm.pbf`` — through pyosmium (the ``osmium`` package):
  buildings and entrances with ``addr:street`` + ``addr:housenumber``, named streets
  (``highway=*``), ``place=suburb|quarter|neighbourhood``, metro stations, parks and squares.

Each checks the whole input first and writes nothing when a row is broken (coordinates that are no
numbers or lie outside the globe); rows that are no building address (a park, a plot) are skipped
and listed. A building's territory is the deepest territory whose polygon holds its point. Loading
again updates what changed and adds nothing twice; ``--dry-run`` reports the same without writing.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from otklik.directory.models import Territory
from otklik.directory.tables import FileProblems, Report, read_table, split_list, writing

from ..models import Building, NamedPlace, Street
from .cache import changed, get_gazetteer, get_polygons
from .names import clean_name
from .streets import house_after, name_key, parse_registry_address, split_street

ADDRESS_HEADERS: dict[str, tuple[str, ...]] = {
    "address": ("full_address", "адрес", "полный адрес", "address string"),
    "settlement": ("населенный пункт", "city", "town"),
    "street": ("улица", "addr:street"),
    "house": ("дом", "номер дома", "housenumber", "addr:housenumber"),
    "korpus": ("корпус",),
    "litera": ("литера",),
    "stroenie": ("строение",),
    "lat": ("latitude", "широта", "geo_lat"),
    "lon": ("longitude", "долгота", "geo_lon", "lng"),
}
PLACE_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("название", "наименование"),
    "kind": ("тип", "вид", "type"),
    "lat": ("latitude", "широта"),
    "lon": ("longitude", "долгота", "lng"),
    "aliases": ("другие названия", "синонимы"),
    "territory": ("территория", "district", "округ"),
}
PLACE_KINDS: dict[str, str] = {
    "suburb": NamedPlace.Kind.SUBURB,
    "район города": NamedPlace.Kind.SUBURB,
    "часть города": NamedPlace.Kind.SUBURB,
    "quarter": NamedPlace.Kind.NEIGHBOURHOOD,
    "neighbourhood": NamedPlace.Kind.NEIGHBOURHOOD,
    "neighborhood": NamedPlace.Kind.NEIGHBOURHOOD,
    "микрорайон": NamedPlace.Kind.NEIGHBOURHOOD,
    "квартал": NamedPlace.Kind.NEIGHBOURHOOD,
    "square": NamedPlace.Kind.SQUARE,
    "площадь": NamedPlace.Kind.SQUARE,
    "park": NamedPlace.Kind.PARK,
    "garden": NamedPlace.Kind.PARK,
    "парк": NamedPlace.Kind.PARK,
    "сад": NamedPlace.Kind.PARK,
    "сквер": NamedPlace.Kind.PARK,
    "metro": NamedPlace.Kind.METRO,
    "subway": NamedPlace.Kind.METRO,
    "метро": NamedPlace.Kind.METRO,
    "станция метро": NamedPlace.Kind.METRO,
    "other": NamedPlace.Kind.OTHER,
    "другое": NamedPlace.Kind.OTHER,
}


@dataclass
class BuildingRow:
    settlement: str
    kind: str
    street: str
    house: str
    korpus: str
    litera: str
    stroenie: str
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class StreetRow:
    settlement: str
    kind: str
    name: str
    lat: float | None
    lon: float | None


@dataclass
class PlaceRow:
    kind: str
    name: str
    lat: float
    lon: float
    aliases: list[str] = field(default_factory=list)
    territory: str = ""


def _coordinate(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if low <= number <= high else None


def _point(row: dict[str, str], line: int, problems: list[str]) -> tuple[float, float] | None:
    lat = _coordinate(row.get("lat", ""), -90, 90)
    lon = _coordinate(row.get("lon", ""), -180, 180)
    if lat is None or lon is None:
        problems.append(
            f"line {line}: coordinates “{row.get('lat', '')}”, “{row.get('lon', '')}” are no point"
        )
        return None
    return lat, lon


def region_city(region: Territory) -> str:
    """The region's own city, written in addresses as no settlement (Санкт-Петербург)."""
    return clean_name(region.name)


def read_address_rows(
    path: str | Path, region: Territory, mapping: dict[str, str] | None = None
) -> tuple[list[BuildingRow], list[str]]:
    """Buildings of a table, one per distinct address (coordinates: the median of its rows), and the
    rows skipped with the reason. Raises :class:`FileProblems` for broken rows."""
    table = read_table(path, ADDRESS_HEADERS, mapping=mapping, required=("lat", "lon"))
    if "address" not in table.columns and not {"street", "house"} <= set(table.columns):
        raise FileProblems(
            [f"{Path(path).name}: no address column and no street + house columns; use --map address=Column"]
        )
    city = region_city(region)
    problems: list[str] = []
    skipped: list[str] = []
    found: dict[tuple[str, ...], BuildingRow] = {}
    for line, row in table.rows:
        text = row.get("address", "")
        if "address" in table.columns:
            if not text:
                continue  # a card without a building (a yard, a street): nothing to learn
            parsed = parse_registry_address(text, city=city)
            if parsed is None:
                skipped.append(f"line {line}: “{text[:80]}” names no street and house")
                continue
            values = (
                parsed.settlement,
                parsed.kind,
                parsed.street,
                parsed.house,
                parsed.korpus,
                parsed.litera,
                parsed.stroenie,
            )
        else:
            street = split_street(row.get("street", ""))
            house = house_after(row.get("house", ""), 0)
            if street is None or house is None:
                skipped.append(f"line {line}: “{row.get('street', '')} {row.get('house', '')}” is no address")
                continue
            settlement = row.get("settlement", "")
            values = (
                "" if settlement.lower() == city.lower() else settlement,
                street[0],
                street[1],
                house.number,
                row.get("korpus", "") or house.korpus,
                (row.get("litera", "") or house.litera).upper(),
                row.get("stroenie", ""),
            )
        point = _point(row, line, problems)
        if point is None:
            continue
        building = found.setdefault(values, BuildingRow(*values))
        building.lats.append(point[0])
        building.lons.append(point[1])
        building.lines.append(line)
    if problems:
        raise FileProblems(problems)
    return list(found.values()), skipped


def load_buildings(
    region: Territory,
    buildings: Iterable[BuildingRow],
    streets: Iterable[StreetRow] = (),
    *,
    source: str = "import",
    dry_run: bool = False,
    skipped: list[str] | None = None,
) -> Report:
    """Write streets and buildings (one transaction; rolled back for a dry run)."""
    report = Report("address registry", dry_run=dry_run, skipped=list(skipped or []))
    buildings = list(buildings)
    with writing(dry_run):
        polygons = get_polygons(get_gazetteer())
        existing = {
            (s.settlement, s.kind, s.name): s for s in Street.objects.filter(region=region).order_by("pk")
        }
        wanted: dict[tuple[str, str, str], tuple[float | None, float | None]] = {}
        for b in buildings:
            wanted.setdefault((b.settlement, b.kind, b.street), (None, None))
        for s in streets:
            wanted[(s.settlement, s.kind, s.name)] = (s.lat, s.lon)
        new_streets = []
        for key, (lat, lon) in wanted.items():
            street = existing.get(key)
            if street is None:
                new_streets.append(
                    Street(
                        region=region,
                        settlement=key[0],
                        kind=key[1],
                        name=key[2],
                        key=name_key(key[2]),
                        lat=lat,
                        lon=lon,
                        source=source,
                    )
                )
            elif lat is not None and (street.lat, street.lon) != (lat, lon):
                street.lat, street.lon = lat, lon
                street.save(update_fields=["lat", "lon"])
        Street.objects.bulk_create(new_streets, batch_size=1000)
        streets_added = len(new_streets)
        by_key = {
            (s.settlement, s.kind, s.name): s.pk
            for s in Street.objects.filter(region=region).only("pk", "settlement", "kind", "name")
        }
        current = {
            (b.street_id, b.house, b.korpus, b.litera, b.stroenie): b
            for b in Building.objects.filter(street__region=region)
        }
        create, update = [], []
        territory_cache: dict[tuple[float, float], int | None] = {}
        for b in buildings:
            lat = round(statistics.median(b.lats), 6)
            lon = round(statistics.median(b.lons), 6)
            if (lat, lon) not in territory_cache:
                hit = polygons.locate(lat, lon)
                territory_cache[(lat, lon)] = hit.pk if hit is not None else None
            territory_id = territory_cache[(lat, lon)]
            street_id = by_key[(b.settlement, b.kind, b.street)]
            row = current.get((street_id, b.house, b.korpus, b.litera, b.stroenie))
            label = _building_label(b)
            if row is None:
                create.append(
                    Building(
                        street_id=street_id,
                        house=b.house,
                        korpus=b.korpus,
                        litera=b.litera,
                        stroenie=b.stroenie,
                        lat=lat,
                        lon=lon,
                        territory_id=territory_id,
                    )
                )
                report.created.append(label)
            elif (row.lat, row.lon, row.territory_id) != (lat, lon, territory_id):
                row.lat, row.lon, row.territory_id = lat, lon, territory_id
                update.append(row)
                report.updated.append(label)
            else:
                report.unchanged += 1
        Building.objects.bulk_create(create, batch_size=1000)
        Building.objects.bulk_update(update, ["lat", "lon", "territory"], batch_size=1000)
        changed()  # bulk writes send no signals: every process's gazetteer reads the new registry
        outside = sum(1 for t in territory_cache.values() if t is None)
        report.notes.append(
            f"{streets_added} new streets, {len(by_key)} streets in the registry of {region.name}"
        )
        if outside:
            report.notes.append(f"{outside} buildings lie outside every territory polygon (no territory)")
    return report


def _building_label(b: BuildingRow) -> str:
    parts = ([b.settlement] if b.settlement else []) + [f"{b.kind} {b.street}", f"д. {b.house}"]
    parts += [
        f"{label} {v}" for label, v in (("к.", b.korpus), ("лит.", b.litera), ("стр.", b.stroenie)) if v
    ]
    return ", ".join(parts)


def import_addresses(
    path: str | Path, region: Territory, *, mapping: dict[str, str] | None = None, dry_run: bool = False
) -> Report:
    buildings, skipped = read_address_rows(path, region, mapping)
    return load_buildings(region, buildings, dry_run=dry_run, skipped=skipped)


# --- named places ----------------------------------------------------------------------------------


def read_place_rows(path: str | Path, mapping: dict[str, str] | None = None) -> list[PlaceRow]:
    table = read_table(path, PLACE_HEADERS, mapping=mapping, required=("name", "kind", "lat", "lon"))
    problems: list[str] = []
    out: list[PlaceRow] = []
    for line, row in table.rows:
        kind = PLACE_KINDS.get(row["kind"].lower())
        if kind is None:
            problems.append(
                f"line {line}: kind “{row['kind']}” is none of {', '.join(sorted(set(PLACE_KINDS)))}"
            )
        point = _point(row, line, problems)
        if not row["name"]:
            problems.append(f"line {line}: no name")
        if kind is None or point is None or not row["name"]:
            continue
        out.append(
            PlaceRow(kind, row["name"], *point, split_list(row.get("aliases", "")), row.get("territory", ""))
        )
    if problems:
        raise FileProblems(problems)
    return out


def load_places(
    region: Territory, rows: Iterable[PlaceRow], *, source: str = "import", dry_run: bool = False
) -> Report:
    from .names import territory_lookup

    report = Report("named places", dry_run=dry_run)
    rows = list(rows)
    problems: list[str] = []
    lookup = territory_lookup(region)
    resolved: list[tuple[PlaceRow, Territory | None]] = []
    for row in rows:
        territory = None
        if row.territory:
            territory = lookup(row.territory)
            if territory is None:
                problems.append(f"{row.name}: no territory “{row.territory}” in {region.name}")
        resolved.append((row, territory))
    if problems:
        raise FileProblems(problems)
    with writing(dry_run):
        for row, territory in resolved:
            values = {
                "lat": row.lat,
                "lon": row.lon,
                "aliases": "\n".join(row.aliases),
                "territory": territory,
                "source": source,
            }
            place = NamedPlace.objects.filter(region=region, kind=row.kind, name=row.name).first()
            label = f"{row.name} ({row.kind})"
            if place is None:
                NamedPlace.objects.create(region=region, kind=row.kind, name=row.name, **values)
                report.created.append(label)
                continue
            changed = [k for k, v in values.items() if getattr(place, k) != v]
            if changed:
                for k in changed:
                    setattr(place, k, values[k])
                place.save(update_fields=changed)
                report.updated.append(label)
            else:
                report.unchanged += 1
    return report


def import_places(
    path: str | Path, region: Territory, *, mapping: dict[str, str] | None = None, dry_run: bool = False
) -> Report:
    return load_places(region, read_place_rows(path, mapping), dry_run=dry_run)


# --- OpenStreetMap ---------------------------------------------------------------------------------


@dataclass
class OsmContent:
    buildings: list[BuildingRow] = field(default_factory=list)
    streets: list[StreetRow] = field(default_factory=list)
    places: list[PlaceRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _osm_place_kind(tags: dict[str, str]) -> str | None:
    place = tags.get("place", "")
    if place == "suburb":
        return NamedPlace.Kind.SUBURB
    if place in ("quarter", "neighbourhood"):
        return NamedPlace.Kind.NEIGHBOURHOOD
    if place == "square":
        return NamedPlace.Kind.SQUARE
    if tags.get("station") == "subway" or (tags.get("railway") == "station" and tags.get("subway") == "yes"):
        return NamedPlace.Kind.METRO
    if tags.get("leisure") in ("park", "garden"):
        return NamedPlace.Kind.PARK
    return None


def read_osm(path: str | Path, region: Territory) -> OsmContent:
    """Buildings, streets and named places of an ``.osm`` / ``.osm.pbf`` extract (pyosmium)."""
    import osmium

    city = region_city(region)
    content = OsmContent()
    buildings: dict[tuple[str, ...], BuildingRow] = {}
    street_points: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)

    def add_object(kind: str, ident: int, tags: dict[str, str], points: list[tuple[float, float]]) -> None:
        if not points:
            return
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        settlement = tags.get("addr:city", "") or tags.get("addr:place", "") if "addr:street" in tags else ""
        if settlement.lower() == city.lower():
            settlement = ""
        if "addr:street" in tags and "addr:housenumber" in tags:
            street = split_street(tags["addr:street"])
            house = house_after(tags["addr:housenumber"], 0)
            if street is None or house is None:
                content.skipped.append(f"{kind} {ident}: “{tags['addr:street']}, {tags['addr:housenumber']}”")
            else:
                values = (settlement, street[0], street[1], house.number, house.korpus, house.litera, "")
                row = buildings.setdefault(values, BuildingRow(*values))
                row.lats.append(lat)
                row.lons.append(lon)
        name = tags.get("name", "")
        if kind == "way" and tags.get("highway") and name:
            street = split_street(name)
            if street is not None:
                street_points[(settlement, street[0], street[1])].append(points[len(points) // 2])
        place_kind = _osm_place_kind(tags)
        if place_kind is not None and name:
            if place_kind == NamedPlace.Kind.METRO:
                name = name.removeprefix("метро ").removeprefix("Метро ")
            content.places.append(PlaceRow(place_kind, name, lat, lon))

    class Handler(osmium.SimpleHandler):  # type: ignore[misc]
        def node(self, n: object) -> None:
            tags = {t.k: t.v for t in n.tags}  # type: ignore[attr-defined]
            if tags and n.location.valid():  # type: ignore[attr-defined]
                add_object("node", n.id, tags, [(n.location.lat, n.location.lon)])  # type: ignore[attr-defined]

        def way(self, w: object) -> None:
            tags = {t.k: t.v for t in w.tags}  # type: ignore[attr-defined]
            if not tags:
                return
            points = [(nd.location.lat, nd.location.lon) for nd in w.nodes if nd.location.valid()]  # type: ignore[attr-defined]
            add_object("way", w.id, tags, points)  # type: ignore[attr-defined]

    try:
        Handler().apply_file(str(path), locations=True)
    except RuntimeError as exc:
        raise FileProblems([f"{Path(path).name}: not a readable OpenStreetMap file ({exc})"]) from exc
    content.buildings = list(buildings.values())
    content.streets = [
        StreetRow(s, k, n, *points[len(points) // 2]) for (s, k, n), points in street_points.items()
    ]
    seen: set[tuple[str, str]] = set()
    unique = []
    for place in content.places:
        if (place.kind, place.name) not in seen:
            seen.add((place.kind, place.name))
            unique.append(place)
    content.places = unique
    return content


def import_osm(path: str | Path, region: Territory, *, dry_run: bool = False) -> list[Report]:
    if not Path(path).exists():
        raise FileProblems([f"{path}: no such file"])
    content = read_osm(path, region)
    with writing(dry_run):
        reports = [
            load_buildings(region, content.buildings, content.streets, source="osm", skipped=content.skipped),
            load_places(region, content.places, source="osm"),
        ]
    for report in reports:
        report.dry_run = dry_run
    return reports
