"""Street addresses in a text: "ул. Ленина, 15", "на улице Чернышевского", "пр-т Строителей 3"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..text import morph

_STREET_TYPES: list[tuple[str, str]] = [
    (r"улиц[аеуы]|улицей|ул\.?", "ул."),
    (r"проспект(?:ом|[аеу])?|пр-кт|пр-т|просп\.?", "пр-т"),
    (r"переул(?:ок|ке|ка|ку)|пер\.?", "пер."),
    (r"бульвар[аеу]?|б-р|бул\.?", "б-р"),
    (r"проезд[аеу]?|пр-д", "пр-д"),
    (r"шоссе|ш\.", "ш."),
    (r"площад[ьи]|пл\.", "пл."),
    (r"набережн(?:ая|ой|ую)|наб\.?", "наб."),
    (r"микрорайон[аеу]?|мкрн?\.?", "мкр"),
    (r"тракт[аеу]?", "тракт"),
]
_TYPE_ALT = "|".join(f"(?:{pattern})" for pattern, _ in _STREET_TYPES)
_NAME = (
    r"(?:\d{1,3}\s+лет\s+[А-ЯЁ][\wЁё-]*"
    r"|\d{1,2}-?(?:я|й|ая|ый|ий|го)?\s+[А-ЯЁ][а-яё-]+"
    r"|[А-ЯЁ][а-яё-]+(?:\s+[А-ЯЁ][а-яё-]+){0,2})"
)
_HOUSE = (
    r"(?:\s*,?\s*(?:(?:дом|д\.|д)\s*)?"
    r"(?P<house>\d{1,4}(?:[а-яА-Я](?![а-яё]))?(?:\s*(?:/|к\.?|корп\.?\s?)\s*\d{1,3})?)(?!\d))?"
)
_TYPE_FIRST = re.compile(rf"(?<![\w-])(?P<type>(?i:{_TYPE_ALT}))(?![а-яё])\s*(?P<name>{_NAME}){_HOUSE}")
_NAME_FIRST = re.compile(
    r"(?<![\w-])(?P<name>(?:\d{1,2}-?(?:я|й|ая|ый|ий)\s+)?[А-ЯЁ][а-яё]+(?:ая|ой|ую|ий|ый|ом|ого|ее|ем))\s+"
    r"(?P<type>(?i:улиц[аеуы]|улицей|переул(?:ок|ке|ка)|проезд[аеу]?|проспект[аеу]?|шоссе|площад[ьи]"
    rf"|набережн(?:ая|ой|ую)))(?![а-яё]){_HOUSE}"
)
_TYPE_GENDER = {"ул.": "femn", "пл.": "femn", "наб.": "femn", "ш.": "neut"}


@lru_cache(maxsize=100_000)  # pure, and pymorphy3 is slow on a cold word
def _type_abbreviation(raw: str) -> str:
    for pattern, abbreviation in _STREET_TYPES:
        if re.fullmatch(pattern, raw, re.IGNORECASE):
            return abbreviation
    return raw


@lru_cache(maxsize=100_000)  # pure, and pymorphy3 is slow on a cold word
def _nominative_adjective(word: str, gender: str) -> str:
    parse = next((p for p in morph().parse(word.lower()) if p.tag.POS == "ADJF"), None)
    if parse is None:
        return word
    form = parse.inflect({"nomn", "sing", gender})
    return form.word.capitalize() if form is not None else word


@lru_cache(maxsize=100_000)  # pure, and pymorphy3 is slow on a cold word
def _agreeing_name(type_word: str, name: str) -> str:
    """ "в переулке Камерном" → "Камерный": an adjective agreeing with the street type word in case
    and gender is put in the nominative; "улица Чернышевского" (a genitive name) stays as written."""
    words = name.split()
    if len(words) != 1:
        return name
    abbreviation = _type_abbreviation(type_word)
    if "." in type_word or "-" in type_word or type_word.lower() in ("ул", "пер", "пр-т", "б-р"):
        # "ул. Орловской" (a case form after an abbreviation): the name agrees with the full word.
        gender = _TYPE_GENDER.get(abbreviation, "masc")
        for parse in morph().parse(name.lower()):
            if parse.tag.POS == "ADJF" and parse.tag.case != "nomn" and parse.tag.gender == gender:
                form = parse.inflect({"nomn", "sing", gender})
                if form is not None:
                    return form.word.capitalize()
        return name
    # Only an oblique type word shows agreement: "переулок Горького" is nominative + genitive name.
    type_parses = [
        p
        for p in morph().parse(type_word.lower())
        if p.tag.POS == "NOUN" and p.tag.case not in ("nomn", "accs")
    ]
    if not type_parses:
        return name
    for parse in morph().parse(name.lower()):
        if parse.tag.POS != "ADJF" or parse.tag.case == "nomn":
            continue
        for type_parse in type_parses:
            if parse.tag.case == type_parse.tag.case and parse.tag.gender == type_parse.tag.gender:
                form = parse.inflect({"nomn", "sing", type_parse.tag.gender})
                if form is not None:
                    return form.word.capitalize()
    return name


@dataclass(frozen=True)
class Address:
    text: str
    start: int
    stop: int


def extract_address(text: str) -> Address | None:
    """The first street address in the text, normalized ("ул. Ленина, 15"), with its span."""
    found: list[Address] = []
    for match in _TYPE_FIRST.finditer(text):
        name = _agreeing_name(match["type"], match["name"])
        abbreviation = _type_abbreviation(match["type"])
        house = (match["house"] or "").replace(" ", "")
        found.append(
            Address(f"{abbreviation} {name}" + (f", {house}" if house else ""), match.start(), match.end())
        )
        break
    for match in _NAME_FIRST.finditer(text):
        abbreviation = _type_abbreviation(match["type"])
        words = match["name"].split()
        words[-1] = _nominative_adjective(words[-1], _TYPE_GENDER.get(abbreviation, "masc"))
        house = (match["house"] or "").replace(" ", "")
        found.append(
            Address(
                f"{abbreviation} {' '.join(words)}" + (f", {house}" if house else ""),
                match.start(),
                match.end(),
            )
        )
        break
    return min(found, key=lambda a: a.start) if found else None
