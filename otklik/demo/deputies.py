"""The demo's deputies ("Избиратель – депутат"): two factions, regional and municipal deputies with
constituencies in the region's largest districts, and appeals to them over the demo's weeks that
their offices answer (approved by the center's moderator) and residents rate.

Names and texts are made up by this module; the appeals come from a fixed seed, go through the
pipeline from the ``demo-deputy`` source and are idempotent by their external ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, holders
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, CaseStatus
from otklik.cases.models import Case
from otklik.deputies import followup
from otklik.deputies.models import Deputy, Faction, Level, Reply, ReplyCheck
from otklik.deputies.services import make_deputy
from otklik.directory.choices import Channel
from otklik.directory.models import Territory
from otklik.intake.models import Source

from .users import slugify_ru

SOURCE_CODE = "demo-deputy"
REGIONAL_COUNCIL = "Саратовская областная дума"
MUNICIPAL_COUNCIL = "Энгельсское городское собрание"
FACTIONS = (("Фракция «Созидание»", "Созидание"), ("Фракция «Развитие»", "Развитие"))


@dataclass(frozen=True)
class DemoDeputy:
    full_name: str
    faction: int  # index into FACTIONS
    district: str  # the municipality of the constituency
    level: str = Level.REGIONAL
    appeals: int = 8


DEPUTIES: tuple[DemoDeputy, ...] = (
    DemoDeputy("Иванов Пётр Сергеевич", 0, "Энгельсский район", appeals=28),
    DemoDeputy("Орлова Наталья Викторовна", 0, "Балаковский район", appeals=20),
    DemoDeputy("Кузнецов Андрей Павлович", 1, "Вольский район", appeals=14),
    DemoDeputy("Белова Ирина Олеговна", 1, "Балашовский район", appeals=18),
    DemoDeputy("Громов Виктор Ильич", 0, "Пугачёвский район", appeals=5),
    DemoDeputy("Смирнова Елена Андреевна", 1, "Энгельсский район", level=Level.MUNICIPAL, appeals=12),
)
DEMO_DEPUTY = DEPUTIES[0].full_name  # the demo's "deputy" login answers for this office

TEXTS = (
    "Прошу помочь: на улице {street} в {loc} уже месяц не работает уличное освещение, по вечерам опасно.",
    "Обращаюсь к вам как к нашему депутату. Во дворе дома на улице {street} в {loc} нет детской площадки.",
    "В {loc} на улице {street} разбита дорога, администрация ремонт не планирует. Просим содействия.",
    "Жители улицы {street} в {loc} просят восстановить автобусный маршрут до районной больницы.",
    "Прошу разобраться: в {loc} на улице {street} третью неделю не вывозят мусор с контейнерной площадки.",
    "В {loc} закрыли фельдшерско-акушерский пункт, ближайший врач в соседнем селе. Помогите, пожалуйста.",
    "Просим помочь с ремонтом крыши дома на улице {street} в {loc}, управляющая компания бездействует.",
    "В школе в {loc} не хватает мест в группе продлённого дня. Прошу содействия в решении вопроса.",
)
STREETS = ("Ленина", "Советская", "Мира", "Гагарина", "Садовая", "Молодёжная", "Центральная", "Школьная")
ANSWERS = (
    "Ваше обращение направлено в администрацию района с депутатским запросом. Работы включены в план "
    "на {date}, о ходе выполнения сообщим дополнительно.",
    "По депутатскому запросу вопрос рассмотрен: работы выполнены {done}. Если проблема сохраняется, "
    "сообщите, пожалуйста, ответом на это письмо.",
    "Вопрос поставлен на контроль: подрядчик приступит к работам до {date}. Я лично проверю исполнение.",
)


def ensure_deputies(region: Territory) -> list[Deputy]:
    """The factions and deputies (idempotent, by name)."""
    factions = [
        Faction.objects.get_or_create(name=name, defaults={"short_name": short})[0]
        for name, short in FACTIONS
    ]
    deputies = []
    with transaction.atomic():
        for number, spec in enumerate(DEPUTIES, start=1):
            deputy = Deputy.objects.filter(full_name=spec.full_name).first()
            if deputy is None:
                municipal = spec.level == Level.MUNICIPAL
                deputy = make_deputy(
                    spec.full_name,
                    council=MUNICIPAL_COUNCIL if municipal else REGIONAL_COUNCIL,
                    level=spec.level,
                    faction=factions[spec.faction],
                    constituency=f"Избирательный округ № {number} ({spec.district})",
                    reception_hours="Вторник, 15:00–18:00, по предварительной записи",
                )
            # The gazetteer writes "е" where the official name has "ё" (Пугачевский район).
            district = Territory.objects.filter(
                parent=region, name__in={spec.district, spec.district.replace("ё", "е")}
            ).first()
            if district is not None:
                deputy.territories.add(district)
            deputies.append(deputy)
    return deputies


def coordinate_faction(user: User) -> None:
    """The demo's party coordinator sees the rating of the first faction's deputies."""
    Faction.objects.get(name=FACTIONS[0][0]).coordinators.add(user)


def ensure_office_staff(deputies: list[Deputy]) -> dict[int, User]:
    """An executor for each office (the demo's "deputy" login where there is one): office id → user."""
    staff: dict[int, User] = {}
    for deputy in deputies:
        existing = (
            User.objects.filter(holders(Capability.ANSWER_FOR_AGENCY), agency=deputy.office)
            .order_by("pk")
            .first()
        )
        if existing is None:
            first, _, last = deputy.full_name.partition(" ")
            existing = User.objects.create(
                username=f"staff-deputy-{slugify_ru(first)}"[:150],
                role=Role.EXECUTOR,
                agency=deputy.office,
                first_name=last.split(" ")[0],
                last_name=first,
            )
            existing.set_unusable_password()
            existing.save(update_fields=["password"])
        staff[deputy.office_id] = existing
    return staff


def ensure_source() -> Source:
    source, _ = Source.objects.update_or_create(
        code=SOURCE_CODE,
        defaults={
            "name": "Портал «Избиратель – депутат» (демо)",
            "channel": Channel.DEPUTY,
            "connector": "demo",
        },
    )
    return source


def add_appeals(deputies: list[Deputy], *, seed: int, start: datetime, end: datetime, moderator: User) -> int:
    """Appeals to the deputies through the pipeline; the older ones answered, approved, published and
    rated as their offices and residents would. Returns how many appeals are new."""
    from otklik.intake.pipeline import run_batch

    rng = random.Random(seed + 311)
    source = ensure_source()
    staff = ensure_office_staff(deputies)
    span = (end - start).total_seconds()
    new = 0
    for deputy, spec in zip(deputies, DEPUTIES, strict=True):
        district = deputy.territories.order_by("name").first()
        # "Энгельсский район" → "в Энгельсском районе"
        loc = district.name.replace("ский район", "ском районе") if district else "районе"
        for n in range(spec.appeals):
            posted = start + timedelta(seconds=rng.random() * span * 0.95)
            text = rng.choice(TEXTS).format(street=rng.choice(STREETS), loc=loc)
            item = {
                "external_id": f"demo-deputy-{deputy.pk}-{n}",
                "channel": Channel.DEPUTY,
                "text": text,
                "posted_at": posted.isoformat(),
                "author_name": rng.choice(("Ольга", "Николай", "Татьяна", "Сергей", "Людмила", "Алексей")),
                "author_id": f"demo-voter-{rng.randrange(10**6)}",
                "addressed_to": deputy.office_id,
            }
            result = run_batch([item], source=source, now=posted)
            if not result.case_ids:
                continue  # delivered before: the demo is idempotent
            new += 1
            case = Case.objects.get(pk=result.case_ids[0])
            _walk(case, rng, posted, end, staff[deputy.office_id], moderator)
            _reply_check(case, deputy, rng, posted, end)
    return new


def _reply_check(case: Case, deputy: Deputy, rng: random.Random, posted: datetime, end: datetime) -> None:
    """Two weeks on, the resident is asked whether a reply came; three in four answer. Most of those
    the office answered in the system say yes; some of the others were answered by phone."""
    asked = posted + timedelta(days=followup.follow_up_days())
    if asked >= end - timedelta(hours=1):
        return
    ReplyCheck.objects.create(case=case, deputy=deputy, asked_at=asked)
    if rng.random() < 0.75:
        case.refresh_from_db()
        got = rng.random() < (0.9 if case.answered_at is not None else 0.35)
        at = min(asked + timedelta(days=rng.uniform(0.2, 3)), end - timedelta(minutes=20))
        followup.record_reply(case, Reply.YES if got else Reply.NO, now=at)


def _walk(
    case: Case, rng: random.Random, posted: datetime, end: datetime, staff: User, moderator: User
) -> None:
    """The office answers after a few days (some late), the center publishes, the resident rates."""
    if case.status != CaseStatus.ASSIGNED or rng.random() < 0.2:
        return  # still in work
    answered = posted + timedelta(days=rng.uniform(1, 40))
    if answered >= end - timedelta(hours=2):
        return
    due = answered + timedelta(days=rng.randint(5, 30))
    done = answered - timedelta(days=1)
    text = rng.choice(ANSWERS).format(date=f"{due:%d.%m.%Y}", done=f"{done:%d.%m.%Y}")
    actions.start_work(case, staff, now=answered - timedelta(hours=1))
    answer = actions.write_answer(case, staff, text=text, kind=AnswerKind.FINAL, now=answered)
    approved = min(answered + timedelta(hours=3), end - timedelta(minutes=30))
    actions.approve_answer(answer, moderator, now=approved)
    actions.publish_answer(answer, moderator, now=approved + timedelta(minutes=5))
    if rng.random() < 0.7:
        case.refresh_from_db()
        score = rng.choices((5, 4, 3, 2, 1), weights=(45, 25, 12, 8, 10))[0]
        rated = min(approved + timedelta(days=rng.uniform(0.5, 3)), end - timedelta(minutes=10))
        actions.rate_case(case, score=score, reopen=score <= 2 and rng.random() < 0.5, now=rated)


# Past and coming meetings with voters: (deputy index, days from the demo's end, place, attendance).
MEETINGS = (
    (0, -52, "Дворец культуры «Россия», Энгельс", 120),
    (1, -45, "Школа № 12, Балаково", 64),
    (3, -38, "Районный дом культуры, Балашов", 90),
    (2, -31, "Библиотека, Вольск, ул. Октябрьская, 5", 35),
    (4, -24, "Дом культуры, Пугачёв", 48),
    (0, -17, "Школа № 3, Энгельс", 70),
    (5, -10, "Совет ветеранов, Энгельс", 40),
    (1, -6, "Дворец культуры, Балаково", 150),
    (3, -1, "Сельский клуб, Балашовский район", 28),
    (0, 2, "Дом культуры, Энгельс, ул. Тельмана, 22", 85),
    (1, 5, "Школа № 12, Балаково", 40),
    (3, 9, "Районная администрация, Балашов", None),
)
# Questions voters ask (made up here); {loc} is the district's town.
MEETING_QUESTIONS = (
    "Когда отремонтируют дорогу до районной больницы?",
    "Почему во дворах не вывозят снег после каждого снегопада?",
    "Можно ли открыть в посёлке аптечный пункт?",
    "Когда в {loc} заменят трубы водопровода? Вода идёт ржавая.",
    "На улице Ленина не горят фонари уже месяц, кто за это отвечает?",
    "Будет ли восстановлен автобусный маршрут до областного центра?",
    "В детском саду не хватает мест, очередь на два года. Что делается?",
    "Контейнерную площадку во дворе не убирают неделями, куда жаловаться?",
    "Когда построят новую школу в {loc}? Старая переполнена.",
    "Почему в поликлинике нет записи к терапевту на две недели вперёд?",
    "Во дворе разбита детская площадка, можно ли включить её в программу благоустройства?",
    "Отопление в домах включили с опозданием, в квартирах холодно. Кто ответит?",
    "Когда отремонтируют крышу дома по улице Мира? Течёт после каждого дождя.",
    "Можно ли сделать пешеходный переход у школы на Садовой?",
    "Тарифы за вывоз мусора выросли, а вывозят реже. Как это понимать?",
)
VOTERS = ("Татьяна", "Виктор", "Анна", "Николай", "Людмила", "Сергей", "Ольга", "Алексей")
MEETING_ANSWERS = (
    "Вопрос известен, направлю депутатский запрос в администрацию района и сообщу ответ.",
    "Работы включены в план на следующий год, финансирование предусмотрено в бюджете области.",
    "Этим занимается управляющая компания; я передам обращение и проконтролирую исполнение.",
)


def ensure_meetings(deputies: list[Deputy], *, end: datetime, seed: int = 2024) -> None:
    """Meetings with voters on the campaign calendar over the demo's weeks and the next two
    (idempotent); the past ones with the questions asked, most answered at the meeting, some later."""
    from otklik.elections import questions
    from otklik.elections.models import CampaignEvent, EventQuestion

    rng = random.Random(seed + 17)
    afternoon = timezone.localtime(end).replace(hour=15, minute=0, second=0, microsecond=0)
    for index, days, place, attendance in MEETINGS:
        deputy = deputies[index]
        starts = afternoon + timedelta(days=days)
        district = deputy.territories.order_by("name").first()
        event, created = CampaignEvent.objects.get_or_create(
            deputy=deputy,
            place=place,
            defaults={
                "candidate": deputy.full_name,
                "starts_at": starts,
                "territory": district,
                "attendance": attendance,
            },
        )
        if not created or not attendance or starts > end:
            continue
        loc = place.split(",")[1].strip() if "," in place else (district.name if district else "")
        asked = rng.sample(MEETING_QUESTIONS, k=min(len(MEETING_QUESTIONS), 3 + attendance // 25))
        for n, text in enumerate(asked):
            question = EventQuestion.objects.create(
                event=event,
                text=text.format(loc=loc),
                asked_by=rng.choice(VOTERS),
                created_at=starts + timedelta(minutes=10 + 5 * n),
            )
            questions.understand(question)
            roll = rng.random()
            if roll < 0.55:
                answered = starts + timedelta(minutes=15 + 5 * n)
                questions.record_answer(
                    question, text=rng.choice(MEETING_ANSWERS), at_meeting=True, now=answered
                )
            elif roll < 0.7 and starts + timedelta(days=3) < end:
                later = starts + timedelta(days=3)
                questions.record_answer(
                    question, text=rng.choice(MEETING_ANSWERS), at_meeting=False, now=later
                )


def meeting_appeals(deputies: list[Deputy], *, seed: int, end: datetime, moderator: User) -> int:
    """Half the questions left unanswered at past meetings become appeals to the deputy, made the
    day after the meeting and worked by the office like any appeal. Returns how many are new."""
    from otklik.elections import campaign
    from otklik.elections.models import EventQuestion

    rng = random.Random(seed + 23)
    staff = ensure_office_staff(deputies)
    new = 0
    pending = EventQuestion.objects.filter(
        event__deputy__in=deputies, answered_at__isnull=True, case__isnull=True, event__starts_at__lt=end
    ).select_related("event__deputy")
    for question in pending.order_by("pk"):
        deputy = question.event.deputy
        if deputy is None or rng.random() < 0.5:
            continue
        posted = question.event.starts_at + timedelta(days=1)
        if posted >= end:
            continue
        campaign.to_appeal(question, now=posted)
        case = question.case
        if case is None:
            continue
        new += 1
        _walk(case, rng, posted, end, staff[deputy.office_id], moderator)
    return new
