"""Tokens, lemmas, normalized text and its hash; phrase matching in any word form."""

from __future__ import annotations

from otklik.understanding.text import PhraseMatcher, analyze, lemmas, normalize_text, text_hash


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
