"""The places' process cache (gazetteer, polygons, address registry) follows a write made anywhere:
by a model's save, by a loader's bulk write, or by another process (only its version row moves)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.caching.models import CacheVersion
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.testing.factories import make_territory, square
from otklik.understanding.models import Street
from otklik.understanding.places import get_gazetteer, get_polygons, locate
from otklik.understanding.places.cache import PLACES, places_cache
from otklik.understanding.places.loading import BuildingRow, load_buildings

pytestmark = pytest.mark.django_db


@pytest.fixture
def city() -> dict:
    places_cache.clear()
    spb = make_territory("Санкт-Петербург", kind=TerritoryKind.REGION, lat=59.94, lon=30.31)
    okrug = make_territory(
        "муниципальный округ Урицк",
        kind=TerritoryKind.OKRUG,
        parent=spb,
        geometry=square(30.1, 59.8, 0.1),
    )
    return {"spb": spb, "okrug": okrug}


def repina(house: str = "3") -> BuildingRow:
    return BuildingRow("", "ул.", "Репина", house, "", "", "", lats=[59.81], lons=[30.12])


def test_one_query_a_batch_while_nothing_changes(city: dict) -> None:
    first = get_gazetteer()
    with CaptureQueriesContext(connection) as queries:
        assert get_gazetteer() is first
    assert len(queries) == 1
    assert get_polygons(first) is places_cache.peek().polygons  # built with it, no query


def test_a_registry_loaded_by_bulk_writes_is_read_at_the_next_get(city: dict) -> None:
    before = get_gazetteer()
    assert locate("на улице Репина 3 разбит асфальт", gazetteer=before).source != "address"

    load_buildings(city["spb"], [repina()])  # bulk_create: no signal, the loader bumps

    after = get_gazetteer()
    assert after is not before
    place = locate("на улице Репина 3 разбит асфальт", gazetteer=after)
    assert (place.source, place.precision, place.territory) == ("address", "building", city["okrug"])


def test_a_dry_run_moves_no_version(city: dict) -> None:
    held = get_gazetteer()
    load_buildings(city["spb"], [repina()], dry_run=True)
    assert Street.objects.count() == 0
    assert get_gazetteer() is held


def test_another_process_write_is_seen_at_the_next_get(city: dict) -> None:
    held = get_gazetteer()
    assert locate("В Колпино нет воды", gazetteer=held).territory is None
    # another process adds a town: all this one can see of it are the rows and the version it wrote
    Territory.objects.bulk_create(
        [Territory(name="город Колпино", kind=TerritoryKind.OKRUG, parent=city["spb"])]
    )
    assert get_gazetteer() is held  # no version moved here (bulk_create sends no signal)
    CacheVersion.objects.update_or_create(key=PLACES, defaults={"token": "from-a-worker"})

    fresh = get_gazetteer()
    assert fresh is not held
    kolpino = Territory.objects.get(name="город Колпино")
    assert locate("В Колпино нет воды", gazetteer=fresh).territory == kolpino


def test_saves_of_each_kind_of_places_data_give_a_new_version(city: dict) -> None:
    from otklik.understanding.models import Institution, NamedPlace

    seen = [get_gazetteer()]

    def rebuilt() -> bool:
        current = get_gazetteer()
        new = current is not seen[-1]
        seen.append(current)
        return new

    city["okrug"].aliases = "Урицк-2"
    city["okrug"].save()
    assert rebuilt()
    Street.objects.create(region=city["spb"], kind="ул.", name="Садовая", key="садовая")
    assert rebuilt()
    NamedPlace.objects.create(
        region=city["spb"], kind=NamedPlace.Kind.SUBURB, name="Купчино", lat=59.83, lon=30.38
    )
    assert rebuilt()
    Institution.objects.create(kind="school", number="12", territory=city["okrug"])
    assert rebuilt()
    assert not rebuilt()
