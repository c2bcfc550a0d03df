"""The card's "why" in words: machine values of the pipeline's JSON translated, codes as names."""

from __future__ import annotations

import pytest
from django.utils import translation

from otklik.testing.factories import make_category
from otklik.understanding.explain import explain

# the shape the pipeline stores (intake.pipeline.decide._understanding_json)
UNDERSTANDING = {
    "matched_terms": ["горячая вода", "нет горячей воды"],
    "version": "rules-0b21aed35f",
    "decided_by": "rules",
    "threshold": None,
    "scores": {"housing-hot-water": 5.0, "housing": 1.5},
    "urgency": {"kinds": ["no_heating", "child_in_danger"], "terms": ["нет отопления", "ребёнок"]},
    "tone": {"flags": ["aggressive"], "terms": ["безобразие"]},
    "place": {
        "matched": ["ул. Гагарина, 12"],
        "precision": "point",
        "address": "ул. Гагарина, 12",
        "settlement": "",
        "institution": "",
        "source": "street",
        "unresolved": [],
    },
    "relevance": {"verdict": "relevant", "problem_terms": ["нет"]},
    "monitoring": {
        "queries": [{"id": "q1", "name": "Отопление", "terms": [], "found": [], "categories": []}]
    },
}


@pytest.mark.django_db
def test_the_why_reads_in_russian_with_category_names() -> None:
    make_category("Горячая вода", code="housing-hot-water")
    make_category("ЖКХ", code="housing")
    with translation.override("ru"):
        shown = dict(explain(UNDERSTANDING))
    assert shown["Оценки категорий"] == ["Горячая вода: 5", "ЖКХ: 1.5"]  # rule weights, best first
    assert shown["Кто решил"] == ["правила"]
    assert shown["Признаки срочности"] == [
        "признаки: нет отопления в холодный сезон, ребёнок в опасности",
        "слова: нет отопления, ребёнок",
    ]
    assert "признаки: агрессия" in shown["Тон"]
    place = next(values for label, values in shown.items() if "ул. Гагарина, 12" in " ".join(values))
    assert "точность: точка (здание)" in place and "способ: по улице" in place
    assert "адрес: ул. Гагарина, 12" in place
    assert not any(v.startswith("населённый пункт") for v in place)  # empty parts are left out
    assert shown["Релевантность"][0] == "вывод: проблема жителя"
    assert shown["Запросы мониторинга"] == ["Отопление"]
    # matched terms and the version are shown apart, not in the list
    assert not any("rules-0b21aed35f" in " ".join(v) for v in shown.values())


@pytest.mark.django_db
def test_a_models_scores_read_as_percentages_and_unknown_codes_stay_visible() -> None:
    make_category("Дороги", code="roads")
    data = {"decided_by": "model", "threshold": 0.62, "scores": {"roads": 0.91, "gone": 0.05}}
    with translation.override("en"):
        shown = dict(explain(data))
    assert shown["Category scores"] == ["Дороги: 91%", "gone: 5%"]
    assert shown["Decided by"] == ["learned model"] and shown["Confidence threshold"] == ["62%"]
