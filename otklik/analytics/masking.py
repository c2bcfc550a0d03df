"""Mask residents' personal data in texts that leave the operator UI (summaries, exports).

Emails, phone numbers, flat numbers and people's names (full names with a patronymic, surnames
with initials, and a first name next to a surname as the morphology dictionary knows them) are
replaced by neutral placeholders. Street names stay: the place is what a summary is about.
"""

from __future__ import annotations

import re
from functools import lru_cache

from otklik.understanding.text import morph

EMAIL = "[email]"
PHONE = "[телефон]"
NAME = "[ФИО]"
FLAT = "кв. [*]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"(?<![\w+])(?:\+7|8|7)?[\s\-]?\(?\d{3,4}\)?[\s\-]?\d{2,3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)")
_PHONE_LABELLED = re.compile(
    r"\b(тел\.?|телефон[ауе]?|номер)(\s*:?\s*)\+?[\d(][\d\-\s()]{4,}\d", re.IGNORECASE
)
_FLAT = re.compile(r"\b(?:кв\.?|квартир[аеуыой]{1,2})\s*№?\s*\d+[а-яА-Я]?", re.IGNORECASE)
_UP = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:ович|евич|ьич|ична|инична|овна|евна)(?:[аеуы]|ем|ой|ом)?"
# Surname Name Patronymic, or Name Patronymic Surname, or Name Patronymic.
_FULL = re.compile(rf"\b(?:{_UP}\s+)?{_UP}\s+{_PATRONYMIC}(?:\s+{_UP})?\b")
# Иванов И.П. / Иванов И. П. / И.П. Иванов
_INITIALS = re.compile(rf"\b{_UP}\s+[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?|\b[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?\s?{_UP}\b")
_PAIR = re.compile(rf"\b({_UP})\s+({_UP})\b")


@lru_cache(maxsize=50_000)
def _grammemes(word: str) -> frozenset[str]:
    tags: set[str] = set()
    for parse in morph().parse(word)[:3]:
        if parse.score >= 0.1:
            tags |= {str(g) for g in parse.tag.grammemes}
    return frozenset(tags)


def _is_name_pair(first: str, second: str) -> bool:
    a, b = _grammemes(first), _grammemes(second)
    return ("Name" in a and "Surn" in b) or ("Surn" in a and "Name" in b)


def mask_personal_data(text: str) -> str:
    """``text`` with emails, phones, flat numbers and people's names replaced by placeholders."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _FLAT.sub(FLAT, text)
    text = _PHONE_LABELLED.sub(lambda m: f"{m.group(1)}{m.group(2)}{PHONE}", text)
    text = _PHONE.sub(lambda m: PHONE if sum(ch.isdigit() for ch in m.group()) >= 10 else m.group(), text)
    text = _FULL.sub(NAME, text)
    text = _INITIALS.sub(NAME, text)
    return _PAIR.sub(lambda m: NAME if _is_name_pair(m.group(1), m.group(2)) else m.group(), text)
