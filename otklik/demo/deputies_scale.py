"""The deputies' service at the source document's size, for the bench: ``otklik demo --deputies 3000
--regions 10 --deputy-appeals 100000`` (or :func:`generate` from ``bench/deputies.py``).

Ten regions (the installation's own, Saratov, when loaded, and nine more, each with its capital and
five municipal districts), in each a regional parliament, the council of the capital and the
municipal councils of the districts, with the deputies spread over them (about a sixth in the
parliament, a sixth in the capital's council, the rest in municipal councils), two factions, a
reception office each; appeals to them over a year (80 % answered, some late, a third rated, a
category and a place in the deputy's region each, a long tail of busy offices) and twelve weeks of
page visits; then the analytics rollups are rebuilt. Everything by bulk inserts. Generated rows are
recognisable and replaced on a re-run: offices named "Приёмная депутата № …", appeals numbered
"D-…" (names and texts are made up here; no real person).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case, Rating
from otklik.deputies import service_counts
from otklik.deputies.models import Deputy, Faction, Level, PageVisit
from otklik.directory.choices import AgencyKind, Channel, TerritoryKind
from otklik.directory.models import Agency, Category, Territory

from .statistics import analyze

OFFICE_PREFIX = "Приёмная депутата № "
NUMBER_PREFIX = "D-"
# (region, its capital, the regional parliament, the capital's council)
REGIONS = (
    ("Саратовская область", "Саратов", "Саратовская областная дума", "Саратовская городская дума"),
    ("Самарская область", "Самара", "Самарская губернская дума", "Дума городского округа Самара"),
    ("Пензенская область", "Пенза", "Законодательное собрание Пензенской обл.", "Пензенская городская дума"),
    ("Волгоградская область", "Волгоград", "Волгоградская областная дума", "Волгоградская городская дума"),
    ("Ульяновская область", "Ульяновск", "Законодательное собрание Ульяновской обл.", "Ульяновская городская дума"),  # noqa: E501
    ("Тамбовская область", "Тамбов", "Тамбовская областная дума", "Тамбовская городская дума"),
    ("Воронежская область", "Воронеж", "Воронежская областная дума", "Воронежская городская дума"),
    ("Оренбургская область", "Оренбург", "Законодательное собрание Оренбургской обл.", "Оренбургский городской совет"),  # noqa: E501
    ("Астраханская область", "Астрахань", "Дума Астраханской области", "Городская дума Астрахани"),
    ("Курская область", "Курск", "Курская областная дума", "Курское городское собрание"),
)  # fmt: skip
DISTRICTS = ("Северный", "Южный", "Восточный", "Западный", "Центральный")
SURNAMES = ("Иванов", "Петрова", "Сидоров", "Орлова", "Кузнецов", "Белова", "Громов", "Смирнова")
FACTIONS = (("Фракция «Созидание»", "Созидание"), ("Фракция «Развитие»", "Развитие"))


@dataclass
class ScaleResult:
    regions: int
    deputies: int
    appeals: int
    seconds: float


def _region(name: str, capital: str) -> tuple[Territory, list[Territory]]:
    """The region and its municipalities (an existing region keeps its own; a new one gets its
    capital and five districts)."""
    region, _created = Territory.objects.get_or_create(parent=None, kind=TerritoryKind.REGION, name=name)
    places = list(
        Territory.objects.filter(parent=region, kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG))
    )
    if not places:
        Territory.objects.bulk_create(
            [Territory(parent=region, kind=TerritoryKind.OKRUG, name=f"Городской округ {capital}")]
            + [Territory(parent=region, kind=TerritoryKind.DISTRICT, name=f"{d} район") for d in DISTRICTS]
        )
        places = list(Territory.objects.filter(parent=region).order_by("pk"))
    capital_first = sorted(places, key=lambda t: (t.kind != TerritoryKind.OKRUG, capital not in t.name, t.pk))
    return region, capital_first


def _seat(n: int, per_region: int) -> tuple[str, int]:
    """The level of the ``n``-th deputy of a region and, for a municipal one, which district."""
    if n < per_region // 6:
        return Level.REGIONAL, 0
    if n < per_region // 3:
        return Level.CAPITAL, 0
    return Level.MUNICIPAL, 1 + n % len(DISTRICTS)


def generate(
    deputies: int = 3000,
    appeals: int = 100_000,
    *,
    regions: int = 10,
    seed: int = 3,
    progress: Callable[[str], None] = lambda _line: None,
) -> ScaleResult:
    started = time.perf_counter()
    rng = random.Random(seed)
    chosen = [
        (*_region(name, capital), parliament, council)
        for name, capital, parliament, council in REGIONS[:regions]
    ]
    tops = Category.objects.filter(parent=None, is_active=True)
    categories: list[int | None] = [*tops.values_list("pk", flat=True)] or [None]
    with transaction.atomic():
        old = Agency.objects.filter(kind=AgencyKind.DEPUTY, name__startswith=OFFICE_PREFIX)
        old_cases = Case.objects.filter(agency__in=old)
        Rating.objects.filter(case__in=old_cases).delete()
        old_cases.delete()
        Deputy.objects.filter(office__in=old).delete()
        old.delete()
        factions = [
            Faction.objects.get_or_create(name=name, defaults={"short_name": short})[0]
            for name, short in FACTIONS
        ]
        offices = Agency.objects.bulk_create(
            [
                Agency(
                    name=f"{OFFICE_PREFIX}{n + 1}", short_name=f"Депутат № {n + 1}", kind=AgencyKind.DEPUTY
                )
                for n in range(deputies)
            ],
            batch_size=2000,
        )
        per_region = max(1, deputies // len(chosen))
        made: list[Deputy] = []
        seats: list[list[Territory]] = []  # each deputy's constituency's municipalities
        for n, office in enumerate(offices):
            region, places, parliament, council = chosen[n % len(chosen)]
            level, district = _seat(n // len(chosen) % per_region, per_region)
            place = places[district % len(places)]
            made.append(
                Deputy(
                    full_name=f"{rng.choice(SURNAMES)} Депутат {n + 1:04d}",
                    level=level,
                    region=region,
                    council=parliament
                    if level == Level.REGIONAL
                    else council
                    if level == Level.CAPITAL
                    else f"Совет депутатов: {place.name}",
                    faction=factions[n % 2],
                    constituency=f"Избирательный округ № {n // len(chosen) % 50 + 1}",
                    office=office,
                    reception_hours="Вторник, 15:00–18:00",
                )
            )
            seats.append(places if level == Level.REGIONAL else [place])
        made = Deputy.objects.bulk_create(made, batch_size=2000)
        Deputy.territories.through.objects.bulk_create(
            [
                Deputy.territories.through(deputy_id=d.pk, territory_id=seats[n][n % len(seats[n])].pk)
                for n, d in enumerate(made)
            ],
            batch_size=5000,
        )
        progress(f"{len(made)} deputies in {len(chosen)} regions")
        now = timezone.now()
        cases = []
        for n in range(appeals):
            k = min(int(rng.paretovariate(1.2)) - 1, deputies - 1) if n % 2 else rng.randrange(deputies)
            office = offices[k]
            created = now - timedelta(days=rng.uniform(0, 360))
            answered = created + timedelta(days=rng.uniform(1, 40)) if rng.random() < 0.8 else None
            answered = answered if answered and answered < now else None
            deadline = created + timedelta(days=30)
            cases.append(
                Case(
                    number=f"{NUMBER_PREFIX}{n + 1}",
                    status=CaseStatus.CLOSED if answered else CaseStatus.ASSIGNED,
                    text="Обращение к депутату",
                    title="Обращение к депутату",
                    channel=rng.choice((Channel.DEPUTY, Channel.DEPUTY, Channel.PHONE, Channel.WEB_FORM)),
                    agency=office,
                    addressed_to=office,
                    category_id=rng.choice(categories),
                    territory=rng.choice(seats[k])
                    if rng.random() < 0.7
                    else rng.choice(chosen[k % len(chosen)][1]),
                    created_at=created,
                    assigned_at=created,
                    deadline_at=deadline,
                    answered_at=answered,
                    answer_working_minutes=int(rng.uniform(300, 9000)) if answered else None,
                    is_overdue=answered is None and deadline < now,
                )
            )
        made_cases = Case.objects.bulk_create(cases, batch_size=5000)
        # Last changed when answered (or made), as a year of real appeals: not all this minute, which
        # the rollups' incremental refresh would re-read as just changed.
        Case.objects.filter(number__startswith=NUMBER_PREFIX, agency__in=offices).update(
            updated_at=Coalesce("answered_at", "created_at")
        )
        Rating.objects.bulk_create(
            [
                Rating(case=c, score=rng.choice((5, 5, 4, 3, 1)))
                for c in made_cases
                if c.answered_at and rng.random() < 0.35
            ],
            batch_size=5000,
        )
        progress(f"{len(made_cases)} appeals")
        today = timezone.localdate()
        PageVisit.objects.bulk_create(
            [
                PageVisit(deputy=d, day=today - timedelta(days=k), count=rng.randrange(0, 30))
                for d in made
                for k in range(0, 84, 7)
            ],
            batch_size=5000,
        )
    # the planner's statistics of the tables just filled: without them a refresh's "cases saved
    # since" reads every case
    analyze([Case, Rating, Agency, Deputy, Deputy.territories.through, PageVisit])
    rebuild_rollups()
    service_counts.rebuild()
    progress("analytics rollups and the deputies' service figures rebuilt")
    return ScaleResult(len(chosen), len(made), len(made_cases), time.perf_counter() - started)
