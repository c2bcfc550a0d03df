"""Monitoring queries: the language, Russian word forms, the compiled scanner and the pipeline's use of it."""

from __future__ import annotations

import pytest
from django.utils import translation

from otklik.cases.models import Case
from otklik.directory.models import Category
from otklik.intake import monitoring
from otklik.intake.admin_monitoring import MonitoringQueryForm
from otklik.intake.models import Message, MonitoringQuery
from otklik.intake.monitoring import QuerySyntaxError, Scanner, compile_query, parse
from otklik.intake.pipeline import run_batch

from .conftest import NOW

WATER_QUERY = "(нет | отключили) & (вода | отопление) & !реклама"


def scan(query: str, text: str) -> bool:
    return bool(Scanner([compile_query(query)]).scan(text))


@pytest.mark.parametrize(
    "text",
    [
        "Третий день нет горячей воды на улице Тельмана",
        "В доме 5 отключили отопление, батареи ледяные",
        "Опять отключат воду без предупреждения?",  # another form of the verb
        "ВОДЫ НЕТ уже неделю",
    ],
)
def test_boolean_query_matches_any_word_form(text: str) -> None:
    assert scan(WATER_QUERY, text)


@pytest.mark.parametrize(
    "text",
    [
        "Реклама: нет воды в кулере? Закажите доставку",  # the negated word
        "Вода в реке поднялась",  # no "нет"/"отключить"
        "Нет света в подъезде",  # no water or heating
    ],
)
def test_boolean_query_rejects_posts_it_should_not_match(text: str) -> None:
    assert not scan(WATER_QUERY, text)


def test_phrase_needs_adjacent_words_in_order() -> None:
    assert scan('"горячей воды нет"', "Горячей воды нет с понедельника")
    assert scan('"горячей воды нет"', "горячая вода нет")  # forms of each word
    assert not scan('"горячей воды нет"', "Нет горячей воды")
    assert not scan('"горячей воды нет"', "горячей питьевой воды нет")


def test_proximity_allows_words_between_in_any_order() -> None:
    assert scan('"яма дорога"~3', "огромная яма на нашей дороге")
    assert scan('"яма дорога"~3', "на дороге у дома яма")
    assert not scan('"яма дорога"~1', "огромная яма на нашей дороге")
    assert scan("яма NEAR/2 дорога", "яма на дороге")
    assert not scan("яма NEAR/2 дорога", "яма возле дома, а дорога вообще вся разбита")


def test_exact_form_prefix_and_implicit_and() -> None:
    assert scan("=воды", "нет воды") and not scan("=воды", "нет воду")
    assert scan("отключ* свет", "отключение света на Ленина")
    assert not scan("отключ* свет", "отключение газа")
    assert scan("NOT реклама AND (свет OR газ)", "нет газа")


def test_lemma_is_expanded_to_all_forms_once() -> None:
    forms = monitoring.word_forms("отключили")
    assert {"отключить", "отключат", "отключена", "отключили"} <= set(forms)
    compiled = compile_query("вода")
    assert compile_query("вода", cache=compiled.cache()).forms == compiled.forms
    assert {"воды", "водой", "воду"} <= set(compiled.forms[0])


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("(нет | вода", "parenthesis is not closed"),
        ("нет &", "query ends"),
        ("!реклама", "negations only"),
        ('"яма дорога', "phrase is not closed"),
        ("яма NEAR/3 (дорога | тротуар)", "NEAR/n joins"),
        ("вода )", "closing parenthesis"),
        ("вода # свет", "unexpected character"),
        ("", "empty"),
        ("от*", "at least 3 letters"),
    ],
)
def test_invalid_query_is_a_clear_error(query: str, problem: str) -> None:
    with translation.override("en"), pytest.raises(QuerySyntaxError, match=problem):
        parse(query)


def test_scan_reports_the_terms_and_words_that_matched() -> None:
    scanner = Scanner([compile_query(WATER_QUERY, key=7, name="Вода")])
    [match] = scanner.scan("Третий день нет горячей воды")
    assert (match.key, match.name) == (7, "Вода")
    assert match.terms == ["нет", "вода"] and match.found == ["воды", "нет"]


@pytest.mark.django_db
def test_admin_form_shows_a_syntax_error_and_saves_a_valid_query() -> None:
    form = MonitoringQueryForm(data={"name": "Вода", "query": "(нет | вода", "is_active": True})
    assert not form.is_valid()
    assert "скобка не закрыта" in str(form.errors["query"])
    form = MonitoringQueryForm(data={"name": "Вода", "query": WATER_QUERY, "is_active": True})
    assert form.is_valid(), form.errors
    query = form.save()
    assert query.compiled["text"] == WATER_QUERY and "вода" in query.compiled["forms"]


@pytest.mark.django_db
def test_pipeline_with_active_queries_keeps_only_matching_posts_and_records_the_match(region) -> None:
    query = MonitoringQuery.objects.create(name="Вода и тепло", query=WATER_QUERY)
    query.categories.add(Category.objects.get(code="housing"))
    base = {"source": "vk-engels", "posted_at": "2026-03-02T09:15:00+04:00"}
    items = [
        {**base, "external_id": "1", "text": "Третий день нет горячей воды на улице Тельмана 12 в Энгельсе"},
        {**base, "external_id": "2", "text": "Огромная яма на дороге у остановки, машины бьют колёса"},
        {
            **base,
            "external_id": "3",
            "text": "Реклама! Нет воды? Фильтры со скидкой, звоните +7 927 000-00-00",
        },
    ]
    result = run_batch(items, now=NOW)
    assert (result.created_cases, result.irrelevant) == (1, 2)
    case = Case.objects.get()
    assert case.messages.get().external_id == "1"
    [match] = case.understanding["monitoring"]["queries"]
    assert match["id"] == query.pk and match["name"] == "Вода и тепло"
    assert match["terms"] == ["нет", "вода"] and match["categories"] == ["housing"]
    assert not Message.objects.get(external_id="2").is_relevant

    query.is_active = False
    query.save()
    assert run_batch([{**items[1], "external_id": "2b"}], now=NOW).created_cases == 1
