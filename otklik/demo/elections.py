"""The demo's election day: an election on the demo's last day, territorial commissions of the
largest districts with polling stations (made-up numbers and voter counts, placed around the
districts' largest towns), the demo observer bound to the first station, and the observers' reports
up to the demo's hour — openings, hourly turnout and a few violations, one of them already taken up
by the demo lawyer. Idempotent: made once per database.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from otklik.accounts.models import User
from otklik.directory.models import Territory
from otklik.elections.models import (
    ChecklistQuestion,
    Commission,
    Election,
    ExitPollCount,
    ExitPollOption,
    ExitPollSheet,
    Incident,
    IncidentStatus,
    Observer,
    PollingStation,
    Report,
    ViolationType,
)
from otklik.elections.models import ReportKind as Kind

ELECTION = "Выборы депутатов Саратовской областной думы (демо)"
DISTRICTS = (
    "Энгельсский район",
    "Балаковский район",
    "Вольский район",
    "Балашовский район",
    "Пугачёвский район",
)
STATIONS_PER_COMMISSION = 8
CANDIDATES = (("Кандидат № 1 (демо)", 0.42), ("Кандидат № 2 (демо)", 0.31), ("Кандидат № 3 (демо)", 0.19))
CHECKLIST = (
    ("Ящики для голосования показаны пустыми и опечатаны при наблюдателях?", True),
    ("Наблюдателей допустили в помещение к началу голосования?", True),
    ("Списки избирателей и сведения о кандидатах выложены на стенд?", False),
)
VIOLATIONS = (  # (text, type of violation)
    ("Посторонние лица в помещении для голосования фотографируют бюллетени", "pressure"),
    ("Агитационный материал кандидата у входа на участок", "campaigning"),
    ("Наблюдателю отказали в ознакомлении со списком избирателей", "observers"),
    ("Переносной ящик увезли без заявлений избирателей, наблюдателя не взяли", "mobile_box"),
)


def ensure_election_day(*, seed: int, end: datetime, observer: User, lawyer: User) -> Election:
    existing = Election.objects.filter(name=ELECTION).first()
    if existing is not None:
        return existing
    rng = random.Random(seed + 1109)
    local_end = timezone.localtime(end)
    with transaction.atomic():
        election = Election.objects.create(name=ELECTION, day=local_end.date())
        stations: list[PollingStation] = []
        number = 1001
        for name in DISTRICTS:
            # The gazetteer writes "е" where the official name has "ё" (Пугачевский район).
            district = Territory.objects.filter(name__in={name, name.replace("ё", "е")}).first()
            commission, _ = Commission.objects.get_or_create(
                name=f"ТИК {name.replace('ский район', 'ская')}", defaults={"territory": district}
            )
            places = _places(district)
            for i in range(STATIONS_PER_COMMISSION):
                place = places[i % len(places)] if places else None
                lat, lon = _near(place, rng)
                station, _ = PollingStation.objects.get_or_create(
                    number=number,
                    defaults={
                        "commission": commission,
                        "registered_voters": rng.randrange(600, 2400),
                        "address": f"{place.name if place else name}, школа № {rng.randrange(1, 30)}",
                        "lat": lat,
                        "lon": lon,
                    },
                )
                stations.append(station)
                number += 1
        Observer.objects.get_or_create(user=observer, defaults={"station": stations[0]})
        _reports(election, stations, rng, local_end, observer, lawyer)
        _exit_poll(election, stations, rng, local_end)
    return election


def _places(district: Territory | None) -> list[Territory]:
    """The district's largest settlements with coordinates (the district itself if it has none)."""
    if district is None:
        return []
    towns = list(
        district.children.filter(lat__isnull=False, lon__isnull=False).order_by("-population", "name")[:4]
    )
    return towns or ([district] if district.lat is not None and district.lon is not None else [])


def _near(place: Territory | None, rng: random.Random) -> tuple[float | None, float | None]:
    """A point within about a kilometre and a half of the place (stations of a town spread over it)."""
    if place is None or place.lat is None or place.lon is None:
        return None, None
    return round(place.lat + rng.uniform(-0.012, 0.012), 6), round(place.lon + rng.uniform(-0.02, 0.02), 6)


def _reports(
    election: Election,
    stations: list[PollingStation],
    rng: random.Random,
    end: datetime,
    observer: User,
    lawyer: User,
) -> None:
    day = datetime(end.year, end.month, end.day, tzinfo=end.tzinfo)
    opening = day + timedelta(hours=8)
    questions = [
        ChecklistQuestion.objects.create(election=election, text=text, order=n, critical=critical)
        for n, (text, critical) in enumerate(CHECKLIST)
    ]
    if end < opening:
        return  # voting has not started at the demo's hour
    for station in stations:
        author = observer if station == stations[0] else None
        # Nearly every station opens by the book; one in twenty has lists out late (not critical).
        answers = {str(q.pk): q.critical or rng.random() > 0.05 for q in questions}
        Report.objects.create(
            election=election,
            station=station,
            author=author,
            kind=Kind.OPENED,
            created_at=opening + _minutes(rng, 10),
            checklist=answers,
        )
        share = 0.0
        for hour in range(10, 21, 2):
            moment = day + timedelta(hours=hour) + _minutes(rng, 20)
            if moment > end or rng.random() < 0.15:  # some observers skip a round
                continue
            share = min(share + rng.uniform(0.04, 0.11), 0.8)
            Report.objects.create(
                election=election,
                station=station,
                author=author,
                kind=Kind.TURNOUT,
                turnout=int(station.registered_voters * share),
                created_at=moment,
            )
    types = {t.code: t for t in ViolationType.objects.all()}
    for n, (text, code) in enumerate(VIOLATIONS):
        moment = day + timedelta(hours=9 + 2 * n) + _minutes(rng, 50)
        if moment > end:
            break
        station = rng.choice(stations[1:])
        report = Report.objects.create(
            election=election,
            station=station,
            kind=Kind.VIOLATION,
            text=text,
            created_at=moment,
            violation_type=types.get(code),
        )
        status = IncidentStatus.IN_WORK if n == 0 else IncidentStatus.NEW
        Incident.objects.create(report=report, status=status, lawyer=lawyer if n == 0 else None)


def _exit_poll(election: Election, stations: list[PollingStation], rng: random.Random, end: datetime) -> None:
    """Interviewers at every fourth station after noon: tallies drawn around the candidates' shares,
    each station leaning its own way (respondents at one station answer alike)."""
    options = [
        ExitPollOption.objects.create(election=election, name=name, order=n)
        for n, (name, _s) in enumerate(CANDIDATES)
    ]
    noon = datetime(end.year, end.month, end.day, 12, tzinfo=end.tzinfo)
    if end < noon:
        return
    for station in stations[::4]:
        lean = [max(share + rng.uniform(-0.08, 0.08), 0.02) for _name, share in CANDIDATES]
        total = sum(lean) + 0.08  # the rest: others and "against all"
        respondents = rng.randrange(60, 160)
        sheet = ExitPollSheet.objects.create(
            election=election, station=station, declined=rng.randrange(5, 30), created_at=noon
        )
        ExitPollCount.objects.bulk_create(
            ExitPollCount(sheet=sheet, option=option, count=round(respondents * weight / total))
            for option, weight in zip(options, lean, strict=True)
        )


def _minutes(rng: random.Random, most: int) -> timedelta:
    return timedelta(minutes=rng.randrange(0, most))
