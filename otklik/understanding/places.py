"""Place extraction: a gazetteer of the region's territories, street addresses and point-in-polygon.

* **Gazetteer.** Built from :class:`~otklik.directory.models.Territory` rows: each name is cleaned
  of descriptors ("город", "ЗАТО", "муниципальный", "г.о." …) and expanded with pymorphy3 to its
  case forms, the words of a phrase agreeing ("Балаковский район" → "Балаковского района",
  "Балаковском р-не"; "Энгельс" → "Энгельсе", "Энгельса"). Texts are scanned on folded word forms
  (no NER). A name that is also a common word ("Светлый", "Мирный") must be written with a capital.
  The deepest territory wins: a settlement resolves to itself (its parent is its district); a
  name shared by several territories is resolved by the other places in the text, then population.
* **A town and its district.** Where a town is an okrug beside the district named after it (Льгов
  and Льговский район), the words around the name decide: "в Льгове", "г. Льгов" are the town,
  "Льговского района" the district, and so are "под Льговом", "за чертой города", a route from the
  town to a village ("Льгов (АС) — д. Шерекино") and a town named by a writer from "нашей деревни".
  A town named in passing ("из Курска", "дорога на Курчатов", "трасса Курск — Рыльск",
  "«Светлый Курск»") is a weak mention, used only when the text names no other place; "Курск обл."
  is the region.
* **Institutions.** "поликлиника № 3", "школа № 12" are looked up in the region's registry
  (:class:`~otklik.understanding.models.Institution`, learned from moderators and imported from
  CSV, see :mod:`.institutions`): together with the town the text names, or alone when the registry
  vouches it is the only one, the institution gives the territory and its point; with several
  candidates and nothing to choose by, the moderator picks the place.
* **Address.** "ул. Ленина, 15", "на улице Чернышевского", "пр-т Строителей 3", "на Садовой улице"
  become a normalized ``address`` ("ул. Ленина, 15"); the street name is not read as a settlement.
* **Coordinates.** A message with lat/lon is placed by point-in-polygon over ``Territory.geometry``
  (GeoJSON; shapely prepared geometries with a bounding-box pre-filter).

Both indexes are cached per process, dropped when a territory or an institution is saved or
deleted, and rebuilt when the fingerprint of the territory rows and of the registry changes (so
edits in another process are seen too).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from django.db.models import Count, Max, Sum, TextField
from django.db.models.functions import Cast, Length
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

from .models import Institution as InstitutionRow
from .place_data import (
    INSTITUTION_PATTERNS,
    ExtraSettlement,
    Institution,
    KnownInstitution,
    KnownStreet,
    extra_settlements,
    extract_institution,
    known_streets,
    name_key,
    street_key,
    street_name_key,
)
from .text import Token, fold, morph, tokenize

# --- names → forms -------------------------------------------------------------------------------

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


# --- street addresses ----------------------------------------------------------------------------

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


# --- the gazetteer -------------------------------------------------------------------------------


class Mention(NamedTuple):
    surface: str  # as written
    ids: list[int]  # candidate territories
    weak: bool = False  # named in passing: counts only when the text names nothing else


# A text that names a town only in passing ("приезжаю из Курска к бабушке") is still placed there.
WEAK_ALONE = True

_QUOTES = "\"'«»“”„`"
_REGION_WORDS = frozenset({"обл", "область", "области", "областью"})
_FROM_TO = frozenset({"из", "с", "со", "до", "от"})
_TOWARDS = frozenset({"в", "во", "на"})
_DIRECTION = frozenset(
    {"сторону", "направлении", "направление", "дорога", "дороге", "дороги", "дорогу", "трасса", "трассе"}
    | {"трассы", "трассу", "поворот", "повороте", "поворота", "выезд", "выезде", "въезд", "въезде"}
    | {"маршрут", "маршруте", "маршрута", "едем", "ехать", "еду", "ездить", "ездим", "уехать"}
)
_DIRECTION_GENT = frozenset({"сторону", "стороны", "стороне", "направлении", "направление", "трассе"})
_NEAR = frozenset(
    {"под", "близ", "вблизи", "пригород", "пригороде", "пригорода", "пригородах", "пригородный"}
    | {"окрестности", "окрестностях", "окрестностей", "черты", "чертой", "черта", "черте"}
)
_NEAR_FROM = frozenset({"недалеко", "неподалеку", "невдалеке", "км", "километрах", "километров"})
_CITY_WORDS = frozenset({"г", "город", "города", "городом", "городе"})
_DASH = r"\s*(?:\([^)\n]{0,20}\)\s*)?[-–—]\s*"
_ROUTE_AFTER = re.compile(rf"{_DASH}[А-ЯЁ]")
_ROUTE_BEFORE = re.compile(r"[\w)]\s*[-–—]\s*$")
_ROUTE_TO_VILLAGE = re.compile(
    rf"{_DASH}(?:(?:д|дер|с|п|пос|х)\.\s*|(?:деревн|сел|посел|пос[её]л|хутор)\w*\s+)[А-ЯЁ]"
)

# The writer's own village: a town named in the same text is the centre of the district around it.
_OWN_VILLAGE = re.compile(
    r"(?<!\w)(?:наш\w*|нас\s+в|в)\s+(?:деревн\w+|сел[еоа]|поселк\w*|пос[её]лк\w*|посел[её]к)(?!\w)",
    re.IGNORECASE,
)


def _near_before(folded: list[str], i: int) -> bool:
    """ "под Курском", "в пригороде Курска", "за чертой города Курска", "недалеко от Льгова"."""
    j = i - 1
    if j >= 0 and folded[j] in _CITY_WORDS:
        j -= 1
    if j < 0:
        return False
    return folded[j] in _NEAR or (folded[j] == "от" and j > 0 and folded[j - 1] in _NEAR_FROM)


def _district_adjective(name: str) -> str:
    """ "Льговский район" → "льговский"; "" for a name of another shape."""
    words = fold(clean_name(name)).split()
    return words[0] if len(words) == 2 and words[1] == "район" and words[0].endswith("ский") else ""


def _names_twins(town: str, adjective: str) -> bool:
    """Is ``adjective`` made from the town's name: Льгов/льговский, Курск/курский, Щигры/щигровский,
    Железногорск/железногорский, Балаково/балаковский, Энгельс/энгельсский."""
    stem = adjective[: -len("ский")]
    if town in (stem, stem + "ск", stem + "цк"):
        return True
    return town[-1:] in "аеиоуыюяь" and stem in (town[:-1], town[:-1] + "ов", town[:-1] + "ев")


def _town_twins(territories: list[Territory]) -> dict[int, int]:
    """Towns and the districts named after them: "Льгов" → "Льговский район"."""
    districts = [(t, _district_adjective(t.name)) for t in territories if t.kind == TerritoryKind.DISTRICT]
    twins: dict[int, int] = {}
    for town in territories:
        name = fold(clean_name(town.name))
        if town.kind not in (TerritoryKind.OKRUG, TerritoryKind.SETTLEMENT) or " " in name or "-" in name:
            continue
        for district, adjective in districts:
            if adjective and _names_twins(name, adjective):
                twins[town.pk] = district.pk
    return twins


# A learned institution alone in the registry places a text that names no town after this many
# moderators' confirmations (``Gazetteer.resolve_institution``).
ALONE_MIN_CONFIRMATIONS = 2


@dataclass(frozen=True)
class _Entry:
    territory_id: int
    needs_capital: bool


class Gazetteer:
    """Territory names in every case form, plus extra settlements and known streets of the region.

    Extra settlements (``place_data.extra_settlements``) become in-memory territories with negative
    ids under their municipality: they resolve like settlements and :func:`locate` reports their
    municipality (the territory row) and their name (``Place.settlement``).
    """

    def __init__(
        self,
        territories: list[Territory],
        version: str,
        *,
        extras: Iterable[ExtraSettlement] | None = None,
        streets: Iterable[KnownStreet] | None = None,
        institutions: Iterable[KnownInstitution] = (),
    ) -> None:
        self.version = version
        self.territories = {t.pk: t for t in territories}
        self._depths: dict[int, int] = {}
        self._chains: dict[int, list[int]] = {}
        self._municipalities: dict[int, int] = {}
        for t in territories:  # wire parents from the dict: no queries while resolving
            if t.parent_id in self.territories:
                t.parent = self.territories[t.parent_id]
        municipalities = self._municipalities_by_region()
        for n, extra in enumerate(extra_settlements() if extras is None else extras, start=1):
            parent = municipalities.get((fold(extra.region), fold(extra.municipality)))
            if parent is not None:
                synthetic = Territory(pk=-n, kind=TerritoryKind.SETTLEMENT, name=extra.name, parent=parent)
                self.territories[synthetic.pk] = synthetic
        self.forms: dict[tuple[str, ...], list[_Entry]] = defaultdict(list)
        self._nominative: dict[int, str] = {}
        for t in self.territories.values():
            core = clean_name(t.name)
            self._nominative[t.pk] = fold(core)
            needs_capital = is_common_word(core)
            for form in name_forms(core):
                self.forms[form].append(_Entry(t.pk, needs_capital))
        self.twins = _town_twins(list(self.territories.values()))
        self.first_words = frozenset(form[0] for form in self.forms)
        self.max_words = max((len(f) for f in self.forms), default=1)
        self.streets: dict[str, set[int]] = defaultdict(set)
        self.street_names: dict[tuple[str, ...], set[int]] = defaultdict(set)
        for street in known_streets() if streets is None else streets:
            municipality = municipalities.get((fold(street.region), fold(street.municipality)))
            if municipality is not None:
                self.streets[street_key(street.street)].add(municipality.pk)
                self.street_names[street_name_key(street.street)].add(municipality.pk)
        self.institutions: dict[tuple[str, str], list[KnownInstitution]] = defaultdict(list)
        for known in institutions:
            if known.territory_id in self.territories:
                self.institutions[(known.kind, known.number)].append(known)

    def _municipalities_by_region(self) -> dict[tuple[str, str], Territory]:
        found: dict[tuple[str, str], Territory] = {}
        for t in self.territories.values():
            parent = t.parent if t.parent_id in self.territories else None
            if t.kind in (TerritoryKind.DISTRICT, TerritoryKind.OKRUG) and parent is not None:
                found[(fold(parent.name), fold(t.name))] = t
        return found

    # The territories do not change inside a gazetteer: what is derived from them is remembered.

    def depth(self, territory_id: int) -> int:
        found = self._depths.get(territory_id)
        if found is None:
            found = self._depths[territory_id] = _DEPTH.get(
                TerritoryKind(self.territories[territory_id].kind), 1
            )
        return found

    def chain(self, territory_id: int) -> list[int]:
        """The territory and its ancestors up to the region (a shared list: do not change it)."""
        found = self._chains.get(territory_id)
        if found is None:
            found = self._chains[territory_id] = [t.pk for t in self.territories[territory_id].ancestors()]
        return found

    def related(self, a: int, b: int) -> bool:
        return a in self.chain(b) or b in self.chain(a)

    def municipality_of(self, territory_id: int) -> int:
        found = self._municipalities.get(territory_id)
        if found is None:
            found = self._municipalities[territory_id] = self.territories[territory_id].municipality.pk
        return found

    def scan(self, tokens: list[Token], text: str | None = None) -> list[Mention]:
        """Mentions in reading order: (text as written, candidate territory ids, weak).

        With the ``text`` the tokens come from, the words around a name are read too (see
        :meth:`_in_context`): a town named in passing ("из Курска", "трасса Курск — Рыльск",
        "«Светлый Курск»") is a weak mention, one the resolver uses only when nothing else is named;
        "под Курском", "за чертой города Курска" and a route from the town to a village ("Льгов —
        д. Шерекино") name the district around the town; "Курск обл." is the region."""
        mentions: list[Mention] = []
        # one lower() over the joined words instead of one per word (no token holds a space)
        folded = " ".join([t[0] for t in tokens]).lower().replace("ё", "е").split(" ") if tokens else []
        if len(folded) != len(tokens):  # a token with a space inside (never from our tokenizers)
            folded = [fold(t[0]) for t in tokens]
        first_words, forms = self.first_words, self.forms
        i = 0
        while i < len(tokens):
            if folded[i] not in first_words:  # most words start no name: one set lookup
                i += 1
                continue
            for size in range(min(self.max_words, len(tokens) - i), 0, -1):
                entries = forms.get(tuple(folded[i : i + size]))
                if not entries:
                    continue
                capitalized = tokens[i].text[:1].isupper()
                ids = list(
                    dict.fromkeys(e.territory_id for e in entries if capitalized or not e.needs_capital)
                )
                if ids:
                    weak = False
                    if text is not None:
                        ids, weak = self._in_context(ids, tokens, folded, i, size, text)
                    mentions.append(Mention(" ".join(t.text for t in tokens[i : i + size]), ids, weak))
                    i += size
                    break
            else:
                i += 1
        return mentions

    def _in_context(
        self, ids: list[int], tokens: list[Token], folded: list[str], i: int, size: int, text: str
    ) -> tuple[list[int], bool]:
        """The candidates and the weakness of the name ``tokens[i : i + size]`` read in context."""
        before = folded[i - 1] if i else ""
        after = folded[i + size] if i + size < len(folded) else ""
        start, stop = tokens[i][1], tokens[i + size - 1][2]
        if size == 1 and after in _REGION_WORDS and all(self.depth(t) > 0 for t in ids):
            return [self.chain(ids[0])[-1]], False  # "Курск обл." is the region
        twins = [self.twins[t] for t in ids if t in self.twins]
        if twins and (_near_before(folded, i) or _ROUTE_TO_VILLAGE.match(text, stop)):
            return twins, False  # "под Курском", "Льгов (АС) — д. Шерекино": the district around
        quoted = start > 0 and text[start - 1] in _QUOTES
        passing = (
            (before in _FROM_TO and not (before == "с" and text.startswith(".", tokens[i - 1][2])))
            # "на Курчатов", "в Курск": the accusative (as the nominative) after "в", "на" is a direction
            or (before in _TOWARDS and (size, folded[i]) == (1, self._nominative.get(ids[0], "")))
            or (i >= 2 and folded[i - 2] in _DIRECTION and before in ("на", "в"))
            or before in _DIRECTION_GENT
            or _ROUTE_AFTER.match(text, stop) is not None
            or _ROUTE_BEFORE.search(text, max(0, start - 30), start) is not None
        )
        return ids, quoted or passing

    def resolve(
        self, mentions: Sequence[Mention | tuple[str, list[int]]]
    ) -> tuple[Territory | None, list[str]]:
        """The municipality named most often wins (an explicitly named district breaks a tie, then the
        first named); inside it the deepest territory named. A name shared by several territories
        takes the one supported by the other names of the text, then the deepest, then the bigger.
        Weak mentions (:meth:`scan`) count only when the text names nothing else."""
        named = [(m[0], m[1]) for m in mentions if not (isinstance(m, Mention) and m.weak)]
        if not named and WEAK_ALONE:
            named = [(m[0], m[1]) for m in mentions]
        if not named:
            return None, []
        unambiguous = {ids[0] for _, ids in named if len(ids) == 1}
        chosen_at: list[int] = []
        texts: dict[int, list[str]] = defaultdict(list)
        for surface, ids in named:

            def support(tid: int) -> int:
                return sum(1 for other in unambiguous if other != tid and self.related(tid, other))

            chosen = max(
                ids,
                key=lambda tid: (support(tid), self.depth(tid), self.territories[tid].population or 0, -tid),
            )
            chosen_at.append(chosen)
            texts[chosen].append(surface)
        votes: dict[int, int] = defaultdict(int)
        explicit: dict[int, bool] = defaultdict(bool)
        first_at: dict[int, int] = {}
        for position, tid in enumerate(chosen_at):
            if self.depth(tid) == 0:
                continue
            municipality = self.municipality_of(tid)
            votes[municipality] += 1
            explicit[municipality] |= self.territories[tid].kind == TerritoryKind.DISTRICT
            first_at.setdefault(municipality, position)
        if votes:
            best_municipality = max(votes, key=lambda m: (votes[m], explicit[m], -first_at[m]))
            inside = [
                tid for tid in chosen_at if self.depth(tid) and self.municipality_of(tid) == best_municipality
            ]
            best = max(inside, key=lambda tid: (self.depth(tid), -chosen_at.index(tid)))
        else:
            best = chosen_at[0]
        matched = [s for tid in dict.fromkeys(chosen_at) for s in texts[tid]]
        return self.territories[best], list(dict.fromkeys(matched))

    def institution_candidates(self, institution: Institution) -> list[KnownInstitution]:
        """The registry's institutions of that kind and number (in any territory of the gazetteer)."""
        return self.institutions.get((institution.kind, institution.number), [])

    def resolve_institution(
        self, institution: Institution, territory: Territory | None
    ) -> KnownInstitution | None:
        """The registry's institution a mention stands for: the one inside (or around) the territory
        the text names; with no territory below the region, the only one of its kind and number —
        when the registry can vouch that it is the only one: a listed (imported, hand-entered) row,
        or one moderators confirmed at least ``ALONE_MIN_CONFIRMATIONS`` times (a row learned once
        says nothing of the same number in other towns). Several candidates, or one it cannot vouch
        for, and nothing to choose by: None (the moderator picks the place)."""
        candidates = self.institution_candidates(institution)
        if territory is not None and territory.pk in self.territories and self.depth(territory.pk) > 0:
            related = [c for c in candidates if self.related(c.territory_id, territory.pk)]
            return related[0] if len(related) == 1 else None
        if len(candidates) != 1:
            return None
        only = candidates[0]
        return only if only.listed or only.confirmations >= ALONE_MIN_CONFIRMATIONS else None

    def street_municipality(self, address: str) -> Territory | None:
        """The municipality of a known street, when the street is known in exactly one."""
        ids = self.streets.get(street_key(address), set())
        return self.territories[next(iter(ids))] if len(ids) == 1 else None

    def street_name_municipality(self, words: list[str]) -> Territory | None:
        ids = self.street_names.get(name_key(words), set())
        return self.territories[next(iter(ids))] if len(ids) == 1 else None


# --- point in polygon ----------------------------------------------------------------------------


class PolygonIndex:
    """Territories with a GeoJSON geometry as prepared shapely shapes, deepest first."""

    def __init__(self, territories: list[Territory], depth: dict[int, int]) -> None:
        from shapely import prepare
        from shapely.geometry import shape

        self.items: list[tuple[tuple[float, float, float, float], Any, Territory]] = []
        for t in territories:
            geometry = t.geometry
            if not geometry:
                continue
            if geometry.get("type") == "Feature":
                geometry = geometry.get("geometry")
            elif geometry.get("type") == "FeatureCollection":
                features = [f.get("geometry") for f in geometry.get("features", []) if f.get("geometry")]
                geometry = {"type": "GeometryCollection", "geometries": features}
            try:
                geom = shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError):
                continue
            if geom.is_empty:
                continue
            prepare(geom)
            self.items.append((geom.bounds, geom, t))
        self.items.sort(key=lambda item: -depth.get(item[2].pk, 0))

    def locate(self, lat: float, lon: float) -> Territory | None:
        from shapely.geometry import Point

        point = Point(lon, lat)
        for (min_x, min_y, max_x, max_y), geom, territory in self.items:
            if min_x <= lon <= max_x and min_y <= lat <= max_y and geom.covers(point):
                return territory
        return None


# --- the cache and the public entry point --------------------------------------------------------

_lock = threading.Lock()
_gazetteer: Gazetteer | None = None
_polygons: tuple[str, PolygonIndex] | None = None


def _fingerprint() -> str:
    rows = Territory.objects.order_by("pk").values_list(
        "pk", "parent_id", "kind", "name", "lat", "lon", "population", Length(Cast("geometry", TextField()))
    )
    digest = hashlib.sha1(usedforsecurity=False)
    for row in rows:
        digest.update(repr(row).encode())
    registry = InstitutionRow.objects.filter(is_active=True).aggregate(
        n=Count("pk"), ids=Sum("pk"), last=Max("updated_at")
    )
    digest.update(repr(sorted(registry.items())).encode())
    return f"places-{digest.hexdigest()[:10]}"


def known_institutions() -> list[KnownInstitution]:
    """The active rows of the registry of institutions, as the gazetteer reads them."""
    return [
        KnownInstitution(
            kind, number, territory_id, lat, lon, pk, confirmations, source != InstitutionRow.Source.MODERATOR
        )
        for pk, kind, number, territory_id, lat, lon, confirmations, source in InstitutionRow.objects.filter(
            is_active=True
        )
        .order_by("pk")
        .values_list("pk", "kind", "number", "territory_id", "lat", "lon", "confirmations", "source")
    ]


def get_gazetteer(*, recheck: bool = True) -> Gazetteer:
    """The compiled gazetteer; with ``recheck`` one cheap query confirms the territories did not change."""
    global _gazetteer
    current = _gazetteer
    if current is not None and not recheck:
        return current
    version = _fingerprint()
    if current is not None and current.version == version:
        return current
    with _lock:
        if _gazetteer is None or _gazetteer.version != version:
            territories = list(Territory.objects.defer("geometry").order_by("pk"))
            _gazetteer = Gazetteer(territories, version, institutions=known_institutions())
        return _gazetteer


def get_polygons(gazetteer: Gazetteer) -> PolygonIndex:
    global _polygons
    current = _polygons
    if current is not None and current[0] == gazetteer.version:
        return current[1]
    with _lock:
        if _polygons is None or _polygons[0] != gazetteer.version:
            territories = list(Territory.objects.exclude(geometry=None).order_by("pk"))
            for t in territories:  # the same objects the gazetteer resolves to
                t.parent = gazetteer.territories.get(t.parent_id) if t.parent_id else None
            depth = {tid: gazetteer.depth(tid) for tid in gazetteer.territories}
            index = PolygonIndex(territories, depth)
            _polygons = (gazetteer.version, index)
        return _polygons[1]


def invalidate_cache() -> None:
    global _gazetteer, _polygons
    with _lock:
        _gazetteer = None
        _polygons = None


@receiver(post_save, sender=Territory, dispatch_uid="understanding_places_save")
@receiver(post_delete, sender=Territory, dispatch_uid="understanding_places_delete")
@receiver(post_save, sender=InstitutionRow, dispatch_uid="understanding_places_institution_save")
@receiver(post_delete, sender=InstitutionRow, dispatch_uid="understanding_places_institution_delete")
def _territory_changed(**kwargs: object) -> None:
    invalidate_cache()


_WORD = re.compile(r"\w+(?:-\w+)*")

# Any of extract_institution's patterns, without what must surround them: a text it does not match
# has no institution, and one regex scan costs a third of one scan per kind of institution.
_MAYBE_INSTITUTION = re.compile(
    "|".join(f"(?:{pattern})" for pattern, _label in INSTITUTION_PATTERNS),
    re.IGNORECASE,
)


def scan_tokens(text: str) -> list[Token]:
    """Word tokens for the gazetteer scan: a regex, ~10× faster than razdel and the same on names
    (hyphenated words stay whole, punctuation goes)."""
    return [Token(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


def scan_tokens_of(text: str, tokens: Iterable[Token]) -> list[Token]:
    """:func:`scan_tokens` of ``text`` from its tokens (:func:`~otklik.understanding.text.tokenize`,
    links included), without a second pass over the text: a token joined by other marks than a
    hyphen ("Энгельс—Саратов", "😀Балаково", "1,5") is split as the regex splits it, and touching
    pieces ("52" "а", or "a" "-" "b") are joined as the regex joins them."""
    out: list[Token] = []
    whole = _WORD.fullmatch
    for token in tokens:
        word, start = token[0], token[1]
        pieces = (
            [token]
            if whole(word)
            else [Token(m.group(0), start + m.start(), start + m.end()) for m in _WORD.finditer(word)]
        )
        for piece in pieces:
            if out:
                last = out[-1]
                gap = piece[1] - last[2]
                if gap == 0 or (gap == 1 and text[last[2]] == "-"):
                    out[-1] = Token(text[last[1] : piece[2]], last[1], piece[2])
                    continue
            out.append(piece)
    return out


@dataclass(frozen=True)
class Place:
    territory: Territory | None
    lat: float | None
    lon: float | None
    address: str
    matched: list[str] = field(default_factory=list)
    precision: str = "none"  # "point", "institution" (its own point), the kind of the territory, "none"
    settlement: str = ""  # the settlement named, also one the territory table does not hold
    institution: str = ""  # "поликлиника № 3"
    source: str = "none"  # what placed it: "text", "street", "ner", "institution", "point" or "none"
    unresolved: list[str] = field(default_factory=list)  # place names NER found that nobody knows

    @property
    def is_ambiguous(self) -> bool:
        """No place below the region: the moderator should pick it on the map."""
        return self.territory is None or self.territory.kind == TerritoryKind.REGION


def _point_of(territory: Territory | None) -> tuple[float | None, float | None]:
    for node in territory.ancestors() if territory is not None else []:
        if node.lat is not None and node.lon is not None:
            return node.lat, node.lon
    return None, None


def _ner_place(text: str, gazetteer: Gazetteer) -> tuple[Territory | None, list[str], list[str], str]:
    """Location spans by natasha, looked up as territory names, then as known street names."""
    from . import ner

    matched: list[str] = []
    unresolved: list[str] = []
    for span in ner.locations(text):
        span_tokens = tokenize(span.text)
        territory, found = gazetteer.resolve(gazetteer.scan(span_tokens))
        if territory is None:
            territory = gazetteer.street_name_municipality([t.text for t in span_tokens])
            found = [span.text] if territory is not None else []
        if territory is not None and territory.kind != TerritoryKind.REGION:
            return territory, found, unresolved, span.text
        if territory is None:
            unresolved.append(span.text)
    return None, matched, list(dict.fromkeys(unresolved)), ""


def locate(
    text: str,
    *,
    lat: float | None = None,
    lon: float | None = None,
    gazetteer: Gazetteer | None = None,
    use_ner: bool = False,
    tokens: list[Token] | None = None,
) -> Place:
    """Where the message is about: territory (deepest found), coordinates, street address, institution.

    Order: the gazetteer of word forms; a known street of one municipality; with ``use_ner`` and
    nothing found yet, natasha's location spans (the slow step, run on the few texts left); finally
    the point, when the message has coordinates, decides between the text and the polygon.

    ``tokens`` are the text's tokens when the caller has them (``text.tokenize(text)``, links
    included): the gazetteer scans them instead of tokenizing the text again.
    """
    gazetteer = gazetteer or get_gazetteer()
    address = extract_address(text)
    institution = extract_institution(text) if _MAYBE_INSTITUTION.search(text) else None
    words = scan_tokens(text) if tokens is None else scan_tokens_of(text, tokens)
    if address is not None:
        words = [t for t in words if t.stop <= address.start or t.start >= address.stop]
    territory, matched = gazetteer.resolve(gazetteer.scan(words, text))
    source = "text" if territory is not None else "none"
    if territory is not None and territory.pk in gazetteer.twins and _OWN_VILLAGE.search(text):
        # "для нашей деревни … до вокзала ст. Льгов 2": the writer's village is in the district
        territory = gazetteer.territories[gazetteer.twins[territory.pk]]
    address_text = address.text if address else ""
    unresolved: list[str] = []
    if (territory is None or territory.kind == TerritoryKind.REGION) and address is not None:
        by_street = gazetteer.street_municipality(address.text)
        if by_street is not None:
            territory, source = by_street, "street"
    if use_ner and (territory is None or territory.kind == TerritoryKind.REGION) and lat is None:
        by_ner, ner_matched, unresolved, _span = _ner_place(text, gazetteer)
        if by_ner is not None:
            territory, source = by_ner, "ner"
            matched = [*matched, *ner_matched]
    known = None
    if institution is not None:  # the registry: the institution's territory (and point)
        below_region = territory is not None and territory.kind != TerritoryKind.REGION
        known = gazetteer.resolve_institution(institution, territory if below_region else None)
    if known is not None:
        found = gazetteer.territories[known.territory_id]
        if territory is None or territory.kind == TerritoryKind.REGION:
            territory, source = found, "institution"
        elif found.pk != territory.pk and territory.pk in gazetteer.chain(found.pk):
            territory = found  # the institution's settlement inside the district the text names
    settlement = ""
    named = territory is not None and source in ("text", "ner", "institution")
    if named and territory is not None and territory.kind in (TerritoryKind.SETTLEMENT, TerritoryKind.OKRUG):
        settlement = clean_name(territory.name)  # an urban okrug named in the text is its town
        if territory.pk < 0:  # an extra settlement: place the case in its municipality
            territory = territory.parent
    address_found, institution_found = address_text, institution.text if institution else ""
    if lat is not None and lon is not None:
        by_point = get_polygons(gazetteer).locate(lat, lon)
        if by_point is not None and (territory is None or by_point.pk not in gazetteer.chain(territory.pk)):
            territory = gazetteer.territories.get(by_point.pk, by_point)
        return Place(
            territory,
            lat,
            lon,
            address_found,
            matched,
            "point",
            settlement,
            institution_found,
            "point",
            unresolved,
        )
    point_lat: float | None
    point_lon: float | None
    if known is not None and known.lat is not None and known.lon is not None:
        point_lat, point_lon, precision = known.lat, known.lon, "institution"
    else:
        point_lat, point_lon = _point_of(territory)
        precision = str(territory.kind) if territory is not None else "none"
    return Place(
        territory,
        point_lat,
        point_lon,
        address_found,
        matched,
        precision,
        settlement,
        institution_found,
        source,
        unresolved,
    )
