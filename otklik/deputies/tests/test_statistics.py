"""«Мой депутат» as a service: calls, page visits, appeals by channel, answered and on time, by week
and district, for the center head (and a coordinator's factions only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.deputies import services, statistics
from otklik.deputies.models import PageVisit
from otklik.directory.choices import Channel
from otklik.testing.factories import PASSWORD, make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(council):
    now = timezone.now()
    ivanov, petrova = council["ivanov"], council["petrova"]
    # Иванов: two appeals from his page placed in Энгельс (one answered on time), a call with no
    # place (his constituency's district counts), a merged one (never counted).
    make_case(
        agency=ivanov.office,
        channel=Channel.DEPUTY,
        territory=council["engels"],
        created_at=now,
        answered_at=now,
        deadline_at=now + timedelta(days=3),
    )
    make_case(agency=ivanov.office, channel=Channel.DEPUTY, territory=council["engels"], created_at=now)
    make_case(
        agency=ivanov.office,
        channel=Channel.PHONE,
        created_at=now - timedelta(days=7),
        answered_at=now,
        deadline_at=now - timedelta(days=1),
    )
    make_case(agency=ivanov.office, channel=Channel.PHONE, created_at=now, status=CaseStatus.MERGED)
    # Петрова: a call from Балаковский район.
    make_case(
        agency=petrova.office, channel=Channel.PHONE, territory=council["balakovo_district"], created_at=now
    )
    PageVisit.objects.create(deputy=ivanov, day=timezone.localdate(), count=30)
    PageVisit.objects.create(deputy=petrova, day=timezone.localdate() - timedelta(days=7), count=12)
    return council


def test_the_service_figures_by_channel_week_and_district(service):
    today = timezone.localdate()
    found = statistics.service_stats(services.Reach(), today - timedelta(days=27), today)
    t = found.total
    assert (t.appeals, t.calls, t.visits, t.answered, t.on_time) == (4, 2, 42, 2, 1)
    assert t.answered_pct == 50.0 and t.on_time_pct == 50.0
    assert {code: n for code, _label, n in found.channels} == {Channel.DEPUTY: 2, Channel.PHONE: 2}
    assert {d.label: d.appeals for d in found.districts} == {"Энгельсский район": 3, "Балаковский район": 1}
    this_week = statistics.monday(today)
    weeks = {w.label: (w.appeals, w.calls, w.visits) for w in found.weeks}
    assert weeks[this_week.strftime("%d.%m.%Y")] == (3, 1, 30)
    assert sum(w.appeals for w in found.weeks) == 4 and sum(w.visits for w in found.weeks) == 42


def test_who_sees_the_service_figures(client, service):
    make_user(Role.SUPERVISOR, username="head")
    client.login(username="head", password=PASSWORD)
    page = client.get("/deputies/statistics/")
    assert page.status_code == 200 and page.context["stats"].total.appeals == 4
    coordinator = make_user(Role.COORDINATOR, username="coord")
    service["party"].coordinators.add(coordinator)  # Иванов's faction only
    client.login(username="coord", password=PASSWORD)
    page = client.get("/deputies/statistics/", {"weeks": 4})
    assert page.context["stats"].total.appeals == 3 and page.context["stats"].deputies == 1
    client.login(username="ivanov", password=PASSWORD)  # a deputy's office
    assert client.get("/deputies/statistics/").status_code == 403
