"""A case no routing rule covers gets, as a suggestion, the agency most of the latest routed cases of
its category went to (``understanding.routing_practice``); it still goes to moderation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.directory.models import Category
from otklik.intake.pipeline import run_batch
from otklik.testing.factories import make_agency, make_case, make_user
from otklik.understanding.agency_model import routing_examples, train_agency_model

from .conftest import NOW

pytestmark = pytest.mark.django_db

BUS = {
    "source": "vk-engels",
    "external_id": "bus-1",
    "text": "Автобус 284 опять не пришёл по расписанию, полчаса ждём на остановке, маршрут срывают",
    "posted_at": "2026-03-03T08:10:00+04:00",
}


def _routed(category: Category, agencies: list, start) -> None:
    for i, agency in enumerate(agencies):
        make_case(category=category, agency=agency, created_at=start + timedelta(hours=i), with_message=False)


def test_the_latest_practice_of_the_category_is_suggested_when_no_rule_routes(region, client) -> None:
    transport = Category.objects.get(code="transport")
    city, committee = make_agency("Администрация Энгельса"), make_agency("Комитет по транспорту")
    # the practice changed: the committee took the category's latest cases
    _routed(transport, [city] * 30, NOW - timedelta(days=30))
    _routed(transport, [committee] * 30 + [city] * 10, NOW - timedelta(days=5))

    result = run_batch([BUS], now=NOW)

    case = Case.objects.get(pk=result.case_ids[0])
    assert transport.pk in (case.suggested_category_id, case.suggested_category.parent_id)
    assert case.suggested_agency == committee  # 30 of the latest 40, not the older city practice
    assert case.agency is None and case.status == CaseStatus.MODERATION  # a suggestion, never assigned
    assert case.understanding["routing"] == {"practice": [30, 40]}

    client.force_login(make_user(Role.MODERATOR))  # the card says why, in Russian
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Комитет по транспорту" in page
    assert "Нет правила маршрутизации" in page and "туда — 30 из 40" in page


def test_no_suggestion_without_enough_decisions_or_a_clear_majority(region) -> None:
    transport = Category.objects.get(code="transport")
    city, committee = make_agency("Администрация Энгельса"), make_agency("Комитет по транспорту")
    _routed(transport, [city] * 5, NOW - timedelta(days=5))  # too few decisions

    first = Case.objects.get(pk=run_batch([BUS], now=NOW).case_ids[0])
    assert first.suggested_agency is None and "routing" not in first.understanding

    _routed(transport, [committee] * 6 + [city] * 1, NOW - timedelta(days=2))  # 6 each of 12: no majority
    other_bus = {
        **BUS,
        "external_id": "bus-2",
        "text": "Маршрутка 11 не ходит вечером, водитель пропускает остановку у рынка",
    }
    second = Case.objects.get(pk=run_batch([other_bus], now=NOW).case_ids[0])
    assert second.suggested_agency is None


BUSES = [
    "Автобус не пришёл по расписанию, ждём на остановке больше часа",
    "Маршрутка не ходит вечером, водитель пропускает остановку",
    "В автобусе грязно и холодно, кондуктор грубит пассажирам",
    "Отменили рейс автобуса, людям не на чем доехать до работы",
]
LIGHTS = [
    "Не горят фонари, вечером на улице темно и страшно",
    "Уличное освещение не работает уже месяц",
    "Фонарь мигает всю ночь, лампу никто не меняет",
    "Во дворе нет освещения, дети идут из школы в темноте",
]


def test_the_learned_router_is_asked_first_and_recorded(region, client) -> None:
    transport, lights = make_agency("Комитет по транспорту"), make_agency("Комитет городского хозяйства")
    for i in range(24):
        texts, agency = (BUSES, transport) if i % 2 else (LIGHTS, lights)
        make_case(
            text=f"{texts[i // 2 % 4]}, улица {['Ленина', 'Мира', 'Сакко'][i % 3]}",
            agency=agency,
            created_at=NOW - timedelta(days=30 - i),
            with_message=False,
        )
    model = train_agency_model(routing_examples(), source="test")

    case = Case.objects.get(pk=run_batch([BUS], now=NOW).case_ids[0])

    assert case.suggested_agency == transport  # no rule, no category practice: the model's choice
    assert case.agency is None and case.status == CaseStatus.MODERATION
    routing = case.understanding["routing"]
    assert routing["model"] == model.version and 0.5 <= routing["confidence"] <= 1.0
    client.force_login(make_user(Role.MODERATOR))
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'data-testid="agency-by-model"' in page
    assert model.version not in page  # an internal id: in the case's data, not on the card
