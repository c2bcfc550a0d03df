"""Relevance (problem or spam/advert/greeting/off-topic) and urgency flags."""

from __future__ import annotations

from datetime import datetime

import pytest

from otklik.understanding import relevance, urgency
from otklik.understanding.relevance import Verdict
from otklik.understanding.urgency import UrgencyKind

TOPICS = frozenset({"вода", "дорога", "яма", "отопление", "мусор"})


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (
            "Скидки до 70%! Подписывайтесь на наш канал, ссылка в профиле https://t.me/shop",
            Verdict.ADVERTISING,
        ),
        ("Продам гараж в хорошем состоянии, звоните +7 927 123-45-67", Verdict.ADVERTISING),
        ("Пассивный доход от 100 тысяч, пишите в личку", Verdict.ADVERTISING),
        ("https://vk.com/wall-123_456", Verdict.LINKS_ONLY),
        ("Спасибо большое!", Verdict.GREETING),
        ("Здравствуйте! Поздравляю всех с праздником!", Verdict.GREETING),
        ("Ок", Verdict.TOO_SHORT),
        ("Какая чудесная погода, гуляли с детьми в парке", Verdict.OFF_TOPIC),
    ],
)
def test_not_a_residents_problem(text: str, verdict: str) -> None:
    result = relevance.assess(text, topic_vocabulary=TOPICS)
    assert not result.is_relevant
    assert result.verdict == verdict


@pytest.mark.parametrize(
    "text",
    [
        "Третий день нет горячей воды, когда дадут?",
        "Здравствуйте! На дороге у школы огромная яма, помогите",
        "Мусор во дворе лежит вторую неделю",
        "Почему в доме до сих пор холодно?",
    ],
)
def test_residents_problem_is_relevant(text: str) -> None:
    result = relevance.assess(text, topic_vocabulary=TOPICS)
    assert result.is_relevant, result


def test_a_complaint_mentioning_a_shop_is_not_taken_for_an_advert() -> None:
    text = "В магазине на углу продают просрочку, жаловались уже месяц, никто не разбирается"
    assert relevance.assess(text, topic_vocabulary=TOPICS).is_relevant


WINTER = datetime(2026, 1, 15, 12, 0)
SUMMER = datetime(2026, 7, 15, 12, 0)


def test_gas_smell_is_urgent_with_the_matched_words() -> None:
    result = urgency.assess("В подъезде третьего дома сильно пахнет газом, жильцы боятся", now=SUMMER)
    assert result.is_urgent
    assert result.kinds == [UrgencyKind.GAS]
    assert result.terms == ["пахнет газом"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Пожар в соседнем доме, дым валит", UrgencyKind.FIRE),
        ("Затопило подвал кипятком, прорвало трубу", UrgencyKind.FLOOD),
        ("Дети опять на крыше гаражей, ребёнок может упасть", UrgencyKind.CHILD),
        ("Во дворе оборваны провода и искрят", UrgencyKind.WIRES),
        ("Обрушение балкона на пятом этаже", UrgencyKind.COLLAPSE),
        ("Застряли в лифте с ребёнком, диспетчер не отвечает", UrgencyKind.TRAPPED),
    ],
)
def test_emergencies_are_urgent(text: str, kind: str) -> None:
    result = urgency.assess(text, now=SUMMER)
    assert kind in result.kinds, result


def test_no_heating_is_urgent_only_in_the_cold_season() -> None:
    text = "В квартире нет отопления, батареи холодные"
    assert urgency.assess(text, now=WINTER).kinds == [UrgencyKind.NO_HEATING]
    assert not urgency.assess(text, now=SUMMER).is_urgent


def test_ordinary_complaint_is_not_urgent() -> None:
    result = urgency.assess("Фонари во дворе не горят, котельная плохо топит", now=WINTER)
    assert not result.is_urgent and result.terms == []
