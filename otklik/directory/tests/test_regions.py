from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.directory.regions import (
    SARATOV,
    build_shipped_region,
    load_region,
    load_shipped_region,
    municipality_kind,
    normalize_name,
)

SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"the unsimplified open data is not beside the project ({SHARED_DATA})"
)


def _settlement(name: str) -> Territory:
    return Territory.objects.select_related("parent").get(kind=TerritoryKind.SETTLEMENT, name=name)


def test_names_tell_districts_from_okrugs():
    assert municipality_kind("Энгельсский район") == TerritoryKind.DISTRICT
    assert municipality_kind("Саратов") == TerritoryKind.OKRUG
    assert municipality_kind("ЗАТО Шиханы") == TerritoryKind.OKRUG
    assert normalize_name("ЗАТО Светлый") == normalize_name("Светлый")
    assert normalize_name("г. Шиханы") == "шиханы"


def test_shipped_saratov_geodata_is_small_and_attributed():
    assert SARATOV.geojson_path.stat().st_size < 500_000
    attribution = (SARATOV.path.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "OpenStreetMap contributors" in attribution and "ODbL" in attribution
    assert "hflabs/city" in attribution and "CC BY-SA 4.0" in attribution


@pytest.mark.django_db
def test_saratov_loads_42_municipalities_with_geometry():
    result = load_shipped_region("saratov")
    region = result.region
    assert region.kind == TerritoryKind.REGION and region.name == "Саратовская область"
    assert region.oktmo == "63000000"
    municipalities = Territory.objects.filter(parent=region)
    assert municipalities.count() == 42
    assert municipalities.filter(kind=TerritoryKind.DISTRICT).count() == 38
    assert set(municipalities.filter(kind=TerritoryKind.OKRUG).values_list("name", flat=True)) == {
        "Саратов",
        "ЗАТО Шиханы",
        "ЗАТО Михайловский",
        "ЗАТО Светлый",
    }
    for municipality in municipalities:
        assert municipality.geometry["type"] in ("Polygon", "MultiPolygon")
        min_lon, min_lat, max_lon, max_lat = municipality.bbox
        assert min_lon <= municipality.lon <= max_lon and min_lat <= municipality.lat <= max_lat
    assert result.unplaced_towns == []


@pytest.mark.django_db
def test_saratov_towns_land_in_their_districts():
    load_shipped_region("saratov")
    assert _settlement("Энгельс").parent.name == "Энгельсский район"
    assert _settlement("Балаково").parent.name == "Балаковский район"
    assert _settlement("Красный Кут").parent.name == "Краснокутский район"
    assert _settlement("Вольск").parent.name == "Вольский район"
    balakovo = _settlement("Балаково")
    assert balakovo.oktmo == "63607101001" and balakovo.population == 199576
    assert balakovo.parent.oktmo == "63607000"  # read off the town's hierarchical code


@pytest.mark.django_db
def test_town_that_is_the_okrug_maps_onto_it():
    load_shipped_region("saratov")
    assert not Territory.objects.filter(
        kind=TerritoryKind.SETTLEMENT, name__in=["Саратов", "Шиханы"]
    ).exists()
    saratov = Territory.objects.get(kind=TerritoryKind.OKRUG, name="Саратов")
    assert saratov.oktmo == "63701000" and saratov.population == 836900
    assert (saratov.lat, saratov.lon) == (51.533557, 46.034257)
    assert Territory.objects.get(name="ЗАТО Шиханы").oktmo == "63746000"
    # No town to read a code from: the code stays blank rather than made up.
    assert Territory.objects.get(name="ЗАТО Светлый").oktmo == ""


@pytest.mark.django_db
def test_loading_twice_updates_and_never_duplicates():
    load_shipped_region("saratov")
    count = Territory.objects.count()
    Territory.objects.filter(name="Энгельс").update(population=1)
    again = load_shipped_region("saratov")
    assert Territory.objects.count() == count
    assert again.created == 0 and again.updated == 1
    assert _settlement("Энгельс").population == 202838


@pytest.mark.django_db
def test_load_region_command_loads_the_shipped_region():
    call_command("load_region")
    assert Territory.objects.filter(parent__name="Саратовская область").count() == 42


@needs_shared
@pytest.mark.django_db
def test_kursk_loads_from_the_full_sources():
    call_command(
        "load_region",
        name="Курская область",
        geojson=str(SHARED_DATA / "russia_geojson_osm" / "Kursk_region.geojson"),
        towns=str(SHARED_DATA / "hflabs_city" / "city.csv"),
        region_filter="Курская",
    )
    region = Territory.objects.get(kind=TerritoryKind.REGION, name="Курская область")
    assert region.oktmo == "38000000"
    assert region.children.count() == 33
    assert not Territory.objects.filter(kind=TerritoryKind.SETTLEMENT, name="Курск").exists()
    assert Territory.objects.get(parent=region, name="Курск").population > 400_000
    assert _settlement("Обоянь").parent.name == "Обоянский район"
    assert _settlement("Рыльск").parent.name == "Рыльский район"
    # Saratov's towns stay out of Kursk's region.
    assert not Territory.objects.filter(name="Энгельс").exists()


@needs_shared
@pytest.mark.django_db
def test_simplified_borders_keep_every_town_in_its_district():
    def placement(region: Territory) -> dict[str, str]:
        return dict(
            Territory.objects.filter(kind=TerritoryKind.SETTLEMENT, parent__parent=region).values_list(
                "name", "parent__name"
            )
        )

    shipped = load_shipped_region("saratov").region
    raw = load_region(
        name="Саратовская область (исходные границы)",
        geojson_path=SHARED_DATA / "russia_geojson_osm" / "Saratov_Region.geojson",
        towns_csv_path=SHARED_DATA / "hflabs_city" / "city.csv",
        region_filter="Саратовская",
    ).region
    assert len(placement(shipped)) == 16  # 18 towns; Саратов and Шиханы are okrugs themselves
    assert placement(shipped) == placement(raw)


@needs_shared
def test_shipped_files_rebuild_identically_from_the_sources(tmp_path):
    files = build_shipped_region(
        geojson_src=SHARED_DATA / "russia_geojson_osm" / "Saratov_Region.geojson",
        towns_src=SHARED_DATA / "hflabs_city" / "city.csv",
        out_dir=tmp_path,
        region_filter="Саратовская",
    )
    assert files.vertices_after < files.vertices_before / 3
    assert files.geojson_bytes < 500_000 and files.towns == 18
    # What a developer rebuilds is what ships.
    shipped = SARATOV.geojson_path.read_text(encoding="utf-8")
    assert files.geojson_path.read_text(encoding="utf-8") == shipped
