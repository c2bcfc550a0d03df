"""An election day and a campaign's meetings as the elections' browser tests set them up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.deputies.models import Deputy
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.elections import campaign, dashboard, reports
from otklik.elections.models import (
    CampaignEvent,
    Commission,
    Election,
    EventQuestion,
    Observer,
    PollingStation,
    ReportKind,
)
from otklik.testing.factories import make_territory, make_user, square


def election_region(monkeypatch: Any, hour: int = 10, minute: int = 30) -> dict[str, Any]:
    """Two commissions over two districts, four stations on the map, observers with the import's
    phones at three of them (one never signed in), the dashboard's clock at ``hour``:``minute``."""
    election = Election.objects.create(name="Выборы депутатов областной думы", day=timezone.localdate())
    moment = timezone.make_aware(datetime.combine(election.day, time(hour, minute)))
    monkeypatch.setattr(dashboard, "clock", lambda: moment)
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels_d = make_territory("Энгельсский район", parent=region, geometry=square(46.0, 51.3))
    balakovo_d = make_territory("Балаковский район", parent=region, geometry=square(47.6, 51.9))
    engels = Commission.objects.create(name="ТИК Энгельсская", territory=engels_d)
    balakovo = Commission.objects.create(name="ТИК Балаковская", territory=balakovo_d)
    stations = {
        n: PollingStation.objects.create(
            number=n,
            commission=c,
            registered_voters=1000,
            lat=lat,
            lon=lon,
            address=f"школа № {n % 100}",
        )
        for n, c, lat, lon in (
            (1001, engels, 51.45, 46.1),
            (1002, engels, 51.5, 46.2),
            (2001, balakovo, 52.0, 47.7),
            (2002, balakovo, 52.05, 47.8),
        )
    }
    observers = {}
    for n, (number, last, phone) in enumerate(
        (
            (1001, "Петрова", "+79270000001"),
            (1002, "Сидоров", "+79270000002"),
            (2001, "Кузнецова", "+79270000003"),
        )
    ):
        user = make_user(Role.OBSERVER, username=f"obs{number}", first_name="Наблюдатель", last_name=last)
        if n < 2:
            user.last_login = timezone.now()
            user.save()
        observers[number] = Observer.objects.create(user=user, station=stations[number], phone=phone)
    return {"election": election, "moment": moment, "stations": stations, "observers": observers}


def silent_morning(monkeypatch: Any) -> dict[str, Any]:
    """:func:`election_region` at 10:30, station 1001 opened and reporting: 1002 and 2001 said
    nothing, silent, to be called (2002 has no observer)."""
    day = election_region(monkeypatch)
    reports.file_report(
        observer=day["observers"][1001].user,
        election=day["election"],
        kind=ReportKind.OPENED,
        now=day["moment"],
    )
    return day


def past_meeting(
    deputy: Deputy, district: Territory, days_ago: int, place: str, texts: Iterable[str]
) -> list[EventQuestion]:
    """A meeting of ``deputy``'s ``days_ago`` days ago in ``district`` and the questions asked at it."""
    event = CampaignEvent.objects.create(
        candidate=deputy.full_name,
        deputy=deputy,
        starts_at=timezone.now() - timedelta(days=days_ago),
        place=place,
        territory=district,
    )
    return [campaign.record_question(event, text=text, asked_by="Ольга") for text in texts]
