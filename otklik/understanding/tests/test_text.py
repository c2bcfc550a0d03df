"""Tokens, lemmas, normalized text and its hash; phrase matching in any word form."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.conf import settings

from otklik.understanding import relevance, urgency
from otklik.understanding.text import (
    PhraseMatcher,
    analyze,
    lemmas,
    mask_links,
    message_tokens,
    normalize_text,
    normalize_tokens,
    razdel_tokens,
    strip_links,
    text_hash,
    tokenize,
    word_tokens,
)


def test_lemmas_fold_case_and_yo_and_skip_links() -> None:
    assert lemmas("В Энгельсе ВСЁ ещё нет горячей воды https://vk.com/wall-1_2") == [
        "в",
        "энгельс",
        "все",
        "еще",
        "нет",
        "горячий",
        "вода",
    ]


def test_normalized_text_ignores_case_punctuation_links_and_mentions() -> None:
    a = "Нет горячей воды!!! Третий день... @cur_saratov https://vk.com/wall-1_2"
    b = "нет  горячей воды, третий день #жкх"
    assert normalize_text(a) == normalize_text(b) == "нет горячей воды третий день"
    assert text_hash(a) == text_hash(b)
    assert len(text_hash(a)) == 40
    assert text_hash("нет холодной воды третий день") != text_hash(a)


def test_keyword_matches_other_word_forms() -> None:
    matcher = PhraseMatcher([("управляющая компания", "uk"), ("яма", "pit"), ("отопление", "heat")])
    found = matcher.find(analyze("Управляющей компанией никто не занимается ямами, отопления тоже нет"))
    assert {p.payload for p in found} == {"uk", "pit", "heat"}


def test_keyword_given_in_an_oblique_form_still_matches() -> None:
    matcher = PhraseMatcher([("ямы на дорогах", "pit")])
    assert [p.payload for p in matcher.find(analyze("Яма на дороге у школы"))] == ["pit"]


def test_phrase_needs_all_its_words_close_together() -> None:
    matcher = PhraseMatcher([("запах газа", "gas")])
    assert matcher.find(analyze("В подъезде газом сильный запах"))
    assert not matcher.find(analyze("Запах из подвала ужасный, а ещё у нас во дворе стоит баллон, в нём газ"))
    assert not matcher.find(analyze("Какой-то запах"))


def test_rare_reading_of_a_word_does_not_match() -> None:
    matcher = PhraseMatcher([("сталь", "steel")])
    assert not matcher.find(analyze("Мы стали жаловаться"))


# --- the fast tokenizer: razdel's word tokens by one regex -----------------------------------------

SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data"


def _texts(tokens: list) -> list[str]:
    return [t.text for t in tokens]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Кое-как залатали яму", ["Кое-как", "залатали", "яму"]),
        ("Автобус Ростов-на-Дону — Саратов", ["Автобус", "Ростов-на-Дону", "Саратов"]),
        ("ул. Ленина, д.15, кв.3", ["ул", "Ленина", "д", "15", "кв", "3"]),
        ("Поликлиника № 3 и школа №12", ["Поликлиника", "3", "и", "школа", "12"]),
        ("дом 15а, корпус 2/1", ["дом", "15", "а", "корпус", "2/1"]),
        ("10-й день, 2-х недель, 1,5 км", ["10-й", "день", "2-х", "недель", "1,5", "км"]),
        ("Ещё нет воды, всё плохо", ["Ещё", "нет", "воды", "всё", "плохо"]),
        ("😀привет всем 👍 спасибо!", ["😀привет", "всем", "спасибо"]),
        ("температура -5, дома 5, 7 и 9", ["температура", "-5", "дома", "5,", "7", "и", "9"]),
        ("кое- как", ["кое-", "как"]),
        ("snake_case и _ одно", ["snake_case", "и", "_", "одно"]),
        ("Саратов—Энгельс", ["Саратов—Энгельс"]),
        ("https://vk.com/wall-1_2", ["https", "vk", "com", "wall-1_2"]),
    ],
)
def test_tokens_are_razdels(text: str, expected: list[str]) -> None:
    assert _texts(tokenize(text)) == expected
    assert tokenize(text) == razdel_tokens(text)
    assert all(text[t.start : t.stop] == t.text for t in tokenize(text))


def test_tokens_fold_yo_and_case() -> None:
    assert [t.folded for t in tokenize("ЁЛКА Зелёная")] == ["елка", "зеленая"]


def test_tokens_match_razdel_on_random_texts_of_tricky_characters() -> None:
    """Letters of both alphabets, digits, every dash, connectors, spaces, emoji and other symbols."""
    alphabet = [
        *"абвёжЗЁЯ",
        *"abcXYZ",
        *"0159",
        *"-–—−‑_.,/\\",
        *"   \n",
        *"😀°ΔσΣіїK²{}()[]«»\"'!?…:;@#№%&*+=<>^`|~$",
        "http://",
        "www.",
        ".ru",
        "Yahoo",
    ]
    rng = random.Random(20261129)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        assert tokenize(text) == razdel_tokens(text), text
        assert _texts(word_tokens(text)) == _texts(razdel_tokens(strip_links(text))), text


@pytest.mark.skipif(not (SHARED_DATA / "kursk_pos_2022").is_dir(), reason="the shared real data is missing")
def test_tokens_match_razdel_on_real_appeals() -> None:
    import csv

    with (SHARED_DATA / "kursk_pos_2022" / "train.csv").open(encoding="utf-8") as fh:
        texts = [row["Текст Сообщения"] for row in csv.DictReader(fh)][:500]
    for text in texts:
        assert tokenize(text) == razdel_tokens(text)
        assert normalize_text(text) == " ".join(t.folded for t in razdel_tokens(strip_links(text)))


def test_links_and_mentions_leave_no_words_and_offsets_stay_those_of_the_text() -> None:
    text = "Смотрите https://vk.com/wall-1_2 и @cur_saratov: #Энгельс ямы на ул. Ленина www.example.ru"
    assert len(mask_links(text)) == len(text)
    tokens = word_tokens(text)
    assert _texts(tokens) == ["Смотрите", "и", "ямы", "на", "ул", "Ленина"]
    assert all(text[t.start : t.stop] == t.text for t in tokens)
    everything, words = message_tokens(text)
    assert everything == tokenize(text) and words == tokens
    assert normalize_tokens(words) == normalize_text(text) == "смотрите и ямы на ул ленина"


def test_a_text_without_links_is_tokenized_once() -> None:
    everything, words = message_tokens("Нет горячей воды третий день")
    assert words is everything


def test_shared_tokens_feed_relevance_and_urgency_as_before() -> None:
    """The pipeline analyzes a message once from its tokens; the verdicts are those of the text."""
    texts = [
        "Нет горячей воды третий день на ул. Ленина, д. 15! https://vk.com/wall-1_2",
        "Скидка 50% только сегодня, пишите в личку +7 900 123-45-67 https://shop.example.ru",
        "Спасибо, с праздником!",
        "Пахнет газом в подъезде дома №3, кое-где искрят провода",
    ]
    for text in texts:
        _, words = message_tokens(text)
        shared = analyze(text, words)
        alone = analyze(text)
        assert _texts(shared.tokens) == _texts(razdel_tokens(strip_links(text)))
        assert shared.readings == alone.readings
        assert relevance.assess(shared) == relevance.assess(text)
        assert urgency.assess(shared, month=1) == urgency.assess(text, month=1)
