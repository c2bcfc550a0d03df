"""Incremental upkeep of the rollup tables.

Each case is turned into a :class:`Fact` (where and when it was created, what it is, its current
flags and answer times). The rollups hold the sum of all facts. When a case changes, its old fact
(kept in ``CaseFact``) is subtracted and the new one added, with an additive upsert, so a refresh
costs in proportion to the cases that changed, not to the whole history.

Every daily table (the area cubes, agency counts, answer-time histograms) has a monthly twin kept by
the same deltas; long periods read whole months from it (see :mod:`otklik.analytics.periods`). Each
refresh takes a new ``RollupState.version`` and stamps the days whose figures it changed
(``RollupChange``): rendered exports of a period are valid while none of its days is stamped anew.

Which cases changed is found from a watermark: case events with an id above the last one seen
(every state change appends one) and cases whose ``updated_at`` moved past the last refresh. A small
overlap is re-read on every run; re-counting an unchanged case yields a zero delta, so it is harmless.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import h3
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from otklik.cases.choices import AWAITING_AGENCY, OPEN, CaseStatus
from otklik.cases.deadlines import get_calendar
from otklik.cases.models import Case, CaseEvent, Rating
from otklik.cases.quality import published_quality
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Category, Territory

from .models import (
    AgencyDay,
    AgencyDuration,
    AgencyDurationMonth,
    AgencyMonth,
    AreaDay,
    AreaMonth,
    CaseFact,
    HexTotalWeek,
    HexWeek,
    ProblemChannelDay,
    ProblemChannelMonth,
    ProblemDay,
    ProblemMonth,
    RenderedExport,
    RollupChange,
    RollupState,
    TerritoryCategoryDay,
    TerritoryCategoryMonth,
    TerritoryChannelDay,
    TerritoryChannelMonth,
    TerritoryDay,
    TerritoryMonth,
)

log = logging.getLogger("otklik.analytics.rollups")

STATE = "cases"
BATCH = 5000
EVENT_OVERLAP = 500  # event ids re-read each run: a transaction may commit a lower id late
UPDATED_OVERLAP = timedelta(minutes=5)
HEX_LO, HEX_HI = 6, 8  # H3 resolutions: districts' scale and a town's quarter
RESOLVED = frozenset({CaseStatus.PUBLISHED, CaseStatus.CLOSED})
FIRST, FINAL = 1, 2

# Histogram of working minutes, buckets growing about by a quarter to a third (a working day is 480
# minutes); the last one is open. Percentiles are interpolated inside a bucket. Few buckets keep the
# rollup small: an agency-day holds a row per bucket in use.
EDGES: list[int] = [
    0, 10, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 420, 480, 600, 720, 960, 1200, 1440,
    1920, 2400, 2880, 3840, 4800, 7200, 9600, 14400, 19200, 28800,
]  # fmt: skip


def bucket_of(minutes: int) -> int:
    return max(0, bisect.bisect_right(EDGES, max(0, minutes)) - 1)


def bucket_bounds(bucket: int) -> tuple[int, int]:
    lo = EDGES[bucket]
    hi = EDGES[bucket + 1] if bucket + 1 < len(EDGES) else lo + 4800
    return lo, hi


@dataclass(frozen=True)
class Fact:
    case_id: int
    day: date
    territory: int
    category: int
    subcategory: int
    channel: str
    agency: int
    cell_lo: str
    cell_hi: str
    messages: int
    is_open: bool
    is_overdue: bool
    is_resolved: bool
    answered: bool
    on_time: bool
    reopened: bool
    ratings: int
    ratings_good: int
    published: bool
    concrete: bool
    first_minutes: int | None
    final_minutes: int | None


@lru_cache(maxsize=200_000)
def cells(lat: float, lon: float) -> tuple[str, str]:
    return h3.latlng_to_cell(lat, lon, HEX_LO), h3.latlng_to_cell(lat, lon, HEX_HI)


@lru_cache(maxsize=200_000)
def cell_center(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return round(lat, 5), round(lon, 5)


class WorkingClock:
    """Working minutes between two moments, as ``WorkingCalendar.working_minutes_between`` counts them,
    with each day's periods computed once (a full rebuild asks for millions of spans)."""

    def __init__(self, calendar: Any) -> None:
        self.calendar = calendar
        self._periods: dict[date, list[tuple[datetime, datetime]]] = {}
        self._totals: dict[date, int] = {}

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        found = self._periods.get(day)
        if found is None:
            found = self._periods[day] = self.calendar.periods(day)
        return found

    def total(self, day: date) -> int:
        found = self._totals.get(day)
        if found is None:
            found = self._totals[day] = self._within(day, None, None)
        return found

    def _within(self, day: date, lo: datetime | None, hi: datetime | None) -> int:
        seconds = 0.0
        for a, b in self.periods(day):
            start = a if lo is None or a > lo else lo
            end = b if hi is None or b < hi else hi
            if end > start:
                seconds += (end - start).total_seconds()
        return int(seconds)

    def minutes(self, start: datetime, end: datetime) -> int:
        a, b = self.calendar.localize(start), self.calendar.localize(end)
        if b <= a:
            return 0
        first, last = a.date(), b.date()
        if first == last:
            return self._within(first, a, b) // 60
        seconds = self._within(first, a, None) + self._within(last, None, b)
        day = first + timedelta(days=1)
        while day < last:
            seconds += self.total(day)
            day += timedelta(days=1)
        return seconds // 60


@dataclass
class Directory:
    """Territory → municipality and category → (top, sub), read once per refresh."""

    municipality: dict[int, int]
    category: dict[int, tuple[int, int]]
    clock: WorkingClock

    @classmethod
    def load(cls) -> Directory:
        rows = {t["pk"]: t for t in Territory.objects.values("pk", "parent_id", "kind")}
        municipal = {TerritoryKind.DISTRICT, TerritoryKind.OKRUG}

        def up(pk: int) -> int:
            node = rows.get(pk)
            for _step in range(10):
                if node is None:
                    return 0
                if node["kind"] in municipal:
                    return int(node["pk"])
                node = rows.get(node["parent_id"]) if node["parent_id"] else None
            return 0

        categories = {
            c["pk"]: ((c["parent_id"], c["pk"]) if c["parent_id"] else (c["pk"], 0))
            for c in Category.objects.values("pk", "parent_id")
        }
        return cls(
            municipality={pk: up(pk) for pk in rows}, category=categories, clock=WorkingClock(get_calendar())
        )


CASE_FIELDS = (
    "pk",
    "created_at",
    "territory_id",
    "suggested_territory_id",
    "category_id",
    "suggested_category_id",
    "channel",
    "agency_id",
    "status",
    "is_overdue",
    "lat",
    "lon",
    "message_count",
    "assigned_at",
    "first_answer_at",
    "answered_at",
    "deadline_at",
    "answer_working_minutes",
    "reopen_count",
)


def fact_of(
    row: dict[str, Any],
    ratings: tuple[int, int],
    directory: Directory,
    tz: Any,
    clock: WorkingClock | None = None,
    concrete: bool | None = None,
) -> Fact:
    """The contribution of one case (``row`` is ``Case.objects.values(*CASE_FIELDS)``); ``concrete``
    is None without a published final answer, else whether the latest passes the quality check."""
    # A case counts where and under what it shows (as the one case filter matches it): the decided
    # category and territory or, while none is decided, the suggested ones. Agencies count only
    # what was routed to them.
    top, sub = directory.category.get(row["category_id"] or row["suggested_category_id"] or 0, (0, 0))
    lo = hi = ""
    if row["lat"] is not None and row["lon"] is not None:
        lo, hi = cells(round(row["lat"], 5), round(row["lon"], 5))
    status = row["status"]
    answered_at = row["answered_at"]
    first_minutes = None
    if row["assigned_at"] and row["first_answer_at"]:
        clock = clock or WorkingClock(get_calendar())
        first_minutes = clock.minutes(row["assigned_at"], row["first_answer_at"])
    answered = answered_at is not None
    return Fact(
        case_id=row["pk"],
        day=row["created_at"].astimezone(tz).date(),
        territory=directory.municipality.get(row["territory_id"] or row["suggested_territory_id"] or 0, 0),
        category=top or 0,
        subcategory=sub or 0,
        channel=row["channel"],
        agency=row["agency_id"] or 0,
        cell_lo=lo,
        cell_hi=hi,
        messages=row["message_count"],
        is_open=status in OPEN,
        is_overdue=bool(row["is_overdue"] and status in AWAITING_AGENCY),
        is_resolved=status in RESOLVED,
        answered=answered,
        on_time=bool(answered and row["deadline_at"] and answered_at <= row["deadline_at"]),
        reopened=row["reopen_count"] > 0,
        ratings=ratings[0],
        ratings_good=ratings[1],
        published=concrete is not None,
        concrete=bool(concrete),
        first_minutes=first_minutes,
        final_minutes=row["answer_working_minutes"] if answered else None,
    )


# --- contributions and deltas ---------------------------------------------------------------------

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


# --- the refresh ----------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    cases: int = 0
    rows: int = 0
    full: bool = False
    last_event_id: int = 0


def _ratings(ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        Rating.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(n=Count("pk"), good=Count("pk", filter=Q(score__gte=4)))
    )
    return {r["case_id"]: (r["n"], r["good"]) for r in rows}


def _old_fact(row: CaseFact) -> Fact:
    return Fact(**{name: getattr(row, name) for name in Fact.__dataclass_fields__})


def stamp_days(days: Iterable[date], version: int) -> None:
    """Mark ``days`` as changed by the refresh ``version`` (rendered exports of them go stale)."""
    rows = [[day, version] for day in sorted(set(days))]
    if rows:
        _upsert(
            RollupChange._meta.db_table,
            ["day", "version"],
            rows,
            "ON CONFLICT (day) DO UPDATE SET version = excluded.version",
        )


def recount(ids: list[int], directory: Directory, tz: Any, *, version: int = 0) -> int:
    """Recount the given cases: subtract their old facts, add the new ones, store the new facts;
    stamp the days whose figures changed with ``version``."""
    deltas: Deltas = defaultdict(dict)
    old = {f.case_id: f for f in CaseFact.objects.filter(case_id__in=ids)}
    rows = list(Case.objects.filter(pk__in=ids).values(*CASE_FIELDS))
    ratings = _ratings(ids)
    concrete = published_quality(Q(case_id__in=ids))
    new: dict[int, Fact] = {}
    for row in rows:
        pk = row["pk"]
        new[pk] = fact_of(row, ratings.get(pk, (0, 0)), directory, tz, directory.clock, concrete.get(pk))
    changed_new: list[Fact] = []
    gone: list[int] = []
    days: set[date] = set()
    for case_id in ids:
        before = _old_fact(old[case_id]) if case_id in old else None
        after = new.get(case_id)
        if before == after:
            continue
        if before is not None:
            add_fact(deltas, before, -1)
            days.add(before.day)
        if after is not None:
            add_fact(deltas, after, +1)
            changed_new.append(after)
            days.add(after.day)
        else:
            gone.append(case_id)
    with transaction.atomic():
        touched = apply_deltas(deltas)
        stamp_days(days, version)
        if changed_new:
            fields = list(Fact.__dataclass_fields__)
            updates = ", ".join(f"{f} = excluded.{f}" for f in fields if f != "case_id")
            _upsert(
                CaseFact._meta.db_table,
                fields,
                [[getattr(f, name) for name in fields] for f in changed_new],
                f"ON CONFLICT (case_id) DO UPDATE SET {updates}",
            )
        if gone:
            CaseFact.objects.filter(case_id__in=gone).delete()
    return touched


FULL_CHUNK = 20_000


def _full_build(directory: Directory, tz: Any, *, version: int = 0) -> RefreshResult:
    """PostgreSQL: every case's fact by COPY, then each rollup in one INSERT … SELECT … GROUP BY."""
    result = RefreshResult(full=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE analytics_casefact, analytics_agencyday, analytics_agencyduration, "
            + ", ".join(model._meta.db_table for model in ROLLUP_MODELS)
        )
    fields = list(Fact.__dataclass_fields__)
    last = 0
    while True:
        rows = list(Case.objects.filter(pk__gt=last).order_by("pk").values(*CASE_FIELDS)[:FULL_CHUNK])
        if not rows:
            break
        first, last = rows[0]["pk"], rows[-1]["pk"]
        ratings = {
            r["case_id"]: (r["n"], r["good"])
            for r in Rating.objects.filter(case_id__gte=first, case_id__lte=last)
            .values("case_id")
            .annotate(n=Count("pk"), good=Count("pk", filter=Q(score__gte=4)))
        }
        concrete = published_quality(Q(case_id__gte=first, case_id__lte=last))
        facts = [
            fact_of(r, ratings.get(r["pk"], (0, 0)), directory, tz, directory.clock, concrete.get(r["pk"]))
            for r in rows
        ]
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY analytics_casefact ({', '.join(fields)}) FROM STDIN") as copy,
        ):
            for fact in facts:
                copy.write_row([getattr(fact, name) for name in fields])
        result.cases += len(rows)
    edges = "ARRAY[" + ",".join(str(e) for e in EDGES) + "]"
    # Each rollup is written in the order of its key (day first): the rows a period reads then sit
    # on a few pages instead of one page each (a month of the histogram: ~9,500 pages read → ~200).
    with connection.cursor() as cursor:
        measures = ", ".join(AREA_VALUES)
        cursor.execute(
            f"INSERT INTO analytics_areaday ({', '.join(AREA_KEY)}, {measures}) "
            f"SELECT {', '.join(AREA_KEY)}, count(*), sum(messages), "
            "sum(is_open::int), sum(is_overdue::int), sum(is_resolved::int) "
            "FROM analytics_casefact GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        )
        for model, key, _values in CUBES.values():
            if model is AreaDay:
                continue
            cols = ", ".join(key)
            sums = ", ".join(f"sum({v})" for v in AREA_VALUES)
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({cols}, {measures}) "
                f"SELECT {cols}, {sums} FROM analytics_areaday GROUP BY {cols} ORDER BY {cols}"
            )
        cursor.execute(
            "SELECT cell_lo FROM analytics_casefact WHERE cell_lo <> '' UNION "
            "SELECT cell_hi FROM analytics_casefact WHERE cell_hi <> ''"
        )
        centers = [(cell, *cell_center(cell)) for (cell,) in cursor.fetchall()]
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS staging_cells (cell varchar(16), lat float, lon float)"
        )
        cursor.execute("TRUNCATE staging_cells")
        with cursor.copy("COPY staging_cells (cell, lat, lon) FROM STDIN") as copy:
            for row in centers:
                copy.write_row(row)
        for resolution, column in ((HEX_LO, "cell_lo"), (HEX_HI, "cell_hi")):
            cursor.execute(
                "INSERT INTO analytics_hexweek (resolution, week, cell, category, channel, lat, lon, "
                "cases, messages, open, overdue) "
                f"SELECT %s, date_trunc('week', f.day)::date, f.{column}, f.category, f.channel, "
                "min(c.lat), min(c.lon), count(*), "
                "sum(f.messages), sum(f.is_open::int), sum(f.is_overdue::int) "
                f"FROM analytics_casefact f JOIN staging_cells c ON c.cell = f.{column} "
                "GROUP BY 2, 3, 4, 5 ORDER BY 2, 3, 4, 5",
                [resolution],
            )
        cursor.execute(
            "INSERT INTO analytics_hextotalweek "
            "(resolution, week, cell, lat, lon, cases, messages, open, overdue) "
            "SELECT resolution, week, cell, min(lat), min(lon), sum(cases), sum(messages), sum(open), "
            "sum(overdue) FROM analytics_hexweek GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        )
        cursor.execute(
            "INSERT INTO analytics_agencyday (day, agency, received, answered, on_time, open, overdue, "
            "reopened, ratings, ratings_good, published, concrete) "
            "SELECT day, agency, count(*), sum(answered::int), sum(on_time::int), sum(is_open::int), "
            "sum(is_overdue::int), sum(reopened::int), sum(ratings), sum(ratings_good), "
            "sum(published::int), sum(concrete::int) "
            "FROM analytics_casefact WHERE agency <> 0 GROUP BY 1, 2 ORDER BY 1, 2"
        )
        cursor.execute(
            "INSERT INTO analytics_agencyduration (day, agency, kind, bucket, count) "
            f"SELECT day, agency, kind, width_bucket(greatest(minutes, 0), {edges}) - 1, count(*) FROM ("
            "SELECT day, agency, %s AS kind, first_minutes AS minutes FROM analytics_casefact "
            "WHERE agency <> 0 AND first_minutes IS NOT NULL UNION ALL "
            "SELECT day, agency, %s, final_minutes FROM analytics_casefact "
            "WHERE agency <> 0 AND final_minutes IS NOT NULL"
            ") f GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            [FIRST, FINAL],
        )
        for name, (monthly, key, values) in MONTHLY_TABLES.items():
            daily = DAILY_TABLES[name.removesuffix(MONTH)][0]._meta.db_table
            cols = ", ".join(k for k in key if k != "month")
            cursor.execute(
                f"INSERT INTO {monthly._meta.db_table} (month, {cols}, {', '.join(values)}) "
                f"SELECT date_trunc('month', day)::date, {cols}, {', '.join(f'sum({v})' for v in values)} "
                f"FROM {daily} GROUP BY 1, {cols} ORDER BY 1, {cols}"
            )
        # Every day's exports go stale, including days that no longer hold a case.
        cursor.execute("UPDATE analytics_rollupchange SET version = %s", [version])
        cursor.execute(
            "INSERT INTO analytics_rollupchange (day, version) SELECT DISTINCT day, %s "
            "FROM analytics_casefact ON CONFLICT (day) DO UPDATE SET version = excluded.version",
            [version],
        )
        cursor.execute(
            "ANALYZE analytics_agencyday, analytics_agencyduration, "
            + ", ".join(model._meta.db_table for model in ROLLUP_MODELS)
        )
    return result


def _changed_ids(state: RollupState, since: datetime | None) -> Iterator[int]:
    seen: set[int] = set()
    events = CaseEvent.objects.all()
    cases = Case.objects.all()
    if since is not None:
        events = events.filter(created_at__gte=since)
        cases = cases.filter(updated_at__gte=since)
    else:
        events = events.filter(pk__gt=max(0, state.last_event_id - EVENT_OVERLAP))
        if state.last_updated_at is not None:
            cases = cases.filter(updated_at__gte=state.last_updated_at - UPDATED_OVERLAP)
    for qs in (events.values_list("case_id", flat=True), cases.values_list("pk", flat=True)):
        for case_id in qs.iterator(chunk_size=10_000):
            if case_id not in seen:
                seen.add(case_id)
                yield case_id


def refresh_rollups(since: datetime | None = None, *, now: datetime | None = None) -> RefreshResult:
    """Bring the rollups up to date.

    ``since=None``: incremental from the stored watermark (the first run counts every case).
    ``since=<datetime>``: recount cases changed (or with events) since then, whatever the watermark.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    RollupState.objects.get_or_create(name=STATE)
    # A new version for every refresh, taken before counting: a version is never reused, so an
    # export keyed by the stamps of its days cannot outlive a change to them.
    RollupState.objects.filter(name=STATE).update(version=F("version") + 1)
    state = RollupState.objects.get(name=STATE)
    version = state.version
    top_event = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    # ``updated_at`` is the wall clock of the save (auto_now): the next run looks back from the
    # moment this one started, less UPDATED_OVERLAP for transactions that commit late.
    started = timezone.now()
    directory = Directory.load()
    result = RefreshResult(last_event_id=top_event)
    if state.refreshed_at is None and since is None and connection.vendor == "postgresql":
        result = _full_build(directory, tz, version=version)
        result.last_event_id = top_event
        ids_iter: Iterable[int] = []
    elif state.refreshed_at is None and since is None:
        result.full = True
        ids_iter = Case.objects.order_by("pk").values_list("pk", flat=True).iterator(20_000)
    else:
        ids_iter = _changed_ids(state, since)
    batch: list[int] = []
    for case_id in ids_iter:
        batch.append(case_id)
        if len(batch) >= BATCH:
            result.rows += recount(batch, directory, tz, version=version)
            result.cases += len(batch)
            batch = []
    if batch:
        result.rows += recount(batch, directory, tz, version=version)
        result.cases += len(batch)
    state.last_event_id = max(state.last_event_id, top_event)
    state.last_updated_at = started
    state.refreshed_at = now
    state.cases_seen += result.cases
    state.save(update_fields=["last_event_id", "last_updated_at", "refreshed_at", "cases_seen"])
    log.info("rollups refreshed: %d case(s), %d row(s), full=%s", result.cases, result.rows, result.full)
    return result


def rebuild_rollups(*, now: datetime | None = None) -> RefreshResult:
    """Empty every rollup and count all cases again (after a bulk delete, a directory reshuffle…).

    The state's ``version`` is kept (versions are never reused); rendered exports are dropped."""
    with transaction.atomic():
        for model in (*ROLLUP_MODELS, AgencyDay, AgencyDuration, CaseFact, RenderedExport):
            model.objects.all().delete()
        RollupState.objects.filter(name=STATE).update(
            last_event_id=0, last_updated_at=None, refreshed_at=None, cases_seen=0
        )
    return refresh_rollups(now=now)


def last_refresh() -> datetime | None:
    state = RollupState.objects.filter(name=STATE).first()
    return state.refreshed_at if state else None


STALE_AFTER = timedelta(minutes=2)


def ensure_fresh(*, now: datetime | None = None, max_age: timedelta = STALE_AFTER) -> None:
    """Refresh lazily when the rollups are older than ``max_age`` (pages call this before reading)."""
    now = now or timezone.now()
    refreshed = last_refresh()
    if refreshed is None or now - refreshed > max_age:
        refresh_rollups(now=now)
