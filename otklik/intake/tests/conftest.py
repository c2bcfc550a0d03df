"""A small region for pipeline tests: the default category tree, territories, agencies and rules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.defaults_categories import load_default_categories
from otklik.directory.models import Category
from otklik.testing.factories import make_agency, make_rule, make_source, make_territory

from .celery_workers import BROKERS, reachable_broker

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Saratov"))


@pytest.fixture
def region(settings) -> dict:
    settings.OTKLIK_AUTO_ROUTE_CONFIDENCE = 0.6
    load_default_categories()
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels_district = make_territory("Энгельсский район", parent=oblast)
    engels = make_territory(
        "Энгельс", kind=TerritoryKind.SETTLEMENT, parent=engels_district, lat=51.49, lon=46.12
    )
    balakovo_district = make_territory("Балаковский район", parent=oblast)
    housing = make_agency("Управление ЖКХ Энгельсского района")
    roads = make_agency("Министерство транспорта и дорожного хозяйства")
    make_rule(housing, category=Category.objects.get(code="housing"), territory=engels_district)
    make_rule(roads, category=Category.objects.get(code="roads"))
    source = make_source("vk-engels", channel=Channel.VK)
    return locals()


@pytest.fixture(params=sorted(BROKERS))
def broker(request) -> str:
    """Each test using it runs once per real broker (Redis, RabbitMQ); skips or fails if one is down."""
    return reachable_broker(request.param)
