"""Urgency: threats to life and health and emergencies, flagged with the words that triggered them.

Rules by kind over lemmas in any word form and order: gas smell, fire, flooding and pipe bursts,
no heating (urgent only in the cold season — pass ``now``), no water for days in the summer heat,
a child in danger, collapse, falling ice, torn wires, people trapped, an open manhole, a person
who needs a doctor, dogs attacking people, threats of violence.

Tone is assessed apart (:func:`assess_tone`): obscenity (word roots, so any form and disguise such
as "бл*"), insults and shouting (mostly capitals). Tone does not make a case urgent, except a
threat of violence, which is an urgency kind of its own.
"""

from __future__ import annotations

import re
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
    NO_WATER_HEAT = "no_water_in_heat"
    ICE = "falling_ice"
    HEALTH = "health"
    DOGS = "dog_attack"
    THREAT = "threat"


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
    UrgencyKind.NO_WATER_HEAT: terms(
        """
        нет воды, без воды, отключили воду, не дают воду, нет питьевой воды, нет холодной воды,
        нет водоснабжения, отсутствует водоснабжение, отсутствует вода
        """
    ),
    UrgencyKind.ICE: terms(
        """
        сосульки над входом, падают сосульки, упала сосулька, глыба льда, наледь на крыше над входом,
        сосульки над тротуаром, свисают сосульки, снег падает с крыши
        """
    ),
    UrgencyKind.HEALTH: terms(
        """
        человек без сознания, лежит без сознания, потерял сознание, не дождались скорой,
        скорая не приехала, скорая не едет, нужна срочная операция, отказали в госпитализации,
        нет инсулина, не выдают инсулин, угроза жизни, угрожает жизни, опасно для жизни, умирает
        """
    ),
    UrgencyKind.DOGS: terms(
        """
        собаки напали, напала собака, покусала собака, покусали собаки, собака укусила,
        стая собак кидается, собаки кидаются на людей, собаки бросаются на детей, бросаются на людей
        """
    ),
    UrgencyKind.THREAT: terms(
        """
        убью, убить вас, подожгу, взорву, прибью, покончу с собой, суицид, угрожает ножом, угрожал убийством
        """
    ),
}
# "No water" matters to life and health in the summer heat and after days without it.
_NEEDS_DURATION = frozenset({UrgencyKind.NO_WATER_HEAT})
_DURATION_LEMMAS = frozenset(["день", "сутки", "неделя", "жара", "зной", "жаркий", "духота", "неделю"])
HOT_MONTHS = frozenset({6, 7, 8})

# Heating is a matter of life and health from October to April.
COLD_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})


@dataclass(frozen=True)
class Tone:
    is_obscene: bool = False
    is_aggressive: bool = False
    is_shouting: bool = False
    terms: list[str] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        names = ("obscene", "aggressive", "shouting")
        return [
            n
            for n, on in zip(names, (self.is_obscene, self.is_aggressive, self.is_shouting), strict=True)
            if on
        ]


@dataclass(frozen=True)
class Urgency:
    is_urgent: bool
    kinds: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    tone: Tone = field(default_factory=Tone)


@lru_cache(maxsize=1)
def _matcher() -> PhraseMatcher[str]:
    return PhraseMatcher(((phrase, kind) for kind, phrases in RULES.items() for phrase in phrases), slack=2)


def is_cold_season(now: datetime) -> bool:
    return (
        timezone.localtime(now).month in COLD_MONTHS if timezone.is_aware(now) else now.month in COLD_MONTHS
    )


def _month(now: datetime) -> int:
    return timezone.localtime(now).month if timezone.is_aware(now) else now.month


# Obscene roots (any form, "*" or "@" standing for a letter); prefix-anchored to skip "употреблять".
_OBSCENE = re.compile(
    r"(?<![а-яё])(?:(?:на|по|от|за)?х[уy*]+[йяеёюи]|[а-яё]*пизд|(?:на|по|за|от|у|вы|рас|раз|с)?[её]б(?:а[нлт]|у|ну|ись|ыв)"
    r"|бл[я*@]+(?:дь?|ть)?(?![а-яё])|муд[аои]к|пид[оа]р|залуп|гандон|сук[аи](?![а-яё]))",
    re.IGNORECASE,
)
_INSULTS = frozenset(
    [
        "урод",
        "сволочь",
        "тварь",
        "подонок",
        "ублюдок",
        "скотина",
        "скот",
        "дебил",
        "идиот",
        "дегенерат",
        "мразь",
        "падла",
        "кретин",
        "придурок",
        "быдло",
        "ничтожество",
        "негодяй",
        "паразит",
        "ворюга",
    ]
)


def assess_tone(text: str | AnalyzedText) -> Tone:
    """Obscenity, insults and shouting: for the moderator's eye, not a reason to drop a case."""
    analyzed = analyze(text) if isinstance(text, str) else text
    raw = analyzed.text
    obscene = sorted({m.group(0).lower() for m in _OBSCENE.finditer(raw)})
    at = sorted({i for lemma in _INSULTS.intersection(analyzed.positions) for i in analyzed.positions[lemma]})
    insults = sorted({analyzed.tokens[i].text.lower() for i in at})
    return Tone(bool(obscene), bool(insults), _is_shouting(raw), obscene + insults)


_SHOUT_LETTERS = 20
_SHOUT_SHARE = 0.6


def _is_shouting(raw: str) -> bool:
    """Mostly capitals: at least 20 letters, more than 60 % of them upper case."""
    if sum(map(str.isupper, raw)) <= _SHOUT_LETTERS * _SHOUT_SHARE:  # too few capitals to matter
        return False
    letters = [c for c in raw if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    return len(letters) >= _SHOUT_LETTERS and upper / len(letters) > _SHOUT_SHARE


def assess(text: str | AnalyzedText, *, now: datetime | None = None, month: int | None = None) -> Urgency:
    """Urgency kinds and tone of a message written ``now``; ``month`` is the local month of ``now``
    when the caller knows it (a batch reads the time zone once, not per message)."""
    analyzed = analyze(text) if isinstance(text, str) else text
    if month is None:
        month = _month(now or timezone.now())
    cold = month in COLD_MONTHS
    hot = month in HOT_MONTHS
    lasting = bool(analyzed.lemma_set & _DURATION_LEMMAS)
    kinds: dict[str, None] = {}
    terms: set[str] = set()
    for phrase in _matcher().find(analyzed):
        if phrase.payload == UrgencyKind.NO_HEATING and not cold:
            continue
        if phrase.payload in _NEEDS_DURATION and not (hot and lasting):
            continue
        kinds.setdefault(phrase.payload, None)
        terms.add(phrase.text)
    ordered = [k for k in RULES if k in kinds]
    return Urgency(is_urgent=bool(ordered), kinds=ordered, terms=sorted(terms), tone=assess_tone(analyzed))
