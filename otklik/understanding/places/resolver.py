"""The public entry point: where a message is about (:func:`locate`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

from ..text import Token, fold, tokenize
from .addresses import Address, extract_address
from .cache import get_gazetteer, get_polygons
from .data import (
    INSTITUTION_PATTERNS,
    extract_institution,
)
from .gazetteer import _OWN_VILLAGE, Gazetteer
from .names import clean_name
from .registry import AddressIndex, Geocoded

_WORD = re.compile(r"\w+(?:-\w+)*")

# The letters (either case) any of INSTITUTION_PATTERNS can start with (test_places checks each
# pattern against them): ahead of the alternation, a position where none stands is passed over at
# once, not tried against every pattern in turn — half the scan's time on a message without any.
INSTITUTION_FIRST_LETTERS = "абгдклмопрстфцш"
# Any of extract_institution's patterns, without what must surround them: a text it does not match
# has no institution, and one regex scan costs a third of one scan per kind of institution.
_MAYBE_INSTITUTION = re.compile(
    f"(?=[{INSTITUTION_FIRST_LETTERS}])(?:"
    + "|".join(f"(?:{pattern})" for pattern, _label in INSTITUTION_PATTERNS)
    + ")",
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


def _geocode(text: str, words: list[Token], registry: AddressIndex) -> Geocoded | None:
    folded = [fold(t.text) for t in words]
    return registry.find_street(text, words, folded) or registry.find_place(words, folded)


def _with_geocoded(
    found: Geocoded, territory: Territory | None, source: str, gazetteer: Gazetteer
) -> tuple[Territory | None, str, Geocoded | None]:
    """The registry's territory against the one the names of the text gave: the deeper of the two
    when they agree; a building over a name elsewhere; a street or a place only where the text
    names nothing (or only the region). The third value is the registry's find whose point stands
    (None: the point is the territory's)."""
    kind = "place" if found.precision == "place" else "address"
    below_region = territory is not None and territory.kind != TerritoryKind.REGION
    if found.options and territory is not None and below_region:
        # streets of that name in several settlements: the one in the place the text names
        pk = territory.pk
        chosen = found.choose(
            clean_name(territory.name), lambda t: t in gazetteer.territories and gazetteer.related(t, pk)
        )
        found = chosen or found
    tid = found.territory_id
    if tid is None and found.candidates and territory is not None:
        related = [
            c for c in found.candidates if c in gazetteer.territories and gazetteer.related(c, territory.pk)
        ]
        tid = related[0] if len(set(related)) == 1 else None
    ours = gazetteer.territories.get(tid) if tid is not None else None
    if ours is None:  # a point outside every territory still is a point
        none_named = territory is None and found.lat is not None
        return (territory, kind, found) if none_named else (territory, source, None)
    if territory is None or territory.kind == TerritoryKind.REGION:
        return ours, kind, found
    if gazetteer.related(ours.pk, territory.pk):
        if gazetteer.depth(ours.pk) >= gazetteer.depth(territory.pk):
            return ours, kind, found
        # The text names a settlement inside the street's territory (a town without a polygon of
        # its own inside its district): the named settlement stays, and the point is the street's
        # when the street is that settlement's.
        named = fold(clean_name(territory.name))
        return territory, source, found if found.settlement and fold(found.settlement) == named else None
    if found.precision == "building":
        return ours, kind, found
    return territory, source, None


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
    geocoded = _geocode(text, words, gazetteer.registry) if gazetteer.registry else None
    if geocoded is not None:  # the street's or the place's words name no town ("ул. Ломоносова")
        words = [t for t in words if t.stop <= geocoded.start or t.start >= geocoded.stop]
    if address is not None:
        words = [t for t in words if t.stop <= address.start or t.start >= address.stop]
    territory, matched = gazetteer.resolve(gazetteer.scan(words, text))
    source = "text" if territory is not None else "none"
    at_point: Geocoded | None = None  # the registry's find whose point is the case's
    if geocoded is not None:
        territory, source, at_point = _with_geocoded(geocoded, territory, source, gazetteer)
        if geocoded.precision != "place":
            address = Address(geocoded.address, geocoded.start, geocoded.stop)
        else:
            matched = [*matched, geocoded.address]
    if territory is not None and territory.pk in gazetteer.twins and _OWN_VILLAGE.search(text):
        # "для нашей деревни … до вокзала ст. Льгов 2": the writer's village is in the district
        territory = gazetteer.territories[gazetteer.twins[territory.pk]]
    address_text = address.text if address else ""
    unresolved: list[str] = []
    if (territory is None or territory.kind == TerritoryKind.REGION) and address is not None:
        by_street = gazetteer.street_municipality(address.text)
        if by_street is not None:
            territory, source, at_point = by_street, "street", None
    if use_ner and (territory is None or territory.kind == TerritoryKind.REGION) and lat is None:
        by_ner, ner_matched, unresolved, _span = _ner_place(text, gazetteer)
        if by_ner is not None:
            territory, source, at_point = by_ner, "ner", None
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
    town = territory is not None and (
        territory.kind == TerritoryKind.SETTLEMENT
        or (territory.kind == TerritoryKind.OKRUG and gazetteer.depth(territory.pk) <= 1)
    )
    if named and territory is not None and town:
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
    elif at_point is not None and at_point.lat is not None and at_point.lon is not None:
        point_lat, point_lon, precision = at_point.lat, at_point.lon, at_point.precision
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
