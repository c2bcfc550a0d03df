"""Video sessions with the districts: each district's standing link and an agenda from its current
figures (turnout, open incidents, silent stations, the coming week's campaign meetings)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.directory.choices import TerritoryKind
from otklik.elections import reports, video, violations
from otklik.elections.models import CampaignEvent, DistrictVideoLink, ReportKind, VideoSession
from otklik.testing.factories import PASSWORD, make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(day):
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    town = make_territory("Энгельс", kind=TerritoryKind.SETTLEMENT, parent=engels)
    balakovo = make_territory("Балаковский район", parent=region)
    day["s1"].commission.territory = engels
    day["s1"].commission.save()
    day["s3"].commission.territory = balakovo
    day["s3"].commission.save()
    DistrictVideoLink.objects.create(territory=engels, url="https://meet.example.org/engels", service="Meet")
    DistrictVideoLink.objects.create(territory=balakovo, url="https://meet.example.org/balakovo")
    tz = timezone.get_current_timezone()
    today = day["today"]
    morning = datetime(today.year, today.month, today.day, 10, 0, tzinfo=tz)
    stuffing = next(t for t in violations.active_types() if t.code == "stuffing")
    reports.file_report(observer=day["anna"], election=day["election"], kind=ReportKind.OPENED, now=morning)
    reports.file_report(
        observer=day["anna"],
        election=day["election"],
        kind=ReportKind.TURNOUT,
        turnout=150,
        now=morning + timedelta(minutes=5),
    )
    reports.file_report(
        observer=day["anna"],
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text="Вброс бюллетеней в стационарный ящик",
        violation_type=stuffing,
        now=morning + timedelta(minutes=10),
    )
    meeting = CampaignEvent.objects.create(
        candidate="Иванов Пётр Сергеевич", starts_at=morning + timedelta(days=2), place="ДК", territory=town
    )
    return {
        **day,
        "engels": engels,
        "balakovo": balakovo,
        "now": morning + timedelta(minutes=30),
        "meeting": meeting,
    }


def test_the_agenda_reads_each_districts_figures(linked):
    engels, balakovo = video.agenda(
        [linked["engels"], linked["balakovo"]], linked["election"], now=linked["now"]
    )
    assert engels.link is not None and engels.link.url.endswith("/engels")
    assert (engels.stations, engels.opened, engels.turnout) == (2, 1, 15.0)  # 150 of 1,000 at station 101
    assert engels.open_incidents == 1 and engels.incident_types == [("Вброс бюллетеней", 1)]
    assert engels.meetings == [linked["meeting"]] and engels.silent == []
    assert (balakovo.stations, balakovo.opened, balakovo.open_incidents) == (1, 0, 0)
    assert balakovo.silent == [201]  # its observer has not reported the opening at 10:30


def test_the_schedule_page_for_the_headquarters(client, linked):
    client.login(username="chief", password=PASSWORD)
    starts = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    added = client.post(
        "/elections/sessions/",
        {"starts_at": starts, "title": "Штаб с районами", "districts": [linked["engels"].pk]},
    )
    assert added.status_code == 302
    session = VideoSession.objects.get()
    assert list(session.districts.all()) == [linked["engels"]]
    page = client.get("/elections/sessions/")
    assert page.status_code == 200
    [(listed, agendas)] = page.context["schedule"]
    assert listed == session and [a.district for a in agendas] == [linked["engels"]]
    assert "https://meet.example.org/engels" in page.content.decode()
    # No district chosen: every district with a link.
    VideoSession.objects.create(starts_at=timezone.now() + timedelta(days=1), title="Все районы")
    assert len(client.get("/elections/sessions/").context["schedule"][1][1]) == 2
    make_user(Role.COORDINATOR, username="coord")
    client.login(username="coord", password=PASSWORD)
    assert client.get("/elections/sessions/").status_code == 403
    client.login(username="anna", password=PASSWORD)
    assert client.get("/elections/sessions/").status_code == 403
