"""Reference data around the gazetteer: extra settlements, known streets and named institutions.

Institutions found in a text ("в поликлинике № 3") are resolved against the region's registry
(``understanding.Institution`` rows, learned from moderators and imported from CSV) as
:class:`KnownInstitution` items.

The region loader knows municipalities and towns; villages, district centres, streets and
institutions come from CSV files under ``understanding/data/gazetteer`` (see its README), matched to
the loaded territories by region and municipality name, so a file for another region is ignored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..text import fold, word_readings

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "gazetteer"


@dataclass(frozen=True)
class ExtraSettlement:
    region: str
    municipality: str
    name: str
    kind: str = ""


@dataclass(frozen=True)
class KnownStreet:
    region: str
    municipality: str
    street: str  # normalized as extract_address writes it: "ул. Урицкого"


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


@lru_cache(maxsize=4)
def extra_settlements(path: Path = DATA_DIR / "settlements.csv") -> tuple[ExtraSettlement, ...]:
    return tuple(
        ExtraSettlement(r["region"], r["municipality"], r["settlement"], r.get("kind", ""))
        for r in _rows(path)
        if r.get("settlement")
    )


@lru_cache(maxsize=4)
def known_streets(path: Path = DATA_DIR / "streets.csv") -> tuple[KnownStreet, ...]:
    return tuple(
        KnownStreet(r["region"], r["municipality"], r["street"]) for r in _rows(path) if r.get("street")
    )


def street_key(address: str) -> str:
    """ "ул. Урицкого, 22" → "ул. урицкого": the street without the house, folded."""
    return fold(address.split(",")[0].strip())


def name_key(words: Iterable[str]) -> tuple[str, ...]:
    """Lemmas of a street's name words ("Сумской" and "Сумская" give the same key)."""
    return tuple(word_readings(fold(w))[0] for w in words)


def street_name_key(street: str) -> tuple[str, ...]:
    """The lemma key of a normalized street's name: "ул. Сумская" → ("сумской",)."""
    parts = street.split(None, 1)
    return name_key((parts[1] if len(parts) > 1 else parts[0]).split())


# --- named institutions --------------------------------------------------------------------------

# (regex, kind): the kinds are the normalized names the registry of institutions stores.
INSTITUTION_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"детск(?:ая|ой|ую|ие|их)\s+поликлиник[аеиуой]*", "детская поликлиника"),
    (r"поликлиник[аеиуой]*", "поликлиника"),
    (r"(?:центральн\w+\s+районн\w+\s+больниц\w*|црб)", "ЦРБ"),
    (r"(?:городск\w+\s+)?больниц[аеыуой]*", "больница"),
    (r"родильн\w+\s+дом\w*|роддом\w*", "роддом"),
    (r"(?:фельдшерско-акушерск\w+\s+пункт\w*|фап)", "ФАП"),
    (r"амбулатори[яиюей]", "амбулатория"),
    (r"детск(?:ий|ого|ому|ом)\s+сад\w*|д/с|(?:мб|м)?доу", "детский сад"),
    (r"(?:средн\w+\s+)?школ[аеыуой]*|(?:мб|мк|м)?оу\s+сош|сош", "школа"),
    (r"гимнази[яиюей]", "гимназия"),
    (r"лице[йяюе]\w*", "лицей"),
    (r"колледж\w*|техникум\w*", "колледж"),
    (r"дом\w*\s+культуры|дк", "дом культуры"),
    (r"библиотек[аеиуой]*", "библиотека"),
    (r"мфц", "МФЦ"),
    (r"отделени\w+\s+почты|почтов\w+\s+отделени\w+", "отделение почты"),
)
INSTITUTION_KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for _pattern, kind in INSTITUTION_PATTERNS))
_NUMBER = r"(?:\s*(?:№|N|номер|#)\s*(?P<number>\d{1,4})|\s+(?P<bare>\d{1,3})(?![\d.,:]))"
_INSTITUTION_RE = [
    (re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-]){_NUMBER}", re.IGNORECASE), label)
    for pattern, label in INSTITUTION_PATTERNS
]
# An institution without a number is a place only when it is a single one of its kind nearby.
_UNNUMBERED_OK = frozenset({"ЦРБ", "роддом", "ФАП", "амбулатория", "МФЦ", "больница"})
_UNNUMBERED_RE = [
    (re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE), label)
    for pattern, label in INSTITUTION_PATTERNS
    if label in _UNNUMBERED_OK
]


@dataclass(frozen=True)
class Institution:
    text: str  # normalized: "поликлиника № 3"
    start: int
    stop: int
    kind: str = ""  # "поликлиника"
    number: str = ""  # "3"; empty for an institution named without a number ("ЦРБ")


@dataclass(frozen=True)
class KnownInstitution:
    """One row of the region's registry of institutions (``understanding.Institution``)."""

    kind: str
    number: str
    territory_id: int
    lat: float | None = None
    lon: float | None = None
    pk: int | None = None
    confirmations: int = 0  # cases naming it whose place a moderator confirmed
    listed: bool = True  # imported or entered by hand (a list of the region's institutions)

    @property
    def label(self) -> str:
        return institution_label(self.kind, self.number)


def institution_label(kind: str, number: str) -> str:
    """ "поликлиника", "3" → "поликлиника № 3"; an unnumbered institution is its kind ("ЦРБ")."""
    return f"{kind} № {number}" if number else kind


def extract_institution(text: str) -> Institution | None:
    """The first named institution: "в поликлинике №3" → "поликлиника № 3", "в ЦРБ" → "ЦРБ"."""
    found: list[Institution] = []
    for regex, label in _INSTITUTION_RE:
        match = regex.search(text)
        if match:
            number = str(int(match["number"] or match["bare"]))  # "№ 03" is "№ 3"
            found.append(
                Institution(institution_label(label, number), match.start(), match.end(), label, number)
            )
    if not found:
        for regex, label in _UNNUMBERED_RE:
            match = regex.search(text)
            if match:
                found.append(Institution(label, match.start(), match.end(), label, ""))
    return min(found, key=lambda i: (i.start, -(i.stop - i.start))) if found else None
