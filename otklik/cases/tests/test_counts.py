"""The queue's tab counters shared for a few seconds per access scope (otklik/cases/counts.py): never
across scopes or filters, a user's own change on their next page, the rows always current."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.accounts.permissions import Capability, can
from otklik.cases.access import case_scope
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.testing.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(settings):
    """Counts kept for 10 s in the (per-test, emptied) cache, as in production."""
    settings.OTKLIK_QUEUE_COUNTS_SECONDS = 10
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def world() -> dict[str, Any]:
    agency_a = make_agency("Водоканал")
    agency_b = make_agency("Минтранс")
    for _ in range(3):
        make_case(status=CaseStatus.ASSIGNED, agency=agency_a, with_message=False)
    make_case(status=CaseStatus.ASSIGNED, agency=agency_b, with_message=False)
    make_case(status=CaseStatus.MODERATION, channel=Channel.VK, with_message=False)
    return {
        "agency_a": agency_a,
        "agency_b": agency_b,
        "moderator": make_user(Role.MODERATOR),
        "moderator2": make_user(Role.MODERATOR),
        "executor_a": make_user(Role.EXECUTOR, agency=agency_a),
        "executor_a2": make_user(Role.EXECUTOR, agency=agency_a),
        "executor_b": make_user(Role.EXECUTOR, agency=agency_b),
    }


def _counts(client: Any, user: Any, **params: Any) -> dict[str, int]:
    client.force_login(user)
    response = client.get(reverse("cases:queue"), params)
    assert response.status_code == 200
    return {tab["key"]: tab["count"] for tab in response.context["tabs"]}


def test_scopes_follow_scope_cases():
    agency = make_agency("Водоканал")
    assert case_scope(make_user(Role.MODERATOR)).key == "all:"
    assert case_scope(make_user(Role.SUPERVISOR)).key == "all:"
    for role in Role:  # "all" is exactly who sees every case
        user = make_user(role, agency=agency if role == Role.EXECUTOR else None)
        assert (case_scope(user).key == "all:") == can(user, Capability.SEE_ALL_CASES), role
    assert case_scope(make_user(Role.EXECUTOR, agency=agency)).key == f"agency:{agency.pk}"
    operator = make_user(Role.CALL_OPERATOR, username="op-7")
    assert case_scope(operator).key == "calls:op-7"
    assert case_scope(None).key == "none:"
    assert case_scope(make_user(Role.MODERATOR, is_active=False)).key == "none:"


def test_an_executor_never_gets_another_agencys_counts(client, world, shared):
    a = _counts(client, world["executor_a"])
    b = _counts(client, world["executor_b"])
    assert (a["assigned"], a["all"]) == (3, 3)
    assert (b["assigned"], b["all"]) == (1, 1)
    # the center's counts are its own too
    assert _counts(client, world["moderator"])["all"] == 5
    assert _counts(client, world["executor_b"])["all"] == 1


def test_the_same_scope_shares_its_counts_for_a_few_seconds(client, world, shared):
    """A second executor of the agency gets the counts the first one's page counted; a case the
    pipeline added meanwhile shows in the counts after the few seconds (here: not yet)."""
    assert _counts(client, world["executor_a"], tab="all")["moderation"] == 0
    Case.objects.filter(agency=world["agency_a"]).update(status=CaseStatus.MODERATION)
    assert _counts(client, world["executor_a2"], tab="all")["moderation"] == 0  # shared, a few seconds old
    caches["default"].clear()  # the few seconds passed
    assert _counts(client, world["executor_a2"], tab="all")["moderation"] == 3


def test_filters_that_change_the_counts_are_part_of_the_key(client, world, shared):
    assert _counts(client, world["moderator"])["all"] == 5
    assert _counts(client, world["moderator2"], channel=Channel.VK)["all"] == 1
    assert _counts(client, world["moderator2"], channel=Channel.VK, status=CaseStatus.ASSIGNED)["all"] == 0
    assert _counts(client, world["moderator2"], agency=world["agency_b"].pk)["all"] == 1
    # the tab, the sort and the page do not change the counts: one entry for all of them
    assert _counts(client, world["moderator2"], tab="assigned", sort="deadline")["all"] == 5


def test_the_users_own_action_shows_on_their_next_page(
    client, world, shared, django_capture_on_commit_callbacks
):
    executor = world["executor_a"]
    before = _counts(client, executor, tab="all")
    assert (before["assigned"], before["in_progress"]) == (3, 0)
    case = Case.objects.filter(agency=world["agency_a"]).first()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:start", args=[case.pk]))
    assert response.status_code == 302
    after = _counts(client, executor, tab="all")
    assert (after["assigned"], after["in_progress"]) == (2, 1)
    # and the recount serves the agency's other executor
    assert _counts(client, world["executor_a2"], tab="all")["in_progress"] == 1


def test_the_current_tabs_rows_are_current_and_correct_its_count(client, world, shared):
    """A stale count never hides rows: the page reads its rows as they are, and a page not full says
    the tab's count exactly."""
    moderator = world["moderator"]
    assert _counts(client, moderator, tab="moderation")["moderation"] == 1
    for _ in range(2):
        make_case(status=CaseStatus.MODERATION, with_message=False)  # the pipeline, no actor
    client.force_login(world["moderator2"])
    response = client.get(reverse("cases:queue"), {"tab": "moderation"})
    assert len(response.context["cases"]) == 3
    tabs = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs["moderation"] == 3 and response.context["page"].paginator.count == 3
    assert tabs["all"] == 5  # another tab: as counted a moment ago
    body = response.content.decode()
    assert "обновляются каждые 10" in body  # the page says the counts may be seconds old


def test_counted_on_every_page_when_switched_off(client, world, settings):
    settings.OTKLIK_QUEUE_COUNTS_SECONDS = 0
    assert _counts(client, world["executor_a"])["assigned"] == 3
    make_case(status=CaseStatus.ASSIGNED, agency=world["agency_a"], with_message=False)
    assert _counts(client, world["executor_a2"], tab="moderation")["assigned"] == 4


@pytest.mark.parametrize(
    ("told", "rows", "page", "settled"),
    [
        (0, 3, 1, 3),  # counted before three cases came: the rows show, the count follows them
        (10, 3, 1, 3),  # counted before seven left
        (120, 50, 2, 120),  # a full page in the middle: the count stands
        (60, 50, 2, 100),  # a full second page: at least its end
        (75, 20, 2, 70),  # the last page, shorter than counted
    ],
)
def test_the_paginator_reads_rows_as_they_are_and_settles_its_count(told, rows, page, settled):
    from otklik.cases.paging import CountedPaginator

    present = list(range((page - 1) * 50 + rows))
    paginator = CountedPaginator(present, 50, count=told)
    shown = paginator.page(page) if told > 50 else paginator.get_page(page)
    assert list(shown.object_list) == present[(page - 1) * 50 :]
    paginator.settle(shown)
    assert paginator.count == settled and paginator.num_pages == max(1, -(-settled // 50))
