"""Personal data of residents never reaches a summary or an export."""

from __future__ import annotations

import pytest

from otklik.analytics.masking import mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Течёт крыша над кв. 45", "Течёт крыша над кв. [*]"),
        ("квартира 12а без света", "кв. [*] без света"),
        ("Звоните +7 (927) 123-45-67 вечером", "Звоните [телефон] вечером"),
        ("тел. 89271234567", "тел. [телефон]"),
        ("мой телефон: 8(8452)23-45-67", "мой телефон: [телефон]"),
        ("Пишите на ivan.petrov@mail.ru", "Пишите на [email]"),
        ("Иванов Иван Петрович, ул. Ленина, 5", "[ФИО], ул. Ленина, 5"),
        ("Обращается Петрова Анна Сергеевна", "Обращается [ФИО]"),
        ("Жалоба Сидорова А.П. на УК", "Жалоба [ФИО] на УК"),
        ("Мария Кузнецова просит починить лифт", "[ФИО] просит починить лифт"),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Третий день нет горячей воды на ул. Тельмана в Энгельсе, дом 15",
        "Яма на трассе Саратов — Энгельс у поворота на Балаково",
        "На Набережной Леонова не горят фонари, подъезд 2",
        "Автобус 284 не пришёл в 7:40",
    ],
)
def test_places_and_numbers_that_are_not_personal_stay(text: str) -> None:
    assert mask_personal_data(text) == text


def test_empty_text() -> None:
    assert mask_personal_data("") == ""
