"""Small factories for tests: real rows with sensible defaults, no fixture files."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.accounts.models import User
from otklik.cases.models import Case
from otklik.directory.choices import Channel, DeadlineUnit, TerritoryKind
from otklik.directory.models import Agency, Category, DeadlinePolicy, RoutingRule, Territory
from otklik.intake.models import Message, Source

_seq = itertools.count(1)

PASSWORD = "test-pass-123"


def make_territory(
    name: str | None = None, *, kind: str = TerritoryKind.DISTRICT, parent: Territory | None = None, **kw: Any
) -> Territory:
    return Territory.objects.create(name=name or f"Территория {next(_seq)}", kind=kind, parent=parent, **kw)


def square(lon: float, lat: float, size: float = 0.4) -> dict[str, Any]:
    """A square GeoJSON polygon from its south-west corner: a district's geometry in tests."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def make_category(
    name: str | None = None, *, parent: Category | None = None, keywords: str = "", **kw: Any
) -> Category:
    n = next(_seq)
    return Category.objects.create(
        name=name or f"Категория {n}", code=kw.pop("code", f"cat-{n}"), parent=parent, keywords=keywords, **kw
    )


def make_agency(name: str | None = None, **kw: Any) -> Agency:
    return Agency.objects.create(name=name or f"Ведомство {next(_seq)}", **kw)


def make_user(
    role: str = Role.MODERATOR, *, agency: Agency | None = None, username: str | None = None, **kw: Any
) -> User:
    user = User.objects.create_user(
        username=username or f"{role}{next(_seq)}",
        password=PASSWORD,
        role=role,
        agency=agency,
        email=kw.pop("email", f"{role}{next(_seq)}@example.test"),
        **kw,
    )
    return user


def make_rule(
    agency: Agency, *, category: Category | None = None, territory: Territory | None = None, **kw: Any
) -> RoutingRule:
    return RoutingRule.objects.create(agency=agency, category=category, territory=territory, **kw)


def make_policy(amount: int = 1, unit: str = DeadlineUnit.WORKING_DAYS, **kw: Any) -> DeadlinePolicy:
    return DeadlinePolicy.objects.create(
        name=kw.pop("name", f"Срок {next(_seq)}"), amount=amount, unit=unit, **kw
    )


def make_source(code: str = "test-feed", channel: str = Channel.VK, **kw: Any) -> Source:
    source, _ = Source.objects.get_or_create(code=code, defaults={"name": code, "channel": channel, **kw})
    return source


def make_case(
    *,
    agency: Agency | None = None,
    status: str | None = None,
    text: str = "Нет горячей воды третий день",
    created_at: datetime | None = None,
    with_message: bool = True,
    **kw: Any,
) -> Case:
    """A case; ``status`` is written straight in (set-up only: tests of actions start from NEW)."""
    case = Case.objects.create(
        agency=agency,
        text=text,
        title=kw.pop("title", text[:80]),
        created_at=created_at or timezone.now(),
        **kw,
    )
    if status:
        Case.objects.filter(pk=case.pk).update(status=status)
        case.refresh_from_db()
    if with_message:
        Message.objects.create(
            source=make_source(),
            external_id=f"m{next(_seq)}",
            channel=case.channel,
            case=case,
            text=text,
            author_id=f"u{next(_seq)}",
            posted_at=case.created_at,
        )
        Case.objects.filter(pk=case.pk).update(message_count=1, author_count=1)
        case.refresh_from_db()
    return case
