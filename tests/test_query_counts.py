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
from otklik.directory.models import Territory
from otklik.testing.factories import make_case, make_user
from otklik.testing.worlds import SMALL, operator_world

# (page, who asks, the most queries it may make). ``{case}`` and ``{agency}`` are filled in.
PINS: list[tuple[str, str, int]] = [
    # the filter form's options are kept in the process: one version query instead of three (9 → 7)
    ("/cases/", "moderator", 7),
    ("/cases/?tab=moderation", "moderator", 7),
    ("/cases/?page=2", "moderator", 7),
    ("/cases/", "executor", 8),
    ("/cases/", "supervisor", 7),
    # the card's directory rows joined to the case (one query instead of eleven), its selects' options
    # and outlines' ids from the process's directory, the similar cases scoped once (20 → 10, 21 → 11);
    # the versions of its process caches read by one query, its outline kept (10 → 9, 11 → 10)
    ("/cases/{case}/", "moderator", 9),
    ("/cases/{case}/", "executor", 10),
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
    # a page of 50, its count, the filters' regions, municipalities and factions
    ("/deputies/", "analyst", 7),
    # the deputy, their visit counted, their row of the stored rating, the constituency, the form
    ("/deputies/{deputy}/", "analyst", 16),
    # the stored rating (served as stored while young): its page, count, regions and the filters;
    # the regions' figures from the cache while the stored rating stays the same
    ("/deputies/rating/", "analyst", 8),
    ("/deputies/rating/", "coordinator", 10),
    ("/api/deputies/rating/", "analyst", 4),
    ("/api/deputies/rating/", "coordinator", 6),
]


@pytest.fixture
def world(db) -> dict[str, Any]:
    """The shared sized world (:mod:`otklik.testing.worlds`, the one the queue's CPU profile uses):
    a region, a category tree, agencies, 120 cases in the working statuses, some with their whole
    road (answers, publication, a rating), and the rollups built."""
    built = operator_world(SMALL)
    rebuild_rollups(now=timezone.now())
    return {"users": built.users, "case": built.card, "agency": built.agency}


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


# The queue with its tab counters shared by the scope for a few seconds (otklik/cases/counts.py, as in
# production): the second page reads them from the cache — the two counting queries go (7 → 5, 8 → 6).
SHARED_COUNT_PINS: list[tuple[str, str, int]] = [
    ("/cases/", "moderator", 5),
    ("/cases/?tab=moderation", "moderator", 5),
    ("/cases/", "executor", 6),
]


@pytest.mark.parametrize(
    ("page", "who", "pin"), SHARED_COUNT_PINS, ids=[f"{p} as {w}" for p, w, _ in SHARED_COUNT_PINS]
)
def test_query_count_with_shared_counts_is_pinned(client, world, settings, page, who, pin):
    from django.core.cache import caches

    settings.OTKLIK_QUEUE_COUNTS_SECONDS = 10
    caches["default"].clear()
    client.force_login(world["users"][who])
    queries = _count(client, page)
    caches["default"].clear()
    print(f"QUERIES {queries:3d}  {page} as {who}, counts shared")
    assert queries <= pin, f"{page} as {who}: {queries} queries, pinned at {pin}"


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
    return {**world, "users": {**world["users"], "coordinator": coordinator}, "deputy": deputy}


@pytest.mark.parametrize(("page", "who", "pin"), DEPUTY_PINS, ids=[f"{p} as {w}" for p, w, _ in DEPUTY_PINS])
def test_deputies_query_count_is_pinned(client, deputies_world, page, who, pin):
    client.force_login(deputies_world["users"][who])
    url = page.format(deputy=deputies_world["deputy"].pk)
    queries = _count(client, url)
    print(f"QUERIES {queries:3d}  {url} as {who}")
    assert queries <= pin, f"{url} as {who}: {queries} queries, pinned at {pin}"
