"""Importing polling stations. Two kinds of table feed the same records, matched by the УИК number:

* the CEC's per-station results tables (``region``, ``tik``, ``uik`` and the number of registered
  voters), which give every station of a region and its commission;
* station registries (``uik``, ``tik``, the venue, ``street``, ``building`` or ``address``,
  ``latitude``/``longitude``, ``district``), which put the stations on the map.

A file sets only what it carries: a registry never zeroes the voters a results table gave, a results
table never clears coordinates. Commission names are normalized so that "Территориальная
избирательная комиссия №24" in one table and "24" in another are one "ТИК № 24". Re-running updates.
Bad rows are skipped with their line and reason; the rest of the file is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

from .models import Commission, PollingStation
from .tables import open_table

NUMBER_RE = re.compile(r"\d+")
NUMBERED_TIK_RE = re.compile(
    r"^(?:территориальная\s+избирательная\s+комиссия|тик)?\s*№?\s*(\d+)(?:\.0)?$", re.I
)
# Each field and the column names it may come under, first match wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "region": ("region",),
    "tik": ("tik", "ТИК"),
    "uik": ("uik", "УИК"),
    "voters": (
        "registered_voters",
        "Число избирателей, включенных в список избирателей",
        "Число избирателей, внесенных в список избирателей на момент окончания голосования",
    ),
    "lat": ("latitude", "lat"),
    "lon": ("longitude", "lon"),
    "address": ("address",),
    "venue": ("venue_name",),
    "street": ("street",),
    "building": ("building",),
    "district": ("district", "uik_district"),
}


@dataclass
class ImportResult:
    commissions: int = 0
    stations: int = 0
    updated: int = 0
    placed: int = 0  # stations of the file with coordinates
    skipped: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)  # a number met again: the later row wins


def commission_name(tik: str) -> str:
    """ "Территориальная избирательная комиссия №24", "24", "24.0" → "ТИК № 24"; "Энгельсская" →
    "ТИК Энгельсская"."""
    tik = " ".join(tik.split())
    match = NUMBERED_TIK_RE.match(tik)
    return f"ТИК № {match.group(1)}" if match else f"ТИК {tik}"


def _key(name: str) -> str:
    return name.lower().replace("ё", "е").strip()


def _district_by_stem(tik: str, districts: list[Territory]) -> Territory | None:
    """The district a ТИК serves, by the stem of its name ("Энгельсская" → "Энгельсский район")."""
    for word in re.findall(r"[А-Яа-яЁё-]{4,}", tik):
        stem = _key(word[:-3] if len(word) > 6 else word)
        found = [d for d in districts if _key(d.name).startswith(stem)]
        if len(found) == 1:
            return found[0]
    return None


def _coordinate(value: str, limit: float) -> float | None:
    number = float(value)  # ValueError for the caller
    if not -limit <= number <= limit:
        raise ValueError(value)
    return number


def _address(row: dict[str, str], columns: dict[str, str]) -> str:
    def get(name: str) -> str:
        return " ".join((row.get(columns[name]) or "").split()) if name in columns else ""

    if get("address"):
        return get("address")
    return ", ".join(part for part in (get("venue"), get("street"), get("building")) if part)


def import_stations(path: Path, *, region: str = "") -> ImportResult:
    """Commissions and stations from ``path`` (see the module's docstring). ``region`` picks the
    region's rows of a table with a ``region`` column and, in any table, the districts commissions
    are matched to."""
    result = ImportResult()
    territories = Territory.objects.filter(kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG))
    if region:
        territories = territories.filter(parent__name=region)
    districts = list(territories)
    by_name = {_key(d.name): d for d in districts}
    with path.open(encoding="utf-8-sig", newline="") as handle, transaction.atomic():
        reader, columns = open_table(handle, COLUMNS)
        missing = {"tik", "uik"} - set(columns)
        if missing:
            raise ValidationError(f"{path.name}: no column(s) {', '.join(sorted(missing))}")
        if "region" in columns and not region:
            raise ValidationError(f"{path.name} holds several regions: name the one to import (--region)")
        commissions: dict[str, Commission] = {}
        seen: dict[int, int] = {}  # УИК number → the line it was last met on
        placed: set[int] = set()
        for line, row in enumerate(reader, start=2):
            if "region" in columns and (row[columns["region"]] or "").strip() != region:
                continue
            number = NUMBER_RE.search(row[columns["uik"]] or "")
            tik = (row[columns["tik"]] or "").strip()
            if number is None or not tik:
                result.skipped.append(
                    f"line {line}: no УИК number or ТИК in {row[columns['uik']]!r}, {tik!r}"
                )
                continue
            fields: dict[str, object] = {}
            try:
                if row.get(columns.get("voters", ""), ""):
                    fields["registered_voters"] = int(float(row[columns["voters"]]))
            except ValueError:
                result.skipped.append(
                    f"line {line}: the number of voters is not a number: {row[columns['voters']]!r}"
                )
                continue
            lat, lon = (row.get(columns.get(c, ""), "").strip() for c in ("lat", "lon"))
            if lat and lon:
                try:
                    fields["lat"], fields["lon"] = _coordinate(lat, 90), _coordinate(lon, 180)
                except ValueError:
                    result.skipped.append(f"line {line}: coordinates out of range: {lat!r}, {lon!r}")
                    continue
            address = _address(row, columns)
            if address:
                fields["address"] = address
            name = commission_name(tik)
            commission = commissions.get(name)
            if commission is None:
                commission, created = Commission.objects.get_or_create(name=name)
                commissions[name] = commission
                result.commissions += created
            if commission.territory_id is None:
                district = by_name.get(_key(row.get(columns.get("district", ""), "") or ""))
                commission.territory = district or _district_by_stem(tik, districts)
                if commission.territory is not None:
                    commission.save(update_fields=["territory"])
            fields["commission"] = commission
            uik = int(number.group(0))
            if uik in seen:
                result.repeated.append(f"line {line}: УИК № {uik} again (line {seen[uik]}); this row wins")
            seen[uik] = line
            _station, created = PollingStation.objects.update_or_create(number=uik, defaults=fields)
            result.stations += created
            if "lat" in fields:
                placed.add(uik)
    result.updated = len(seen) - result.stations
    result.placed = len(placed)
    return result
