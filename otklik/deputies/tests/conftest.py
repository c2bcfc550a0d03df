"""The small region of the intake tests with two deputies of two factions, and a clean rate-limit
counter for every test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from otklik.accounts.choices import Role
from otklik.deputies import services
from otklik.deputies.models import Faction, Level
from otklik.intake.tests.conftest import region  # noqa: F401  (a fixture shared with the intake tests)
from otklik.testing.factories import make_user


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def council(region) -> dict:  # noqa: F811  (the imported fixture, by name)
    party = Faction.objects.create(name="Фракция «Созидание»", short_name="Созидание")
    other = Faction.objects.create(name="Фракция «Развитие»", short_name="Развитие")
    ivanov = services.make_deputy(
        "Иванов Пётр Сергеевич",
        council="Саратовская областная дума",
        faction=party,
        constituency="Энгельсский одномандатный округ № 5",
    )
    ivanov.territories.add(region["engels_district"])
    petrova = services.make_deputy(
        "Петрова Анна Викторовна",
        council="Энгельсское городское собрание",
        level=Level.MUNICIPAL,
        faction=other,
    )
    return {
        **region,
        "party": party,
        "other": other,
        "ivanov": ivanov,
        "petrova": petrova,
        "ivanov_user": make_user(Role.EXECUTOR, agency=ivanov.office, username="ivanov"),
        "petrova_user": make_user(Role.EXECUTOR, agency=petrova.office, username="petrova"),
    }
