"""The dashboard's figures are built once and shared by the center's staff (elections/live.py): a
report gives them a new version after it commits, they are rebuilt at most once per interval, one
request at a time, and a new minute rebuilds them (the silent stations move with the clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.utils import timezone

from otklik.elections import dashboard, live, reports
from otklik.elections.models import ReportKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(settings, monkeypatch):
    """A 5-second interval, an empty cache, and a count of the dashboard's builds."""
    settings.OTKLIK_ELECTIONS_BOARD_SECONDS = 5
    caches["default"].clear()
    builds: list[datetime] = []
    real = dashboard.build

    def counting(election, *, now=None):  # type: ignore[no-untyped-def]
        builds.append(now)
        return real(election, now=now)

    monkeypatch.setattr(dashboard, "build", counting)
    yield builds
    caches["default"].clear()


def at(d: dict, hour: int, minute: int = 0, second: int = 0) -> datetime:
    t = d["today"]
    return datetime(t.year, t.month, t.day, hour, minute, second, tzinfo=timezone.get_current_timezone())


def opened(d: dict, who: str, when: datetime, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        reports.file_report(observer=d[who], election=d["election"], kind=ReportKind.OPENED, now=when)


def test_staff_share_one_build_until_something_changes(day, shared, django_capture_on_commit_callbacks):
    e = day["election"]
    first = live.current(e, now=at(day, 9, 0, 1))
    again = live.current(e, now=at(day, 9, 0, 50))  # a minute's refreshes, nothing reported
    assert len(shared) == 1 and again.board.total_opened == first.board.total_opened == 0
    opened(day, "anna", at(day, 9), django_capture_on_commit_callbacks)
    # Within the interval after the build the shared figures stand, report or not ...
    assert live.current(e, now=at(day, 9, 0, 4)).board.total_opened == 0 and len(shared) == 1
    # ... after it, the new version is built once and shared again.
    assert live.current(e, now=at(day, 9, 0, 56)).board.total_opened == 1
    assert live.current(e, now=at(day, 9, 0, 58)).board.total_opened == 1
    assert len(shared) == 2


def test_a_stream_of_reports_rebuilds_once_per_interval(day, shared, django_capture_on_commit_callbacks):
    e = day["election"]
    for second in range(0, 20):  # a report every second, a refresh every second
        who = "anna" if second % 2 else "boris"
        opened(day, who, at(day, 9, 10, second), django_capture_on_commit_callbacks)
        live.current(e, now=at(day, 9, 10, second))
    assert len(shared) == 4  # at 0, 5, 10 and 15 s, not 20 times


def test_a_new_minute_rebuilds_without_any_change(day, shared):
    e = day["election"]
    live.current(e, now=at(day, 8, 14, 30))
    live.current(e, now=at(day, 8, 14, 59))
    assert len(shared) == 1
    # At 8:15 a station that has not reported its opening becomes silent: the clock alone moves it.
    assert [s.station.number for s in live.current(e, now=at(day, 8, 15, 1)).board.silent] == [101, 201]
    assert len(shared) == 2


def test_a_rolled_back_report_keeps_the_version(day, shared, django_capture_on_commit_callbacks):
    e = day["election"]
    live.current(e, now=at(day, 9, 0, 1))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        reports.file_report(observer=day["anna"], election=e, kind=ReportKind.OPENED, now=at(day, 9))
        raise RuntimeError
    live.current(e, now=at(day, 9, 0, 30))
    assert len(shared) == 1


def test_while_one_request_builds_the_others_get_the_previous_figures(
    day, shared, django_capture_on_commit_callbacks
):
    e = day["election"]
    live.current(e, now=at(day, 9, 0, 1))
    opened(day, "anna", at(day, 9), django_capture_on_commit_callbacks)
    caches["default"].add(f"elections:live:{e.pk}:building", 1)  # another worker is at it
    served = live.current(e, now=at(day, 9, 0, 30))
    assert served.board.total_opened == 0 and len(shared) == 1
    caches["default"].delete(f"elections:live:{e.pk}:building")
    assert live.current(e, now=at(day, 9, 0, 31)).board.total_opened == 1


def test_twenty_staff_refreshing_build_the_dashboard_once(day, shared, monkeypatch):
    moment = at(day, 10)
    monkeypatch.setattr(dashboard, "clock", lambda: moment)
    pages = []
    for n in range(20):
        client = Client()
        client.force_login(day["chief"] if n % 2 else day["lawyer"])
        response = client.get("/elections/", HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        pages.append(response.content.decode())
    assert len(shared) == 1
    assert 'id="election-live"' in pages[0] and 'data-testid="el-stations">3<' in pages[-1]
    # One HTML per kind of reader: the supervisor may log a call to a silent station, the lawyer not.
    assert 'data-testid="log-call"' in pages[1] and 'data-testid="log-call"' not in pages[0]
    assert len(set(pages)) == 2
    moment += timedelta(seconds=3)
    api = Client()
    api.force_login(day["chief"])
    assert api.get("/api/elections/dashboard/").json()["stations"] == 3
    assert len(shared) == 1
