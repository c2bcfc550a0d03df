"""Street words and house numbers: the pure part of the address registry (no ORM).

* **Street types.** Every way a street type is written ("улица", "ул", "улице", "пр.", "проспекте",
  "пр-т", "наб.", "набережной" …) folds to one canonical abbreviation ("ул.", "пр-т", "наб." …);
  "пр" is a prospect or a passage ("пр-т" or "пр-д").
* **Name keys.** A street's name is keyed by the lemmas of its words ("Ломоносова" → "ломоносов",
  "Малодетскосельском" → "малодетскосельский", "2-я" → "2"), so any case form in a text finds it.
* **Registry addresses.** :func:`parse_registry_address` reads the official form of a building's
  address ("г.Санкт-Петербург, Малодетскосельский проспект, дом 25/12, корпус 2, литера А",
  "пос. Парголово, ул. Николая Рубцова, д. 3, стр. 1").
* **Houses in a text.** :func:`house_after` reads "5", "д. 5", "дом 25/12", "120 к2", "15а",
  "15 лит. Б" right after a street's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..text import fold, word_readings

# canonical type → the words (folded, without the dot) that write it
STREET_TYPES: dict[str, tuple[str, ...]] = {
    "ул.": ("улица", "улицы", "улице", "улицу", "улицей", "ул"),
    "пр-т": (
        "проспект",
        "проспекта",
        "проспекту",
        "проспектом",
        "проспекте",
        "пр-т",
        "пр-кт",
        "просп",
        "пркт",
    ),
    "пер.": ("переулок", "переулка", "переулку", "переулком", "переулке", "пер"),
    "наб.": ("набережная", "набережной", "набережную", "наб"),
    "ш.": ("шоссе", "ш"),
    "пл.": ("площадь", "площади", "площадью", "пл"),
    "б-р": ("бульвар", "бульвара", "бульвару", "бульваром", "бульваре", "б-р", "бул"),
    "пр-д": ("проезд", "проезда", "проезду", "проездом", "проезде", "пр-д"),
    "ал.": ("аллея", "аллеи", "аллее", "аллею", "аллеей", "ал"),
    "линия": ("линия", "линии", "линию", "линией", "лин"),
    "дор.": ("дорога", "дороги", "дороге", "дорогу", "дорогой", "дор"),
    "туп.": ("тупик", "тупика", "тупике", "туп"),
    "мкр": ("микрорайон", "микрорайона", "микрорайоне", "мкр", "мкрн"),
    "тракт": ("тракт", "тракта", "тракте"),
    "спуск": ("спуск", "спуска", "спуске"),
    "мост": ("мост", "моста", "мосту", "мосте"),
}
TYPE_OF: dict[str, frozenset[str]] = {}
for _canonical, _forms in STREET_TYPES.items():
    for _form in _forms:
        TYPE_OF[_form] = TYPE_OF.get(_form, frozenset()) | {_canonical}
TYPE_OF["пр"] = frozenset({"пр-т", "пр-д"})  # "пр." is a prospect or a passage
# types a registry writes in full only when they come first ("Малодетскосельский проспект")
_SETTLEMENT_WORDS = re.compile(
    r"^(?:г\.?|город|гор\.|пос[её]лок|пос\.|п\.|пгт\.?|село|с\.|деревня|дер\.|посёлок городского типа)"
    r"(?:\s+|(?<=\.))(?P<name>[^\d,]+)$",
    re.IGNORECASE,
)
_PART = {
    "house": re.compile(r"^(?:дом|д\.?)\s*(?P<v>\d[\w/\-]*)$", re.IGNORECASE),
    "korpus": re.compile(r"^(?:корпус|корп\.?|к\.?)\s*(?P<v>[\w\-]+)$", re.IGNORECASE),
    "litera": re.compile(r"^(?:литера|литер|лит\.?)\s*(?P<v>[А-Яа-яЁёA-Za-z])$", re.IGNORECASE),
    "stroenie": re.compile(r"^(?:строение|стр\.?)\s*(?P<v>[\w\-]+)$", re.IGNORECASE),
}
_WORDS = re.compile(r"[\w]+(?:-[\w]+)*")
_ORDINAL = re.compile(r"^(\d{1,3})(?:-?(?:я|й|ая|ый|ий|ой|го|е|ое))?$")


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """A name word's key: its most likely lemma, folded; an ordinal ("2-я", "5-й") its number."""
    folded = fold(word)
    ordinal = _ORDINAL.match(folded)
    if ordinal:
        return ordinal.group(1)
    return word_readings(folded)[0]


def name_key(name: str) -> str:
    """ "реки Фонтанки" → "река фонтанка"; "2-я Советская" → "2 советский"."""
    return " ".join(lemma(w) for w in _WORDS.findall(name))


def split_street(text: str) -> tuple[str, str] | None:
    """ "Малодетскосельский проспект" → ("пр-т", "Малодетскосельский"); "ул. Ленина" → ("ул.",
    "Ленина"); "набережная реки Фонтанки" → ("наб.", "реки Фонтанки"); None without a type word."""
    words = text.replace("ё", "е").replace("Ё", "Е").split()
    if not words:
        return None
    for at in (0, len(words) - 1):
        word = fold(words[at]).rstrip(".")
        kinds = TYPE_OF.get(word)
        if kinds and len(words) > 1:
            rest = words[1:] if at == 0 else words[:-1]
            kind = sorted(kinds)[0] if len(kinds) == 1 else "пр-т"
            return kind, " ".join(rest).strip(" ,")
    for at, raw in enumerate(words):  # "Васильевского острова 5-я линия": a type word inside
        kinds = TYPE_OF.get(fold(raw).rstrip("."))
        if kinds and 0 < at < len(words) - 1:
            return sorted(kinds)[0], " ".join(w for i, w in enumerate(words) if i != at)
    return None


@dataclass(frozen=True)
class RegistryAddress:
    settlement: str  # "" where the address names no settlement (or the region's own city)
    kind: str
    street: str
    house: str
    korpus: str = ""
    litera: str = ""
    stroenie: str = ""


def parse_registry_address(text: str, *, city: str = "") -> RegistryAddress | None:
    """The official form of a building's address, parts separated by commas; None when it names no
    street with a type word or no house. ``city``: the region's own city, written as no settlement."""
    settlement, street, values = "", None, {"house": "", "korpus": "", "litera": "", "stroenie": ""}
    for raw in text.split(","):
        part = " ".join(raw.split())
        if not part:
            continue
        found = next(((key, m["v"]) for key, regex in _PART.items() if (m := regex.match(part))), None)
        if found is not None:
            values[found[0]] = found[1]
            continue
        town = _SETTLEMENT_WORDS.match(part)
        if town is not None and street is None:
            settlement = town["name"].strip()
            continue
        if street is None:
            street = split_street(part)
    if street is None or not values["house"]:
        return None
    if city and fold(settlement) == fold(city):
        settlement = ""
    return RegistryAddress(
        settlement,
        street[0],
        street[1],
        **{k: v.upper() if k == "litera" else v.lower() for k, v in values.items()},
    )


# --- a house number after a street's name in a text ------------------------------------------------

_HOUSE = re.compile(
    r"\s*,?\s*(?:(?:дом|д)\.?\s*)?(?P<house>\d{1,4}"
    # a letter (a space apart only at the address's end: "5 в Энгельсе" is a preposition)
    r"(?:[абвгдежАБВГДЕЖ](?![а-яё])|\s[абвгдежАБВГДЕЖ](?![а-яё])(?!\s+[а-яёА-ЯЁ]))?(?:/\d{1,4})?)"
    r"(?![\d.,]\d)(?!\s*(?:год|года|году|годах|гг)(?![а-яё]))"  # "в новом 2021 году": a year
    r"(?:\s*,?\s*(?:корпус|корп\.?|кор\.?|к\.?)\s*(?P<korpus>\d{1,2}))?"
    r"(?:\s*,?\s*(?:литера|литер|лит\.?)\s*(?P<litera>[А-Яа-я])(?![а-яё]))?",
)


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class House:
    number: str  # "25/12", "15а", "120"
    korpus: str = ""
    litera: str = ""
    stop: int = 0  # where it ends in the text

    @property
    def main(self) -> int:
        return int(_DIGITS.match(self.number).group(0))  # type: ignore[union-attr]

    def __str__(self) -> str:
        text = self.number
        if self.korpus:
            text += f" к{self.korpus}"
        if self.litera:
            text += f" лит. {self.litera}"
        return text


def house_after(text: str, at: int) -> House | None:
    """The house number written right after position ``at``: "5", ", д. 5", " 120 к2", " 25/12"."""
    match = _HOUSE.match(text, at)
    if match is None:
        return None
    number = match["house"].replace(" ", "").lower()
    litera = (match["litera"] or "").upper()
    return House(number, match["korpus"] or "", litera, match.end())


def house_main(house: str) -> int | None:
    found = _DIGITS.match(house)
    return int(found.group(0)) if found else None
