"""Scheduled retraining: a learned model follows the moderators' newest decisions, once it is old
enough and enough decisions are new; a model trained from a file is left to the operator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.directory.defaults_categories import load_default_categories
from otklik.directory.models import Category
from otklik.testing.factories import make_agency, make_case, make_user
from otklik.understanding.models import ClassifierModel
from otklik.understanding.retraining import Retrained, retrain_if_due

pytestmark = pytest.mark.django_db

HOT_WATER = [
    "Нет горячей воды третий день в доме {n}",
    "Отключили горячую воду в подъезде дома {n}, когда дадут",
    "Из крана идёт холодная вода вместо горячей, дом {n}",
]
POTHOLES = [
    "Огромная яма на дороге у дома {n}, машины бьют колёса",
    "Разбитый асфальт на проезжей части возле дома {n}",
    "Ямы на дороге после зимы у остановки, дом {n}",
]


@pytest.fixture
def decided(settings) -> dict:
    """Moderators' decisions on 24 cases: hot water to the housing body, potholes to the roads one."""
    settings.OTKLIK_RETRAIN_MIN_NEW = 20
    settings.OTKLIK_RETRAIN_HOURS = 24
    load_default_categories()
    water, roads = Category.objects.get(code="housing-hot-water"), Category.objects.get(code="roads-potholes")
    housing_body, roads_body = make_agency("Управление ЖКХ"), make_agency("Комитет дорожного хозяйства")
    moderator = make_user(Role.MODERATOR)
    start = timezone.now() - timedelta(days=10)
    for n in range(24):
        texts, category, agency = (HOT_WATER, water, housing_body) if n % 2 else (POTHOLES, roads, roads_body)
        case = make_case(text=texts[n % 3].format(n=n), created_at=start + timedelta(hours=n))
        actions.moderate_case(case, moderator, category=category, territory=None, agency=agency)
    return {"water": water, "roads": roads}


def _versions(kind: str) -> list[str]:
    return list(ClassifierModel.objects.filter(kind=kind).values_list("version", flat=True))


def test_models_are_trained_when_enough_decisions_exist_and_not_again_too_soon(decided) -> None:
    now = timezone.now()
    first = retrain_if_due(now)

    assert first.category is not None and first.agency is not None
    assert _versions("category") == [first.category] and _versions("agency") == [first.agency]
    category_row = ClassifierModel.objects.get(version=first.category)
    assert category_row.source == "moderation:24" and category_row.examples == 24

    later = retrain_if_due(now + timedelta(hours=2))  # too soon, and nothing new
    assert (later.category, later.agency) == (None, None)
    nothing_new = retrain_if_due(now + timedelta(days=2))  # old enough, but no new decision
    assert (nothing_new.category, nothing_new.agency) == (None, None)


def test_a_model_trained_from_a_file_is_not_replaced(decided, settings) -> None:
    ClassifierModel.objects.create(
        version="ml-0001-file", kind=ClassifierModel.Kind.CATEGORY, source="appeals.csv:2000", blob=b""
    )
    done = retrain_if_due(timezone.now() + timedelta(days=2))
    assert done.category is None and _versions("category") == ["ml-0001-file"]
    assert done.agency is not None  # the router has its own model


def test_too_few_decisions_train_nothing(decided, settings) -> None:
    settings.OTKLIK_RETRAIN_MIN_NEW = 100
    assert retrain_if_due() == Retrained(category=None, agency=None)
    assert not ClassifierModel.objects.exists()
