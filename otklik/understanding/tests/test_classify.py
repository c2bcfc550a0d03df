"""The rule classifier over the default category tree: real-life complaints in any word form."""

from __future__ import annotations

import pytest

from otklik.directory.defaults_categories import load_default_categories, read_default_categories
from otklik.directory.models import Category
from otklik.testing.factories import make_category
from otklik.understanding.classify import classify, get_classifier

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree() -> None:
    load_default_categories()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Третий день нет горячей воды в доме, управляющая компания не отвечает", "housing-hot-water"),
        ("В квартире холодно, батареи еле тёплые, когда дадут нормальное отопление?", "housing-heating"),
        ("На дороге огромные ямы, разбили колёса, когда отремонтируют дорогу?", "roads-potholes"),
        ("Улицу не чистят от снега уже неделю, гололёд, машины буксуют", "roads-snow"),
        ("Мусорные контейнеры переполнены, мусор не вывозят вторую неделю", "waste-collection"),
        ("Во дворе стая бродячих собак бросается на детей, нужен отлов", "animals-stray-dogs"),
        (
            "Невозможно записаться к врачу, талонов к терапевту нет, в регистратуру не дозвониться",
            "health-appointments",
        ),
        ("Автобус 12 маршрута не ходит по расписанию, ждали на остановке час", "transport-schedule"),
        ("Фонари на улице не горят, вечером идти страшно, темно", "amenities-lighting"),
        ("Опять отключили свет во всём посёлке, без электричества с утра", "energy-power-outage"),
        ("Детский сад не дают, очередь в садик третий год", "education-kindergartens"),
        ("Не работает лифт в подъезде, пожилые люди не могут выйти из дома", "housing-elevators"),
    ],
)
def test_classifier_picks_the_right_category(tree, text: str, expected: str) -> None:
    result = classify(text)
    assert result.category is not None, text
    assert result.category.code == expected, (text, result.category.code, result.matched_terms)
    assert result.matched_terms
    assert 0 < result.confidence <= 1


def test_keywords_match_in_other_word_forms() -> None:
    category = make_category("Отопление", code="heat", keywords="отопление\nгорячая батарея\nтеплотрасса")
    result = classify("Прорыв на теплотрассе, в домах нет отопления, батареи совсем не горячие")
    assert result.category == category
    assert set(result.matched_terms) == {"отопление", "горячая батарея", "теплотрасса"}


def test_phrase_words_may_come_in_another_order_but_not_far_apart() -> None:
    category = make_category("ГВС", code="hw", keywords="нет горячей воды")
    assert classify("Горячей воды в доме опять нет").category == category
    far = "Нет, это не про то: вчера в бане была горячая, как всегда хорошая, чистая вода"
    assert classify(far).category is None


def test_subcategory_scores_add_up_to_their_top_category() -> None:
    roads = make_category("Дороги", code="roads-x", keywords="дорога")
    potholes = make_category("Ямы", code="potholes-x", parent=roads, keywords="яма\nвыбоина")
    make_category("Дворы", code="yards-x", keywords="двор")
    result = classify("Во дворе и на дороге ямы и выбоины")
    assert result.category == potholes
    assert result.scores["roads-x"] > result.scores["yards-x"]


def test_confidence_grows_with_evidence_and_falls_with_a_close_rival() -> None:
    make_category("Вода", code="water-x", keywords="вода\nнет воды\nхолодная вода")
    make_category("Свет", code="light-x", keywords="свет\nнет света")
    lone = classify("вода").confidence
    strong = classify("Нет воды, холодной воды нет с утра").confidence
    tied = classify("Нет воды и нет света").confidence
    assert strong > lone
    assert tied <= 0.5 < strong


def test_no_keyword_means_no_category() -> None:
    make_category("Вода", code="water-y", keywords="вода")
    result = classify("Хорошая погода сегодня")
    assert result.category is None and result.confidence == 0 and result.matched_terms == []


def test_editing_a_category_recompiles_the_rules_and_changes_the_version() -> None:
    category = make_category("Свет", code="light-y", keywords="фонарь")
    first = get_classifier()
    assert classify("Сломан светофор").category is None
    category.keywords = "фонарь\nсветофор"
    category.save()
    second = get_classifier()
    assert second is not first and second.version != first.version
    assert second.version.startswith("rules-")
    assert classify("Сломан светофор").category == category
    assert get_classifier() is second  # unchanged rows: the compiled rules are reused


def test_inactive_category_is_not_suggested() -> None:
    make_category("Свет", code="light-z", keywords="светофор", is_active=False)
    assert classify("Сломан светофор").category is None


def test_default_tree_loads_idempotently_with_keywords() -> None:
    created = load_default_categories()
    tops = read_default_categories()
    assert 18 <= len(tops) <= 24
    assert all(3 <= len(t["children"]) <= 8 for t in tops)
    assert created == Category.objects.count() == len(tops) + sum(len(t["children"]) for t in tops)
    assert load_default_categories() == 0
    heating = Category.objects.get(code="housing-heating")
    assert heating.parent.code == "housing" and "отопление" in heating.keyword_list()


def test_default_tree_load_keeps_admin_edits_unless_asked_to_update() -> None:
    load_default_categories()
    Category.objects.filter(code="housing-heating").update(keywords="только это")
    assert load_default_categories() == 0
    assert Category.objects.get(code="housing-heating").keywords == "только это"
    assert load_default_categories(update=True) == 1
    assert "отопление" in Category.objects.get(code="housing-heating").keyword_list()
