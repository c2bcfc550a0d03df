"""A case as a :class:`Fact` for the rollups: where and when it was created, what it is, its current
flags and answer times (working minutes by the production calendar), read in bulk with the
:class:`Directory` of territories and categories."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import h3

from otklik.cases.choices import AWAITING_AGENCY, OPEN, CaseStatus
from otklik.cases.deadlines import get_calendar
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Category, Territory

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
