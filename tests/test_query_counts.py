"""Pinned query counts of the pages operators and analysts open all day, in one table (NetBox's way).

The world below is of a realistic shape — a region of districts and towns, a category tree, several
agencies, 120 cases in every status with messages, answers, ratings and history — so that a query
per row (an N+1) shows as dozens of extra queries, not one. Each page is asked once to warm the
process caches (rules, gazetteer, calendar), then its queries are counted on the second request.

A pin is the count measured when it was set. A change that needs more queries raises the pin here,
in the same commit, saying why; one that needs fewer lowers it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics.rollups import rebuild_rollups
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, CaseStatus
from otklik.cases.models import Rating
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.testing.factories import (
    make_agency,
    make_case,
    make_category,
    make_policy,
    make_territory,
    make_user,
    square,
)

CASES = 120

# (page, who asks, the most queries it may make). ``{case}`` and ``{agency}`` are filled in.
PINS: list[tuple[str, str, int]] = [
    # the filter form's options are kept in the process: one version query instead of three (9 → 7)
    ("/cases/", "moderator", 7),
    ("/cases/?tab=moderation", "moderator", 7),
    ("/cases/?page=2", "moderator", 7),
    ("/cases/", "executor", 8),
    ("/cases/", "supervisor", 7),
    ("/cases/{case}/", "moderator", 20),
    ("/cases/{case}/", "executor", 21),
    ("/api/cases/", "moderator", 4),
    ("/api/cases/", "executor", 4),
    ("/analytics/heatmap/", "analyst", 10),
    ("/analytics/heatmap/data.json", "analyst", 8),
    ("/analytics/heatmap/hex.json", "analyst", 6),
    ("/analytics/dynamics/", "analyst", 12),
    ("/analytics/agencies/", "analyst", 14),
    ("/analytics/agencies/{agency}/", "analyst", 12),
    ("/analytics/summary/", "analyst", 27),
]

# The deputies' pages, in the same world with deputies of two factions and their appeals.
DEPUTY_PINS: list[tuple[str, str, int]] = [
    # from the weekly rollups: by week, by district, the districts' names, the visits, the deputies
    ("/deputies/statistics/", "analyst", 8),
    # … and the coordinator's factions and regions
    ("/deputies/statistics/?weeks=52", "coordinator", 10),
]


@pytest.fixture
def world(db) -> dict[str, Any]:
    now = timezone.now()
    region = make_territory("Область", kind=TerritoryKind.REGION)
    districts = [
        make_territory(f"Район {n}", parent=region, geometry=square(45.0 + n * 0.5, 51.0)) for n in range(4)
    ]
    towns = [
        make_territory(f"Посёлок {n}", kind=TerritoryKind.SETTLEMENT, parent=districts[n % 4])
        for n in range(8)
    ]
    places = districts + towns
    roots = [make_category(f"Раздел {n}") for n in range(3)]
    categories = [make_category(f"Тема {n}", parent=roots[n % 3]) for n in range(9)]
    agencies = [make_agency(f"Ведомство {n}") for n in range(5)]
    make_policy(amount=5)
    users = {
        "moderator": make_user(Role.MODERATOR),
        "supervisor": make_user(Role.SUPERVISOR),
        "analyst": make_user(Role.ANALYST),
        "executor": make_user(Role.EXECUTOR, agency=agencies[0]),
    }
    moderator, executor = users["moderator"], users["executor"]
    statuses = [
        CaseStatus.NEW,
        CaseStatus.MODERATION,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.ESCALATED,
    ]
    cases = []
    for n in range(CASES):
        category, place = categories[n % len(categories)], places[n % len(places)]
        agency = agencies[n % len(agencies)]
        waiting = n % 6 < 2  # a third waits for moderation, with the pipeline's suggestions
        case = make_case(
            agency=None if waiting else agency,
            status=statuses[(n // 5) % len(statuses)] if not waiting else CaseStatus.MODERATION,
            text=f"Проблема номер {n}: не вывозят мусор, яма на дороге, нет воды",
            created_at=now - timedelta(days=n % 60, hours=n % 24),
            category=None if waiting else category,
            territory=None if waiting else place,
            suggested_category=category,
            suggested_territory=place,
            suggested_agency=agency,
            category_confidence=(n % 10) / 10,
            is_urgent=n % 11 == 0,
            lat=51.0 + (n % 7) * 0.05,
            lon=45.0 + (n % 5) * 0.1,
            deadline_at=now + timedelta(days=(n % 9) - 3),
            assigned_at=None if waiting else now - timedelta(days=n % 60),
        )
        cases.append(case)
    # A full road for some of the executor's cases: answers, publication, a rating.
    working = (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS)
    road = [c for c in cases if c.agency_id == agencies[0].pk and c.status in working][:6]
    for case in road:
        actions.write_answer(
            case, executor, text="Промежуточный ответ: бригада выехала.", kind=AnswerKind.INTERIM
        )
        answer = actions.write_answer(case, executor, text="Окончательный ответ: всё исправлено.")
        actions.approve_answer(answer, moderator)
        actions.publish_answer(answer, moderator)
        Rating.objects.create(case=case, score=4, created_at=now)
    rebuild_rollups(now=now)
    # The card of a case with its whole history: two answers, publication, a rating.
    return {"users": users, "case": road[0], "agency": agencies[0]}


def _count(client: Any, url: str) -> int:
    client.get(url)  # the first request builds the process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("page", "who", "pin"), PINS, ids=[f"{p} as {w}" for p, w, _ in PINS])
def test_query_count_is_pinned(client, world, page, who, pin):
    url = page.format(case=world["case"].pk, agency=world["agency"].pk)
    client.force_login(world["users"][who])
    queries = _count(client, url)
    print(f"QUERIES {queries:3d}  {url} as {who}")
    assert queries <= pin, f"{url} as {who}: {queries} queries, pinned at {pin}"


@pytest.fixture
def deputies_world(world) -> dict[str, Any]:
    """Six deputies of two factions, each with appeals by several channels over a year, and visits."""
    from otklik.deputies import services
    from otklik.deputies.models import Faction, PageVisit
    from otklik.directory.choices import Channel

    now = timezone.now()
    factions = [Faction.objects.create(name=f"Фракция {n}") for n in range(2)]
    channels = [Channel.PHONE, Channel.DEPUTY, Channel.EMAIL]
    places = list(Territory.objects.filter(parent__isnull=False).order_by("pk"))
    for n in range(6):
        deputy = services.make_deputy(f"Депутат {n}", council="Дума", faction=factions[n % 2])
        deputy.territories.add(places[n % len(places)])
        for k in range(20):
            make_case(
                agency=deputy.office,
                channel=channels[k % 3],
                territory=places[k % len(places)] if k % 4 else None,
                created_at=now - timedelta(days=k * 17 % 365),
                answered_at=now if k % 2 else None,
                deadline_at=now + timedelta(days=k % 5 - 2),
            )
        PageVisit.objects.bulk_create(
            [
                PageVisit(deputy=deputy, day=timezone.localdate() - timedelta(days=7 * w), count=3)
                for w in range(20)
            ]
        )
    coordinator = make_user(Role.COORDINATOR)
    factions[0].coordinators.add(coordinator)
    return {**world, "users": {**world["users"], "coordinator": coordinator}}


@pytest.mark.parametrize(("page", "who", "pin"), DEPUTY_PINS, ids=[f"{p} as {w}" for p, w, _ in DEPUTY_PINS])
def test_deputies_query_count_is_pinned(client, deputies_world, page, who, pin):
    client.force_login(deputies_world["users"][who])
    queries = _count(client, page)
    print(f"QUERIES {queries:3d}  {page} as {who}")
    assert queries <= pin, f"{page} as {who}: {queries} queries, pinned at {pin}"
