"""The rollup tables and their upkeep by deltas: which cube holds which dimensions, a fact's share of
each daily table and its monthly twin, and one additive upsert per table (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from django.db import connection

from .facts import FINAL, FIRST, HEX_HI, HEX_LO, Fact, bucket_of, cell_center
from .models import (
    AgencyDay,
    AgencyDuration,
    AgencyDurationMonth,
    AgencyMonth,
    AreaDay,
    AreaMonth,
    HexTotalWeek,
    HexWeek,
    ProblemChannelDay,
    ProblemChannelMonth,
    ProblemDay,
    ProblemMonth,
    TerritoryCategoryDay,
    TerritoryCategoryMonth,
    TerritoryChannelDay,
    TerritoryChannelMonth,
    TerritoryDay,
    TerritoryMonth,
)

AREA_KEY = ("day", "territory", "category", "subcategory", "channel")
AREA_VALUES = ("cases", "messages", "open", "overdue", "resolved")
HEX_KEY = ("resolution", "week", "cell", "category", "channel")
HEX_VALUES = ("cases", "messages", "open", "overdue")
HEX_EXTRA = ("lat", "lon")
AGENCY_KEY = ("day", "agency")
AGENCY_VALUES = (
    "received",
    "answered",
    "on_time",
    "open",
    "overdue",
    "reopened",
    "ratings",
    "ratings_good",
    "published",
    "concrete",
)
DURATION_KEY = ("day", "agency", "kind", "bucket")
DURATION_VALUES = ("count",)

Deltas = dict[str, dict[tuple[Any, ...], list[int]]]
MONTH = "_month"  # the monthly twin of a daily table is named "<table>_month"


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_fact(deltas: Deltas, fact: Fact, sign: int) -> None:
    def put(table: str, key: tuple[Any, ...], values: Iterable[int]) -> None:
        acc = deltas[table].get(key)
        vals = [sign * int(v) for v in values]
        if acc is None:
            deltas[table][key] = vals
        else:
            for i, v in enumerate(vals):
                acc[i] += v

    f = fact
    flags = (1, f.messages, f.is_open, f.is_overdue)
    counts = (*flags, f.is_resolved)
    dims = {
        "day": f.day,
        "territory": f.territory,
        "category": f.category,
        "subcategory": f.subcategory,
        "channel": f.channel,
    }
    monthly = {**dims, "day": month_of(f.day)}
    for name, (_model, key, _values) in CUBES.items():
        put(name, tuple(dims[k] for k in key), counts)
        put(name + MONTH, tuple(monthly[k] for k in key), counts)
    week = f.day - timedelta(days=f.day.weekday())
    for resolution, cell in ((HEX_LO, f.cell_lo), (HEX_HI, f.cell_hi)):
        if cell:
            put("hex", (resolution, week, cell, f.category, f.channel), flags)
            put("hex_total", (resolution, week, cell), flags)
    if f.agency:
        agency = (
            1,
            f.answered,
            f.on_time,
            f.is_open,
            f.is_overdue,
            f.reopened,
            f.ratings,
            f.ratings_good,
            f.published,
            f.concrete,
        )
        put("agency", (f.day, f.agency), agency)
        put("agency" + MONTH, (month_of(f.day), f.agency), agency)
        for kind, minutes in ((FIRST, f.first_minutes), (FINAL, f.final_minutes)):
            if minutes is not None:
                put("duration", (f.day, f.agency, kind, bucket_of(minutes)), (1,))
                put("duration" + MONTH, (month_of(f.day), f.agency, kind, bucket_of(minutes)), (1,))


# The area rollups, smallest first: a question is answered from the first one holding every
# dimension it groups or filters by (see :func:`cube_for`).
CUBES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "territory": (TerritoryDay, ("day", "territory"), AREA_VALUES),
    "problem": (ProblemDay, ("day", "category", "subcategory"), AREA_VALUES),
    "territory_channel": (TerritoryChannelDay, ("day", "territory", "channel"), AREA_VALUES),
    "territory_category": (TerritoryCategoryDay, ("day", "territory", "category"), AREA_VALUES),
    "problem_channel": (ProblemChannelDay, ("day", "category", "subcategory", "channel"), AREA_VALUES),
    "area": (AreaDay, AREA_KEY, AREA_VALUES),
}


# Each daily table's monthly twin: the same key with ``month`` (the first day) for ``day``.
MONTHLY_MODELS: dict[str, Any] = {
    "territory": TerritoryMonth,
    "problem": ProblemMonth,
    "territory_channel": TerritoryChannelMonth,
    "territory_category": TerritoryCategoryMonth,
    "problem_channel": ProblemChannelMonth,
    "area": AreaMonth,
    "agency": AgencyMonth,
    "duration": AgencyDurationMonth,
}


def cube_for(dimensions: Iterable[str], *, monthly: bool = False) -> Any:
    """The smallest area rollup that has every one of ``dimensions`` (``day`` is always there);
    ``monthly``: its monthly twin."""
    needed = set(dimensions) | {"day"}
    for name, (model, key, _values) in CUBES.items():
        if needed <= set(key):
            return MONTHLY_MODELS[name] if monthly else model
    raise ValueError(f"No rollup has {sorted(needed)}")


DAILY_TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    **CUBES,
    "agency": (AgencyDay, AGENCY_KEY, AGENCY_VALUES),
    "duration": (AgencyDuration, DURATION_KEY, DURATION_VALUES),
}
MONTHLY_TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    name + MONTH: (MONTHLY_MODELS[name], tuple("month" if k == "day" else k for k in key), values)
    for name, (_model, key, values) in DAILY_TABLES.items()
}
TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    **DAILY_TABLES,
    **MONTHLY_TABLES,
    "hex": (HexWeek, HEX_KEY, HEX_VALUES),
    "hex_total": (HexTotalWeek, ("resolution", "week", "cell"), HEX_VALUES),
}


ROLLUP_MODELS = (
    *(model for model, _k, _v in CUBES.values()),
    *(model for model, _k, _v in MONTHLY_TABLES.values()),
    HexWeek,
    HexTotalWeek,
)


def apply_deltas(deltas: Deltas) -> int:
    """Add the deltas to the rollup tables in one additive upsert per table; returns rows touched."""
    touched = 0
    for table, rows in deltas.items():
        model, key, values = TABLES[table]
        items = [(k, v) for k, v in rows.items() if any(v)]
        if not items:
            continue
        db_table = model._meta.db_table
        columns = list(key) + list(values) + (list(HEX_EXTRA) if table.startswith("hex") else [])
        updates = ", ".join(f"{c} = {db_table}.{c} + excluded.{c}" for c in values)
        params = []
        for k, v in items:
            extra = list(cell_center(k[2])) if table.startswith("hex") else []
            params.append([*k, *v, *extra])
        _upsert(db_table, columns, params, f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")
        # A row whose cases all moved away stays with zeros (sums ignore it); a rebuild drops it.
        touched += len(items)
    return touched


def _upsert(db_table: str, columns: list[str], rows: list[list[Any]], conflict: str) -> None:
    """Insert-or-update ``rows``: on PostgreSQL COPY into a temporary table, then one INSERT … SELECT;
    elsewhere (SQLite) ``executemany``."""
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {db_table} ({cols}) VALUES ({placeholders}) {conflict}", rows)
            return
        staging = f"staging_{db_table}"
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS SELECT {cols} FROM {db_table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {db_table} ({cols}) SELECT {cols} FROM {staging} {conflict}")


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
