"""The demo's monitoring queries: generic words of a region's problems, scoped to its social sources."""

from __future__ import annotations

import pytest

from otklik.demo.messages import SOCIAL_SOURCES
from otklik.demo.monitoring import DEMO_QUERIES, ensure_monitoring_queries
from otklik.demo.run import ensure_sources
from otklik.directory.models import Territory
from otklik.intake.models import MonitoringQuery
from otklik.intake.monitoring import active_scanner

pytestmark = pytest.mark.django_db


def test_the_demo_ships_queries_for_its_social_sources() -> None:
    ensure_sources()
    first = ensure_monitoring_queries()
    again = ensure_monitoring_queries()
    assert [q.pk for q in first] == [q.pk for q in again] and len(first) == len(DEMO_QUERIES) >= 8
    assert MonitoringQuery.objects.count() == len(DEMO_QUERIES)
    for query in MonitoringQuery.objects.all():
        query.full_clean()  # valid in the language
        assert set(query.sources.values_list("code", flat=True)) == set(SOCIAL_SOURCES)
    assert not Territory.objects.exists()  # no place names needed: any region
    scanner = active_scanner()
    assert scanner.scan("Третий день нет горячей воды, батареи холодные")
    assert scanner.scan("Огромная яма на дороге, машины бьют колёса")
    assert not scanner.scan("Продам гараж недалеко от остановки, звоните")
