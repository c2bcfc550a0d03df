"""The address registry as the place resolver reads it: streets, buildings and named places.

Built once per process from :class:`~otklik.understanding.models.Street`,
:class:`~otklik.understanding.models.Building` and :class:`~otklik.understanding.models.NamedPlace`
rows (with the gazetteer, once per version of the places' data: :mod:`.cache`) and asked by
:func:`~otklik.understanding.places.resolver.locate` before the gazetteer.

**Finding a street.** A street's name counts only next to a street word or a house number
("ул. Ломоносова, 5", "Малодетскосельский пр. 25", "Ломоносова 5", "на улице Репина"): a street
named after a person or a town is then a street, never the town. The words around a street word
or a house number (the *anchors*) are the only ones lemmatized, so a text without them costs one
set look-up per word.

**Where it is.** A building found (house, корпус, литера) gives its point and territory; a house
number the registry lacks, the nearest number of the same parity on that street (within
``NEAREST_HOUSES``); a street without a house, the deepest territory holding every building of the
street (a street crossing two districts places the text only at the level they share). A name
shared by streets of several settlements is decided by the place the text names too, when it does.

**Named places** (neighbourhoods, squares, parks, metro stations): their names in any case form; a
metro station counts only after "метро", "м.", "станция" ("у метро Ладожская", "ст. м. Купчино").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from otklik.directory.models import Territory

from ..text import Token, fold
from .names import is_common_word, name_forms
from .streets import TYPE_OF, House, house_after, house_main, lemma, name_key

NEAREST_HOUSES = 20  # how far (in house numbers) a missing house may take its neighbour's place
MAX_NAME_WORDS = 4
_METRO_WORDS = frozenset({"метро", "м", "станция", "станции", "станцию", "ст", "метрополитена"})
_NUMBER = re.compile(r"^\d{1,4}[а-яё]?$")
_STREET_BUILDINGS_KEPT = 20_000  # (streets, house) answers kept per registry


@dataclass(frozen=True)
class StreetEntry:
    pk: int
    kind: str
    name: str
    settlement: str
    territory_id: int | None  # the deepest territory holding all its buildings (or its own point)
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class BuildingEntry:
    house: str
    korpus: str
    litera: str
    lat: float
    lon: float
    territory_id: int | None


@dataclass(frozen=True)
class PlaceEntry:
    pk: int
    kind: str
    name: str
    lat: float
    lon: float
    territory_id: int | None
    needs_capital: bool


@dataclass(frozen=True)
class Geocoded:
    """What the registry found in a text."""

    address: str  # "ул. Ломоносова, 5", "метро Ладожская"
    start: int
    stop: int
    territory_id: int | None
    lat: float | None
    lon: float | None
    precision: str  # "building", "house" (a neighbour's), "street", "place"
    candidates: tuple[int, ...] = ()  # territories when streets of several settlements match
    settlement: str = ""  # the street's settlement ("" for the region's own city or several)
    options: tuple[Geocoded, ...] = ()  # one a street when streets of several settlements match

    def choose(self, settlement_name: str, related: Callable[[int], bool]) -> Geocoded | None:
        """Of the streets of several settlements, the one in the place the text names: the streets
        in a territory ``related`` to it, then (several in one district) the one of that settlement
        by name; None when that leaves no street or more than one."""
        near = [o for o in self.options if o.territory_id is not None and related(o.territory_id)]
        if len(near) > 1:
            near = [o for o in near if fold(o.settlement) == fold(settlement_name)]
        return near[0] if len(near) == 1 else None


def common_territory(ids: Sequence[int | None], parent_of: Mapping[int, int | None]) -> int | None:
    """The deepest territory that is (or holds) every one of ``ids``; None for none or only the
    region (a parentless territory)."""
    chains = []
    for tid in dict.fromkeys(ids):
        if tid is None:
            return None
        chain: list[int] = []
        node: int | None = tid
        seen = 0
        while node is not None and seen < 10:
            chain.append(node)
            node, seen = parent_of.get(node), seen + 1
        chains.append(chain)
    if not chains:
        return None
    shared = set(chains[0]).intersection(*chains[1:])
    best = next((t for t in chains[0] if t in shared), None)
    return best if best is not None and parent_of.get(best) is not None else None


class AddressIndex:
    def __init__(
        self,
        version: str,
        streets: list[StreetEntry],
        buildings: dict[int, list[BuildingEntry]],
        places: list[tuple[PlaceEntry, list[str]]],
    ) -> None:
        self.version = version
        self.by_key: dict[tuple[str, ...], list[StreetEntry]] = defaultdict(list)
        for street in streets:
            self.by_key[tuple(name_key(street.name).split())].append(street)
            words = street.name.split()
            if len(words) > 1 and _is_given_name(words[0]):  # "Николая Рубцова" is "Рубцова" too
                self.by_key[tuple(name_key(" ".join(words[1:])).split())].append(street)
        self.max_words = max((len(k) for k in self.by_key), default=0)
        self.buildings = buildings
        self.by_number: dict[int, dict[int, list[BuildingEntry]]] = {}
        for street_id, rows in buildings.items():
            numbers: dict[int, list[BuildingEntry]] = defaultdict(list)
            for row in rows:
                main = house_main(row.house)
                if main is not None:
                    numbers[main].append(row)
            self.by_number[street_id] = numbers
        self.place_forms: dict[tuple[str, ...], list[PlaceEntry]] = defaultdict(list)
        for place, names in places:
            for name in names:
                for form in name_forms(name):
                    self.place_forms[form].append(place)
        self.place_first = frozenset(form[0] for form in self.place_forms)
        self.place_max = max((len(f) for f in self.place_forms), default=0)
        # (street ids, house number, корпус) → each street's building (:meth:`_street_buildings`)
        self._street_buildings_seen: dict[
            tuple[tuple[int, ...], str, str], list[tuple[StreetEntry, BuildingEntry, str]]
        ] = {}

    def __bool__(self) -> bool:
        return bool(self.by_key or self.place_forms)

    # --- streets --------------------------------------------------------------------------------

    def _street_at(
        self, lemmas: Callable[[int], str], n: int, at: int, *, forward: bool
    ) -> tuple[list[StreetEntry], int, int]:
        """The longest street name starting (``forward``) or ending at ``at``: (streets, i, j)."""
        for size in range(min(self.max_words, MAX_NAME_WORDS), 0, -1):
            i, j = (at, at + size) if forward else (at - size, at)
            if i < 0 or j > n:
                continue
            found = self.by_key.get(tuple(lemmas(k) for k in range(i, j)))
            if found:
                return found, i, j
        return [], at, at

    def find_street(self, text: str, tokens: list[Token], folded: list[str]) -> Geocoded | None:
        """The first street of the registry named in the text next to a street word or a house."""
        if not self.by_key:
            return None
        cache: dict[int, str] = {}
        n = len(tokens)

        def lemmas(k: int) -> str:
            found = cache.get(k)
            if found is None:
                found = cache[k] = lemma(tokens[k].text)
            return found

        for i, word in enumerate(folded):
            found: Geocoded | None = None
            kinds = TYPE_OF.get(word)
            if kinds:
                # a type word before the name: "ул. Ломоносова 5", "улица Репина"
                streets, a, b = self._street_at(lemmas, n, i + 1, forward=True)
                if streets:
                    found = self._place_street(text, tokens, streets, kinds, tokens[i].start, b)
                if found is None:
                    # after the name: "Малодетскосельский проспект 25", "на Садовой улице"
                    streets, a, b = self._street_at(lemmas, n, i, forward=False)
                    if streets:
                        found = self._place_street(text, tokens, streets, kinds, tokens[a].start, i + 1)
            elif _NUMBER.match(word) and i > 0:
                marked = folded[i - 1] in ("д", "дом")
                at = i - 1 if marked else i
                streets, a, b = self._street_at(lemmas, n, at, forward=False)
                if streets and b - a == 1:
                    streets = _bare_adjective_streets(text, tokens[a], streets, marked=marked)
                if streets:
                    found = self._place_street(text, tokens, streets, frozenset(), tokens[a].start, b)
            if found is not None:
                return found
        return None

    def _place_street(
        self,
        text: str,
        tokens: list[Token],
        streets: list[StreetEntry],
        kinds: frozenset[str],
        start: int,
        end_token: int,
    ) -> Geocoded | None:
        typed = [s for s in streets if s.kind in kinds] if kinds else streets
        if not typed:  # "ул. Ветеранов" where the registry has "пр-т Ветеранов" only: another street
            return None
        end = tokens[end_token - 1].stop
        if end_token < len(tokens) and fold(tokens[end_token].text).rstrip(".") in TYPE_OF:
            end = tokens[end_token].stop  # "Ломоносова ул. 5"
        house = house_after(text, end)
        if house is None:  # "возле дома 25 на ул. Ленина", "ул. Ленина у дома 5"
            house, start = _house_around(text, start, end)
        street = typed[0]
        label = f"{street.kind} {street.name}"
        if house is not None:
            best = self._street_buildings(typed, house)
            if best:
                named, stop = str(house), max(house.stop, end)
                return _one_of(
                    [
                        Geocoded(
                            f"{s.kind} {s.name}, {named}",
                            start,
                            stop,
                            b.territory_id,
                            b.lat,
                            b.lon,
                            precision,
                            settlement=s.settlement,
                        )
                        for s, b, precision in best
                    ]
                )
            label += f", {house}"
            end = max(house.stop, end)
        found = [
            Geocoded(label, start, end, s.territory_id, s.lat, s.lon, "street", settlement=s.settlement)
            for s in typed
        ]
        return _one_of(found)

    def _street_buildings(
        self, typed: list[StreetEntry], house: House
    ) -> list[tuple[StreetEntry, BuildingEntry, str]]:
        """Each street's own building for ``house`` with its precision, in the streets' order: its
        exact number, else its nearest; a street of another town holding the very number does not
        push this town's street out. "building" when the number's main part is the house's ("25"
        for "25/12" is the same corner building), "house" for a neighbour's. Kept per (streets,
        number, корпус): a common street name (a Lenin Street in every town) is asked for the same
        house again and again, and the registry never changes (a new version is a new index)."""
        key = (tuple(s.pk for s in typed), house.number, house.korpus)
        found = self._street_buildings_seen.get(key)
        if found is not None:
            return found
        best: dict[int, tuple[StreetEntry, BuildingEntry]] = {}
        for s in typed:
            for b in self._buildings(s.pk, house):
                kept = best.get(s.pk)
                if kept is None or (b.house == house.number and kept[1].house != house.number):
                    best[s.pk] = (s, b)
        main = house.main
        found = [(s, b, "building" if house_main(b.house) == main else "house") for s, b in best.values()]
        if len(self._street_buildings_seen) >= _STREET_BUILDINGS_KEPT:
            self._street_buildings_seen.clear()
        self._street_buildings_seen[key] = found
        return found

    def _buildings(self, street_id: int, house: House) -> list[BuildingEntry]:
        numbers = self.by_number.get(street_id, {})
        main = house.main
        rows = numbers.get(main, [])
        if rows:
            exact = [
                b for b in rows if b.house == house.number and (not house.korpus or b.korpus == house.korpus)
            ]
            return exact or [b for b in rows if not house.korpus or b.korpus == house.korpus] or rows
        for step in range(2, NEAREST_HOUSES + 1, 2):  # the same side of the street first
            for near in (main - step, main + step):
                if numbers.get(near):
                    return numbers[near][:1]
        return []

    # --- named places ---------------------------------------------------------------------------

    def find_place(self, tokens: list[Token], folded: list[str]) -> Geocoded | None:
        if not self.place_forms:
            return None
        i = 0
        while i < len(tokens):
            if folded[i] not in self.place_first:
                i += 1
                continue
            for size in range(min(self.place_max, len(tokens) - i), 0, -1):
                entries = self.place_forms.get(tuple(folded[i : i + size]))
                if not entries:
                    continue
                after_metro = any(w in _METRO_WORDS for w in folded[max(0, i - 2) : i])
                capital = tokens[i].text[:1].isupper()
                usable = [
                    e
                    for e in entries
                    if (e.kind != "metro" or after_metro) and (capital or not e.needs_capital)
                ]
                if usable:
                    place = next((e for e in usable if (e.kind == "metro") == after_metro), usable[0])
                    label = f"метро {place.name}" if place.kind == "metro" else place.name
                    start = tokens[i].start
                    return Geocoded(
                        label,
                        start,
                        tokens[i + size - 1].stop,
                        place.territory_id,
                        place.lat,
                        place.lon,
                        "place",
                    )
            i += 1
        return None


# "во дворе дома 5 по ул. Мира", "возле д. 12 на улице Ленина": the house named before the street
_HOUSE_BEFORE = re.compile(
    r"(?<![\w-])(?:дом[аеу]?|д\.)\s*(?P<house>\d{1,4}(?:[а-жА-Ж](?![а-яё]))?(?:/\d{1,4})?)"
    r"\s*,?\s*(?:(?:на|по)\s+)?$",
    re.IGNORECASE,
)
# "на ул. Ленина возле дома 25", "ул. Мира, у д. 5": the house after the street, with a preposition
_HOUSE_NEAR = re.compile(
    r"\s*,?\s*(?:возле|около|у|напротив|рядом\s+с)\s+(?=(?:дом[аеу]?|д\.)\s*\d)(?:дом[аеу]?|д\.)",
    re.IGNORECASE,
)
_BEFORE_WINDOW = 40  # characters before a street looked at for its house


def _house_around(text: str, start: int, end: int) -> tuple[House | None, int]:
    """A house named next to a street with words around it (see ``_HOUSE_BEFORE``/``_HOUSE_NEAR``):
    the house and where the whole address starts."""
    near = _HOUSE_NEAR.match(text, end)
    if near is not None:
        house = house_after(text, near.end())
        if house is not None:
            return house, start
    window = max(0, start - _BEFORE_WINDOW)
    before = _HOUSE_BEFORE.search(text, window, start)
    if before is not None:
        house = house_after(text, before.start("house"))
        if house is not None and house.stop <= start:
            return house, before.start()
    return None, start


def _one_of(found: list[Geocoded]) -> Geocoded:
    """One street found, or streets of several settlements: then no point and no territory of its
    own (unless all lie in one) until the place the text names decides (:meth:`Geocoded.choose`);
    the first street's point for another settlement's text would be a point in the wrong town."""
    if len(found) == 1:
        return found[0]
    first = found[0]
    territories = tuple(dict.fromkeys(g.territory_id for g in found if g.territory_id is not None))
    same = {g.territory_id for g in found}
    return Geocoded(
        first.address,
        first.start,
        first.stop,
        first.territory_id if len(same) == 1 else None,
        None,
        None,
        first.precision,
        territories,
        options=tuple(found),
    )


_KIND_GENDER = {"ул.": "femn", "наб.": "femn", "пл.": "femn", "ал.": "femn", "линия": "femn", "дор.": "femn"}
_KIND_GENDER["ш."] = "neut"
_SENTENCE_END = re.compile(r"(?:^|[.!?\n])[\s\"«(#№-]*$")


def _bare_adjective_streets(
    text: str, token: Token, streets: list[StreetEntry], *, marked: bool
) -> list[StreetEntry]:
    """A one-word street name read off a house number alone ("Садовая 5", "Ломоносова 5"): an
    adjective there is as often a thing of the house ("парадная 4", "в новом 2021 году") as a street,
    so it counts only written with a capital inside a sentence (or before "д."/"дом": ``marked``)
    and agreeing in gender with the street's type ("Садовая" is a street, "Советский бульвар" no
    "советская"). Other words (a person's name in the genitive) stand as they are."""
    genders = _adjective_genders(fold(token.text))
    if genders is None:
        return streets
    capital = token.text[:1].isupper() and not _SENTENCE_END.search(text, 0, token.start)
    if not (capital or marked):
        return []
    return [s for s in streets if not genders or _KIND_GENDER.get(s.kind, "masc") in genders]


def _adjective_genders(word: str) -> frozenset[str] | None:
    """The genders an adjective form can have (empty for a plural), None for no adjective."""
    from ..text import morph

    parses = [p for p in morph().parse(word) if p.tag.POS in ("ADJF", "PRTF") and p.score >= 0.1]
    if not parses:
        return None
    return frozenset(str(p.tag.gender) for p in parses if p.tag.gender)


def _is_given_name(word: str) -> bool:
    from ..text import morph

    return any("Name" in p.tag for p in morph().parse(fold(word))[:2])


# --- building the index from the tables -----------------------------------------------------------


def build_index(version: str, locate_point: Callable[[float, float], Territory | None]) -> AddressIndex:
    """The index of every street, building and named place; ``locate_point`` (the polygons) places
    a street without buildings and a named place without a territory of its own."""
    from ..models import Building, NamedPlace, Street

    def territory_at(lat: float, lon: float) -> int | None:
        found = locate_point(lat, lon)
        return found.pk if found is not None else None

    parent_of = dict(Territory.objects.values_list("pk", "parent_id"))
    buildings: dict[int, list[BuildingEntry]] = defaultdict(list)
    rows = Building.objects.order_by("pk").values_list(
        "street_id", "house", "korpus", "litera", "lat", "lon", "territory_id"
    )
    for street_id, house, korpus, litera, b_lat, b_lon, territory_id in rows:
        buildings[street_id].append(BuildingEntry(house, korpus, litera, b_lat, b_lon, territory_id))
    streets = []
    for pk, kind, name, settlement, lat, lon in Street.objects.order_by("pk").values_list(
        "pk", "kind", "name", "settlement", "lat", "lon"
    ):
        held = buildings.get(pk, [])
        territory = common_territory([b.territory_id for b in held], parent_of) if held else None
        if not held and lat is not None and lon is not None:
            territory = territory_at(lat, lon)
        elif held and lat is None:  # the street's point: the middle one of its buildings
            middle = sorted(held, key=lambda b: (b.lat, b.lon))[len(held) // 2]
            lat, lon = middle.lat, middle.lon
        streets.append(StreetEntry(pk, kind, name, settlement, territory, lat, lon))
    places: list[tuple[PlaceEntry, list[str]]] = []
    for row in NamedPlace.objects.order_by("pk"):
        territory = row.territory_id or territory_at(row.lat, row.lon)
        if row.kind == NamedPlace.Kind.SUBURB and territory is not None and row.territory_id is None:
            territory = parent_of.get(territory) or territory  # a part of the city: its district
        names = [row.name, *[a.strip() for a in row.aliases.splitlines() if a.strip()]]
        entry = PlaceEntry(row.pk, row.kind, row.name, row.lat, row.lon, territory, is_common_word(row.name))
        places.append((entry, names))
    return AddressIndex(version, streets, dict(buildings), places)
