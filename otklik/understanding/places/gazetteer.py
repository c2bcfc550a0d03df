"""The gazetteer: territory names in every case form, read in context, and the resolver."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

from ..text import Token, fold
from .data import (
    ExtraSettlement,
    Institution,
    KnownInstitution,
    KnownStreet,
    extra_settlements,
    known_streets,
    name_key,
    street_key,
    street_name_key,
)
from .names import clean_name, is_common_word, name_forms
from .registry import AddressIndex


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

_BARE_DISTRICT = re.compile(r"^[А-ЯЁ][а-яё]+(?:ский|цкий|ской)$")


@dataclass(frozen=True)
class _Entry:
    territory_id: int
    needs_capital: bool


class Gazetteer:
    """Territory names in every case form, plus extra settlements and known streets of the region.

    Extra settlements (``data.extra_settlements``) become in-memory territories with negative
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
        self.registry: AddressIndex | None = None  # the address registry of the same version, if any
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
            for name in (core, *(clean_name(alias) for alias in t.alias_list())):
                needs_capital = is_common_word(name)
                forms = name_forms(name)
                if t.kind == TerritoryKind.DISTRICT and _BARE_DISTRICT.match(name):
                    forms |= name_forms(f"{name} район")  # a city's "Выборгский": "Выборгского района"
                for form in forms:
                    if _Entry(t.pk, needs_capital) not in self.forms[form]:
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
        """How far below the region: a city's okrug under its district is deeper than the district."""
        found = self._depths.get(territory_id)
        if found is None:
            found = self._depths[territory_id] = len(self.chain(territory_id)) - 1
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
        """The territory right under the region that holds it (a district, an urban okrug, a city's
        district over its okrugs): the resolver's votes are counted by it."""
        found = self._municipalities.get(territory_id)
        if found is None:
            chain = self.chain(territory_id)
            found = self._municipalities[territory_id] = chain[-2] if len(chain) >= 2 else territory_id
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
