"""The election-day hotline: operators record voters' calls; a violation at a named station becomes
an incident for the lawyers."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from otklik.elections import hotline
from otklik.elections.models import CallKind, Incident, IncidentStatus, VoterCall
from otklik.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_violation_call_goes_to_the_lawyers(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = hotline.take_call(
            operator=day["chief"],
            election=day["election"],
            kind=CallKind.VIOLATION,
            phone="+7 927 555-12-34",
            text="У входа на участок раздают продуктовые наборы",
            station=day["s2"],
        )
    incident = Incident.objects.get()
    assert (
        call.report is not None and incident.report == call.report and incident.status == IncidentStatus.NEW
    )
    assert call.report.station == day["s2"] and "555-12-34" in call.report.text
    assert any(day["lawyer"].email in m.to for m in mail.outbox)


def test_a_call_is_checked_and_only_operators_take_calls(day):
    e = day["election"]
    question = hotline.take_call(
        operator=day["chief"],
        election=e,
        kind=CallKind.QUESTION,
        phone="8 845 222-33-44",
        text="Где мой участок?",
    )
    assert question.report is None and not Incident.objects.exists()
    with pytest.raises(ValidationError):  # a violation needs the station
        hotline.take_call(
            operator=day["chief"], election=e, kind=CallKind.VIOLATION, phone="89271112233", text="Вброс"
        )
    with pytest.raises(ValidationError):  # a phone to call back
        hotline.take_call(
            operator=day["chief"], election=e, kind=CallKind.QUESTION, phone="нет", text="Где участок?"
        )
    with pytest.raises(PermissionDenied):
        hotline.take_call(
            operator=day["lawyer"], election=e, kind=CallKind.QUESTION, phone="89271112233", text="Где?"
        )


def test_the_hotline_page(client, day):
    client.login(username="chief", password=PASSWORD)
    assert client.get("/elections/calls/").status_code == 200
    sent = client.post(
        "/elections/calls/",
        {
            "kind": "home_voting",
            "phone": "+7 927 000-11-22",
            "station": "102",
            "text": "Бабушка просит голосовать на дому",
        },
    )
    assert sent.status_code == 302 and VoterCall.objects.get().station == day["s2"]
    unknown = client.post(
        "/elections/calls/", {"kind": "violation", "phone": "89270001122", "station": "999", "text": "Вброс"}
    )
    assert unknown.status_code == 400 and VoterCall.objects.count() == 1
    client.login(username="anna", password=PASSWORD)  # an observer
    assert client.get("/elections/calls/").status_code == 403


def test_requests_to_vote_at_home_reach_the_station_and_the_commission(client, day):
    from io import BytesIO

    from openpyxl import load_workbook

    for name, text in (
        ("Иванова Мария", "ул. Ленина, 5, кв. 3, не ходит"),
        ("Петров Иван", "пер. Садовый, 2"),
    ):
        hotline.take_call(
            operator=day["chief"],
            election=day["election"],
            kind=CallKind.HOME_VOTING,
            phone="+7 927 000-11-22",
            caller_name=name,
            text=text,
            station=day["s1"],
        )
    client.login(username="chief", password=PASSWORD)
    sheet = load_workbook(BytesIO(client.get("/elections/calls/home-voting.xlsx").content)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[3], r[5]) for r in rows] == [
        (101, "Иванова Мария", "ул. Ленина, 5, кв. 3, не ходит"),
        (101, "Петров Иван", "пер. Садовый, 2"),
    ]
    page = client.get("/elections/stations/101/").content.decode()
    assert "Иванова Мария" in page and 'data-testid="station-home-voting"' in page
    # The station's observer learns how many, never who.
    client.login(username="anna", password=PASSWORD)
    mine = client.get("/elections/station/")
    assert mine.context["home_voting"] == 2 and "Иванова" not in mine.content.decode()
    assert client.get("/elections/calls/home-voting.xlsx").status_code == 403
