"""The address registry of a region of towns (not one city): the same street name in many
settlements, towns without polygons of their own inside their districts' polygons. A text naming
the town gets the building of that town's street; a text naming no town gets no point at all (the
first of many same-named streets would put the case in a town the resident never named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_territory, square
from otklik.understanding.places import get_gazetteer, locate
from otklik.understanding.places.loading import import_addresses

# Two districts, each a polygon; each holds a town (a point, no polygon); the first also a village.
ADDRESSES = """населенный пункт,улица,дом,широта,долгота
Заречье,ул. Ленина,5,51.05,45.05
Заречье,ул. Ленина,7,51.06,45.06
Заречье,ул. Садовая,3,51.04,45.02
Луговое,ул. Ленина,5,51.30,45.30
Нагорный,ул. Ленина,5,51.55,46.55
Нагорный,ул. Ленина,9,51.56,46.56
Нагорный,ул. Мира,2,51.57,46.52
"""


@pytest.fixture
def towns(db: None, tmp_path: Path) -> dict[str, object]:
    region = make_territory("Тестовская область", kind=TerritoryKind.REGION, lat=51.5, lon=46.0)
    west = make_territory(
        "Заречный район", kind=TerritoryKind.DISTRICT, parent=region, geometry=square(45.0, 51.0, 0.5)
    )
    east = make_territory(
        "Нагорный район", kind=TerritoryKind.DISTRICT, parent=region, geometry=square(46.5, 51.5, 0.5)
    )
    zarechye = make_territory("Заречье", kind=TerritoryKind.SETTLEMENT, parent=west, lat=51.05, lon=45.04)
    lugovoe = make_territory("Луговое", kind=TerritoryKind.SETTLEMENT, parent=west, lat=51.3, lon=45.3)
    nagorny = make_territory("Нагорный", kind=TerritoryKind.SETTLEMENT, parent=east, lat=51.55, lon=46.54)
    path = tmp_path / "addresses.csv"
    path.write_text(ADDRESSES, encoding="utf-8")
    report = import_addresses(path, region)
    assert len(report.created) == 7
    return locals()


@pytest.mark.parametrize(
    ("text", "town", "point"),
    [
        ("Нагорный, ул. Ленина, 9 — не вывозят мусор", "nagorny", (51.56, 46.56)),
        ("Яма у дома ул. Ленина, 5 в Заречье", "zarechye", (51.05, 45.05)),
        ("с. Луговое, ул. Ленина, д. 5: нет воды", "lugovoe", (51.30, 45.30)),
        ("Заречье, ул. Садовая 3, подъезд не убирают", "zarechye", (51.04, 45.02)),  # one such street
        # the house before the street, or after it with a preposition
        ("Провал асфальта возле дома 7 на ул. Ленина, в Заречье", "zarechye", (51.06, 45.06)),
        ("Во дворе дома 9 по ул. Ленина в Нагорном нет освещения", "nagorny", (51.56, 46.56)),
        ("Прорыв трубы на ул. Ленина возле дома 5, с. Луговое", "lugovoe", (51.30, 45.30)),
        ("Луговое: в доме 5 на улице Ленина нет света", "lugovoe", (51.30, 45.30)),
    ],
)
def test_a_street_of_many_towns_is_the_one_in_the_town_named(
    towns: dict, text: str, town: str, point: tuple[float, float]
) -> None:
    place = locate(text, gazetteer=get_gazetteer())
    assert place.territory == towns[town], (text, place)
    assert (place.lat, place.lon) == point
    assert place.precision == "building" and place.settlement == towns[town].name
    assert place.address.startswith("ул. ") and place.address.endswith(("5", "7", "9", "3"))


def test_a_number_only_another_towns_street_has_is_the_nearest_house_of_the_named_towns(towns: dict) -> None:
    """ "ул. Ленина, 9 в Заречье": Нагорный's ул. Ленина has a 9, Заречье's only a 7 — the case is
    Заречье's, at the nearest house of its street, not at Нагорный's building."""
    place = locate("Течёт крыша, ул. Ленина, 9 в Заречье", gazetteer=get_gazetteer())
    assert place.territory == towns["zarechye"]
    assert (place.lat, place.lon, place.precision) == (51.06, 45.06, "house")


@pytest.mark.usefixtures("towns")
def test_without_a_town_named_a_shared_street_gives_no_point_but_a_single_one_does() -> None:
    shared = locate("ул. Ленина, 5 — течёт крыша", gazetteer=get_gazetteer())
    assert shared.lat is None and shared.precision == "none", shared
    single = locate("ул. Мира, 2 — течёт крыша", gazetteer=get_gazetteer())
    assert (single.lat, single.lon, single.precision) == (51.57, 46.52, "building")
    assert single.territory is not None and single.territory.name == "Нагорный район"


def test_a_named_town_elsewhere_keeps_the_town_and_not_another_towns_street(towns: dict) -> None:
    """ "в Луговом на ул. Садовой, 3": Луговое has no such street; Заречье's (same district) is
    another settlement's street — the case stays at Луговое's point, not at Заречье's building."""
    place = locate("в Луговом на ул. Садовая, 3 сломана лавка", gazetteer=get_gazetteer())
    assert place.territory == towns["lugovoe"]
    assert (place.lat, place.lon) == (51.3, 45.3) and place.precision == TerritoryKind.SETTLEMENT


@pytest.mark.usefixtures("towns")
def test_a_street_name_asked_again_finds_what_it_found_the_first_time() -> None:
    """The registry keeps each (streets, house number, корпус) answer: the same street name asked
    again — another house, another town, the same house at another place in the text — finds exactly
    what a registry asked for the first time finds, building or neighbour's house alike."""
    texts = [
        "Нагорный, ул. Ленина, 9 — не вывозят мусор",
        "Течёт крыша, ул. Ленина, 9 в Заречье",  # 9 is Нагорный's; Заречье's nearest is 7
        "Яма у дома ул. Ленина, 5 в Заречье",
        "Во дворе дома 9 по ул. Ленина в Нагорном нет освещения",
        "Заречье: ул. Ленина, 5 корпус 2, нет света",  # another корпус: another answer
        "ул. Ленина, 5 — течёт крыша",
        "с. Луговое, ул. Ленина, д. 7: нет воды",
    ]
    gazetteer = get_gazetteer()
    registry = gazetteer.registry
    assert registry is not None
    first = []
    for text in texts:
        registry._street_buildings_seen.clear()
        first.append(locate(text, gazetteer=gazetteer))
    again = [locate(text, gazetteer=gazetteer) for text in texts + texts]
    assert again == first + first
    assert registry._street_buildings_seen  # (the second round was answered from them)
    assert [(p.lat, p.lon, p.precision) for p in first[:3]] == [
        (51.56, 46.56, "building"),
        (51.06, 45.06, "house"),
        (51.05, 45.05, "building"),
    ]
