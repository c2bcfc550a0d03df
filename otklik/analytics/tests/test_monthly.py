"""Monthly rollups: a long period read from whole months plus daily edges gives the figures of the raw
tables (and of the daily rollups alone), percentiles included; incremental upkeep equals a rebuild."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models import Sum

from otklik.analytics import dynamics, heatmap, kpi, periods, summary
from otklik.analytics.filters import Scope
from otklik.analytics.models import (
    AgencyDay,
    AgencyDuration,
    AgencyDurationMonth,
    AgencyMonth,
    AreaDay,
    AreaMonth,
    ProblemChannelMonth,
    ProblemMonth,
    RollupChange,
    TerritoryCategoryMonth,
    TerritoryChannelMonth,
    TerritoryMonth,
)
from otklik.analytics.rollups import (
    CASE_FIELDS,
    DAILY_TABLES,
    FINAL,
    FIRST,
    MONTH,
    MONTHLY_TABLES,
    Directory,
    bucket_bounds,
    bucket_of,
    fact_of,
    rebuild_rollups,
    refresh_rollups,
)
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.testing.factories import make_case

from .conftest import TZ, at

D = date


@pytest.mark.parametrize(
    ("start", "end", "months", "days"),
    [
        (D(2026, 11, 3), D(2026, 11, 20), None, [(D(2026, 11, 3), D(2026, 11, 20))]),
        (D(2026, 11, 1), D(2026, 11, 30), (D(2026, 11, 1), D(2026, 11, 1)), []),
        (D(2026, 10, 31), D(2026, 11, 29), None, [(D(2026, 10, 31), D(2026, 11, 29))]),
        (
            D(2025, 11, 30),
            D(2026, 11, 29),
            (D(2025, 12, 1), D(2026, 10, 1)),
            [(D(2025, 11, 30), D(2025, 11, 30)), (D(2026, 11, 1), D(2026, 11, 29))],
        ),
        (D(2026, 1, 15), D(2026, 3, 31), (D(2026, 2, 1), D(2026, 3, 1)), [(D(2026, 1, 15), D(2026, 1, 31))]),
        (D(2024, 2, 1), D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 1)), []),  # a leap February
        (D(2026, 12, 1), D(2027, 1, 10), (D(2026, 12, 1), D(2026, 12, 1)), [(D(2027, 1, 1), D(2027, 1, 10))]),
    ],
)
def test_split_a_period_into_whole_months_and_edges(
    start: date, end: date, months: tuple[date, date] | None, days: list[tuple[date, date]]
) -> None:
    found = periods.split(start, end)
    assert found.months == months and list(found.days) == days
    # Every day of the period is covered exactly once.
    covered: list[date] = []
    if found.months:
        month = found.months[0]
        while month <= found.months[1]:
            nxt = periods.next_month(month)
            covered += [month + timedelta(days=i) for i in range((nxt - month).days)]
            month = nxt
    for a, b in found.days:
        covered += [a + timedelta(days=i) for i in range((b - a).days + 1)]
    assert sorted(covered) == [start + timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture
def months(world: dict[str, Any]) -> dict[str, Any]:
    """The small world plus 160 cases spread over July–November 2026 with answer times."""
    rng = random.Random(20261129)
    territories = [world["village"], world["engels"], world["balakovo"], None]
    categories = [world["hot_water"], world["roads"], world["utilities"], None]
    agencies = [world["water_co"], world["road_min"], None]
    channels = [Channel.VK, Channel.TELEGRAM, Channel.PHONE]
    first = at(1, 9, month=7)
    for i in range(160):
        created = first + timedelta(days=rng.randrange(150), hours=rng.randrange(10))
        answered = rng.random() < 0.7
        agency = rng.choice(agencies)
        case = make_case(
            text=f"Обращение {i}",
            territory=rng.choice(territories),
            category=rng.choice(categories),
            agency=agency,
            channel=rng.choice(channels),
            status=CaseStatus.CLOSED if answered else CaseStatus.IN_PROGRESS,
            created_at=created,
            assigned_at=created + timedelta(hours=1) if agency else None,
            first_answer_at=created + timedelta(hours=2 + rng.randrange(60)) if agency and answered else None,
            answered_at=created + timedelta(hours=3 + rng.randrange(90)) if answered else None,
            deadline_at=created + timedelta(days=2),
            answer_working_minutes=rng.randrange(30, 5000) if answered else None,
            is_overdue=not answered and rng.random() < 0.5,
            reopen_count=1 if rng.random() < 0.1 else 0,
            with_message=False,
        )
        Case.objects.filter(pk=case.pk).update(message_count=1 + rng.randrange(4))
    return world


LONG = Scope(date_from=date(2026, 7, 13), date_to=date(2026, 11, 20))  # three whole months and two edges
RANGES = [
    LONG,
    Scope(date_from=date(2026, 7, 1), date_to=date(2026, 11, 30)),
    Scope(date_from=date(2026, 8, 1), date_to=date(2026, 9, 30)),
    Scope(date_from=date(2026, 8, 31), date_to=date(2026, 10, 1)),
    Scope(date_from=date(2026, 9, 5), date_to=date(2026, 9, 25)),
]


def _raw_counts(scope: Scope, world: dict[str, Any]) -> dict[tuple[int, int], tuple[int, int]]:
    """(top category, subcategory) → (cases, messages) straight from the cases table."""
    parents = {world["hot_water"].pk: world["utilities"].pk}
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for case in Case.objects.all():
        day = case.created_at.astimezone(TZ).date()
        if not scope.date_from <= day <= scope.date_to:
            continue
        cat = case.category_id or 0
        key = (parents[cat], cat) if cat in parents else (cat, 0)
        out[key][0] += 1
        out[key][1] += case.message_count
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.mark.parametrize("scope", RANGES, ids=lambda s: f"{s.date_from}..{s.date_to}")
def test_monthly_path_equals_the_raw_tables_and_the_daily_rollups(
    months: dict[str, Any], scope: Scope
) -> None:
    refresh_rollups(now=at(29, 12))
    sums = scope.sums(["category", "subcategory"], ["cases", "messages"])
    got = {k: (v["cases"], v["messages"]) for k, v in sums.items() if v["cases"]}
    assert got == _raw_counts(scope, months)
    # The same question of the daily rows only, for every smaller cube the pages use.
    for group, filters in (
        (["territory"], {}),
        (["territory"], {"channel": "vk"}),
        (["territory"], {"category": months["utilities"].pk}),
        (["category"], {"territory": months["engels"].pk}),
        (["channel"], {}),
        (["category", "subcategory"], {"channel": "telegram", "territory": months["balakovo"].pk}),
    ):
        filtered = replace(scope, **filters)
        measures = ["cases", "messages", "open", "overdue", "resolved"]
        daily = {
            tuple(row[g] for g in group): {m: row[m] for m in measures}
            for row in filtered.area(*group).values(*group).annotate(**{m: Sum(m) for m in measures})
        }
        assert filtered.sums(group, measures) == daily, (group, filters)


def _raw_minutes(scope: Scope, agency: int, kind: int) -> list[int]:
    directory = Directory.load()
    out = []
    for case in Case.objects.filter(agency_id=agency).values(*CASE_FIELDS):
        fact = fact_of(case, (0, 0), directory, TZ, directory.clock)
        if scope.date_from <= fact.day <= scope.date_to:
            minutes = fact.first_minutes if kind == FIRST else fact.final_minutes
            if minutes is not None:
                out.append(minutes)
    return sorted(out)


def test_year_long_kpis_equal_the_daily_path_and_the_raw_percentiles(months: dict[str, Any]) -> None:
    refresh_rollups(now=at(29, 12))
    scope = LONG
    monthly = kpi.agency_kpis(scope)
    water = months["water_co"].pk
    # The daily-only computation, as before monthly rollups existed.
    daily = AgencyDay.objects.filter(day__gte=scope.date_from, day__lte=scope.date_to, agency=water)
    totals = daily.aggregate(**{c: Sum(c) for c in kpi.COUNTS})
    assert {c: getattr(monthly[water], c) for c in kpi.COUNTS} == totals
    assert monthly[water].overdue == AgencyDay.objects.filter(agency=water).aggregate(n=Sum("overdue"))["n"]
    for kind, hist in ((FIRST, monthly[water].first), (FINAL, monthly[water].final)):
        rows = AgencyDuration.objects.filter(
            day__gte=scope.date_from, day__lte=scope.date_to, agency=water, kind=kind
        )
        daily_hist = Counter()
        for row in rows:
            daily_hist[row.bucket] += row.count
        assert hist == {b: n for b, n in daily_hist.items() if n}
        raw = _raw_minutes(scope, water, kind)
        assert sum(hist.values()) == len(raw) > 10
        for q in (0.5, 0.9):
            value = kpi.percentile(hist, q)
            nearest_rank = raw[math.ceil(q * len(raw)) - 1]
            lo, hi = bucket_bounds(bucket_of(nearest_rank))
            assert value is not None and lo <= value <= hi, (kind, q, value, nearest_rank)
    ranked = kpi.ranking(scope)
    assert {k.agency for k in ranked} == {months["water_co"].pk, months["road_min"].pk}


def test_year_long_pages_read_the_monthly_rollups(months: dict[str, Any]) -> None:
    refresh_rollups(now=at(29, 12))
    scope = LONG
    raw = _raw_counts(scope, months)
    s = summary.summary(scope, with_examples=False)
    assert s.cases == sum(n for n, _m in raw.values()) and s.messages == sum(m for _n, m in raw.values())
    assert {(p.category, p.subcategory): p.cases for p in s.problems} == {
        k: n for k, (n, _m) in raw.items() if k[0]
    }
    result = dynamics.dynamics(scope, dimension="territory", step="week", measure="cases")
    assert sum(result.total.values) == s.cases
    # Weeks and months summed in the database (months from the monthly rollup) equal the days summed here.
    by_day = dynamics.dynamics(scope, dimension="channel", step="day", measure="messages")
    for step in ("week", "month"):
        coarse = dynamics.dynamics(scope, dimension="channel", step=step, measure="messages")
        expected: dict[Any, Counter[date]] = defaultdict(Counter)
        for series in by_day.series:
            for day, n in zip(by_day.periods, series.values, strict=True):
                expected[series.key][dynamics.period_start(day, step)] += n
        got = {ser.key: dict(zip(coarse.periods, ser.values, strict=True)) for ser in coarse.series}
        assert got == {k: {p: v.get(p, 0) for p in coarse.periods} for k, v in expected.items()}, step
    months_axis = dynamics.dynamics(scope, step="month").periods
    assert months_axis == [date(2026, m, 1) for m in range(7, 12)]
    assert result.previous_total == summary.summary(scope.previous(), with_examples=False).cases
    assert sum(v.cases for v in heatmap.territory_values(scope)) + heatmap.unplaced(scope) == s.cases
    growth = dynamics.fastest_growing(scope, min_count=1)
    assert all(g.current == raw[(g.category, g.subcategory)][0] for g in growth)


# (model, the measure that is 0 only on a row whose cases all moved away, fields compared)
MONTHLY_SNAPSHOT = (
    (AreaMonth, "cases", ("month", "territory", "category", "subcategory", "channel", "cases", "messages")),
    (TerritoryMonth, "cases", ("month", "territory", "cases", "messages", "open", "overdue", "resolved")),
    (TerritoryChannelMonth, "cases", ("month", "territory", "channel", "cases", "resolved")),
    (TerritoryCategoryMonth, "cases", ("month", "territory", "category", "cases", "open")),
    (ProblemMonth, "cases", ("month", "category", "subcategory", "cases", "messages")),
    (ProblemChannelMonth, "cases", ("month", "category", "subcategory", "channel", "overdue")),
    (AgencyMonth, "received", ("month", "agency", "received", "answered", "on_time", "open", "overdue")),
    (AgencyDurationMonth, "count", ("month", "agency", "kind", "bucket", "count")),
)


def _monthly_snapshot() -> tuple[Any, ...]:
    # Rows whose cases all moved away stay with zeros until a rebuild drops them.
    return tuple(
        sorted(model.objects.filter(**{f"{measure}__gt": 0}).values_list(*fields))
        for model, measure, fields in MONTHLY_SNAPSHOT
    )


def test_incremental_upkeep_of_monthly_rollups_equals_a_rebuild(months: dict[str, Any]) -> None:
    refresh_rollups(now=at(29, 12))
    actions.write_answer(
        months["late"],
        months["executor"],
        text="Батареи прогреты, проверено",
        kind=AnswerKind.FINAL,
        now=at(3, 11),
    )
    moved = Case.objects.filter(created_at__lt=at(1, 0, month=9)).order_by("pk")[:5]
    Case.objects.filter(pk__in=[c.pk for c in moved]).update(
        category=months["roads"], territory=months["engels"]
    )
    refresh_rollups(since=at(1, 0, month=6))
    incremental = _monthly_snapshot()
    assert all(incremental)
    rebuild_rollups(now=at(29, 14))
    assert _monthly_snapshot() == incremental


def test_each_monthly_table_is_the_sum_of_its_daily_table(months: dict[str, Any]) -> None:
    refresh_rollups(now=at(29, 12))
    Case.objects.filter(pk=months["slow"].pk).update(category=months["hot_water"])
    refresh_rollups(since=at(1, 0))
    for name, (monthly, key, values) in MONTHLY_TABLES.items():
        daily, daily_key, _v = DAILY_TABLES[name.removesuffix(MONTH)]
        sums: dict[tuple[Any, ...], list[int]] = {}
        for row in daily.objects.values(*daily_key, *values):
            k = tuple(row["day"].replace(day=1) if f == "day" else row[f] for f in daily_key)
            acc = sums.setdefault(k, [0] * len(values))
            for i, v in enumerate(values):
                acc[i] += row[v]
        found = {
            tuple(r[f] for f in key): [r[v] for v in values] for r in monthly.objects.values(*key, *values)
        }
        assert {k: v for k, v in found.items() if any(v)} == {k: v for k, v in sums.items() if any(v)}, name


def test_the_migration_fills_monthly_tables_from_daily_ones(months: dict[str, Any]) -> None:
    import importlib

    refresh_rollups(now=at(29, 12))
    expected = _monthly_snapshot()
    for model, _measure, _fields in MONTHLY_SNAPSHOT:
        model.objects.all().delete()
    RollupChange.objects.all().delete()
    migration = importlib.import_module("otklik.analytics.migrations.0002_monthly_rollups_and_export_cache")
    migration.fill_monthly(django_apps, SimpleNamespace(connection=connection))
    assert _monthly_snapshot() == expected
    assert RollupChange.objects.count() == AreaDay.objects.values("day").distinct().count()
