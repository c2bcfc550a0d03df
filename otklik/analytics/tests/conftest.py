"""A small region with a handful of cases whose every figure is known in advance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from otklik.accounts.choices import Role
from otklik.analytics.filters import Scope
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Rating
from otklik.directory.choices import Channel, TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

TZ = ZoneInfo("Europe/Saratov")
SQUARE_A = {
    "type": "Polygon",
    "coordinates": [[[45.9, 51.4], [46.3, 51.4], [46.3, 51.7], [45.9, 51.7], [45.9, 51.4]]],
}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


WEEK = Scope(date_from=date(2026, 11, 1), date_to=date(2026, 11, 7))


@pytest.fixture
def world(db: Any, settings: Any) -> dict[str, Any]:
    settings.TIME_ZONE = "Europe/Saratov"
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region, population=20_000, geometry=SQUARE_A)
    village = make_territory("село Квасниковка", kind=TerritoryKind.SETTLEMENT, parent=engels)
    balakovo = make_territory("Балаковский район", parent=region, population=10_000)
    utilities = make_category("ЖКХ", code="zhkh")
    hot_water = make_category("Горячая вода", code="hot-water", parent=utilities)
    roads = make_category("Дороги", code="roads")
    water_co = make_agency("Водоканал Энгельса", short_name="Водоканал")
    road_min = make_agency("Министерство транспорта", short_name="Минтранс")

    # 1. answered on time: assigned Mon 10:00, first answer 11:30 (90 working minutes), 3 messages.
    answered = make_case(
        text="Нет горячей воды в кв. 45, звоните +7 (927) 123-45-67, Иванов Иван Петрович",
        territory=village,
        category=hot_water,
        agency=water_co,
        channel=Channel.VK,
        status=CaseStatus.PUBLISHED,
        created_at=at(2, 9),
        assigned_at=at(2, 10),
        first_answer_at=at(2, 11, 30),
        answered_at=at(2, 12),
        deadline_at=at(3, 10),
        answer_working_minutes=120,
        lat=51.49,
        lon=46.02,
    )
    Rating.objects.create(case=answered, score=5, created_at=at(3, 9))
    # 2. overdue now, still in progress.
    late = make_case(
        text="Холодные батареи в подъезде",
        territory=engels,
        category=hot_water,
        agency=water_co,
        channel=Channel.TELEGRAM,
        status=CaseStatus.IN_PROGRESS,
        created_at=at(2, 15),
        assigned_at=at(2, 15),
        deadline_at=at(3, 15),
        is_overdue=True,
        lat=51.5,
        lon=46.1,
    )
    # 3. answered late (600 working minutes), rated 2, reopened once and closed again.
    slow = make_case(
        text="Яма на дороге у школы",
        territory=balakovo,
        category=roads,
        agency=road_min,
        channel=Channel.VK,
        status=CaseStatus.CLOSED,
        created_at=at(3, 9),
        assigned_at=at(3, 9),
        first_answer_at=at(3, 12),
        answered_at=at(5, 10),
        deadline_at=at(3, 18),
        answer_working_minutes=600,
        reopen_count=1,
    )
    Rating.objects.create(case=slow, score=2, created_at=at(5, 12))
    # 4. waiting for moderation, no agency, no category.
    waiting = make_case(
        text="Просьба разобраться",
        territory=balakovo,
        channel=Channel.PHONE,
        status=CaseStatus.MODERATION,
        created_at=at(3, 11),
    )
    # 5. the previous week: one hot-water case in Engels.
    before = make_case(
        text="Нет воды",
        territory=engels,
        category=hot_water,
        agency=water_co,
        channel=Channel.VK,
        status=CaseStatus.CLOSED,
        created_at=at(27, 10, month=10),
    )
    from otklik.cases.models import Case

    Case.objects.filter(pk=answered.pk).update(message_count=3)
    return {
        "region": region,
        "engels": engels,
        "village": village,
        "balakovo": balakovo,
        "utilities": utilities,
        "hot_water": hot_water,
        "roads": roads,
        "water_co": water_co,
        "road_min": road_min,
        "answered": answered,
        "late": late,
        "slow": slow,
        "waiting": waiting,
        "before": before,
        "analyst": make_user(Role.ANALYST, username="analyst"),
        "executor": make_user(Role.EXECUTOR, username="executor", agency=water_co),
    }
