"""The production calendar: decrees 2024–2027, the art. 112 fallback, short days, working-time arithmetic."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from otklik.cases import deadlines
from otklik.cases.calendar import DayKind, WorkingCalendar, WorkingHours, rule_based_year
from otklik.directory.choices import CalendarDayKind
from otklik.directory.models import CalendarDay

SARATOV = ZoneInfo("Europe/Saratov")
MOSCOW = ZoneInfo("Europe/Moscow")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, tz: ZoneInfo = SARATOV) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.mark.parametrize(
    ("year", "working_days", "hours"),
    [(2024, 248, 1979), (2025, 247, 1972), (2026, 247, 1972), (2027, 247, 1972)],
)
def test_builtin_years_match_the_official_norms(cal, year, working_days, hours):
    days = list(cal.working_days(date(year, 1, 1), date(year, 12, 31)))
    assert len(days) == working_days
    assert sum(cal.working_minutes_on(d) for d in days) == hours * 60


def test_saturday_1_november_2025_is_a_short_working_day(cal):
    assert cal.is_working_day(date(2025, 11, 1))
    assert cal.day_kind(date(2025, 11, 1)) == DayKind.SHORT
    assert not cal.is_working_day(date(2025, 11, 3))  # the day off it was moved to
    assert not cal.is_working_day(date(2025, 11, 4))


def test_january_2026_block_runs_to_the_9th(cal):
    for day in range(1, 12):
        assert not cal.is_working_day(date(2026, 1, day)), day
    assert cal.is_working_day(date(2026, 1, 12))
    assert not cal.is_working_day(date(2025, 12, 31))  # moved from 5 January 2025
    assert not cal.is_working_day(date(2026, 12, 31))  # moved from 4 January 2026


def test_january_2025_block_and_its_moved_days(cal):
    assert [d.day for d in cal.working_days(date(2025, 1, 1), date(2025, 1, 12))] == [9, 10]
    # Decree No. 1335: 4 and 5 January → 2 May and 31 December; 23 Feb and 8 Mar → 8 May and 13 June.
    for moved in (date(2025, 5, 2), date(2025, 5, 8), date(2025, 6, 13), date(2025, 12, 31)):
        assert cal.day_kind(moved) == DayKind.HOLIDAY
    assert cal.is_working_day(date(2025, 2, 24))
    assert cal.is_working_day(date(2025, 3, 10))


def test_deadline_skips_moved_holiday_9_march_2026(cal):
    assert cal.day_kind(date(2026, 3, 9)) == DayKind.HOLIDAY
    # Friday 6 March 2026, 10:00 + one working day → Tuesday 10 March, close of business.
    assert cal.add_working_days(at(2026, 3, 6, 10), 1) == at(2026, 3, 10, 18)


def test_working_saturdays_of_2024(cal):
    assert cal.day_kind(date(2024, 4, 27)) == DayKind.WORKING
    assert cal.day_kind(date(2024, 11, 2)) == DayKind.SHORT  # stands in for 30 April, a pre-holiday day
    assert cal.day_kind(date(2024, 12, 28)) == DayKind.WORKING
    assert not cal.is_working_day(date(2024, 12, 30))


def test_fallback_moves_weekend_holidays_in_2031(cal):
    # 23 February 2031 is a Sunday and 8 March a Saturday: art. 112 moves them to the Mondays after.
    assert date(2031, 2, 23).weekday() == 6 and date(2031, 3, 8).weekday() == 5
    assert cal.day_kind(date(2031, 2, 24)) == DayKind.HOLIDAY
    assert cal.day_kind(date(2031, 3, 10)) == DayKind.HOLIDAY
    assert cal.is_working_day(date(2031, 2, 25))
    assert rule_based_year(2031).extra_days_off == {date(2031, 2, 24), date(2031, 3, 10)}


def test_fallback_does_not_move_january_holidays():
    # 2028: 1 January is a Saturday, 2 January a Sunday; only a decree can move those.
    py = rule_based_year(2028)
    assert all(d.month != 1 for d in py.extra_days_off)
    cal = WorkingCalendar()
    assert cal.is_working_day(date(2028, 1, 10))


def test_fallback_moves_two_colliding_may_holidays_to_distinct_days():
    # 2032: 1 May is a Saturday and 9 May a Sunday.
    assert rule_based_year(2032).extra_days_off >= {date(2032, 5, 3), date(2032, 5, 10)}


def test_pre_holiday_day_is_one_hour_shorter(cal):
    # Thursday 11 June 2026, before Russia Day.
    assert cal.day_kind(date(2026, 6, 11)) == DayKind.SHORT
    assert cal.end_of_working_day(date(2026, 6, 11)) == at(2026, 6, 11, 17)
    assert cal.working_minutes_on(date(2026, 6, 11)) == 7 * 60
    # The fallback rule shortens the eve of a holiday too: 31 December 2031 is a Wednesday.
    assert cal.day_kind(date(2031, 12, 31)) == DayKind.SHORT


def test_overrides_win_over_the_decrees():
    cal = WorkingCalendar(
        {date(2026, 7, 15): "holiday", date(2026, 7, 18): "working", date(2026, 7, 17): "short"}
    )
    assert not cal.is_working_day(date(2026, 7, 15))
    assert cal.is_working_day(date(2026, 7, 18))  # a Saturday
    assert cal.end_of_working_day(date(2026, 7, 17)) == at(2026, 7, 17, 17)
    with pytest.raises(ValueError):
        WorkingCalendar({date(2026, 7, 15): "weekend"})


def test_working_hours_skip_lunch_night_and_weekend(cal):
    # Friday 17 July 2026, 16:00 + 9 working hours: 2 on Friday, 4 + 3 on Monday → Monday 17:00.
    assert cal.add_working_hours(at(2026, 7, 17, 16), 9) == at(2026, 7, 20, 17)
    # Within the morning: 12:00 + 2 h crosses lunch → 15:00.
    assert cal.add_working_hours(at(2026, 7, 15, 12), 2) == at(2026, 7, 15, 15)
    # Outside hours the clock starts at the next opening.
    assert cal.add_working_hours(at(2026, 7, 15, 20), 4) == at(2026, 7, 16, 13)
    # Ending exactly at close of business stays on that day.
    assert cal.add_working_hours(at(2026, 7, 15, 14), 4) == at(2026, 7, 15, 18)


def test_working_days_end_at_close_of_the_nth_working_day(cal):
    # Assigned on Saturday 18 July 2026: the first working day after it is Monday.
    assert cal.add_working_days(at(2026, 7, 18, 11), 1) == at(2026, 7, 20, 18)
    assert cal.add_working_days(at(2026, 7, 15, 9), 7) == at(2026, 7, 24, 18)
    # Over the January 2026 block: 30 December 2025 + 1 → 12 January 2026.
    assert cal.add_working_days(at(2025, 12, 30, 10), 1) == at(2026, 1, 12, 18)


def test_calendar_days_move_a_due_date_off_a_day_off(cal):
    # 30 days from Thursday 2 April 2026 is Saturday 2 May → the next working day, Monday 4 May.
    assert cal.add_calendar(at(2026, 4, 2, 10), days=30) == at(2026, 5, 4, 18)
    # Calendar hours run around the clock.
    assert cal.add_calendar(at(2026, 7, 17, 16), hours=24) == at(2026, 7, 18, 16)
    with pytest.raises(ValueError):
        cal.add_calendar(at(2026, 7, 17, 16), hours=1, days=1)


def test_working_minutes_across_a_weekend_and_a_holiday(cal):
    # Thursday 11 June 2026 16:00 (a short day, ends at 17:00) → Monday 15 June 10:00.
    # 60 min on Thursday, Friday 12 June is Russia Day, weekend, 60 min on Monday.
    assert cal.working_minutes_between(at(2026, 6, 11, 16), at(2026, 6, 15, 10)) == 120
    assert cal.working_minutes_between(at(2026, 6, 15, 10), at(2026, 6, 11, 16)) == 0


def test_aware_datetimes_are_computed_in_the_calendar_zone(cal):
    # 13:00 in Moscow is 14:00 in Saratov: one working hour later it is 15:00 Saratov.
    result = cal.add_working_hours(at(2026, 7, 15, 13, tz=MOSCOW), 1)
    assert result == at(2026, 7, 15, 15)
    assert result.tzinfo == SARATOV
    with pytest.raises(ValueError):
        cal.add_working_hours(datetime(2026, 7, 15, 13), 1)


def test_configurable_working_hours_without_lunch():
    cal = WorkingCalendar(
        hours=WorkingHours(start=time(8), end=time(17), lunch_start=None, lunch_end=None), tz="Europe/Moscow"
    )
    assert cal.add_working_hours(at(2026, 7, 15, 16, tz=MOSCOW), 2) == at(2026, 7, 16, 9, tz=MOSCOW)
    assert cal.working_minutes_on(date(2026, 7, 15)) == 9 * 60


@pytest.mark.django_db
def test_calendar_day_row_overrides_the_project_calendar():
    deadlines.calendar_cache.clear()
    start = at(2026, 7, 15, 10)
    assert deadlines.get_calendar().add_working_days(start, 1) == at(2026, 7, 16, 18)
    CalendarDay.objects.create(date=date(2026, 7, 16), kind=CalendarDayKind.HOLIDAY, note="regional day off")
    # Saving the row dropped the cached calendar: the next computation sees it.
    assert deadlines.get_calendar().add_working_days(start, 1) == at(2026, 7, 17, 18)
    CalendarDay.objects.filter(date=date(2026, 7, 16)).delete()
    assert deadlines.get_calendar().add_working_days(start, 1) == at(2026, 7, 16, 18)
    deadlines.calendar_cache.clear()
