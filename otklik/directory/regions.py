"""Load a region's territories from open data: district polygons (GeoJSON) and towns (hflabs/city CSV).

A region becomes one :class:`Territory` of kind ``region``; every polygon a municipal district
("… район") or an urban okrug (a city, "ЗАТО …", "… городской округ") with its geometry, bounding box
and a representative point; every town a settlement under the municipality that contains its
point — or, when the town *is* the okrug (Саратов, ЗАТО Шиханы), the okrug itself takes the town's
OKTMO code, population and coordinates instead of getting a child duplicate.

OKTMO codes are never made up: a municipality's code is read off the codes of its towns (OKTMO is
hierarchical — the first five digits name the municipality), a region's off the first two digits.
A district's population is the sum of its towns' (a lower bound: villages are not in the town list).

The demo region, Saratov oblast, ships simplified in ``data/regions/saratov`` (see its
ATTRIBUTION.md); :func:`build_shipped_region` made it from the unsimplified sources.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.db import transaction
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from .choices import TerritoryKind
from .models import Territory

SHIPPED_REGIONS_DIR = Path(__file__).resolve().parent / "data" / "regions"

# Columns of hflabs/city the loader reads; the shipped towns.csv keeps exactly these (same names).
TOWN_COLUMNS = (
    "region_type",
    "region",
    "area_type",
    "area",
    "city_type",
    "city",
    "settlement_type",
    "settlement",
    "okato",
    "oktmo",
    "geo_lat",
    "geo_lon",
    "population",
)
# How far (degrees, ≈ 5 km) a town point may lie outside every polygon and still join the nearest one:
# simplified borders move by up to a few hundred metres.
NEAREST_MUNICIPALITY_DEGREES = 0.05


@dataclass(frozen=True)
class ShippedRegion:
    """A region whose simplified geodata ships inside the project."""

    name: str
    folder: str
    region_filter: str

    @property
    def path(self) -> Path:
        return SHIPPED_REGIONS_DIR / self.folder

    @property
    def geojson_path(self) -> Path:
        return self.path / "districts.geojson"

    @property
    def towns_csv_path(self) -> Path:
        return self.path / "towns.csv"


SARATOV = ShippedRegion(name="Саратовская область", folder="saratov", region_filter="Саратовская")
SHIPPED_REGIONS = {"saratov": SARATOV}


@dataclass(frozen=True)
class Town:
    name: str
    oktmo: str
    population: int | None
    lat: float | None
    lon: float | None
    area: str = ""

    @property
    def point(self) -> Point | None:
        return None if self.lat is None or self.lon is None else Point(self.lon, self.lat)


@dataclass
class RegionLoadResult:
    region: Territory
    municipalities: list[Territory] = field(default_factory=list)
    settlements: list[Territory] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unplaced_towns: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.region.name}: {len(self.municipalities)} municipalities, "
            f"{len(self.settlements)} settlements "
            f"({self.created} created, {self.updated} updated)"
        )
        if self.unplaced_towns:
            text += f"; outside every municipality: {', '.join(self.unplaced_towns)}"
        return text


# --- names -----------------------------------------------------------------------------------------

_OKRUG_WORDS = re.compile(r"\b(зато|городской округ|город|го|г)\b\.?", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """Compare names of places: lower case, ё → е, without "ЗАТО", "городской округ", "г."."""
    text = name.lower().replace("ё", "е")
    text = _OKRUG_WORDS.sub(" ", text)
    text = re.sub(r"[^\w\s-]", " ", text)
    return " ".join(text.split())


def municipality_kind(name: str) -> str:
    """A "… район" is a municipal district; a city, "ЗАТО …" or "… городской округ" is an urban okrug."""
    return TerritoryKind.DISTRICT if re.search(r"\bрайон\b", name, re.IGNORECASE) else TerritoryKind.OKRUG


def _municipality_oktmo(town_oktmo: str) -> str:
    """OKTMO of the municipality a town's code sits under: its first five digits + "000"."""
    return f"{town_oktmo[:5]}000" if len(town_oktmo) >= 8 and town_oktmo.isdigit() else ""


def _oktmo_matches_kind(code: str, kind: str) -> bool:
    # The third digit of a municipality's OKTMO: 6 — municipal district, 7 — urban okrug.
    return len(code) >= 3 and code[2] == ("6" if kind == TerritoryKind.DISTRICT else "7")


# --- reading the sources ---------------------------------------------------------------------------


def _float(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: str) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _row_matches(row: dict[str, str], region_filter: str | None) -> bool:
    if not region_filter:
        return True
    needle = region_filter.lower()
    return needle in (row.get("region") or "").lower()


def read_towns(towns_csv_path: str | Path, region_filter: str | None = None) -> list[Town]:
    """Towns of one region from an hflabs/city CSV (the full file or the shipped subset)."""
    towns: list[Town] = []
    with open(towns_csv_path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not _row_matches(row, region_filter):
                continue
            name = (row.get("city") or row.get("settlement") or "").strip()
            if not name:
                continue
            towns.append(
                Town(
                    name=name,
                    oktmo=(row.get("oktmo") or "").strip(),
                    population=_int(row.get("population", "")),
                    lat=_float(row.get("geo_lat", "")),
                    lon=_float(row.get("geo_lon", "")),
                    area=(row.get("area") or "").strip(),
                )
            )
    return towns


def read_features(
    geojson_path: str | Path, name_property: str = "district"
) -> list[tuple[str, dict[str, Any]]]:
    """(name, GeoJSON geometry) of every polygon feature, in file order."""
    with open(geojson_path, encoding="utf-8") as fh:
        data = json.load(fh)
    features = []
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        name = (props.get(name_property) or props.get("name") or "").strip()
        geometry = feature.get("geometry")
        if name and geometry and geometry.get("type") in ("Polygon", "MultiPolygon"):
            features.append((name, geometry))
    return features


# --- geometry helpers ------------------------------------------------------------------------------


def _round_coords(value: Any, digits: int) -> Any:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (int, float)):
            return [round(float(v), digits) for v in value]
        return [_round_coords(v, digits) for v in value]
    return value


def geometry_to_geojson(geom: BaseGeometry, digits: int = 5) -> dict[str, Any]:
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _round_coords(data["coordinates"], digits)}


def _bbox(geom: BaseGeometry) -> list[float]:
    return [round(v, 6) for v in geom.bounds]


# --- loading ---------------------------------------------------------------------------------------


def _place_towns(
    towns: list[Town], polygons: dict[str, BaseGeometry]
) -> tuple[dict[str, Town], dict[str, list[Town]], list[str]]:
    """Decide for every town: it is an okrug itself, it lies in a municipality, or it lies outside."""
    by_norm = {
        normalize_name(name): name for name in polygons if municipality_kind(name) == TerritoryKind.OKRUG
    }
    by_area = {
        normalize_name(name).removesuffix(" район"): name
        for name in polygons
        if municipality_kind(name) == TerritoryKind.DISTRICT
    }
    ordered = sorted(polygons.items(), key=lambda item: item[1].area)  # the smallest containing polygon wins
    prepared = [(name, prep(geom)) for name, geom in ordered]
    is_okrug: dict[str, Town] = {}
    inside: dict[str, list[Town]] = defaultdict(list)
    unplaced: list[str] = []
    for town in towns:
        okrug = by_norm.get(normalize_name(town.name))
        if okrug is not None and okrug not in is_okrug:
            is_okrug[okrug] = town
            continue
        point = town.point
        target = None
        if point is not None:
            target = next((name for name, geom in prepared if geom.contains(point)), None)
            if target is None:
                distance, nearest = min((geom.distance(point), name) for name, geom in ordered)
                if distance <= NEAREST_MUNICIPALITY_DEGREES:
                    target = nearest
        if target is None and town.area:
            target = by_area.get(normalize_name(town.area).removesuffix(" р-н"))
        if target is None:
            unplaced.append(town.name)
        else:
            inside[target].append(town)
    return is_okrug, inside, unplaced


def _upsert(
    result: RegionLoadResult, *, parent: Territory | None, kind: str, name: str, values: dict[str, Any]
) -> Territory:
    lookup: dict[str, Any] = {"kind": kind, "name": name}
    lookup.update({"parent": parent} if parent is not None else {"parent__isnull": True})
    obj = Territory.objects.filter(**lookup).order_by("pk").first()
    if obj is None and parent is not None and parent.parent_id is None:
        # a municipality moved under a district of the region (otklik import-territories) stays there
        moved = Territory.objects.filter(kind=kind, name=name, parent__parent=parent).order_by("pk")
        obj = moved.first()
    if obj is None:
        result.created += 1
        return Territory.objects.create(parent=parent, kind=kind, name=name, **values)
    changed = [key for key, value in values.items() if getattr(obj, key) != value]
    if changed:
        for key in changed:
            setattr(obj, key, values[key])
        obj.save(update_fields=changed)
        result.updated += 1
    return obj


def load_region(
    *,
    name: str,
    geojson_path: str | Path,
    towns_csv_path: str | Path | None,
    region_filter: str | None = None,
    oktmo: str | None = None,
    name_property: str = "district",
) -> RegionLoadResult:
    """Create or update a region, its municipalities and settlements. Re-running updates, never
    duplicates. Without a towns file only the polygons are loaded (a city's okrugs)."""
    features = read_features(geojson_path, name_property)
    if not features:
        raise ValueError(f"No polygon features with a '{name_property}' name in {geojson_path}")
    towns = read_towns(towns_csv_path, region_filter) if towns_csv_path else []
    polygons: dict[str, BaseGeometry] = {}
    geojson: dict[str, dict[str, Any]] = {}
    for feature_name, geometry in features:
        geom = shape(geometry)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        polygons[feature_name] = geom
        geojson[feature_name] = geometry
    is_okrug, inside, unplaced = _place_towns(towns, polygons)

    region_geom = shapely.union_all(list(polygons.values()))
    if not oktmo:
        prefixes = Counter(t.oktmo[:2] for t in towns if len(t.oktmo) >= 8 and t.oktmo.isdigit())
        oktmo = f"{prefixes.most_common(1)[0][0]}000000" if prefixes else ""
    region_point = region_geom.representative_point()

    with transaction.atomic():
        result = RegionLoadResult(region=Territory(name=name))  # replaced right below
        region = _upsert(
            result,
            parent=None,
            kind=TerritoryKind.REGION,
            name=name,
            values={
                "oktmo": oktmo,
                "population": sum(t.population or 0 for t in towns) or None,
                "lat": round(region_point.y, 6),
                "lon": round(region_point.x, 6),
                "geometry": geometry_to_geojson(region_geom),
                "bbox": _bbox(region_geom),
            },
        )
        result.region = region
        for feature_name, geom in polygons.items():
            kind = municipality_kind(feature_name)
            town = is_okrug.get(feature_name)
            children = inside.get(feature_name, [])
            point = geom.representative_point()
            lat, lon = round(point.y, 6), round(point.x, 6)
            if town is not None:
                code = _municipality_oktmo(town.oktmo)
                population = town.population
                if town.point is not None and geom.contains(town.point):
                    lat, lon = town.lat, town.lon
            else:
                codes = {_municipality_oktmo(t.oktmo) for t in children} - {""}
                code = codes.pop() if len(codes) == 1 else ""
                population = sum(t.population or 0 for t in children) or None
            if not _oktmo_matches_kind(code, kind):
                code = ""
            municipality = _upsert(
                result,
                parent=region,
                kind=kind,
                name=feature_name,
                values={
                    "oktmo": code,
                    "population": population,
                    "lat": lat,
                    "lon": lon,
                    "geometry": geojson[feature_name],
                    "bbox": _bbox(geom),
                },
            )
            result.municipalities.append(municipality)
            for child in children:
                result.settlements.append(
                    _upsert(
                        result,
                        parent=municipality,
                        kind=TerritoryKind.SETTLEMENT,
                        name=child.name,
                        values={
                            "oktmo": child.oktmo,
                            "population": child.population,
                            "lat": child.lat,
                            "lon": child.lon,
                        },
                    )
                )
        result.unplaced_towns = unplaced
    return result


def load_shipped_region(key: str = "saratov") -> RegionLoadResult:
    """Load a region whose simplified geodata ships in the project (the demo's Saratov oblast)."""
    shipped = SHIPPED_REGIONS[key]
    return load_region(
        name=shipped.name, geojson_path=shipped.geojson_path, towns_csv_path=shipped.towns_csv_path
    )


# --- making the shipped files (a developer runs this against ../shared; never at install) -----------


@dataclass(frozen=True)
class ShippedFiles:
    geojson_path: Path
    towns_csv_path: Path
    vertices_before: int
    vertices_after: int
    geojson_bytes: int
    towns: int


def build_shipped_region(
    *,
    geojson_src: str | Path,
    towns_src: str | Path,
    out_dir: str | Path,
    region_filter: str,
    tolerance: float = 0.003,
    digits: int = 5,
    name_property: str = "district",
) -> ShippedFiles:
    """Simplify the polygons as one coverage (shared borders stay shared) and cut the region's towns out.

    ``tolerance`` is in degrees (0.003° ≈ 200–300 m); coordinates are rounded to ``digits`` decimals.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    features = read_features(geojson_src, name_property)
    geoms = [shape(geometry) for _, geometry in features]
    simplified = shapely.coverage_simplify(geoms, tolerance)
    simplified = [shapely.set_precision(geom, 10**-digits) for geom in simplified]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {name_property: name},
                "geometry": geometry_to_geojson(geom, digits),
            }
            for (name, _), geom in zip(features, simplified, strict=True)
        ],
    }
    geojson_path = out / "districts.geojson"
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    geojson_path.write_text(text + "\n", encoding="utf-8")

    towns_csv_path = out / "towns.csv"
    count = 0
    with (
        open(towns_src, encoding="utf-8", newline="") as src,
        open(towns_csv_path, "w", encoding="utf-8", newline="") as dst,
    ):
        writer = csv.DictWriter(dst, fieldnames=TOWN_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in csv.DictReader(src):
            if _row_matches(row, region_filter):
                writer.writerow({key: row.get(key, "") for key in TOWN_COLUMNS})
                count += 1
    return ShippedFiles(
        geojson_path=geojson_path,
        towns_csv_path=towns_csv_path,
        vertices_before=sum(int(shapely.get_num_coordinates(g)) for g in geoms),
        vertices_after=sum(int(shapely.get_num_coordinates(g)) for g in simplified),
        geojson_bytes=len(text.encode()),
        towns=count,
    )
