"""The gazetteer (territory names in any case form), street addresses and point-in-polygon."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_territory
from otklik.understanding.places import (
    Gazetteer,
    extract_address,
    get_gazetteer,
    locate,
    scan_tokens,
    scan_tokens_of,
)
from otklik.understanding.places.data import ExtraSettlement, KnownStreet, extract_institution
from otklik.understanding.text import tokenize

pytestmark = pytest.mark.django_db


def _square(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict:
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def region() -> dict:
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION, lat=51.5, lon=46.0)
    engels_district = make_territory(
        "Энгельсский муниципальный район", parent=oblast, geometry=_square(45.9, 51.3, 46.6, 51.6)
    )
    engels = make_territory(
        "город Энгельс", kind=TerritoryKind.SETTLEMENT, parent=engels_district, lat=51.49, lon=46.12
    )
    balakovo_district = make_territory(
        "Балаковский район", parent=oblast, lat=52.03, lon=47.78, geometry=_square(47.3, 51.8, 48.3, 52.4)
    )
    saratov_okrug = make_territory("городской округ город Саратов", kind=TerritoryKind.OKRUG, parent=oblast)
    saratov = make_territory(
        "Саратов", kind=TerritoryKind.SETTLEMENT, parent=saratov_okrug, lat=51.53, lon=46.03
    )
    svetly = make_territory("ЗАТО Светлый", kind=TerritoryKind.OKRUG, parent=oblast)
    ivanovka_b = make_territory(
        "село Ивановка", kind=TerritoryKind.SETTLEMENT, parent=balakovo_district, population=300
    )
    ivanovka_e = make_territory(
        "село Ивановка", kind=TerritoryKind.SETTLEMENT, parent=engels_district, population=900
    )
    return locals()


def test_settlement_found_in_the_prepositional_case(region) -> None:
    place = locate("В Энгельсе третий день нет горячей воды")
    assert place.territory == region["engels"]
    assert place.territory.parent == region["engels_district"]
    assert place.matched == ["Энгельсе"]
    assert (place.lat, place.lon) == (51.49, 46.12)
    assert place.precision == TerritoryKind.SETTLEMENT


def test_district_found_in_the_genitive_case(region) -> None:
    place = locate("Жители Балаковского района жалуются на дороги")
    assert place.territory == region["balakovo_district"]
    assert place.matched == ["Балаковского района"]


def test_abbreviated_district_and_region_forms(region) -> None:
    assert locate("Энгельсский р-н, село без воды").territory == region["engels_district"]
    assert locate("По всей Саратовской области дороги разбиты").territory == region["oblast"]


def test_settlement_wins_over_its_district_and_region(region) -> None:
    place = locate("Саратовская область, Энгельсский район, в Энгельсе прорыв трубы")
    assert place.territory == region["engels"]


def test_city_named_like_its_okrug_resolves_to_the_settlement(region) -> None:
    assert locate("В Саратове опять пробки").territory == region["saratov"]


def test_street_named_after_a_town_is_an_address_not_a_place(region) -> None:
    place = locate("В Саратове на проспекте Энгельса 12 яма")
    assert place.territory == region["saratov"]
    assert place.address == "пр-т Энгельса, 12"


def test_name_that_is_a_common_word_needs_a_capital(region) -> None:
    assert locate("В подъезде светлый ремонт, но нет воды").territory is None
    assert locate("В Светлом нет воды").territory == region["svetly"]


def test_ambiguous_settlement_resolved_by_the_district_in_the_text(region) -> None:
    assert locate("Балаковский район, в Ивановке нет света").territory == region["ivanovka_b"]
    assert locate("В Ивановке нет света").territory == region["ivanovka_e"]  # the bigger one


def test_coordinates_place_the_message_by_polygon(region) -> None:
    place = locate("Яма на дороге", lat=52.0, lon=47.7)
    assert place.territory == region["balakovo_district"]
    assert (place.lat, place.lon, place.precision) == (52.0, 47.7, "point")


def test_text_settlement_inside_the_point_district_is_kept(region) -> None:
    assert locate("В Энгельсе яма", lat=51.45, lon=46.1).territory == region["engels"]
    assert locate("В Энгельсе яма", lat=52.0, lon=47.7).territory == region["balakovo_district"]


def test_gazetteer_is_rebuilt_when_territories_change(region) -> None:
    first = get_gazetteer()
    assert locate("В Марксе нет воды").territory is None
    marks = make_territory("город Маркс", kind=TerritoryKind.SETTLEMENT, parent=region["oblast"])
    assert get_gazetteer() is not first
    assert locate("В Марксе нет воды").territory == marks
    assert get_gazetteer(recheck=True) is get_gazetteer()


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Возле дома ул. Ленина, 15 течёт труба", "ул. Ленина, 15"),
        ("На улице Чернышевского не горят фонари", "ул. Чернышевского"),
        ("пр-т Строителей 3, во дворе яма", "пр-т Строителей, 3"),
        ("На Садовой улице прорыв", "ул. Садовая"),
        ("улица 50 лет ВЛКСМ 4Б, нет воды", "ул. 50 лет ВЛКСМ, 4Б"),
        ("в доме по ул Энтузиастов д. 7к2 течёт крыша", "ул. Энтузиастов, 7к2"),
        ("в переулке Камерном 47 темно", "пер. Камерный, 47"),
        ("на улице Садовой у дома 5 яма", "ул. Садовая"),
        ("переулок Горького, 3", "пер. Горького, 3"),
        ("по улице Чернышевского 10 течёт", "ул. Чернышевского, 10"),
    ],
)
def test_street_address_extracted_and_normalized(text: str, address: str) -> None:
    found = extract_address(text)
    assert found is not None and found.text == address


def test_no_address_in_a_text_without_a_street() -> None:
    assert extract_address("Во дворе дома нет освещения, улица тёмная") is None


# --- extras, streets, institutions, NER, real data -----------------------------------------------


def _gazetteer(**kwargs) -> Gazetteer:
    from otklik.directory.models import Territory

    return Gazetteer(list(Territory.objects.order_by("pk")), "test", **kwargs)


def test_extra_settlement_places_the_message_in_its_municipality(region) -> None:
    gazetteer = _gazetteer(
        extras=[ExtraSettlement("Саратовская область", "Энгельсский муниципальный район", "Шумейка")],
        streets=[],
    )
    place = locate("В Шумейке третий день нет света", gazetteer=gazetteer)
    assert place.territory == region["engels_district"]
    assert place.settlement == "Шумейка"
    assert place.matched == ["Шумейке"]


def test_extra_settlement_of_an_unknown_region_is_ignored(region) -> None:
    gazetteer = _gazetteer(
        extras=[ExtraSettlement("Курская область", "Беловский район", "Шумейка")], streets=[]
    )
    assert locate("В Шумейке нет света", gazetteer=gazetteer).territory is None


def test_known_street_places_a_text_that_names_no_territory(region) -> None:
    streets = [KnownStreet("Саратовская область", "городской округ город Саратов", "ул. Чернышевского")]
    gazetteer = _gazetteer(extras=[], streets=streets)
    place = locate("На улице Чернышевского 10 течёт труба", gazetteer=gazetteer)
    assert place.territory == region["saratov_okrug"]
    assert place.source == "street"
    assert place.settlement == ""  # the street places it; no settlement was named
    assert locate("На улице Садовой течёт труба", gazetteer=gazetteer).territory is None


def test_a_named_territory_beats_a_known_street(region) -> None:
    streets = [KnownStreet("Саратовская область", "городской округ город Саратов", "ул. Чернышевского")]
    gazetteer = _gazetteer(extras=[], streets=streets)
    assert locate("В Энгельсе на улице Чернышевского яма", gazetteer=gazetteer).territory == region["engels"]


def test_the_municipality_named_more_often_wins_and_an_explicit_district_breaks_a_tie(region) -> None:
    assert (
        locate("Энгельс: живу в Балаковском районе, в Балаковском районе нет дорог").territory
        == (region["balakovo_district"])
    )
    assert (
        locate("Еду из Энгельса в Балаковский район, там нет дорог").territory == region["balakovo_district"]
    )


@pytest.mark.parametrize(
    ("text", "institution"),
    [
        ("В поликлинике №3 нет талонов к терапевту", "поликлиника № 3"),
        ("У школы № 12 яма на дороге", "школа № 12"),
        ("Детский сад №5 закрыли на карантин", "детский сад № 5"),
        ("В МБДОУ №5 мне пояснили", "детский сад № 5"),
        ("в детской поликлинике 2 очередь", "детская поликлиника № 2"),
        ("В ЦРБ нет хирурга", "ЦРБ"),
        ("Гимназия 44 без отопления", "гимназия № 44"),
    ],
)
def test_named_institutions_are_extracted(text: str, institution: str) -> None:
    found = extract_institution(text)
    assert found is not None and found.text == institution


def test_no_institution_in_an_ordinary_complaint() -> None:
    assert extract_institution("Во дворе дома 5 не вывозят мусор третий день") is None


def test_ner_reports_a_place_name_the_gazetteer_does_not_know(region) -> None:
    place = locate(
        "Жители деревни Большие Угоны сидят без света",
        gazetteer=_gazetteer(extras=[], streets=[]),
        use_ner=True,
    )
    assert place.territory is None
    assert place.is_ambiguous
    assert "Большие Угоны" in place.unresolved


def test_ner_finds_a_known_street_written_without_a_house(region) -> None:
    streets = [KnownStreet("Саратовская область", "городской округ город Саратов", "ул. Сумская")]
    gazetteer = _gazetteer(extras=[], streets=streets)
    assert locate("Провал асфальта на Сумской возле остановки", gazetteer=gazetteer).territory is None
    place = locate("Провал асфальта на Сумской возле остановки", gazetteer=gazetteer, use_ner=True)
    assert place.territory == region["saratov_okrug"]
    assert place.source == "ner"


SHARED = Path(settings.BASE_DIR).parent / "shared" / "data"


@pytest.mark.skipif(
    not (SHARED / "kursk_pos_2022").exists(), reason="../shared/data (Kursk appeals) is absent"
)
def test_districts_found_in_real_kursk_appeals_match_the_executor() -> None:
    from otklik.understanding.places import evaluation as ev

    region_row = ev.load_kursk()
    gazetteer = ev.region_gazetteer(region_row)
    score, _rate = ev.evaluate_by_executor(ev.read_rows("test"), gazetteer)
    assert score.rows > 500  # hundreds of appeals routed to a district or town administration
    assert score.precision >= 0.9
    assert score.recall >= 0.3
    annotated = ev.evaluate_annotations(ev.read_annotations(), ev.read_rows("test"), gazetteer)
    assert annotated[0].rows >= 10 and annotated[0].precision >= 0.8


# --- the message's tokens, made once by the pipeline, feed the gazetteer --------------------------


_TOKEN_TEXTS = [
    "Саратов—Энгельс: автобус не пришёл",
    "😀Балаково! дом 52а, кв.3",
    "кое-как отремонтировали, 1,5 км дороги; кое- где ямы",
    "a_-b Ростов-на-Дону -5 --- Энгельс2",
    "#Энгельс @cur_saratov https://vk.com/wall-1_2 саратов.рф",
]


@pytest.mark.parametrize("text", _TOKEN_TEXTS)
def test_gazetteer_words_from_the_message_tokens_are_the_same(text: str) -> None:
    assert scan_tokens_of(text, tokenize(text)) == scan_tokens(text)


@pytest.mark.parametrize(
    "text",
    [
        "В Энгельсе на ул. Ленина, д. 15 нет воды #Энгельс",
        "Балаковский р-н, село Ивановка: в поликлинике № 3 нет врача",
        "Саратов—Энгельс: автобус не пришёл, https://vk.com/wall-1_2",
        "Зато в Светлом тихо, а светлый день прошёл",
    ],
)
def test_a_place_from_the_message_tokens_is_the_same(region, text: str) -> None:
    assert locate(text, tokens=tokenize(text)) == locate(text)
