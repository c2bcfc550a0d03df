"""Who calls observers (issue 17, point 2): the center's coordinators and the call-center operators
open any station's page — its observers' phones, its reports — log calls to its observers there and
see the silent stations on the observers' page; a call-center operator gets no dashboard or incident,
and of a station's reports sees that they came in and their status, not their text or photos. A lawyer
reads a station's page but logs no call; an observer sees only their own station."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.elections import coordination, dashboard, reports
from otklik.elections.models import CallOutcome, Observer, ObserverCall, ReportKind
from otklik.elections.tests.test_elections import png
from otklik.testing.factories import make_agency, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def morning(day, monkeypatch) -> dict:
    """10:30 on election day: station 101 opened, 102 and 201 said nothing — silent, to be called."""
    moment = timezone.make_aware(datetime.combine(day["election"].day, time(10, 30)))
    monkeypatch.setattr(dashboard, "clock", lambda: moment)
    Observer.objects.filter(user=day["boris"]).update(phone="+79270000201")
    Observer.objects.create(
        user=make_user(Role.OBSERVER, username="vera"), station=day["s2"], phone="+79270000102"
    )
    reports.file_report(observer=day["anna"], election=day["election"], kind=ReportKind.OPENED, now=moment)
    operator = make_user(Role.CALL_OPERATOR, username="operator", last_name="Звонарёва")
    return {**day, "moment": moment, "operator": operator}


def test_a_call_operator_opens_a_station_and_logs_a_call_to_its_observer(client, morning):
    client.force_login(morning["operator"])
    page = client.get("/elections/stations/201/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="tel:+79270000201"' in body and 'data-testid="observer-call-form"' in body
    boris = Observer.objects.get(user=morning["boris"])
    sent = client.post(
        "/elections/stations/201/?next=/elections/observers/",
        {"observer": boris.pk, "outcome": CallOutcome.NO_ANSWER, "note": "", "next": "/elections/observers/"},
    )
    assert sent.status_code == 302 and sent["Location"] == "/elections/observers/"
    call = ObserverCall.objects.get()
    assert (call.station.number, call.caller, call.phone) == (201, morning["operator"], "+79270000201")
    # The observers' page lists the silent stations with the call just made.
    observers = client.get("/elections/observers/").content.decode()
    assert 'data-silent="201"' in observers and 'data-silent="102"' in observers
    assert 'data-silent="101"' not in observers  # it opened
    assert "Не отвечает" in observers.split('data-silent="201"')[1].split("</tr>")[0]
    # A station found by its number from the observers' page.
    found = client.get("/elections/stations/", {"number": "102"})
    assert found.status_code == 302 and found["Location"] == "/elections/stations/102/"
    missing = client.get("/elections/stations/", {"number": "999"})
    assert missing["Location"] == "/elections/observers/"


def test_one_commissions_silent_stations(client, morning):
    client.force_login(morning["operator"])
    engels = morning["s1"].commission
    body = client.get("/elections/observers/", {"commission": engels.pk}).content.decode()
    assert 'data-silent="102"' in body and 'data-silent="201"' not in body


def test_a_call_operator_gets_no_dashboard_nor_incident(client, morning):
    client.force_login(morning["operator"])
    for path in ("/elections/", "/elections/incidents/", "/elections/incidents.xlsx", "/elections/events/"):
        assert client.get(path).status_code == 403, path
    nav = client.get("/elections/observers/").content.decode()
    assert 'data-testid="el-tab-observers"' in nav and 'data-testid="el-tab-incidents"' not in nav


def test_a_call_operator_sees_that_reports_came_in_but_not_what_they_say(client, morning):
    """Least privilege (docs/decisions/0009-call-operators-see-reports-status.md): to call an observer
    the operator needs whether the station's reports came in, when, of which kind and with what
    status — not the observer's text (names, other matters), the photo or the checklist."""
    report = reports.file_report(
        observer=morning["boris"],
        election=morning["election"],
        kind=ReportKind.VIOLATION,
        text="Секретарь Петрова выносит пачку бюллетеней в подсобку",
        photo=png(),
        now=morning["moment"],
    )
    photo = f"/elections/reports/{report.pk}/photo/"
    client.force_login(morning["operator"])
    body = client.get("/elections/stations/201/").content.decode()
    shown = body.split('data-testid="station-reports"')[1].split("</ul>")[0]
    assert f'data-report="{report.pk}"' in shown and "10:30" in shown
    assert report.get_kind_display() in shown and report.incident.get_status_display() in shown
    assert "Петрова" not in body and photo not in body
    assert 'data-testid="reports-without-content"' in body
    assert client.get(photo).status_code == 404
    assert client.get("/api/elections/reports/").json()["count"] == 0
    assert client.get(f"/api/elections/reports/{report.pk}/").status_code == 404
    # The center and the lawyers read the report in full.
    for reader in (morning["chief"], morning["lawyer"]):
        client.force_login(reader)
        body = client.get("/elections/stations/201/").content.decode()
        assert "Петрова" in body and photo in body and 'data-testid="reports-without-content"' not in body
        assert client.get(photo).status_code == 200
        assert client.get(f"/api/elections/reports/{report.pk}/").json()["text"].startswith("Секретарь")


def test_a_lawyer_reads_a_station_but_logs_no_call(client, morning):
    client.force_login(morning["lawyer"])
    page = client.get("/elections/stations/201/")
    assert page.status_code == 200 and 'data-testid="observer-call-form"' not in page.content.decode()
    assert (
        client.post("/elections/stations/201/", {"outcome": "reached", "phone": "+79270000201"}).status_code
        == 403
    )
    assert client.get("/elections/observers/").status_code == 403
    with pytest.raises(PermissionDenied):
        coordination.log_call(
            caller=morning["lawyer"],
            election=morning["election"],
            station=morning["s3"],
            outcome=CallOutcome.REACHED,
            phone="+79270000201",
        )
    assert not ObserverCall.objects.exists()


def test_an_observer_sees_only_their_own_station(client, morning):
    client.force_login(morning["anna"])
    assert client.get("/elections/stations/101/")["Location"] == "/elections/station/"
    assert client.get("/elections/stations/201/").status_code == 403
    assert (
        client.post("/elections/stations/201/", {"outcome": "reached", "phone": "+79270000201"}).status_code
        == 403
    )
    assert client.get("/elections/observers/").status_code == 403


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ANALYST, Role.EXECUTOR])
def test_other_roles_call_no_observer(client, morning, role):
    agency = make_agency("Водоканал") if role == Role.EXECUTOR else None
    client.force_login(make_user(role, username=f"someone-{role}", agency=agency))
    assert client.get("/elections/stations/201/").status_code == 403
    assert client.get("/elections/observers/").status_code == 403
    assert client.get("/elections/stations/", {"number": "201"}).status_code == 403
