"""Territory names: descriptors stripped ("городской округ город Энгельс" → "Энгельс") and every case form."""

from __future__ import annotations

import re
from typing import Any

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


# An intracity municipality as maps and registries write it: "муниципальный округ Коломна",
# "МО Сенной округ", "внутригородское муниципальное образование Санкт-Петербурга муниципальный
# округ Купчино", "муниципальный округ округ Морской".
_INTRACITY = re.compile(
    r"^(?:внутригородское\s+муниципальное\s+образование\s+(?:города\s+федерального\s+значения\s+)?"
    r"(?:[А-ЯЁ][\w-]+\s+)?)?(?:муниципальный\s+округ|мо)\s+(?:округ\s+)?(?=\S)",
    re.IGNORECASE,
)
_NUMBER_SIGN = re.compile(r"(?:№|\bN|\bNo\.?)\s*(?=\d)")
_NUMBERED = re.compile(r"^№ (\d{1,4})$")


def normalize_spelling(name: str) -> str:
    """ "муниципальный округ  Лиговка - Ямская" → "муниципальный округ Лиговка-Ямская"; "№65", "N 65"
    → "№ 65"; ё → е; spaces collapsed."""
    value = " ".join(name.replace("ё", "е").replace("Ё", "Е").split())
    value = re.sub(r"(?<=\w)\s*[-‐‑–—]\s*(?=\w)", "-", value)
    return _NUMBER_SIGN.sub("№ ", value)


def clean_name(name: str) -> str:
    """The core of a territory name: "городской округ город Энгельс" → "Энгельс", "муниципальный
    округ Коломна" → "Коломна", "муниципальный округ N 7" → "№ 7"."""
    value = normalize_spelling(name)
    intracity = _INTRACITY.sub("", value)
    if intracity != value and intracity.lower() not in ("район", "округ"):
        return intracity
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


_OKRUG_FORMS = (
    ("мо",),
    ("округ",),
    ("округа",),
    ("округе",),
    ("муниципальный", "округ"),
    ("муниципального", "округа"),
    ("муниципальном", "округе"),
    ("муниципальному", "округу"),
)


def name_forms(name: str) -> set[tuple[str, ...]]:
    """Every case form of a (cleaned) name as tuples of folded words, words agreeing in case. A
    numbered okrug ("№ 7") is found only as one: "МО № 7", "округа №7", "муниципальном округе 7"."""
    numbered = _NUMBERED.match(name)
    if numbered:
        return {(*head, numbered.group(1)) for head in _OKRUG_FORMS} | {
            (*head, "n", numbered.group(1)) for head in _OKRUG_FORMS
        }
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


def name_key(name: str) -> str:
    """A territory's name for comparing names across files: descriptors gone, spelling normalized,
    lower case ("муниципальный округ №15" and "муниципальный округ N 15" → "№ 15"; "Лиговка - Ямская"
    → "лиговка-ямская"; "Выборгский район" → "выборгский")."""
    core = clean_name(name).lower()
    return re.sub(r"\s+(?:район|р-н)$", "", core)


def territory_lookup(region: Any) -> Any:
    """A function from a name (any spelling, or a former name in ``aliases``) to the region's
    territory of that name; None for none or for several."""
    from otklik.directory.models import Territory

    rows = list(Territory.objects.defer("geometry").order_by("pk"))
    children: dict[int | None, list[Any]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    inside, stack = [], [region]
    while stack:
        node = stack.pop()
        inside.append(node)
        stack.extend(children.get(node.pk, []))
    by_key: dict[str, list[Any]] = {}
    for row in inside:
        for name in (row.name, *row.alias_list()):
            bucket = by_key.setdefault(name_key(name), [])
            if row not in bucket:
                bucket.append(row)

    def find(name: str) -> Any:
        found = by_key.get(name_key(name), [])
        return found[0] if len(found) == 1 else None

    return find
