"""Urgency kinds added for real ЦУР situations, and the tone of a message."""

from __future__ import annotations

from datetime import datetime

import pytest

from otklik.understanding import urgency
from otklik.understanding.urgency import UrgencyKind, assess_tone

SUMMER = datetime(2026, 7, 15, 12, 0)
WINTER = datetime(2026, 1, 15, 12, 0)


def test_no_water_in_a_home_now_is_urgent_whatever_the_season() -> None:
    # An outage now (annotation guide: a utility emergency); the summer heat is no longer required.
    text = "Третий день нет воды в жару, дети и старики без воды"
    assert urgency.assess(text, now=SUMMER).kinds == [UrgencyKind.NO_WATER]
    assert urgency.assess("Третий день нет воды", now=WINTER).kinds == [UrgencyKind.NO_WATER]


def test_weak_pressure_and_planned_hot_water_outages_are_not_urgent() -> None:
    assert not urgency.assess("Слабый напор воды, на пятый этаж не доходит", now=SUMMER).is_urgent
    assert not urgency.assess("Нет горячей воды, должны включить 5 июля по графику", now=SUMMER).is_urgent


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("С крыши свисают сосульки над входом в подъезд", UrgencyKind.ICE),
        ("Стая собак кидается на людей у школы", UrgencyKind.DOGS),
        ("Соседу плохо, скорая не едет уже час", UrgencyKind.HEALTH),
        ("Сосед угрожал убийством и размахивает ножом", UrgencyKind.THREAT),
        ("Ребёнку не выдают инсулин второй месяц", UrgencyKind.HEALTH),
    ],
)
def test_new_emergency_kinds(text: str, kind: str) -> None:
    result = urgency.assess(text, now=SUMMER)
    assert result.is_urgent and kind in result.kinds, result


def test_obscenity_and_insults_are_flagged_with_their_words() -> None:
    tone = assess_tone("Да пошли вы нах*й, бл*дь, уроды, сколько можно ждать")
    assert tone.is_obscene and tone.is_aggressive
    assert tone.flags == ["obscene", "aggressive"]
    assert "уроды" in tone.terms


def test_shouting_in_capitals_is_a_tone_not_an_urgency() -> None:
    result = urgency.assess("ВЫ ВООБЩЕ СОБИРАЕТЕСЬ ЧТО-ТО ДЕЛАТЬ С ЭТОЙ ДОРОГОЙ", now=SUMMER)
    assert not result.is_urgent
    assert result.tone.flags == ["shouting"]


@pytest.mark.parametrize(
    "text",
    [
        "Хулиганы разбили окно в подъезде",
        "Употреблять воду из-под крана нельзя, небо затянуто дымом с полигона",
        "На рынке продают сукно и хурму, а блюдо из столовой несвежее",
    ],
)
def test_ordinary_words_with_rude_looking_parts_are_not_obscene(text: str) -> None:
    assert assess_tone(text).flags == []
