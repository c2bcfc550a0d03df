"""A sized world of the operators' pages: the one fixture of the pinned query counts
(``tests/test_query_counts.py``) and of the CPU profile of the queue and the card
(``bench/queue_profile.py``), so that both count and time the same shape of data.

A region of districts (with outlines) and towns, a category tree, agencies, one deadline policy, a
user of each working role, ``cases`` cases in the working statuses — a third waiting for moderation
with the pipeline's suggestions — and for some of the first agency's cases the whole road: an interim
and a final answer, approved and published, and a resident's rating. :data:`SMALL` is the tests'
size (a query per row shows as dozens of extra queries), :data:`PROFILE` a fuller page of the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, CaseStatus
from otklik.cases.models import Case, Rating
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Agency

from .factories import (
    make_agency,
    make_case,
    make_category,
    make_policy,
    make_territory,
    make_user,
    square,
)


@dataclass(frozen=True)
class Size:
    cases: int
    districts: int
    towns: int
    sections: int  # top categories
    topics: int  # subcategories, spread over the sections
    agencies: int
    roads: int = 6  # cases of the first agency taken through answer, publication and rating


SMALL = Size(cases=120, districts=4, towns=8, sections=3, topics=9, agencies=5)
PROFILE = Size(cases=500, districts=12, towns=40, sections=8, topics=60, agencies=25)

WORKING = (
    CaseStatus.NEW,
    CaseStatus.MODERATION,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.ESCALATED,
)


@dataclass
class OperatorWorld:
    users: dict[str, Any]  # "moderator", "supervisor", "analyst", "executor" (of the first agency)
    cases: list[Case]
    card: Case  # a case with its whole road: two answers, publication, a rating
    agency: Agency  # the executor's


def operator_world(size: Size = SMALL) -> OperatorWorld:
    now = timezone.now()
    region = make_territory("Область", kind=TerritoryKind.REGION)
    districts = [
        make_territory(f"Район {n}", parent=region, geometry=square(45.0 + n * 0.5, 51.0))
        for n in range(size.districts)
    ]
    towns = [
        make_territory(f"Посёлок {n}", kind=TerritoryKind.SETTLEMENT, parent=districts[n % size.districts])
        for n in range(size.towns)
    ]
    places = districts + towns
    sections = [make_category(f"Раздел {n}") for n in range(size.sections)]
    topics = [make_category(f"Тема {n}", parent=sections[n % size.sections]) for n in range(size.topics)]
    agencies = [make_agency(f"Ведомство {n}") for n in range(size.agencies)]
    make_policy(amount=5)
    users = {
        "moderator": make_user(Role.MODERATOR),
        "supervisor": make_user(Role.SUPERVISOR),
        "analyst": make_user(Role.ANALYST),
        "executor": make_user(Role.EXECUTOR, agency=agencies[0]),
    }
    cases = []
    for n in range(size.cases):
        topic, place, agency = topics[n % len(topics)], places[n % len(places)], agencies[n % len(agencies)]
        waiting = n % 6 < 2  # a third waits for moderation, with the pipeline's suggestions
        cases.append(
            make_case(
                agency=None if waiting else agency,
                status=CaseStatus.MODERATION if waiting else WORKING[(n // 5) % len(WORKING)],
                text=f"Проблема номер {n}: не вывозят мусор, яма на дороге, нет воды",
                created_at=now - timedelta(days=n % 60, hours=n % 24),
                category=None if waiting else topic,
                territory=None if waiting else place,
                suggested_category=topic,
                suggested_territory=place,
                suggested_agency=agency,
                category_confidence=(n % 10) / 10,
                is_urgent=n % 11 == 0,
                address=f"ул. Ленина, {n}" if n % 3 else "",
                lat=51.0 + (n % 7) * 0.05,
                lon=45.0 + (n % 5) * 0.1,
                deadline_at=now + timedelta(days=(n % 9) - 3),
                assigned_at=None if waiting else now - timedelta(days=n % 60),
            )
        )
    moderator, executor = users["moderator"], users["executor"]
    working = (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS)
    road = [c for c in cases if c.agency_id == agencies[0].pk and c.status in working][: size.roads]
    for case in road:
        actions.write_answer(
            case, executor, text="Промежуточный ответ: бригада выехала.", kind=AnswerKind.INTERIM
        )
        answer = actions.write_answer(case, executor, text="Окончательный ответ: всё исправлено.")
        actions.approve_answer(answer, moderator)
        actions.publish_answer(answer, moderator)
        Rating.objects.create(case=case, score=4, created_at=now)
    return OperatorWorld(users=users, cases=cases, card=road[0] if road else cases[0], agency=agencies[0])
