"""Exit polls: observers' tallies at their own station; shares with cluster-robust margins."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from otklik.accounts.choices import Role
from otklik.elections import exit_polls
from otklik.elections.models import ExitPollOption, ExitPollSheet, Observer, PollingStation
from otklik.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll(day) -> dict:
    e = day["election"]
    a = ExitPollOption.objects.create(election=e, name="Кандидат А", order=1)
    b = ExitPollOption.objects.create(election=e, name="Кандидат Б", order=2)
    vera = make_user(Role.OBSERVER, username="vera")
    Observer.objects.create(user=vera, station=day["s2"])
    return {**day, "a": a, "b": b, "vera": vera}


def test_the_ratio_estimate_and_its_margin_by_hand():
    # three stations: (respondents naming the option, respondents)
    p, se = exit_polls.ratio_margins([(30, 50), (20, 50), (50, 100)])
    assert p == pytest.approx(0.5)
    spread = (30 - 25) ** 2 + (20 - 25) ** 2 + (50 - 50) ** 2
    assert se == pytest.approx(math.sqrt(3 / 2 * spread) / 200)
    assert exit_polls.ratio_margins([(30, 50)]) == (0.6, None)  # one station: no margin
    assert exit_polls.ratio_margins([]) == (0.0, None)


def test_tallies_from_three_stations_make_shares_with_margins(poll):
    a, b = poll["a"].pk, poll["b"].pk
    exit_polls.enter_sheet(
        observer=poll["anna"], election=poll["election"], counts={a: 30, b: 20}, declined=4
    )
    exit_polls.enter_sheet(observer=poll["vera"], election=poll["election"], counts={a: 20, b: 30})
    exit_polls.enter_sheet(
        observer=poll["boris"], election=poll["election"], counts={a: 50, b: 50}, declined=6
    )
    result = exit_polls.aggregate(poll["election"])
    assert (result.respondents, result.declined, result.stations) == (200, 10, 3)
    first = result.shares[0]
    assert first.share == pytest.approx(0.5) and first.respondents == 100
    assert first.margin95 == pytest.approx(exit_polls.Z95 * math.sqrt(1.5 * 50) / 200)
    assert first.margin99 is not None and first.margin99 > first.margin95
    assert first.share_pct == 50.0


def test_a_sheet_is_the_observers_own_station_and_sane(poll):
    a = poll["a"].pk
    sheet = exit_polls.enter_sheet(observer=poll["anna"], election=poll["election"], counts={a: 3})
    assert sheet.station == poll["s1"]
    with pytest.raises(ValidationError):
        exit_polls.enter_sheet(observer=poll["anna"], election=poll["election"], counts={a: 0})
    with pytest.raises(ValidationError):
        exit_polls.enter_sheet(observer=poll["anna"], election=poll["election"], counts={999999: 3})
    with pytest.raises(PermissionDenied):
        exit_polls.enter_sheet(observer=poll["lawyer"], election=poll["election"], counts={a: 3})


def test_the_observer_enters_a_sheet_and_the_center_sees_the_shares(client, poll):
    client.login(username="anna", password=PASSWORD)
    page = client.get("/elections/station/")
    assert f"option_{poll['a'].pk}" in page.context["poll_form"].fields
    sent = client.post(
        "/elections/station/",
        {
            "action": "exitpoll",
            f"option_{poll['a'].pk}": "12",
            f"option_{poll['b'].pk}": "8",
            "declined": "2",
        },
    )
    assert sent.status_code == 302
    sheet = ExitPollSheet.objects.get()
    assert sheet.station == poll["s1"] and sheet.declined == 2
    assert not PollingStation.objects.filter(reports__isnull=False).exists()  # a sheet is not a report
    client.login(username="chief", password=PASSWORD)
    shares = client.get("/elections/").context["poll"].shares
    assert [(s.option.name, s.share_pct) for s in shares] == [("Кандидат А", 60.0), ("Кандидат Б", 40.0)]
