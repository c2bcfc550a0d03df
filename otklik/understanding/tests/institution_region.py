"""A small region for the institution registry's tests (the understanding and cases apps use it)."""

from __future__ import annotations

from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_territory


def institution_region() -> dict:
    """Saratov oblast in small: a district with its town, a district with a village, the city okrug."""
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION, lat=51.5, lon=46.0)
    engels_district = make_territory("Энгельсский муниципальный район", parent=oblast)
    engels = make_territory(
        "город Энгельс", kind=TerritoryKind.SETTLEMENT, parent=engels_district, lat=51.49, lon=46.12
    )
    balakovo_district = make_territory("Балаковский район", parent=oblast, lat=52.03, lon=47.78)
    ivanovka = make_territory("село Ивановка", kind=TerritoryKind.SETTLEMENT, parent=balakovo_district)
    saratov_okrug = make_territory(
        "городской округ город Саратов", kind=TerritoryKind.OKRUG, parent=oblast, lat=51.53, lon=46.03
    )
    return locals()
