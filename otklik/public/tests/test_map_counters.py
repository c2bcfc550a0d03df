"""The public map's counters come from the daily public counters kept by the rollups' refresh, and
equal counting every case of the window — whatever changed, after an incremental refresh and after a
full rebuild (issue 13 item 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.analytics.models import PublicDay, PublicFact
from otklik.analytics.rollups import rebuild_rollups, refresh_rollups
from otklik.cases.choices import CaseStatus
from otklik.directory.choices import Channel
from otklik.directory.models import Category
from otklik.public import counters, open311, problems
from otklik.testing.factories import make_case

pytestmark = pytest.mark.django_db

CODES = ("", "housing", "housing-heating", "roads", "roads-potholes")


def filters() -> list[dict[str, str]]:
    now = timezone.now()
    chosen = []
    for days in problems.PERIODS:
        for status in ("", "open", "closed"):
            for code in CODES:
                params = {"start_date": (now - timedelta(days=days)).isoformat()}
                if status:
                    params["status"] = status
                if code:
                    params["service_code"] = ",".join(problems._service_codes(code))
                chosen.append(params)
    return chosen


def assert_same() -> None:
    """Every window, status and category: the counters equal the old aggregate of every case."""
    for params in filters():
        old = counters.counted(open311.matching_requests(params))
        assert counters.window(params) == old, params


@pytest.fixture
def cases(region) -> dict:
    heating = Category.objects.get(code="housing-heating")
    potholes = Category.objects.get(code="roads-potholes")
    now = timezone.now()
    place = {"lat": 51.49, "lon": 46.12}
    made = {
        "assigned": make_case(
            status=CaseStatus.ASSIGNED, category=heating, created_at=now - timedelta(days=2), **place
        ),
        "answered": make_case(
            status=CaseStatus.PUBLISHED, category=potholes, created_at=now - timedelta(days=5), **place
        ),
        "closed": make_case(
            status=CaseStatus.CLOSED, category=potholes, created_at=now - timedelta(days=40), **place
        ),
        "unplaced": make_case(
            status=CaseStatus.IN_PROGRESS, category=heating, created_at=now - timedelta(days=1)
        ),
        "old": make_case(
            status=CaseStatus.ASSIGNED, category=heating, created_at=now - timedelta(days=200), **place
        ),
        "older": make_case(
            status=CaseStatus.ASSIGNED, category=heating, created_at=now - timedelta(days=400), **place
        ),
        # on the first, partial day of the 90-day window: counted from the cases themselves
        "edge": make_case(
            status=CaseStatus.ASSIGNED,
            category=potholes,
            created_at=now - timedelta(days=90, seconds=-60),
            **place,
        ),
        "spam": make_case(status=CaseStatus.REJECTED, category=heating, **place),
        "waiting": make_case(status=CaseStatus.MODERATION, suggested_category=heating, **place),
        # through Open311: public while still being checked, counted under its suggested category
        "open311": make_case(
            status=CaseStatus.MODERATION, channel=Channel.OPEN311, suggested_category=potholes, **place
        ),
        "uncategorized": make_case(
            status=CaseStatus.ASSIGNED, suggested_category=heating, created_at=now - timedelta(days=3)
        ),
        "merged": make_case(status=CaseStatus.MERGED, category=heating, **place),
        # an appeal to a deputy is private correspondence (decision 0007): never counted
        "deputy": make_case(
            status=CaseStatus.ASSIGNED, category=heating, addressed_to=region["housing"], **place
        ),
    }
    return made


def test_counters_equal_every_case_counted_after_refreshes_and_a_rebuild(cases, region):
    assert_same()  # before any refresh: every case counted (the counters are not built yet)
    refresh_rollups()
    assert PublicDay.objects.exists()
    assert not PublicFact.objects.filter(
        case_id__in=[cases[k].pk for k in ("deputy", "spam", "merged", "waiting")]
    )
    assert_same()

    reopened = cases["answered"]
    reopened.status = CaseStatus.REOPENED  # the resident said it was not solved
    reopened.save()
    unpublished = cases["assigned"]
    unpublished.status = CaseStatus.MODERATION  # sent back to be checked: no longer public
    unpublished.save()
    taken = cases["waiting"]
    taken.status, taken.category = CaseStatus.ASSIGNED, taken.suggested_category
    taken.save()
    to_deputy = cases["unplaced"]
    to_deputy.addressed_to = region["roads"]
    to_deputy.save()
    moved = cases["closed"]
    moved.lat = moved.lon = None
    moved.save()
    make_case(
        status=CaseStatus.ASSIGNED, category=Category.objects.get(code="roads-potholes"), lat=51.5, lon=46.1
    )
    result = refresh_rollups()
    assert not result.full  # the changed cases' deltas, not a new count
    assert_same()

    Category.objects.filter(code="housing-heating").update(is_public=False)  # kept from residents now
    assert_same()
    Category.objects.filter(code="housing-heating").update(is_public=True)

    rebuild_rollups()
    assert_same()


def test_the_map_shows_the_counters(cases):
    refresh_rollups()
    shown = problems.problem_map(problems.MapFilter(days=90))
    old = counters.counted(
        open311.matching_requests({"start_date": (timezone.now() - timedelta(days=90)).isoformat()})
    )
    assert (shown.open + shown.closed, shown.closed, shown.unplaced) == (old.total, old.closed, old.unplaced)
    # assigned, answered, closed, unplaced, edge, open311 and uncategorized; not spam, waiting, merged, deputy
    assert (shown.open, shown.closed, shown.unplaced) == (5, 2, 2)
