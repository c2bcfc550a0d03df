"""Exact figures of every aggregation on the small world of conftest.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from otklik.analytics import dynamics, heatmap, kpi, summary
from otklik.analytics.models import (
    AgencyDay,
    AgencyDuration,
    AreaDay,
    CaseFact,
    HexTotalWeek,
    HexWeek,
    ProblemChannelDay,
    ProblemDay,
    TerritoryCategoryDay,
    TerritoryChannelDay,
    TerritoryDay,
)
from otklik.analytics.rollups import bucket_bounds, bucket_of, rebuild_rollups, refresh_rollups
from otklik.caching.models import CacheVersion
from otklik.cases import actions
from otklik.cases.choices import AnswerKind
from otklik.cases.models import Case
from otklik.directory.models import Territory
from otklik.testing.factories import square

from .conftest import WEEK, at


def _by_name(values: list[heatmap.TerritoryValue]) -> dict[str, heatmap.TerritoryValue]:
    return {v.name: v for v in values}


def test_first_refresh_counts_every_case_once(world: dict[str, Any]) -> None:
    result = refresh_rollups(now=at(6, 12))
    assert result.full and result.cases == 5
    assert CaseFact.objects.count() == 5
    assert sum(AreaDay.objects.values_list("cases", flat=True)) == 5
    # Two hexagon resolutions for each of the two cases with a point.
    assert sum(HexWeek.objects.values_list("cases", flat=True)) == 4


def test_territory_values_count_settlements_into_their_district(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    values = _by_name(heatmap.territory_values(WEEK))
    engels, balakovo = values["Энгельсский район"], values["Балаковский район"]
    assert (engels.cases, engels.messages, engels.open, engels.overdue) == (2, 4, 1, 1)
    assert (balakovo.cases, balakovo.messages, balakovo.open, balakovo.overdue) == (2, 2, 1, 0)
    assert engels.per10k == 2.0 and balakovo.per10k == 2.0
    assert heatmap.unplaced(WEEK) == 0


def test_heatmap_filters_by_category_and_channel(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    by_water = _by_name(heatmap.territory_values(replace(WEEK, category=world["utilities"].pk)))
    assert by_water["Энгельсский район"].cases == 2
    assert by_water["Балаковский район"].cases == 0
    by_vk = _by_name(heatmap.territory_values(replace(WEEK, channel="vk")))
    assert by_vk["Энгельсский район"].cases == 1 and by_vk["Балаковский район"].cases == 1


def test_hexagons_hold_the_cases_with_a_point(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    cells = heatmap.hexagons(WEEK, resolution=8, metric="messages")
    assert sorted(c["messages"] for c in cells) == [1, 3]
    assert all(len(c["boundary"]) == 6 for c in cells)
    assert heatmap.hexagons(WEEK, resolution=8, metric="messages", bbox=(40.0, 40.0, 41.0, 41.0)) == []
    assert len(heatmap.municipal_geometry()["features"]) == 1


def test_the_outlines_follow_a_territory_edited_anywhere(world: dict[str, Any]) -> None:
    first = heatmap.municipal_geometry()
    assert heatmap.municipal_geometry() is first  # kept in the process
    district = Territory.objects.get(pk=first["features"][0]["id"])
    district.geometry = square(10.0, 10.0)  # same count, ids and population: a new version all the same
    district.save()
    assert heatmap.municipal_geometry()["features"][0]["geometry"] == square(10.0, 10.0)
    # another process's edit: its rows and the version it wrote are all this process sees
    Territory.objects.filter(pk=district.pk).update(geometry=square(20.0, 20.0))
    CacheVersion.objects.update_or_create(key=heatmap.OUTLINES, defaults={"token": "from-a-worker"})
    assert heatmap.municipal_geometry()["features"][0]["geometry"] == square(20.0, 20.0)


def test_dynamics_by_category_per_day_with_previous_period(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    result = dynamics.dynamics(WEEK, dimension="category", step="day", measure="cases")
    assert result.periods[0] == date(2026, 11, 1) and len(result.periods) == 7
    assert result.total.values == [0, 2, 2, 0, 0, 0, 0]
    series = {s.label: s.values for s in result.series}
    assert series["ЖКХ"] == [0, 2, 0, 0, 0, 0, 0]
    assert series["Дороги"] == [0, 0, 1, 0, 0, 0, 0]
    assert result.previous_total == 1
    assert result.change == 300.0
    zhkh = next(row for row in result.comparison if row["label"] == "ЖКХ")
    assert (zhkh["current"], zhkh["previous"], zhkh["change"]) == (2, 1, 100.0)


def test_dynamics_by_week_and_messages(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    result = dynamics.dynamics(WEEK, dimension="channel", step="week", measure="messages")
    # 1 November 2026 is a Sunday: its week starts on 26 October.
    assert result.periods == [date(2026, 10, 26), date(2026, 11, 2)]
    assert result.total.values == [0, 6]
    assert {s.key: s.total for s in result.series} == {"vk": 4, "telegram": 1, "phone": 1}


def test_fastest_growing_problems(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    growth = dynamics.fastest_growing(WEEK, min_count=1)
    assert growth[0].label == "ЖКХ / Горячая вода"
    assert (growth[0].current, growth[0].previous, growth[0].increase) == (2, 1, 1)
    assert [g.label for g in growth[1:]] == ["Дороги"]  # cases of no category are not a problem
    assert dynamics.fastest_growing(WEEK, min_count=2)[0].label == "ЖКХ / Горячая вода"


def test_agency_kpis(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    kpis = kpi.agency_kpis(WEEK)
    water, roads = kpis[world["water_co"].pk], kpis[world["road_min"].pk]
    assert (water.received, water.answered, water.on_time_pct, water.overdue) == (2, 1, 100.0, 1)
    assert (water.reopen_pct, water.satisfaction_pct) == (0.0, 100.0)
    assert water.first_median == 105.0 and water.first_p90 == 117.0  # 90 min, in the [90, 120) bucket
    assert water.final_median == 135.0  # 120 min, in the [120, 150) bucket
    assert (roads.received, roads.answered, roads.on_time_pct) == (1, 1, 0.0)
    assert (roads.reopen_pct, roads.satisfaction_pct) == (100.0, 0.0)
    assert roads.first_median == 210.0 and roads.final_median == 660.0
    assert [k.agency for k in kpi.ranking(WEEK)] == [world["water_co"].pk, world["road_min"].pk]
    # Overdue is "now": it shows in any period, even one with nothing received.
    later = replace(WEEK, date_from=date(2026, 12, 1), date_to=date(2026, 12, 7))
    assert kpi.agency_kpis(later, agency=world["water_co"].pk)[world["water_co"].pk].overdue == 1


def test_agency_weekly_series(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    weeks, series = kpi.agency_weekly(WEEK, world["water_co"].pk)
    assert weeks == [date(2026, 10, 26), date(2026, 11, 2)]
    assert series == {"received": [0, 2], "answered": [0, 1], "on_time": [0, 1]}


def test_percentile_buckets() -> None:
    assert bucket_bounds(bucket_of(0)) == (0, 10)
    assert bucket_bounds(bucket_of(479)) == (420, 480)
    assert bucket_bounds(bucket_of(500)) == (480, 600)
    assert bucket_bounds(bucket_of(3000)) == (2880, 3840)
    assert bucket_bounds(bucket_of(40_000)) == (28800, 33600)
    assert kpi.percentile({}, 0.5) is None
    hist = {bucket_of(10): 1, bucket_of(40): 1, bucket_of(70): 2}
    assert kpi.percentile(hist, 0.5) == 45.0  # the second of four values, at the top of [30, 45)
    assert kpi.percentile(hist, 1.0) == 90.0


def test_summary_of_problems(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    s = summary.summary(WEEK)
    assert (s.cases, s.messages, s.open, s.overdue, s.resolved, s.previous_cases) == (4, 6, 2, 1, 2, 1)
    top = s.problems[0]
    assert top.label == "ЖКХ / Горячая вода"
    assert (top.cases, top.messages, top.open, top.overdue, top.resolved, top.previous) == (2, 4, 1, 1, 1, 1)
    assert top.trend == "up" and top.change == 100.0
    assert top.examples[0] == "Нет горячей воды в кв. [*], звоните [телефон], [ФИО]"
    assert [(p.label, p.trend) for p in s.problems[1:]] == [("Дороги", "new")]
    in_balakovo = summary.summary(replace(WEEK, territory=world["balakovo"].pk))
    assert in_balakovo.cases == 2 and in_balakovo.territory_name == "Балаковский район"
    assert [p.label for p in in_balakovo.problems] == ["Дороги"]  # the uncategorized case: totals only


def test_refresh_is_incremental_and_follows_actions(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    water = world["water_co"].pk
    actions.write_answer(
        world["late"],
        world["executor"],
        text="Батареи прогреты, проверено",
        kind=AnswerKind.FINAL,
        now=at(3, 16),
    )
    result = refresh_rollups(now=at(6, 13))
    assert not result.full and result.rows > 0
    figures = kpi.agency_kpis(WEEK)[water]
    assert (figures.answered, figures.on_time_pct, figures.overdue) == (2, 50.0, 0)
    # Mon 15:00–18:00 + Tue 9:00–16:00 less the lunch hour: 540 working minutes, past the deadline.
    assert figures.first.get(bucket_of(540)) == 1 and figures.final.get(bucket_of(540)) == 1
    engels = _by_name(heatmap.territory_values(WEEK))["Энгельсский район"]
    assert (engels.open, engels.overdue) == (1, 0)
    # Nothing changed since: a refresh touches no row.
    assert refresh_rollups(now=at(6, 14)).rows == 0


def test_a_change_without_an_event_is_seen_through_updated_at(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    case = Case.objects.get(pk=world["waiting"].pk)
    case.territory = world["engels"]
    case.save()
    refresh_rollups(now=at(6, 13))
    values = _by_name(heatmap.territory_values(WEEK))
    assert values["Энгельсский район"].cases == 3 and values["Балаковский район"].cases == 1


def test_incremental_upkeep_equals_a_rebuild(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    actions.write_answer(
        world["late"],
        world["executor"],
        text="Батареи прогреты, проверено",
        kind=AnswerKind.FINAL,
        now=at(3, 11),
    )
    Case.objects.filter(pk=world["slow"].pk).update(category=world["hot_water"])
    refresh_rollups(since=at(1, 0))

    def snapshot() -> tuple[Any, ...]:
        return tuple(
            sorted(model.objects.filter(**{f"{first}__gt": 0}).values_list(*fields))
            for model, first, fields in (
                (
                    AreaDay,
                    "cases",
                    ("day", "territory", "category", "subcategory", "channel", "cases", "open"),
                ),
                (AgencyDay, "received", ("day", "agency", "received", "answered", "on_time", "overdue")),
                (AgencyDuration, "count", ("day", "agency", "kind", "bucket", "count")),
                (HexWeek, "cases", ("resolution", "week", "cell", "category", "channel", "cases")),
                (HexTotalWeek, "cases", ("resolution", "week", "cell", "cases", "messages", "lat")),
                (TerritoryDay, "cases", ("day", "territory", "cases", "messages", "open", "overdue")),
                (TerritoryChannelDay, "cases", ("day", "territory", "channel", "cases", "resolved")),
                (TerritoryCategoryDay, "cases", ("day", "territory", "category", "cases", "open")),
                (ProblemDay, "cases", ("day", "category", "subcategory", "cases", "messages")),
                (ProblemChannelDay, "cases", ("day", "category", "subcategory", "channel", "overdue")),
            )
        )

    incremental = snapshot()
    rebuild_rollups(now=at(6, 14))
    assert snapshot() == incremental


def test_periodic_job_refreshes_the_rollups(world: dict[str, Any]) -> None:
    from otklik.analytics.tasks import run_periodic_jobs
    from otklik.celery import run_periodic_job

    assert run_periodic_jobs(now=at(6, 12))["rollup_cases"] == 5
    # incremental: only the overlap is re-read
    assert run_periodic_job("refresh-analytics-rollups")["rollup_cases"] >= 0
    assert sum(AreaDay.objects.values_list("cases", flat=True)) == 5


def test_refresh_rollups_command(world: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_rollups", "--rebuild", stdout=out)
    assert "5 case(s) counted" in out.getvalue()
    assert sum(AreaDay.objects.values_list("cases", flat=True)) == 5


def test_concrete_answers_are_counted_when_published(world: dict[str, Any]) -> None:
    from otklik.accounts.choices import Role
    from otklik.testing.factories import make_user

    refresh_rollups(now=at(6, 12))
    moderator = make_user(Role.MODERATOR, username="moderator")
    water = world["water_co"].pk
    assert kpi.agency_kpis(WEEK)[water].concrete_pct is None  # nothing published yet
    answer = actions.write_answer(
        world["late"],
        world["executor"],
        text="Ваше обращение рассмотрено, информация принята к сведению и находится на контроле.",
        now=at(3, 16),
    )
    actions.approve_answer(answer, moderator, now=at(3, 17))
    actions.publish_answer(answer, moderator, now=at(3, 17))
    refresh_rollups(now=at(6, 13))
    figures = kpi.agency_kpis(WEEK)[water]
    assert (figures.published, figures.concrete, figures.concrete_pct) == (1, 0, 0.0)  # a formal non-answer
    # Reopened and answered again, concretely: the latest published answer counts.
    actions.rate_case(world["late"], score=1, reopen=True, now=at(4, 9))
    actions.start_work(world["late"], world["executor"], now=at(4, 10))
    again = actions.write_answer(
        world["late"],
        world["executor"],
        text="Батареи в подъезде прогреты 4 ноября, мастер заменил стояк и проверил температуру.",
        now=at(4, 12),
    )
    actions.approve_answer(again, moderator, now=at(4, 13))
    actions.publish_answer(again, moderator, now=at(4, 13))
    refresh_rollups(now=at(6, 14))
    assert kpi.agency_kpis(WEEK)[water].concrete_pct == 100.0
    incremental = list(AgencyDay.objects.filter(agency=water).values_list("day", "published", "concrete"))
    rebuild_rollups(now=at(6, 15))
    assert (
        list(AgencyDay.objects.filter(agency=water).values_list("day", "published", "concrete"))
        == incremental
    )
