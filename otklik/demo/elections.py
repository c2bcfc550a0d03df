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
    CallOutcome,
    ChecklistQuestion,
    Commission,
    Election,
    ExitPollCount,
    ExitPollOption,
    ExitPollSheet,
    Incident,
    IncidentStatus,
    Observer,
    ObserverCall,
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
        Observer.objects.get_or_create(
            user=observer, defaults={"station": stations[0], "phone": "+79270000001"}
        )
        _observers(stations, rng, local_end)
        _reports(election, stations, rng, local_end, observer, lawyer)
        _calls(election, stations, rng, local_end, lawyer)
        _exit_poll(election, stations, rng, local_end)
    return election


FIRST_NAMES = (
    "Анна",
    "Борис",
    "Вера",
    "Глеб",
    "Дарья",
    "Егор",
    "Жанна",
    "Илья",
    "Ксения",
    "Лев",
    "Мария",
    "Олег",
)
NOTES = ("Отчёт об открытии забыли отправить, отправят сейчас", "", "Открылись с опозданием на 10 минут")
LAST_NAMES = ("Смирнов", "Волков", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Павлов", "Семёнов")


def _observers(stations: list[PollingStation], rng: random.Random, end: datetime) -> None:
    """One or two observers at nearly every station, with phones (made up, in the +7 9xx range),
    as ``otklik import-observers`` brings them; every twelfth station has none, and one observer in
    eight never signed in (the invitation unused). Their accounts have no password: the demo signs
    in as the ``observer`` login only."""
    from otklik.accounts.choices import Role

    users, bound = [], []
    for index, station in enumerate(stations):
        if index % 12 == 11:
            continue  # not covered
        have = 1 if index == 0 else 0  # the demo login observes the first station
        for n in range(have, rng.choice((1, 2, 2))):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            female = first[-1] in "аяю"
            user = User(
                username=f"observer-{station.number}-{n + 1}",
                role=Role.OBSERVER,
                first_name=first,
                last_name=last + ("а" if female else ""),
                last_login=None if rng.random() < 0.125 else end - timedelta(days=rng.randrange(1, 9)),
                password="!",  # unusable: an invitation sets it
            )
            users.append(user)
            bound.append((user, station, f"+79{rng.randrange(10**8, 10**9):09d}"))
    User.objects.bulk_create(users, batch_size=1000)
    made = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    Observer.objects.bulk_create(
        [Observer(user=made[u.username], station=s, phone=phone) for u, s, phone in bound], batch_size=1000
    )


def _calls(
    election: Election, stations: list[PollingStation], rng: random.Random, end: datetime, caller: User | None
) -> None:
    """The center's calls to observers of stations that were late with the opening: some not
    reached at first, then reached."""
    day = datetime(end.year, end.month, end.day, tzinfo=end.tzinfo)
    if end < day + timedelta(hours=8, minutes=20):
        return
    by_station: dict[int, Observer] = {}
    for o in Observer.objects.filter(station__in=stations).exclude(phone="").order_by("pk"):
        by_station.setdefault(o.station_id, o)
    calls = []
    for station in rng.sample(stations, min(6, len(stations))):
        observer = by_station.get(station.pk)
        if observer is None:
            continue
        moment = day + timedelta(hours=8, minutes=20 + rng.randrange(0, 30))
        if rng.random() < 0.5:
            calls.append((observer, CallOutcome.NO_ANSWER, "", moment))
            moment += timedelta(minutes=rng.randrange(5, 20))
        note = rng.choice(
            ("Отчёт об открытии забыли отправить, отправят сейчас", "", "Открылись с опозданием на 10 минут")
        )
        calls.append((observer, CallOutcome.REACHED, note, moment))
    ObserverCall.objects.bulk_create(
        ObserverCall(
            election=election,
            station=o.station,
            observer=o,
            phone=o.phone,
            caller=caller,
            outcome=outcome,
            note=note,
            called_at=moment,
        )
        for o, outcome, note, moment in calls
        if moment <= end
    )


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
