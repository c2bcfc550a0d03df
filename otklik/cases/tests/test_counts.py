"""The queue's tab counters shared for a few seconds per access scope (otklik/cases/counts.py): never
across scopes or filters, a user's own change on their next page, the rows always current."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import caches
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.accounts.permissions import Capability, can
from otklik.cases import counts as counts_module
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


# --- refreshed off the request path -----------------------------------------------------------------


@pytest.fixture
def later(monkeypatch, settings) -> list[Any]:
    """The recounts :func:`otklik.cases.counts.run_later` was given, held to be run by the test (in
    production a thread of the process runs them beside the requests)."""
    settings.OTKLIK_QUEUE_COUNTS_STALE_SECONDS = 50
    jobs: list[Any] = []
    monkeypatch.setattr(counts_module, "run_later", jobs.append)
    return jobs


def _age_entries(seconds: float) -> None:
    """Every kept entry counted ``seconds`` earlier (the cache is the test's own locmem)."""
    cache = caches["default"]
    for key in list(cache._cache):  # type: ignore[attr-defined]
        name = key.split(":", 2)[-1]
        held = cache.get(name)
        if isinstance(held, dict) and "at" in held:
            cache.set(name, {**held, "at": held["at"] - seconds}, timeout=300)


def test_a_stale_entry_is_served_and_recounted_beside_the_request(client, world, shared, later):
    executor = world["executor_a"]
    assert _counts(client, executor)["assigned"] == 3
    make_case(status=CaseStatus.ASSIGNED, agency=world["agency_a"], with_message=False)
    _age_entries(20)  # past the 10 s, within the stale window
    assert _counts(client, world["executor_a2"])["assigned"] == 3  # served, not counted for this page
    assert len(later) == 1
    assert _counts(client, executor)["assigned"] == 3  # one recount per entry at a time
    assert len(later) == 1
    later.pop()()  # the thread runs the recount
    assert _counts(client, world["executor_a2"])["assigned"] == 4
    assert not later  # fresh again: nothing to recount


def test_a_recount_started_by_one_scope_never_serves_another(client, world, shared, later):
    """Whoever's page starts a recount, it counts what that page's scope sees and keeps it under that
    scope's key: agency B's executor and the center never get agency A's figures. (On the moderation tab:
    the current tab's count is settled from its rows, the others are as kept.)"""
    assert _counts(client, world["executor_a"], tab="moderation")["all"] == 3
    assert _counts(client, world["executor_b"], tab="moderation")["all"] == 1
    assert _counts(client, world["moderator"], tab="moderation")["all"] == 5
    make_case(status=CaseStatus.ASSIGNED, agency=world["agency_a"], with_message=False)
    _age_entries(20)
    assert _counts(client, world["executor_a2"], tab="moderation")["all"] == 3
    assert _counts(client, world["executor_b"], tab="moderation")["all"] == 1
    for job in later:
        job()
    later.clear()
    assert _counts(client, world["executor_b"], tab="moderation")["all"] == 1
    assert _counts(client, world["executor_a"], tab="moderation")["all"] == 4
    # the center's entry is its own: still the stale one until a page of the center recounts it
    assert _counts(client, world["moderator"], tab="moderation")["all"] == 5
    assert len(later) == 1
    later.pop()()
    assert _counts(client, world["moderator2"], tab="moderation")["all"] == 6


def test_past_the_stale_window_the_page_counts(client, world, shared, later):
    assert _counts(client, world["executor_a"])["assigned"] == 3
    make_case(status=CaseStatus.ASSIGNED, agency=world["agency_a"], with_message=False)
    _age_entries(61)  # 10 s + 50 s past
    assert _counts(client, world["executor_a2"])["assigned"] == 4
    assert not later


def test_the_users_own_action_beats_a_stale_entry(
    client, world, shared, later, django_capture_on_commit_callbacks
):
    executor = world["executor_a"]
    assert _counts(client, executor)["in_progress"] == 0
    case = Case.objects.filter(agency=world["agency_a"]).first()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:start", args=[case.pk]))
    _age_entries(20)
    assert _counts(client, executor)["in_progress"] == 1  # counted for them, not the stale entry
    assert not later


def test_the_recount_thread_runs_a_job_with_its_own_connection():
    """run_later's thread: a job runs and its database connection is closed after it (a worker
    thread of the web server must not hold connections of threads that are gone)."""
    done = threading.Event()
    counts_module.run_later(done.set)
    assert done.wait(10)
