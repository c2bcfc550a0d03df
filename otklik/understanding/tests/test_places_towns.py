"""A town and the district around it (Льгов ↔ Льговский район, Курск ↔ Курский район), and towns
named in passing ("из Курска", "трасса Курск — Рыльск")."""

from __future__ import annotations

import pytest

from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_territory
from otklik.understanding.places import get_gazetteer, locate

pytestmark = pytest.mark.django_db


@pytest.fixture
def kursk() -> dict:
    """Like the Kursk region: the towns are urban okrugs beside (not inside) their districts."""
    oblast = make_territory("Курская область", kind=TerritoryKind.REGION, lat=51.67, lon=36.16)
    kursk_district = make_territory("Курский район", parent=oblast, lat=51.74, lon=36.46)
    kursk_town = make_territory("Курск", kind=TerritoryKind.OKRUG, parent=oblast, lat=51.73, lon=36.19)
    lgov_district = make_territory("Льговский район", parent=oblast, lat=51.62, lon=35.13)
    lgov = make_territory("Льгов", kind=TerritoryKind.OKRUG, parent=oblast, lat=51.66, lon=35.26)
    zheleznogorsk = make_territory("Железногорск", kind=TerritoryKind.OKRUG, parent=oblast)
    zheleznogorsk_district = make_territory("Железногорский район", parent=oblast)
    kurchatov = make_territory("Курчатов", kind=TerritoryKind.OKRUG, parent=oblast)
    kurchatov_district = make_territory("Курчатовский район", parent=oblast)
    shchigry = make_territory("Щигры", kind=TerritoryKind.OKRUG, parent=oblast)
    shchigry_district = make_territory("Щигровский район", parent=oblast)
    return locals()


def test_towns_and_the_districts_named_after_them_are_paired(kursk) -> None:
    twins = get_gazetteer().twins
    for town, district in [
        ("kursk_town", "kursk_district"),
        ("lgov", "lgov_district"),
        ("zheleznogorsk", "zheleznogorsk_district"),
        ("kurchatov", "kurchatov_district"),
        ("shchigry", "shchigry_district"),
    ]:
        assert twins[kursk[town].pk] == kursk[district].pk
    assert len(twins) == 5  # "Курский район" is not the district of Курчатов


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("В Льгове на центральной площади не горят фонари", "lgov"),
        ("г. Льгов, третий день нет воды", "lgov"),
        ("Жители Льговского района жалуются на свалку у дороги", "lgov_district"),
        ("В Курчатовском районе разбита дорога между сёлами", "kurchatov_district"),
        ("В Курчатове разбита дорога у школы", "kurchatov"),
        # near the town is outside it: the district around the town
        ("Под Курском в деревне уже неделю нет света", "kursk_district"),
        ("Свалка за чертой города Курска растёт каждый месяц", "kursk_district"),
        ("В пригороде Льгова не ходит автобус", "lgov_district"),
        ("В пяти км от Железногорска провалился мост", "zheleznogorsk_district"),
        # a route from the town to a village is the district's; a route inside the town is the town's
        ("Автобус Льгов (АС) - д. Моковка опять не пришёл", "lgov_district"),
        ("Маршрутка Льгов (АС) - Льгов 2 ходит раз в час", "lgov"),
        # the writer's own village and a town named beside it: the village is in the district
        ("Для нашей деревни нужен тротуар до вокзала в Щиграх", "shchigry_district"),
    ],
)
def test_town_or_the_district_around_it(kursk, text: str, where: str) -> None:
    assert locate(text).territory == kursk[where]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # before: a tie of one mention each, the first named (Курск) won
        ("Езжу на работу из Курска, а на остановке в Железногорске нет навеса", "zheleznogorsk"),
        ("Если ехать со стороны Курска, в Курчатове первый же перекрёсток без светофора", "kurchatov"),
        ("Табличка «Курск» висит криво, у нас в Льгове так везде", "lgov"),
        ("По трассе Курск — Льгов в Курчатовском районе нет разметки", "kurchatov_district"),
    ],
)
def test_a_town_named_in_passing_gives_way_to_the_place_the_text_is_about(
    kursk, text: str, where: str
) -> None:
    place = locate(text)
    assert place.territory == kursk[where]


def test_a_town_named_only_in_passing_still_places_the_text(kursk) -> None:
    assert locate("Автобус из Курска опять опоздал на сорок минут").territory == kursk["kursk_town"]


def test_a_town_with_the_region_word_is_the_region(kursk) -> None:
    place = locate("Звонили в Курск обл водоканал, воды так и нет")
    assert place.territory == kursk["oblast"]
    assert place.is_ambiguous
