"""The region's registry of named institutions ("поликлиника № 3" in Курск): learning and import.

* **Learned from moderators.** When a moderator confirms a case's place (the territory in
  moderation, or a point picked on the map) and the case's text names an institution,
  :func:`learn_from_case` records the institution in that territory (a second confirmation of the
  same institution counts up; a point picked on the map becomes its point).
* **Imported** from a CSV file (:func:`import_csv`, ``otklik import-institutions FILE.csv``).

The place resolver (:func:`otklik.understanding.places.locate`) reads the active rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

from ..models import Institution
from ..text import fold
from .data import extract_institution

_KEEP_CASE_IDS = 200  # the latest cases that confirmed a row (a case counts once)
CSV_COLUMNS = ("region", "municipality", "settlement", "kind", "number", "name", "address", "lat", "lon")


def _chain_ids(territory: Territory) -> list[int]:
    return [t.pk for t in territory.ancestors()]


def learn_institution(
    kind: str,
    number: str,
    territory: Territory,
    *,
    lat: float | None = None,
    lon: float | None = None,
    case_id: int | None = None,
) -> Institution:
    """A moderator's confirmation that the institution ``kind`` № ``number`` lies in ``territory``.

    A row of the same institution in a territory around or inside it is that institution: it is
    confirmed once more and moved to the deeper territory (the settlement rather than its district);
    otherwise a new row is made (the same number in another town is another institution). A case
    counts once (``case_id``): confirmed again it adds nothing, and moved by the moderator to another
    town it takes its confirmation along (a learned row left with none is deleted). A given point
    replaces the row's point unless the row was imported or entered by hand with one."""
    chain = set(_chain_ids(territory))
    with transaction.atomic():
        same = list(
            Institution.objects.select_for_update()
            .filter(kind=kind, number=number)
            .select_related("territory")
        )
        row = next(
            (r for r in same if r.territory_id in chain or territory.pk in _chain_ids(r.territory)), None
        )
        if case_id is not None:
            for other in same:
                if other is not row and case_id in other.case_ids:  # the case was placed elsewhere before
                    other.case_ids.remove(case_id)
                    other.confirmations = max(0, other.confirmations - 1)
                    if other.confirmations == 0 and other.source == Institution.Source.MODERATOR:
                        other.delete()
                    else:
                        other.save()
        if row is None:
            row = Institution(
                kind=kind, number=number, territory=territory, source=Institution.Source.MODERATOR
            )
        elif row.territory_id in chain and row.territory_id != territory.pk:
            row.territory = territory  # deeper than what was known
        if case_id is None or case_id not in row.case_ids:
            row.confirmations += 1
            if case_id is not None:
                row.case_ids = [*row.case_ids, case_id][-_KEEP_CASE_IDS:]
        keeps_point = row.source != Institution.Source.MODERATOR and row.lat is not None
        if lat is not None and lon is not None and not keeps_point:
            row.lat, row.lon = lat, lon
        row.save()
        return row


def learn_from_case(case: Any) -> Institution | None:
    """After a moderator confirmed the place of ``case``: learn the institution its text names.

    Call it right after the case's territory (``moderate_case``) or point (``set_case_place``) is
    saved. Nothing is learned when the text names no numbered institution (an unnumbered "ЦРБ" or
    "больница" is one per district and says nothing new), or the case has no territory below the
    region. The point is the institution's only when the moderator picked it on the map."""
    text = case.text or ""
    mention = extract_institution(text)
    territory = case.territory
    if mention is None or not mention.number or territory is None:
        return None
    if territory.kind == TerritoryKind.REGION:
        return None
    from .cache import get_gazetteer
    from .resolver import locate

    named = locate(text, gazetteer=get_gazetteer()).territory
    if named is not None and named.pk > 0 and named.pk != territory.pk and territory.pk in _chain_ids(named):
        territory = named  # the text names the settlement inside the confirmed district
    place = case.understanding.get("place") if isinstance(case.understanding, dict) else None
    picked = isinstance(place, dict) and place.get("source") == "moderator"
    return learn_institution(
        mention.kind,
        mention.number,
        territory,
        lat=case.lat if picked else None,
        lon=case.lon if picked else None,
        case_id=case.pk,
    )


# --- CSV import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)  # "line 7: no municipality «…» in «…»"


def _territory_named(name: str, candidates: Iterable[Territory]) -> Territory | None:
    from .names import clean_name

    wanted = fold(clean_name(name))
    found = [t for t in candidates if fold(clean_name(t.name)) == wanted]
    return found[0] if len(found) == 1 else None


def _float(value: str) -> float | None:
    value = value.strip().replace(",", ".")
    return float(value) if value else None


def import_rows(rows: Iterable[dict[str, str]]) -> ImportResult:
    """Rows of ``region, municipality, settlement, kind, number, name, address, lat, lon``: the
    territory is the settlement (a territory row under the municipality) or the municipality; the
    kind and number are read as a text would name them ("МБОУ СОШ", "12" → школа № 12)."""
    result = ImportResult()
    regions = list(Territory.objects.filter(kind=TerritoryKind.REGION))
    for line, raw in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        region = _territory_named(row.get("region", ""), regions)
        if region is None:
            result.errors.append(f"line {line}: no region «{row.get('region', '')}»")
            continue
        territory = _territory_named(row.get("municipality", ""), region.children.all())
        if territory is None:
            result.errors.append(f"line {line}: no municipality «{row.get('municipality', '')}» in {region}")
            continue
        if row.get("settlement"):
            territory = _territory_named(row["settlement"], territory.children.all()) or territory
        mention = extract_institution(f"{row.get('kind', '')} № {row['number']}" if row.get("number") else "")
        if mention is None and row.get("kind"):
            mention = extract_institution(row["kind"])
        if mention is None or (row.get("number") and not mention.number):
            named = f"{row.get('kind', '')} {row.get('number', '')}".strip()
            result.errors.append(f"line {line}: unknown institution «{named}»")
            continue
        try:
            lat, lon = _float(row.get("lat", "")), _float(row.get("lon", ""))
        except ValueError:
            result.errors.append(f"line {line}: bad coordinates")
            continue
        same = Institution.objects.filter(kind=mention.kind, number=mention.number, territory=territory)
        existing = same.first()
        item = existing or Institution(kind=mention.kind, number=mention.number, territory=territory)
        item.name = row.get("name", "") or item.name
        item.address = row.get("address", "") or item.address
        if lat is not None and lon is not None:
            item.lat, item.lon = lat, lon
        if existing is None:
            item.source = Institution.Source.IMPORT
        item.save()
        if existing is None:
            result.created += 1
        else:
            result.updated += 1
    return result


def import_csv(path: Path) -> ImportResult:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return import_rows(csv.DictReader(handle))
