"""The Russian production calendar and working-time arithmetic: a pure module.

No ORM and no clock reads here: callers pass dates, aware datetimes and the overrides (the
``CalendarDay`` rows) in. :mod:`otklik.cases.deadlines` builds the project's calendar from settings
and the database.

Where the data comes from:

* 2024–2027: the Government decrees "On moving days off" (``BUILT_IN_YEARS`` below, one entry per
  decree) on top of the holidays of the Labour Code, art. 112; pre-holiday shortened days as the
  Ministry of Labour's production calendar publishes them (art. 95: the working day right before a
  non-working holiday is one hour shorter; a Saturday made a working day by a decree is as long as
  the weekday it stands in for, so 2 November 2024 and 1 November 2025 are shortened).
* Any other year: the rule of art. 112 — 1–6 and 8 January (New Year holidays), 7 January, 23 February,
  8 March, 1 May, 9 May, 12 June and 4 November; a holiday falling on a Saturday or Sunday moves to the
  next working day, except the January ones (the Government spreads those over the year by decree;
  until it does, add them as ``CalendarDay`` overrides).
* Overrides ``{date: "holiday" | "working" | "short"}`` win over both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/Saratov"
# How far the day-by-day walks look ahead before deciding the calendar has no working time at all.
MAX_SCAN_DAYS = 3 * 366


class DayKind(StrEnum):
    """What a date is. The first three are also the values of ``CalendarDay.kind`` overrides."""

    WORKING = "working"
    SHORT = "short"  # a working day one hour shorter (pre-holiday)
    HOLIDAY = "holiday"  # a non-working holiday or a day off moved by a decree
    WEEKEND = "weekend"  # an ordinary Saturday or Sunday


WORKING_KINDS = frozenset({DayKind.WORKING, DayKind.SHORT})


# --- the law and the decrees ----------------------------------------------------------------------

# Labour Code of the Russian Federation, art. 112, part 1: non-working holidays (month, day).
NEW_YEAR_HOLIDAYS: tuple[tuple[int, int], ...] = tuple((1, day) for day in range(1, 9))  # 1–8 January
OTHER_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (2, 23),  # Defender of the Fatherland Day
    (3, 8),  # International Women's Day
    (5, 1),  # Spring and Labour Day
    (5, 9),  # Victory Day
    (6, 12),  # Russia Day
    (11, 4),  # National Unity Day
)


@dataclass(frozen=True)
class ProductionYear:
    """One year of the production calendar, as a decree (or the art. 112 rule) makes it."""

    year: int
    source: str
    extra_days_off: frozenset[date] = frozenset()  # weekdays off beyond the art. 112 holidays
    working_weekend_days: frozenset[date] = frozenset()  # Saturdays/Sundays made working days
    short_days: frozenset[date] = frozenset()  # pre-holiday working days, one hour shorter
    holidays: frozenset[date] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(art112_holidays(self.year)))


def art112_holidays(year: int) -> list[date]:
    return [date(year, m, d) for m, d in NEW_YEAR_HOLIDAYS + OTHER_HOLIDAYS]


def is_art112_holiday(d: date) -> bool:
    return (d.month, d.day) in NEW_YEAR_HOLIDAYS or (d.month, d.day) in OTHER_HOLIDAYS


def _days(year: int, spec: str) -> frozenset[date]:
    """``"01-09 03-09"`` → the dates of ``year``; keeps the decree tables below readable."""
    out = set()
    for token in spec.split():
        month, day = token.split("-")
        out.add(date(year, int(month), int(day)))
    return frozenset(out)


def _decree(year: int, source: str, *, days_off: str, working: str = "", short: str) -> ProductionYear:
    return ProductionYear(
        year=year,
        source=source,
        extra_days_off=_days(year, days_off),
        working_weekend_days=_days(year, working),
        short_days=_days(year, short),
    )


BUILT_IN_YEARS: dict[int, ProductionYear] = {
    # Decree of the Government of the RF No. 1316 of 10.08.2023 "О переносе выходных дней в 2024 году":
    # Sat 6 Jan → Fri 10 May; Sun 7 Jan → Tue 31 Dec; Sat 27 Apr → Mon 29 Apr; Sat 2 Nov → Tue 30 Apr;
    # Sat 28 Dec → Mon 30 Dec. 248 working days, 1979 hours at 40 h/week.
    2024: _decree(
        2024,
        "Decree No. 1316 of 10.08.2023",
        days_off="04-29 04-30 05-10 12-30 12-31",
        working="04-27 11-02 12-28",
        short="02-22 03-07 05-08 06-11 11-02",
    ),
    # Decree of the Government of the RF No. 1335 of 04.10.2024 "О переносе выходных дней в 2025 году":
    # Sat 4 Jan → Fri 2 May; Sun 5 Jan → Wed 31 Dec; Sun 23 Feb → Thu 8 May; Sat 8 Mar → Fri 13 Jun;
    # Sat 1 Nov → Mon 3 Nov. 247 working days, 1972 hours.
    2025: _decree(
        2025,
        "Decree No. 1335 of 04.10.2024",
        days_off="05-02 05-08 06-13 11-03 12-31",
        working="11-01",
        short="03-07 04-30 06-11 11-01",
    ),
    # Decree of the Government of the RF No. 1466 of 24.09.2025 "О переносе выходных дней в 2026 году":
    # Sat 3 Jan → Fri 9 Jan; Sun 4 Jan → Thu 31 Dec. Art. 112 itself moves Sun 8 Mar → Mon 9 Mar and
    # Sat 9 May → Mon 11 May. 247 working days, 1972 hours, no six-day weeks.
    2026: _decree(
        2026,
        "Decree No. 1466 of 24.09.2025",
        days_off="01-09 03-09 05-11 12-31",
        short="04-30 05-08 06-11 11-03",
    ),
    # Decree of the Government of the RF "О переносе выходных дней в 2027 году" (adopted in 2026):
    # Sat 2 Jan → Fri 5 Nov; Sun 3 Jan → Fri 31 Dec; Sat 20 Feb → Mon 22 Feb. Art. 112 itself moves
    # Sat 1 May → Mon 3 May, Sun 9 May → Mon 10 May, Sat 12 Jun → Mon 14 Jun. 247 working days, 1972 hours.
    2027: _decree(
        2027,
        "Decree on moving days off in 2027",
        days_off="02-22 05-03 05-10 06-14 11-05 12-31",
        working="02-20",
        short="02-20 04-30 06-11 11-03",
    ),
}


@cache
def rule_based_year(year: int) -> ProductionYear:
    """A year without a decree: art. 112 moves a weekend holiday (not in January) to the next working day."""
    holidays = set(art112_holidays(year))
    extra: set[date] = set()
    for month, day in OTHER_HOLIDAYS:
        holiday = date(year, month, day)
        if holiday.weekday() < 5:
            continue
        moved = holiday + timedelta(days=1)
        while moved.weekday() >= 5 or moved in holidays or moved in extra:
            moved += timedelta(days=1)
        extra.add(moved)
    short = set()
    d = date(year, 1, 1)
    while d.year == year:
        following = d + timedelta(days=1)
        if d.weekday() < 5 and d not in holidays and d not in extra and is_art112_holiday(following):
            short.add(d)
        d = following
    return ProductionYear(
        year=year,
        source="Labour Code art. 112 (no decree built in)",
        extra_days_off=frozenset(extra),
        short_days=frozenset(short),
    )


def production_year(year: int) -> ProductionYear:
    return BUILT_IN_YEARS.get(year) or rule_based_year(year)


def builtin_day_kind(d: date) -> DayKind:
    """The kind of a date from the decrees (or the art. 112 rule), without overrides."""
    py = production_year(d.year)
    if d in py.short_days:
        return DayKind.SHORT
    if d in py.working_weekend_days:
        return DayKind.WORKING
    if d in py.holidays or d in py.extra_days_off:
        return DayKind.HOLIDAY
    if d.weekday() >= 5:
        return DayKind.WEEKEND
    return DayKind.WORKING


# --- working hours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """The office day: 9:00–18:00 with a 13:00–14:00 lunch by default; a short day ends earlier."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    lunch_start: time | None = time(13, 0)
    lunch_end: time | None = time(14, 0)
    short_day_minutes: int = 60

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("The working day must start before it ends.")
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValueError("Give both ends of the lunch break, or neither.")
        if (
            self.lunch_start
            and self.lunch_end
            and not self.start < self.lunch_start < self.lunch_end < self.end
        ):
            raise ValueError("The lunch break must lie inside the working day.")

    def periods(self, short: bool = False) -> list[tuple[time, time]]:
        """The working periods of a day as (from, to) local times."""
        if self.lunch_start and self.lunch_end:
            spans = [(self.start, self.lunch_start), (self.lunch_end, self.end)]
        else:
            spans = [(self.start, self.end)]
        if not short or self.short_day_minutes <= 0:
            return spans
        # Take the shortening off the end of the day, period by period.
        cut = self.short_day_minutes
        result: list[tuple[time, time]] = []
        for a, b in reversed(spans):
            length = _minutes(b) - _minutes(a)
            if cut >= length:
                cut -= length
                continue
            result.append((a, _time(_minutes(b) - cut)))
            cut = 0
        return list(reversed(result))

    @classmethod
    def parse(
        cls, start: str, end: str, lunch_start: str | None = None, lunch_end: str | None = None
    ) -> WorkingHours:
        """From "HH:MM" strings (settings); empty lunch strings mean no lunch break."""
        return cls(
            start=time.fromisoformat(start),
            end=time.fromisoformat(end),
            lunch_start=time.fromisoformat(lunch_start) if lunch_start else None,
            lunch_end=time.fromisoformat(lunch_end) if lunch_end else None,
        )


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


# --- the calendar ------------------------------------------------------------------------------------


class WorkingCalendar:
    """Working days and working time in one local time zone.

    Aware datetimes in, aware datetimes (in the calendar's zone) out. ``overrides`` maps dates to
    ``"holiday"``, ``"working"`` or ``"short"`` and wins over the decrees.
    """

    def __init__(
        self,
        overrides: Mapping[date, str] | None = None,
        *,
        hours: WorkingHours | None = None,
        tz: tzinfo | str | None = None,
    ) -> None:
        self.overrides: dict[date, DayKind] = {}
        for day, kind in (overrides or {}).items():
            value = DayKind(kind)
            if value == DayKind.WEEKEND:
                raise ValueError("An override is a holiday, a working day or a short day.")
            self.overrides[day] = value
        self.hours = hours or WorkingHours()
        if tz is None:
            tz = DEFAULT_TIME_ZONE
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz

    # days

    def day_kind(self, d: date) -> DayKind:
        return self.overrides.get(d) or builtin_day_kind(d)

    def is_working_day(self, d: date) -> bool:
        return self.day_kind(d) in WORKING_KINDS

    def is_short_day(self, d: date) -> bool:
        return self.day_kind(d) == DayKind.SHORT

    def next_working_day(self, d: date, *, include: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself with ``include``)."""
        day = d if include else d + timedelta(days=1)
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"No working day within {MAX_SCAN_DAYS} days after {d}.")

    def working_days(self, first: date, last: date) -> Iterable[date]:
        day = first
        while day <= last:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def periods(self, d: date) -> list[tuple[datetime, datetime]]:
        """The working periods of a date as aware local datetimes; empty on a day off."""
        kind = self.day_kind(d)
        if kind not in WORKING_KINDS:
            return []
        return [(self._at(d, a), self._at(d, b)) for a, b in self.hours.periods(short=kind == DayKind.SHORT)]

    def working_minutes_on(self, d: date) -> int:
        return sum(int((b - a).total_seconds() // 60) for a, b in self.periods(d))

    def end_of_working_day(self, d: date) -> datetime:
        periods = self.periods(d)
        if not periods:
            raise ValueError(f"{d} is not a working day.")
        return periods[-1][1]

    # arithmetic

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time after ``start`` (lunch, nights and days off skipped)."""
        if hours < 0:
            raise ValueError("Hours must not be negative.")
        local = self.localize(start)
        remaining = timedelta(minutes=round(hours * 60))
        if not remaining:
            return local
        day = local.date()
        for _ in range(MAX_SCAN_DAYS):
            for a, b in self.periods(day):
                if b <= local:
                    continue
                begin = max(a, local)
                available = b - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"No working time within {MAX_SCAN_DAYS} days after {start}.")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after the start's day (0: the end of the start's day,
        or of the next working day if the start falls on a day off)."""
        if days < 0:
            raise ValueError("Days must not be negative.")
        day = self.localize(start).date()
        if days == 0:
            return self.end_of_working_day(self.next_working_day(day, include=True))
        for _ in range(days):
            day = self.next_working_day(day)
        return self.end_of_working_day(day)

    def add_calendar(self, start: datetime, *, hours: float = 0, days: int = 0) -> datetime:
        """Calendar time.

        ``hours``: exactly that many elapsed hours, nights and weekends included (the social-network
        "24 hours"). ``days``: the due date is the ``days``-th calendar day after the start; when it is
        not a working day it moves to the next working day (Civil Code art. 193, applied to 59-FZ
        terms), and the deadline is that day's close of business.
        """
        if hours < 0 or days < 0:
            raise ValueError("Hours and days must not be negative.")
        if hours and days:
            raise ValueError("Give calendar hours or calendar days, not both.")
        local = self.localize(start)
        if days:
            due = self.next_working_day(local.date() + timedelta(days=days), include=True)
            return self.end_of_working_day(due)
        return (local + timedelta(minutes=round(hours * 60))).astimezone(self.tz)

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Working minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        a_local, b_local = self.localize(start), self.localize(end)
        if b_local <= a_local:
            return 0
        total = timedelta()
        day = a_local.date()
        while day <= b_local.date():
            for a, b in self.periods(day):
                lo, hi = max(a, a_local), min(b, b_local)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return int(total.total_seconds() // 60)

    # helpers

    def localize(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("An aware datetime is required.")
        return moment.astimezone(self.tz)

    def _at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz)
