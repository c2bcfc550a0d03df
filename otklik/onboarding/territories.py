"""Territories as a hierarchy from a table: ``otklik import-territories FILE``.

A row names a territory and, optionally, its parent, kind, other names, OKTMO code and a point. The
region's own territory list (a city's districts over its municipal okrugs) works, and so does a
history of appeals with a district and an okrug column and coordinates on each row: the same
territory named on many rows is one territory.

* **Names in any spelling.** A row's territory is the region's territory of the same name as
  maps and registries write it ("муниципальный округ №65" = "муниципальный округ N 65",
  "Лиговка - Ямская" = "Лиговка-Ямская", ё = е, "Выборгский" = "Выборгский район"), or one whose
  other names (``Territory.aliases``) hold it.
* **Renamed territories by their points.** A name the region does not know, whose rows' points
  fall mostly (``MIN_POINT_SHARE``) into one territory's polygon, is that territory's former or
  other name: it is recorded among its aliases (the map says "N 21", the appeals say
  "Сергиевское").
* **Parents.** A parent named in the file that the region lacks is created under the region as a
  district ("Выборгский" → "Выборгский район"); territories move under the parent the file gives.
  A parent whose children all have polygons gets their union as its polygon (its bounding box and
  point too), so a city's districts are drawn and found by point like its okrugs.
* A name the region does not know and no point places is created under its parent without a
  polygon (reported as such).

Nothing is written when a row is wrong (a territory under two parents, a coordinate that is no
number, a parent that would hold itself): every such row is listed. Loading the same file again
changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.directory.regions import geometry_to_geojson
from otklik.directory.tables import FileProblems, Report, read_table, split_list, writing

TERRITORY_HEADERS: dict[str, tuple[str, ...]] = {
    "name": (
        "название",
        "наименование",
        "территория",
        "municipality",
        "муниципальное образование",
        "муниципальный округ",
        "округ",
    ),
    "parent": ("родитель", "входит в", "parent name", "district", "район"),
    "kind": ("тип", "вид", "type"),
    "aliases": ("другие названия", "прежние названия", "синонимы", "other names"),
    "oktmo": ("октмо", "oktmo code"),
    "lat": ("latitude", "широта", "geo_lat"),
    "lon": ("longitude", "долгота", "geo_lon", "lng"),
}
KINDS: dict[str, str] = {
    "district": TerritoryKind.DISTRICT,
    "район": TerritoryKind.DISTRICT,
    "муниципальный район": TerritoryKind.DISTRICT,
    "район города": TerritoryKind.DISTRICT,
    "okrug": TerritoryKind.OKRUG,
    "округ": TerritoryKind.OKRUG,
    "муниципальный округ": TerritoryKind.OKRUG,
    "городской округ": TerritoryKind.OKRUG,
    "внутригородское муниципальное образование": TerritoryKind.OKRUG,
    "settlement": TerritoryKind.SETTLEMENT,
    "поселение": TerritoryKind.SETTLEMENT,
    "населенный пункт": TerritoryKind.SETTLEMENT,
    "поселок": TerritoryKind.SETTLEMENT,
    "село": TerritoryKind.SETTLEMENT,
    "деревня": TerritoryKind.SETTLEMENT,
}
# A name the region lacks is a territory's other name when at least this share of its rows'
# points (and at least MIN_POINTS of them) lie in that territory's polygon.
MIN_POINT_SHARE = 0.6
MIN_POINTS = 3
_BARE_ADJECTIVE = re.compile(r"^[А-ЯЁ][а-яё]+(?:ский|цкий|ской|ный|ной|ний|ий)$")


@dataclass
class TerritoryRow:
    name: str
    key: str
    parent: str = ""
    kind: str = ""
    oktmo: str = ""
    aliases: list[str] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    line: int = 0


def _key(name: str) -> str:
    from otklik.understanding.places.names import name_key

    return name_key(name)


def _spelling(name: str) -> str:
    from otklik.understanding.places.names import normalize_spelling

    return normalize_spelling(name)


def _coordinate(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if low <= number <= high else None


def read_territory_rows(
    path: str | Path, mapping: dict[str, str] | None = None
) -> tuple[list[TerritoryRow], list[str]]:
    """One row per territory named (its points gathered from every row naming it) and the rows
    skipped; :class:`FileProblems` for every contradiction or broken value."""
    table = read_table(path, TERRITORY_HEADERS, mapping=mapping, required=("name",))
    has_point = {"lat", "lon"} <= set(table.columns)
    problems: list[str] = []
    skipped: list[str] = []
    rows: dict[str, TerritoryRow] = {}
    for line, values in table.rows:
        name = _spelling(values.get("name", ""))
        if not name:
            skipped.append(f"line {line}: no territory named")
            continue
        kind_text = values.get("kind", "").strip().lower().replace("ё", "е")
        kind = KINDS.get(kind_text, "") if kind_text else ""
        if kind_text and not kind:
            problems.append(f"line {line}: kind “{values['kind']}” is none of {', '.join(sorted(KINDS))}")
        parent = _spelling(values.get("parent", ""))
        key = _key(name)
        if parent and _key(parent) == key:
            problems.append(f"line {line}: “{name}” cannot be its own parent")
            continue
        row = rows.get(key)
        if row is None:
            row = rows[key] = TerritoryRow(name, key, parent, kind, values.get("oktmo", ""), line=line)
        else:
            for label, ours, theirs in (
                ("parent", row.parent, parent),
                ("kind", row.kind, kind),
                ("OKTMO", row.oktmo, values.get("oktmo", "")),
            ):
                if (
                    theirs
                    and ours
                    and (_key(ours) if label == "parent" else ours)
                    != (_key(theirs) if label == "parent" else theirs)
                ):
                    problems.append(
                        f"line {line}: “{name}” has {label} “{theirs}”, line {row.line} says “{ours}”"
                    )
            row.parent = row.parent or parent
            row.kind = row.kind or kind
            row.oktmo = row.oktmo or values.get("oktmo", "")
        for alias in split_list(values.get("aliases", "")):
            if alias not in row.aliases:
                row.aliases.append(_spelling(alias))
        if has_point and (values.get("lat") or values.get("lon")):
            lat = _coordinate(values.get("lat", ""), -90, 90)
            lon = _coordinate(values.get("lon", ""), -180, 180)
            if lat is None or lon is None:
                problems.append(
                    f"line {line}: coordinates “{values.get('lat')}”, “{values.get('lon')}” are no point"
                )
            else:
                row.points.append((lat, lon))
    if problems:
        raise FileProblems(problems)
    return list(rows.values()), skipped


class _Tree:
    """The region and every territory under it, with their names in every spelling."""

    def __init__(self, region: Territory) -> None:
        everything = list(Territory.objects.order_by("pk"))
        children: dict[int | None, list[Territory]] = {}
        for t in everything:
            children.setdefault(t.parent_id, []).append(t)
        self.region = region
        self.nodes: dict[int, Territory] = {}
        stack = [region]
        while stack:
            node = stack.pop()
            self.nodes[node.pk] = node
            stack.extend(children.get(node.pk, []))
        for t in self.nodes.values():
            if t.parent_id in self.nodes:
                t.parent = self.nodes[t.parent_id]
        self.by_key: dict[str, list[Territory]] = {}
        for t in self.nodes.values():
            self.remember(t)

    def remember(self, territory: Territory) -> None:
        for name in (territory.name, *territory.alias_list()):
            bucket = self.by_key.setdefault(_key(name), [])
            if territory not in bucket:
                bucket.append(territory)

    def find(self, name: str) -> list[Territory]:
        return [t for t in self.by_key.get(_key(name), []) if t.pk != self.region.pk]

    def children(self, territory: Territory) -> list[Territory]:
        return [t for t in self.nodes.values() if t.parent_id == territory.pk]

    def depth(self, territory: Territory) -> int:
        return len(territory.ancestors()) - 1

    def locate_points(self, points: list[tuple[float, float]]) -> tuple[Territory | None, int]:
        """The territory whose polygon holds most of the points, and how many it holds."""
        from otklik.understanding.places.polygons import PolygonIndex

        if not hasattr(self, "_polygons"):
            with_geometry = [t for t in self.nodes.values() if t.geometry and t.pk != self.region.pk]
            self._polygons = PolygonIndex(with_geometry, {t.pk: self.depth(t) for t in with_geometry})
        hits: Counter[int] = Counter()
        for lat, lon in points:
            found = self._polygons.locate(lat, lon)
            if found is not None:
                hits[found.pk] += 1
        if not hits:
            return None, 0
        pk, n = hits.most_common(1)[0]
        return self.nodes[pk], n


def _district_name(name: str) -> str:
    """A district named by its adjective alone ("Выборгский") is "Выборгский район"."""
    return f"{name} район" if _BARE_ADJECTIVE.match(name) else name


def _label(t: Territory) -> str:
    return f"{t.name} ({t.get_kind_display()})"


@dataclass
class _Plan:
    row: TerritoryRow
    territory: Territory | None = None  # None: to be created
    parent: Territory | None = None
    alias: str = ""  # the row's name, recorded as the territory's other name
    why: str = ""


def import_territories(
    path: str | Path, region: Territory, *, mapping: dict[str, str] | None = None, dry_run: bool = False
) -> Report:
    rows, skipped = read_territory_rows(path, mapping)
    return load_territories(region, rows, dry_run=dry_run, skipped=skipped)


def load_territories(
    region: Territory, rows: list[TerritoryRow], *, dry_run: bool = False, skipped: list[str] | None = None
) -> Report:
    """Match, create, move and name the territories of ``rows`` under ``region``; see the module."""
    report = Report("territories", dry_run=dry_run, skipped=list(skipped or []))
    tree = _Tree(region)
    problems: list[str] = []
    region_key = _key(region.name)
    plans: list[_Plan] = []
    for row in rows:
        if row.key == region_key:
            report.skipped.append(f"line {row.line}: “{row.name}” is the region itself")
            continue
        plan = _Plan(row)
        found = tree.find(row.name)
        if len(found) > 1 and row.parent:
            found = [
                t for t in found if t.parent is not None and _key(t.parent.name) == _key(row.parent)
            ] or found
        if len(found) > 1:
            problems.append(
                f"line {row.line}: several territories are named “{row.name}”: "
                + ", ".join(f"{t.name} in {t.parent.name if t.parent else '—'}" for t in found)
            )
            continue
        if found:
            plan.territory = found[0]
        elif row.points:
            territory, inside = tree.locate_points(row.points)
            if territory is not None and inside >= MIN_POINTS and inside >= MIN_POINT_SHARE * len(row.points):
                plan.territory, plan.alias = territory, row.name
                plan.why = f"{inside} of its {len(row.points)} points lie in it"
        plans.append(plan)
    if problems:
        raise FileProblems(problems)
    named_in_file = {plan.row.key: plan for plan in plans}

    with writing(dry_run):
        # parents first: an existing territory, one the file names, or a new district of the region
        created_parents: dict[str, Territory] = {}
        for plan in plans:
            parent_name = plan.row.parent
            if not parent_name:
                continue
            key = _key(parent_name)
            existing = tree.find(parent_name)
            if existing:
                plan.parent = existing[0]
            elif key in named_in_file and named_in_file[key].territory is not None:
                plan.parent = named_in_file[key].territory
            elif key in created_parents:
                plan.parent = created_parents[key]
            elif key in named_in_file:
                continue  # created below, with its own row, then wired
            else:
                parent = Territory.objects.create(
                    parent=region, kind=TerritoryKind.DISTRICT, name=_district_name(parent_name)
                )
                parent.parent = region
                tree.nodes[parent.pk] = parent
                tree.remember(parent)
                created_parents[key] = parent
                plan.parent = parent
                report.created.append(f"{_label(parent)}, in {region.name}")
        # territories the region lacks
        created = {p.pk for p in created_parents.values()}
        for plan in plans:
            if plan.territory is not None:
                continue
            row = plan.row
            parent = plan.parent or region
            kind = row.kind or (TerritoryKind.OKRUG if parent.pk != region.pk else TerritoryKind.DISTRICT)
            name = _district_name(row.name) if kind == TerritoryKind.DISTRICT else row.name
            territory = Territory.objects.create(
                parent=parent, kind=kind, name=name, oktmo=row.oktmo, aliases="\n".join(row.aliases)
            )
            territory.parent = parent
            tree.nodes[territory.pk] = territory
            tree.remember(territory)
            plan.territory = territory
            created.add(territory.pk)
            report.created.append(f"{_label(territory)}, in {parent.name} — no polygon")
        for plan in plans:  # parents named by a row that was itself created just now
            if plan.parent is None and plan.row.parent:
                target = named_in_file[_key(plan.row.parent)].territory
                plan.parent = target
        # moves, other names, codes, kinds
        touched: set[int] = set()
        for plan in plans:
            territory, row = plan.territory, plan.row
            assert territory is not None
            changes: list[str] = []
            fields: list[str] = []
            if plan.parent is not None and territory.parent_id != plan.parent.pk:
                if territory.pk in [t.pk for t in plan.parent.ancestors()]:
                    problems.append(f"line {row.line}: “{plan.parent.name}” lies inside “{territory.name}”")
                    continue
                before = territory.parent.name if territory.parent else "—"
                if territory.parent_id:
                    touched.add(territory.parent_id)
                territory.parent = plan.parent
                touched.add(plan.parent.pk)
                fields.append("parent")
                changes.append(f"now in {plan.parent.name} (was {before})")
            aliases = territory.alias_list()
            own = {_key(territory.name), *(_key(a) for a in aliases)}
            for alias in ([plan.alias] if plan.alias else []) + row.aliases:
                if _key(alias) not in own:
                    aliases.append(alias)
                    own.add(_key(alias))
                    reason = f" ({plan.why})" if alias == plan.alias and plan.why else ""
                    changes.append(f"other name “{alias}”{reason}")
            if "\n".join(aliases) != territory.aliases:
                territory.aliases = "\n".join(aliases)
                fields.append("aliases")
            if row.oktmo and row.oktmo != territory.oktmo:
                changes.append(f"OKTMO {row.oktmo} (was {territory.oktmo or '—'})")
                territory.oktmo = row.oktmo
                fields.append("oktmo")
            if row.kind and row.kind != territory.kind:
                changes.append(f"kind {row.kind} (was {territory.kind})")
                territory.kind = row.kind
                fields.append("kind")
            if fields:
                territory.save(update_fields=fields)
            if territory.pk in created:
                continue
            if changes:
                report.updated.append(f"{territory.name}: " + "; ".join(changes))
            else:
                report.unchanged += 1
        if problems:
            raise FileProblems(problems)
        touched |= {p.pk for p in created_parents.values()}
        touched |= {plan.parent.pk for plan in plans if plan.parent is not None}
        for pk in sorted(touched - {region.pk}):
            parent = Territory.objects.get(pk=pk)
            line = _union_of_children(parent)
            if line:
                if pk in created:
                    report.notes.append(f"{parent.name}: {line}")
                else:
                    report.updated.append(f"{parent.name}: {line}")
    return report


def _union_of_children(parent: Territory) -> str:
    """Give ``parent`` the union of its children's polygons when every child has one; what changed
    in words, "" for nothing."""
    children = list(Territory.objects.filter(parent=parent).only("pk", "geometry"))
    if not children or any(not c.geometry for c in children):
        return ""
    shapes: list[Any] = []
    for child in children:
        geom = shape(child.geometry)
        shapes.append(geom if geom.is_valid else shapely.make_valid(geom))
    union = shapely.union_all(shapes)
    geometry = geometry_to_geojson(union)
    if geometry == parent.geometry:
        return ""
    point = union.representative_point()
    parent.geometry = geometry
    parent.bbox = [round(v, 6) for v in union.bounds]
    parent.lat, parent.lon = round(point.y, 6), round(point.x, 6)
    parent.save(update_fields=["geometry", "bbox", "lat", "lon"])
    return f"polygon = the union of its {len(children)} territories' polygons"
