"""A case's title is the first sentence that says something: the queue must be readable at a glance."""

import pytest

from otklik.intake.pipeline.titles import make_title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Здравствуйте. Третий день нет воды в доме на ул. Ленина, д. 5. Сколько можно?",
            "Третий день нет воды в доме на ул. Ленина, д. 5.",
        ),
        ("Почему в доме ул. Орджоникидзе, 109 нет света?", "Почему в доме ул. Орджоникидзе, 109 нет света?"),
        ("Администрация, ау! Яма на дороге у школы.", "Яма на дороге у школы."),
        ("СРОЧНО! Запах газа в подъезде", "Запах газа в подъезде"),
        ("Доброе утро.", "Доброе утро."),
    ],
)
def test_title_skips_greetings_and_keeps_abbreviations(text, title):
    assert make_title(text) == title


def test_long_title_is_cut_at_a_word():
    title = make_title("Очень " * 40 + "длинное сообщение")
    assert title.endswith("…") and len(title) <= 120 and not title[:-1].endswith(" ")
