"""Territory names: descriptors stripped ("городской округ город Энгельс" → "Энгельс") and every case form."""

from __future__ import annotations

import re
from typing import Any

from otklik.directory.choices import TerritoryKind

from ..text import fold, morph, tokenize

_DESCRIPTOR_PREFIX = re.compile(
    r"^(?:городской округ|муниципальный округ|муниципальный район|муниципальное образование|"
    r"закрытое административно-территориальное образование|зато|город|г\.|г|"
    r"посёлок городского типа|поселок городского типа|пгт\.?|рабочий посёлок|рабочий поселок|р\.\s?п\.|рп\.?|"
    r"посёлок|поселок|пос\.|п\.|село|с\.|деревня|дер\.|д\.|станица|ст-ца|хутор|х\.|слобода|аул)\s+",
    re.IGNORECASE,
)
_DESCRIPTOR_SUFFIX = re.compile(
    r"\s+(?:г\.\s?о\.|г\.о|го|городской округ|муниципальный округ|мо|зато)$", re.IGNORECASE
)
_MUNICIPAL = re.compile(r"\bмуниципальный\s+(район|округ)\b", re.IGNORECASE)
_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "loc2")
_HEAD_ABBREVIATIONS = {
    "район": ("р-н", "р-на", "р-не", "р-ну", "р-ном", "рн", "районе"),
    "область": ("обл",),
    "округ": ("о",),
}
_PROPER_TAGS = ("Geox", "Name", "Surn", "Patr", "Orgn")
_DEPTH = {
    TerritoryKind.REGION: 0,
    TerritoryKind.DISTRICT: 1,
    TerritoryKind.OKRUG: 1,
    TerritoryKind.SETTLEMENT: 2,
}


def clean_name(name: str) -> str:
    """The core of a territory name: "городской округ город Энгельс" → "Энгельс"."""
    value = " ".join(name.replace("ё", "е").replace("Ё", "Е").split())
    value = _MUNICIPAL.sub(r"\1", value)
    for _ in range(4):
        stripped = _DESCRIPTOR_SUFFIX.sub("", _DESCRIPTOR_PREFIX.sub("", value)).strip()
        if stripped == value or not stripped:
            break
        value = stripped
    return value


def _best_parse(word: str) -> Any:
    parses = morph().parse(word)
    return max(parses, key=lambda p: (any(t in p.tag for t in ("Geox",)), "nomn" in p.tag, p.score))


def name_forms(name: str) -> set[tuple[str, ...]]:
    """Every case form of a (cleaned) name as tuples of folded words, words agreeing in case."""
    words = [t.folded for t in tokenize(name)]
    if not words:
        return set()
    parses = [_best_parse(w) for w in words]
    forms: set[tuple[str, ...]] = {tuple(words)}
    for case in _CASES:
        inflected = []
        for word, parse in zip(words, parses, strict=True):
            form = parse.inflect({case}) if parse.tag.POS in ("NOUN", "ADJF", "PRTF", "NUMR") else None
            inflected.append(fold(form.word) if form is not None else word)
        forms.add(tuple(inflected))
    head = _best_parse(words[-1]).normal_form
    for abbreviation in _HEAD_ABBREVIATIONS.get(head, ()):
        forms |= {(*f[:-1], abbreviation) for f in list(forms) if len(f) > 1}
    return forms


def is_common_word(name: str) -> bool:
    """A one-word name that is also an ordinary word ("Светлый"): match it only when capitalized."""
    words = [t.folded for t in tokenize(name)]
    if len(words) != 1:
        return False
    parse = morph().parse(words[0])[0]
    return parse.is_known and not any(t in parse.tag for t in _PROPER_TAGS)
