"""Coordinating observers: the center's calls to observers (logged from the station's page and the
silent-stations list, shown there), and the coverage of stations by observers."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from otklik.elections import coordination, dashboard
from otklik.elections.models import CallOutcome, Observer, ObserverCall
from otklik.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def at(d: dict, hour: int, minute: int = 0) -> datetime:
    t = d["today"]
    return datetime(t.year, t.month, t.day, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def phones(day):
    for observer, phone in zip(
        Observer.objects.order_by("pk"), ("+79270000001", "+79270000003"), strict=True
    ):
        observer.phone = phone
        observer.save()
    return day


def test_an_operator_logs_a_call_and_the_checks(phones):
    d = phones
    anna = Observer.objects.get(user=d["anna"])
    call = coordination.log_call(
        caller=d["chief"],
        election=d["election"],
        station=d["s1"],
        observer=anna,
        outcome=CallOutcome.NO_ANSWER,
    )
    assert call.phone == "+79270000001" and not call.reached and call.caller == d["chief"]
    other = coordination.log_call(
        caller=d["chief"],
        election=d["election"],
        station=d["s2"],
        phone="8 845 200-00-00",
        outcome=CallOutcome.PROBLEM,
        note="Наблюдателя не пустили, едет второй",
    )
    assert other.reached and other.observer is None
    with pytest.raises(ValidationError):  # anna is at 101, not 102
        coordination.log_call(
            caller=d["chief"], election=d["election"], station=d["s2"], observer=anna, outcome="reached"
        )
    with pytest.raises(ValidationError):  # a problem is said
        coordination.log_call(
            caller=d["chief"], election=d["election"], station=d["s1"], observer=anna, outcome="problem"
        )
    with pytest.raises(ValidationError):  # no number
        coordination.log_call(caller=d["chief"], election=d["election"], station=d["s2"], outcome="reached")
    for nobody in (d["lawyer"], d["anna"]):
        with pytest.raises(PermissionDenied):
            coordination.log_call(
                caller=nobody, election=d["election"], station=d["s1"], observer=anna, outcome="reached"
            )


def test_the_silent_list_shows_the_latest_call(phones):
    d = phones
    anna = Observer.objects.get(user=d["anna"])
    for minute, outcome in ((20, CallOutcome.NO_ANSWER), (25, CallOutcome.BUSY)):
        coordination.log_call(
            caller=d["chief"],
            election=d["election"],
            station=d["s1"],
            observer=anna,
            outcome=outcome,
            now=at(d, 8, minute),
        )
    silent = {s.station.number: s for s in dashboard.build(d["election"], now=at(d, 8, 30)).silent}
    assert silent[101].last_call.outcome == CallOutcome.BUSY and silent[101].phones == ("+79270000001",)
    assert silent[201].last_call is None


def test_a_call_is_logged_from_the_station_page_and_back_to_the_dashboard(client, phones):
    d = phones
    anna = Observer.objects.get(user=d["anna"])
    client.login(username="chief", password=PASSWORD)
    page = client.get("/elections/stations/101/?next=/elections/")
    html = page.content.decode()
    assert 'href="tel:+79270000001"' in html and 'data-testid="observer-call-form"' in html
    assert "не входил(а)" in html  # anna never signed in
    sent = client.post(
        "/elections/stations/101/",
        {
            "observer": anna.pk,
            "outcome": "reached",
            "note": "Всё в порядке, забыла отправить",
            "next": "/elections/",
        },
    )
    assert sent.status_code == 302 and sent["Location"] == "/elections/"
    assert ObserverCall.objects.get().note == "Всё в порядке, забыла отправить"
    evil = client.post(
        "/elections/stations/101/", {"observer": anna.pk, "outcome": "busy", "next": "https://evil.example/"}
    )
    assert evil["Location"] == "/elections/stations/101/"  # never away from the site
    bad = client.post("/elections/stations/101/", {"outcome": "busy"})
    assert bad.status_code == 400 and ObserverCall.objects.count() == 2
    client.login(username="lawyer", password=PASSWORD)
    seen = client.get("/elections/stations/101/")
    assert seen.status_code == 200 and b"observer-call-form" not in seen.content
    assert (
        client.post("/elections/stations/101/", {"observer": anna.pk, "outcome": "busy"}).status_code == 403
    )


def test_coverage_by_commission(client, phones):
    d = phones
    make_user(username="ghost", role="observer")  # an observer not bound to a station is not counted
    cov = coordination.coverage()
    rows = {r.commission.name: r for r in cov.rows}
    engels, balakovo = rows["ТИК Энгельсская"], rows["ТИК Балаковская"]
    assert (engels.stations, engels.covered, engels.uncovered, engels.observers) == (2, 1, 1, 1)
    assert (balakovo.stations, balakovo.covered, balakovo.never_signed_in) == (1, 1, 1)
    assert [s.number for s in cov.uncovered] == [102] and cov.covered_pct == pytest.approx(66.7)
    assert cov.total_never_signed_in == 2
    client.login(username="anna", password=PASSWORD)  # signing in counts
    assert coordination.coverage().total_never_signed_in == 1
    one = coordination.coverage(commission=d["s3"].commission)
    assert [r.commission.name for r in one.rows] == ["ТИК Балаковская"] and one.uncovered == []


def test_the_observers_page(client, phones):
    d = phones
    anna = Observer.objects.get(user=d["anna"])
    for outcome in (CallOutcome.NO_ANSWER, CallOutcome.REACHED):
        coordination.log_call(
            caller=d["chief"], election=d["election"], station=d["s1"], observer=anna, outcome=outcome
        )
    client.login(username="chief", password=PASSWORD)
    page = client.get("/elections/observers/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "избирательных участка" in html  # the tile's label agrees with its number, 3
    assert (
        "звонка наблюдателям, 50,0 % дозвонились" in html and "из 2 наблюдателей ни разу не входили" in html
    )
    unreached = client.get("/elections/observers/", {"outcome": "unreached"}).context["calls"]
    assert [c.outcome for c in unreached] == ["no_answer"]
    for who in ("lawyer", "anna"):
        client.login(username=who, password=PASSWORD)
        assert client.get("/elections/observers/").status_code == 403
