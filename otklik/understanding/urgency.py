"""Urgency: threats to life and health and emergencies, flagged with the words that triggered them.

Rules by kind over lemmas in any word form and order: gas smell, fire, flooding and pipe bursts,
no heating (urgent only in the cold season — pass ``now``), a child in danger, collapse, torn
wires, people trapped, an open manhole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.utils import timezone

from .text import AnalyzedText, PhraseMatcher, analyze, terms


class UrgencyKind:
    GAS = "gas"
    FIRE = "fire"
    FLOOD = "flood"
    NO_HEATING = "no_heating"
    CHILD = "child_in_danger"
    COLLAPSE = "collapse"
    WIRES = "wires"
    TRAPPED = "trapped"
    MANHOLE = "open_manhole"


RULES: dict[str, list[str]] = {
    UrgencyKind.GAS: terms(
        """
        запах газа, пахнет газом, воняет газом, утечка газа, газ травит, травит газ, шипит газ,
        отравление газом, угарный газ, взрыв газа
        """
    ),
    UrgencyKind.FIRE: terms(
        """
        пожар, возгорание, задымление, горит дом, горит квартира, горит подъезд, горит машина,
        горит здание, горит трава, горит лес, дым из окна, дым в подъезде, огонь, пламя
        """
    ),
    UrgencyKind.FLOOD: terms(
        """
        затопило, затапливает, заливает квартиру, залило квартиру, прорыв трубы, прорвало трубу,
        прорыв теплотрассы, прорыв водопровода, порыв трубы, потоп, хлещет вода, бьёт кипяток,
        фонтан кипятка, кипяток на улице, вода в подвале, вода хлещет
        """
    ),
    UrgencyKind.NO_HEATING: terms(
        """
        нет отопления, отключили отопление, холодные батареи, батареи холодные, не греют батареи,
        мёрзнем, замерзаем, холодно в квартире, ноль градусов в квартире,
        разморозка системы отопления
        """
    ),
    UrgencyKind.CHILD: terms(
        """
        ребёнок упал, ребёнок провалился, дети на крыше, ребёнок на крыше, дети на льду,
        ребёнок застрял, ребёнок пропал, пропал ребёнок, ребёнок в опасности, дети в опасности,
        ребёнок один, ребёнка покусала собака, собака укусила ребёнка, дети играют на стройке,
        дети в заброшенном здании, ребёнок выпал из окна
        """
    ),
    UrgencyKind.COLLAPSE: terms(
        """
        обрушение, обрушился, обвал, рухнул, рухнула крыша, рухнул балкон, упал балкон,
        трещина в стене, дом трещит, дом разваливается, угроза обрушения, провал грунта, упала плита,
        рухнул потолок, обвалился потолок, падают кирпичи
        """
    ),
    UrgencyKind.WIRES: terms(
        """
        оборваны провода, оборвало провод, обрыв провода, провода висят, провод на земле,
        оголённые провода, искрит, искрят провода, упал столб, столб упал, бьёт током, ударило током
        """
    ),
    UrgencyKind.TRAPPED: terms(
        """
        застрял в лифте, застряли в лифте, не можем выйти, человеку плохо
        """
    ),
    UrgencyKind.MANHOLE: terms(
        """
        открытый люк, нет крышки люка, люк без крышки, провалился в люк
        """
    ),
}

# Heating is a matter of life and health from October to April.
COLD_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})


@dataclass(frozen=True)
class Urgency:
    is_urgent: bool
    kinds: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _matcher() -> PhraseMatcher[str]:
    return PhraseMatcher(((phrase, kind) for kind, phrases in RULES.items() for phrase in phrases), slack=2)


def is_cold_season(now: datetime) -> bool:
    return (
        timezone.localtime(now).month in COLD_MONTHS if timezone.is_aware(now) else now.month in COLD_MONTHS
    )


def assess(text: str | AnalyzedText, *, now: datetime | None = None) -> Urgency:
    analyzed = analyze(text) if isinstance(text, str) else text
    cold = is_cold_season(now or timezone.now())
    kinds: dict[str, None] = {}
    terms: set[str] = set()
    for phrase in _matcher().find(analyzed):
        if phrase.payload == UrgencyKind.NO_HEATING and not cold:
            continue
        kinds.setdefault(phrase.payload, None)
        terms.add(phrase.text)
    ordered = [k for k in RULES if k in kinds]
    return Urgency(is_urgent=bool(ordered), kinds=ordered, terms=sorted(terms))
