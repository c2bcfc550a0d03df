"""Urgency: a threat to life or health, an emergency in the utilities, a child in danger — with the
words that decided it.

Built on hand-annotated real appeals (``docs/annotation/urgency.md``; figures in
``docs/benchmarks.md``): what a ЦУР moderator would put before everything else in the queue, not
every text that mentions fire or water. Each **cue** is a few words by lemma (any word form, any
order, within a few tokens of one sentence), of one **kind**; a cue is dropped by its **guards**,
which read the sentence around it the way a person does:

* **negation** — "не горит свет" is not a fire, "газом не пахнет" is no gas leak;
* **past events** — "после пожара", "после потопа", "в прошлом году был пожар" tell what happened
  and is over;
* **hypotheses** — "опасность возгорания", "а если будет пожар", "может прорвать" fear an event
  that has not happened (a *hazard* that is there now — icicles that "могут упасть на голову" — is
  urgent, so hazards carry no such guard);
* **conditions and habits** — "при сильном дожде затапливает подвал", "часто сидим без света"
  describe what recurs, not what is going on now (unless the text says it is: "сегодня опять");
* **places and kinds of supply** — no heating or light on a staircase is not an outage in a home;
  a cold-water leak is a leak, never "no heating"; hot water off by schedule is not an accident;
* **chronic trouble** — weak pressure, under-heating for years are complaints for the day's work.

Heating counts in the cold season only (pass ``now`` or ``month``). Tone is assessed apart
(:func:`assess_tone`): obscenity (word roots, so any form and disguise such as "бл*"), insults and
shouting (mostly capitals). Tone never makes a case urgent; a threat of violence or suicide is an
urgency of its own, read from first-person threats ("убью", "подожгу"), so "сосулька может и убить"
is falling ice, not a threat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import product

from django.utils import timezone

from .text import AnalyzedText, analyze, fold, morph, word_readings


class UrgencyKind:
    GAS = "gas"
    FIRE = "fire"
    FLOOD = "flood"  # a burst pipe or a leak flooding homes, basements, stairwells
    SEWAGE = "sewage"
    NO_HEATING = "no_heating"
    NO_WATER = "no_water"
    NO_POWER = "no_power"
    CHILD = "child_in_danger"
    COLLAPSE = "collapse"
    FALLING = "falling_objects"
    ICE = "falling_ice"
    WIRES = "wires"
    POLE = "pole"
    TREE = "tree"
    MANHOLE = "open_manhole"
    TRAPPED = "trapped"
    HEALTH = "health"
    DOGS = "dog_attack"
    THREAT = "threat"


class UrgencyLabel:
    """The annotation's three kinds of urgency (and none)."""

    LIFE_HEALTH = "life_health"
    UTILITY = "utility_emergency"
    CHILD = "child_in_danger"
    NONE = "none"


UTILITY_KINDS = frozenset(
    {UrgencyKind.FLOOD, UrgencyKind.SEWAGE, UrgencyKind.NO_HEATING, UrgencyKind.NO_WATER, UrgencyKind.NO_POWER}
)
# Kinds of a hazard that turns into "a child in danger" where children are named beside it.
_CHILD_HAZARDS = frozenset(
    {
        UrgencyKind.MANHOLE,
        UrgencyKind.TREE,
        UrgencyKind.ICE,
        UrgencyKind.FALLING,
        UrgencyKind.WIRES,
        UrgencyKind.COLLAPSE,
        UrgencyKind.DOGS,
        UrgencyKind.POLE,
    }
)

# Heating is a matter of life and health from October to April.
COLD_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})

# --- guards ----------------------------------------------------------------------------------------

NEG = "negation"  # a negation right before a word of the cue
PAST = "past"  # "после …", "в прошлом году", "был пожар"
HYPO = "hypothesis"  # "может", "если", "опасность", "риск" … before the cue in its sentence
RAIN = "rain"  # "при дожде", "во время ливня", "после дождя" — unless the text says it is now
HABIT = "habit"  # "постоянно", "часто", "каждый год" in the sentence
COMMON = "common_area"  # a staircase, a landing, a street lamp: not a home's supply
CHRONIC = "chronic"  # pressure, under-heating, years of it
PLANNED = "planned"  # supply off by schedule or for repairs
SEASON = "season"  # heating: only in the cold season, never about the season's start or end
DEBT = "debt"  # supply cut for debts
DRAIN = "drain"  # a roof drain pipe, rain water, puddles: not the water supply
NOW = "now"  # the text must say the outage is now or name its start or length
TELECOM = "telecom"  # internet and phone cables
BETWEEN = "between"  # "отопления вопросов нет": another noun between the words of an absence cue
TICKS = "ticks"  # a tick bite is for the health service, not an attack
ROAD = "road"  # "угроза обрушения дорожного покрытия": a sinking road surface, not a building
INFRA = "infrastructure"  # "нет центрального водоснабжения": the network was never built
REQUEST = "request"  # "нужно отключить воду", "нет возможности перекрыть": asked for, not happening
MODAL = "modal"  # "могут образоваться сосульки": a modal right before the cue
TREE_MODAL = "tree_modal"  # "деревья могут рухнуть на людей": a fear about trees (the tree cues judge them)

_NEGATIONS = frozenset({"не", "нет", "ни"})
_HYPOTHESIS = frozenset(
    {
        "мочь",
        "возможно",
        "возможный",
        "если",
        "случай",
        "опасность",
        "риск",
        "вероятность",
        "чтобы",
        "избежание",
        "допустить",
        "бояться",
        "вдруг",
        "предотвратить",
        "предотвращение",
        "угроза",
        "грозить",
        "опасаться",
    }
)
_PAST = frozenset({"прошлый", "назад", "ранее", "след"})
# Who pays for the damage: the flood or fire is over.
_AFTERMATH = frozenset({"ущерб", "возмещать", "возместить", "возмещение", "компенсация", "компенсировать"})
_PAST_SEASONS = frozenset({"зимой", "летом", "осенью", "весной"})
_PAST_EVENTS = frozenset({"произошел", "произошла", "произошло", "был", "была", "было", "были"})
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_REQUEST = frozenset({"нужно", "надо", "необходимо", "возможность", "просить", "просьба", "требоваться"})
_LIGHTS = frozenset({"свет", "лампа", "лампочка", "фонарь", "светильник", "освещение", "прожектор", "индикатор"})
_FIRE_SAFETY = frozenset(
    {
        "тушение",
        "противопожарный",
        "безопасность",
        "предписание",
        "надзор",
        "норма",
        "правило",
        "требование",
        "оповещение",
        "сигнализация",
        "извещатель",
    }
)
_TREES = frozenset({"дерево", "тополь", "береза", "клен", "ветка", "ветвь", "сук"})
_RAIN = frozenset({"дождь", "ливень", "осадки", "таяние", "снегопад", "оттепель", "гроза"})
_RAIN_CONDITION = frozenset({"при", "время", "после", "когда", "каждый", "в", "во"})
_NOW = frozenset({"сейчас", "сегодня", "опять", "снова", "сей", "настоящий", "данный", "сегодняшний"})
_HABIT = frozenset(
    {"постоянно", "постоянный", "регулярно", "часто", "периодически", "систематически", "ежегодно", "иногда", "перебой"}
)
# "по утрам", "несколько раз": a habit
_HABITUAL_NEXT = frozenset({"утрам", "вечерам", "ночам", "выходным", "праздникам", "раз"})
# "каждый" is a habit before a time word only ("каждый год", "после каждого дождя"; not "в каждой квартире")
_TIMES = frozenset(
    {"год", "раз", "день", "зима", "весна", "лето", "осень", "дождь", "ливень", "месяц", "неделя", "ночь", "утро", "вечер"}
)
_COMMON = frozenset(
    {
        "лестничный",
        "лестница",
        "клетка",
        "подъезд",
        "парадная",
        "парадный",
        "площадка",
        "холл",
        "тамбур",
        "мусоропровод",
        "арка",
        "фасад",
        "этаж",
        "фонарь",
        "освещение",
        "лампа",
        "лампочка",
        "светильник",
        "уличный",
        "мопа",
        "моп",
    }
)
_HOME = frozenset({"квартира", "комната", "кухня", "спальня", "зал"})
_CHRONIC = frozenset({"напор", "давление", "еле", "годами", "ночной", "циркуляция", "полотенцесушитель", "давно"})
_PLANNED = frozenset(
    {"график", "плановый", "планово", "профилактика", "профилактический", "ремонт", "ремонтный", "опрессовка", "промывка"}
)
_SEASON_POLICY = frozenset({"продлить", "продление", "окончание", "завершение", "включение"})
_DEBT = frozenset({"задолженность", "долг", "неуплата", "неплатёж", "неплатеж"})
_DRAIN = frozenset(
    {
        "водосток",
        "водосточный",
        "отток",
        "сток",
        "отвод",
        "лужа",
        "ливнёвка",
        "ливневка",
        "ливневый",
        "талый",
        "канава",
        "кювет",
        "проезжий",
        "изоляция",
        "теплоизоляция",
        "утепление",
    }
)
_INFRA = frozenset({"центральный", "централизованный", "система"})
_ROAD = frozenset({"асфальт", "асфальтовый", "покрытие", "дорожный", "грунт", "земля", "дорога", "проезжий", "тротуар"})
_TELECOM = frozenset({"интернет", "интернетовский", "телефонный", "оптоволокно", "провайдер", "антенна"})
_DURATION = frozenset(
    {"сутки", "день", "неделя", "месяц", "час", "утро", "ночь", "вечер", "уже", "третий", "второй", "четвёртый"}
)
_CHILDREN = frozenset({"ребенок", "ребёнок", "дети", "детский", "малыш", "школьник", "школа", "садик"})
_TIME_RE = re.compile(
    r"(?<![а-я])(?:с|со|в)\s+\d{1,2}[:.]\d{2}(?!\d)|(?<![а-я])с\s+\d{1,2}\.\d{1,2}(?!\d)|(?<![а-я])с\s+\d{1,2}\s+[а-я]+"
)


@dataclass(frozen=True)
class Cue:
    kind: str
    text: str
    slots: tuple[frozenset[str], ...]
    window: int
    guards: frozenset[str]
    ordered: bool = False  # the slots' words in this order


_EVENT = frozenset({NEG, PAST, HYPO})


def _readings(alternatives: str) -> frozenset[str]:
    """Every reading of each alternative; "=word" stands for that word form only."""
    out: set[str] = set()
    for word in alternatives.split("|"):
        word = fold(word.strip())
        if word.startswith("="):
            out.add(word[1:])
        elif word:
            out.update(word_readings(word))
            out.add(word)
    return frozenset(out)


def _cues(kind: str, specs: str, *, window: int = 4, guards: Iterable[str] = (NEG,)) -> list[Cue]:
    """Cues of one kind: one per line of ``specs``, slots joined by " + ", alternatives by "|"; a line
    starting with "^" wants its words in that order."""
    out = []
    for line in specs.strip().splitlines():
        line = line.strip()
        ordered = line.startswith("^")
        line = line.lstrip("^ ")
        if not line:
            continue
        slots = tuple(_readings(slot) for slot in line.split(" + "))
        out.append(Cue(kind, line, slots, window, frozenset(guards), ordered))
    return out


_BUILDING = "фасад|фасадный|стена|потолок|балкон|перекрытие|плита|козырек|козырёк|крыша|кровля|лестница|дом|здание|кладка|мост|карниз"
_PIPES = (
    "труба|трубопровод|батарея|радиатор|стояк|канализация|водопровод|теплотрасса|теплосеть|отопление|магистраль"
)
_INDOORS = "квартира|подвал|подъезд|парадная|паркинг|лифт|щитовая|этаж|сосед|подвальный|лифтовый|помещение|жилец|житель"
_PEOPLE = "голова|пешеход|прохожий|человек|люди|гражданин|житель|жилец|кто-нибудь|кто-то|ребенок|дети|посетитель"


@lru_cache(maxsize=1)
def cues() -> tuple[Cue, ...]:
    K = UrgencyKind
    out: list[Cue] = []
    out += _cues(K.GAS, "запах|пахнуть|вонять|утечка|травить|шипеть + газ", guards=_EVENT)
    out += _cues(
        K.FIRE,
        f"""
        пожар|возгорание|задымление|пламя
        гореть|загореться|полыхать + {_BUILDING}|квартира|подъезд|машина|автомобиль|мусор|трава|лес|подвал|щиток|проводка|сарай|гараж|контейнер|свалка|балкон
        дым + валить|повалить
        ^ дым + из|в + окно|подъезд|квартира|подвал
        """,
        guards=(*_EVENT, HABIT),
    )
    out += _cues(
        K.FLOOD,
        f"""
        прорыв|порыв|прорвать|лопнуть|разорвать|авария + {_PIPES}
        течь|протечка|протекать|подтекать + стояк|батарея|радиатор|труба|трубопровод|водопровод
        утечка|течь|протечка + вода + подвал|квартира|подъезд|стояк|этаж
        протечка|протекать|течь|потечь + потолок|квартира
        течь|литься|хлестать|бить|капать|стекать + вода|кипяток + потолок|стояк|ступень|ступенька|лестница|розетка|проводка|люстра|квартира|подвал|этаж
        затопить|заливать|затапливать|залить|затопление|подтопить|подтопление|потоп + {_INDOORS}
        вода|кипяток + подвал|паркинг + стоять|залить|затопить|поступать|идти
        пар + подвал|валить|идти + вода|подвал
        откачать|откачивать|откачка + вода|фекалия|фикалия|стоки
        кипяток + фонтан|бить|течь|литься
        """,
        window=6,
        guards=(*_EVENT, RAIN, DRAIN, CHRONIC),
    )
    out += _cues(
        K.SEWAGE,
        """
        канализация|фекалия|нечистоты|стоки|коллектор|канализационный + течь|литься|потечь|прорыв|прорвать|фонтан|затопить|затапливать|разливаться|хлестать
        """,
        window=5,
        guards=(*_EVENT, RAIN),
    )
    out += _cues(
        K.NO_HEATING,
        """
        нет|нету|отсутствовать|отсутствие|отключить|без + отопление
        """,
        window=4,
        guards=(COMMON, CHRONIC, SEASON, HABIT, BETWEEN),
    )
    out += _cues(
        K.NO_HEATING,
        """
        батарея|радиатор + холодный|ледяной
        батарея|радиатор + не + греть|нагреваться|работать|топить
        """,
        window=4,
        guards=(COMMON, CHRONIC, SEASON, HABIT),
    )
    out += _cues(
        K.NO_WATER,
        """
        нет|нету + =воды|=водоснабжения|хвс|гвс
        ^ без|отсутствие + =воды|=водоснабжения|хвс|гвс
        отсутствовать|пропасть|отключить + вода|водоснабжение|хвс|гвс
        """,
        window=5,
        guards=(CHRONIC, PLANNED, DRAIN, HABIT, PAST, DEBT, REQUEST, BETWEEN, INFRA, HYPO),
    )
    out += _cues(
        K.NO_POWER,
        """
        нет|отсутствовать|отсутствие|пропасть|отключить|без + электроэнергия|электричество|электроснабжение
        нет|нету|отсутствовать|пропасть|без + свет
        """,
        window=3,
        guards=(CHRONIC, HABIT, COMMON, DEBT, NOW, PAST, REQUEST, BETWEEN, HYPO),
    )
    out += _cues(
        K.COLLAPSE,
        f"""
        обрушение|обрушиться|обрушаться|обваливаться|обвалиться|обвал|рухнуть|обрушиваться + {_BUILDING}|элемент|пол
        угроза|риск + обрушение
        выпирать|выпучиться + стена|кладка
        """,
        window=5,
        guards=(NEG, PAST, ROAD),
    )
    out += _cues(
        K.FALLING,
        f"""
        ^ упасть|падать|падение|лететь|свалиться|рухнуть|придавить|обрушиться|отвалиться|сыпаться|осыпаться + на + {_PEOPLE}|пешеходный
        отваливаться|отвалиться|отходить|отойти|оторваться|сорваться + лист|кронштейн|крепление|панель|блок|облицовка + кровля|крыша|фасад|фасадный|антенна|балкон
        падать|сыпаться|отваливаться|обваливаться|обрушаться|осыпаться|лететь|обрушение|падение + штукатурка|кирпич|кусок|облицовка|декор|камень|бетон|плитка|часть|отделка|фрагмент|плита|панель + фасад|фасадный|балкон|крыша|кровля|карниз|арка|козырек|козырёк|земля|тротуар
        """,
        window=7,
        guards=(NEG, PAST, TREE_MODAL),
    )
    out += _cues(
        K.ICE,
        """
        сосулька|сосуля
        ^ наледь|лед|глыба|льдина + на|с|со|над + крыша|кровля|водосток|труба|балкон|козырек|козырёк|карниз
        ^ на|с|со|над + крыша|кровля|водосток|труба|балкон|козырек|козырёк|карниз + наледь|лед|глыба|льдина
        наледь|лед|глыба|льдина + падать|упасть|лететь|свалиться
        """,
        window=6,
        guards=(NEG, PAST, MODAL),
    )
    out += _cues(
        K.WIRES,
        """
        оборвать|обрыв|оборванный|порвать + провод|линия|лэп
        оголить|оголенный|голый|полуоголенный|торчать + провод|контакт|проводка
        открытый|открыть + провод
        =искрит|=искрят|=искрило|=искрение|=искрения|=искрением|=искры|=искрами|=искрится|=искрятся
        бить|ударить + ток
        провод + земля|вода|лежать
        ^ висеть + на + провод
        открытый|открыть + щиток|электрощиток
        """,
        window=4,
        guards=(NEG, PAST, TELECOM, HYPO),
    )
    out += _cues(
        K.POLE,
        "столб|опора + упасть|рухнуть|накрениться|наклониться|падать|завалиться",
        window=6,
        guards=(NEG, PAST),
    )
    out += _cues(
        K.TREE,
        """
        дерево|ветка|ветвь|сук|тополь|береза|клен|ствол + наклонить|накрениться|наклониться|наклон|завалиться|висеть|повиснуть|трещать|надломиться|обломиться
        дерево|ветка|ветвь|сук + упасть|падать|повалиться + на + провод|линия|лэп
        """,
        window=6,
        guards=(NEG, PAST, RAIN, CHRONIC),
    )
    out += _cues(
        K.MANHOLE,
        """
        открытый|открыть|открыт|полуприкрытый|приоткрытый|полуоткрытый|полуоткрыть + люк|колодец|яма
        люк|колодец + без + крышка
        крышка + провалиться|упасть + внутрь
        яма|провал|котлован|дыра + не + огородить
        неогороженный|=глубже|увеличиваться + яма|провал|котлован|дыра
        провалиться + прохожий|человек|ребенок|пешеход|любой|дети|кто-нибудь|кто-то
        """,
        window=4,
        guards=(NEG, PAST),
    )
    out += _cues(
        K.MANHOLE,
        """
        нет|отсутствовать|отсутствие + крышка + люк|колодец
        нет|отсутствовать|отсутствие + люк
        """,
        window=4,
        guards=(NEG, PAST, BETWEEN),
    )
    out += _cues(
        K.MANHOLE,
        "разбить|сломать|повредить|повреждённый|поврежденный|лопнуть|треснуть|украсть|обрушиться|обрушаться|разрушить|разрушенный + люк|крышка",
        window=1,
        guards=(NEG, PAST),
    )
    out += _cues(K.TRAPPED, "застрять + лифт", guards=(NEG, PAST))
    out += _cues(
        K.HEALTH,
        """
        скорая + не + приехать|ехать|приезжать
        скорая + нет + место
        врач + не + прийти|приходить
        инсулин + нет|не|отсутствовать|закупить|получать|выдавать
        без + сознание
        отказать + госпитализация
        """,
        window=5,
        guards=(PAST,),
    )
    out += _cues(
        K.DOGS,
        """
        собака|пес|пёс|стая|свора + укусить|покусать|напасть|нападать|кидаться|бросаться|кинуться
        ^ укусить|покусать + за + нога|рука
        ^ напасть|нападать|наброситься + на + я|мы|человек|прохожий|ребенок|женщина|мужчина
        укусить|покусать + человек|женщина|мужчина|прохожий|ребенок
        """,
        window=9,
        guards=(NEG, HYPO, TICKS),
    )
    out += _cues(
        K.CHILD,
        """
        ребенок|сын|дочь + укусить|покусать
        ребенок + выпасть|пропасть
        ^ дети|ребенок + на + крыша|лед
        """,
        window=5,
        guards=(NEG, PAST, HYPO),
    )
    out += _cues(K.THREAT, "угрожать + убийство|нож|расправа", guards=(NEG,))
    return tuple(out)


# First-person threats by their forms ("может и убить" is not one).
_THREATS = re.compile(
    r"(?<![а-яё])(?:убью|прибью|зарежу|подожгу|взорву|покончу\s+с\s+собой|размахивает\s+ножом)(?![а-яё])",
    re.IGNORECASE,
)
# Cues whose fire word is a past form: "горел", "горела" — the fire was, it is not.
_PAST_FORM = re.compile(r"(?:ел|ела|ело|ели)$")
_SENTENCE_END = re.compile(r"[.!?;\n]")


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

    @property
    def label(self) -> str:
        """The annotation's label: a child in danger, a threat to life or health, a utility emergency."""
        return label_of(self.kinds)


def label_of(kinds: Sequence[str]) -> str:
    if not kinds:
        return UrgencyLabel.NONE
    if UrgencyKind.CHILD in kinds:
        return UrgencyLabel.CHILD
    if any(k not in UTILITY_KINDS for k in kinds):
        return UrgencyLabel.LIFE_HEALTH
    return UrgencyLabel.UTILITY


def is_cold_season(now: datetime) -> bool:
    return _month(now) in COLD_MONTHS


def _month(now: datetime) -> int:
    return timezone.localtime(now).month if timezone.is_aware(now) else now.month


class _Reading:
    """One text's tokens by sentence, for matching cues and reading their guards."""

    def __init__(self, analyzed: AnalyzedText) -> None:
        self.analyzed = analyzed
        self.words = [fold(t.text) for t in analyzed.tokens]
        self.readings = [frozenset(r) | {w} for r, w in zip(analyzed.readings, self.words, strict=True)]
        self.sentence: list[int] = []
        text, current, previous = analyzed.text, 0, 0
        for token in analyzed.tokens:
            if _SENTENCE_END.search(text, previous, token.start):
                current += 1
            self.sentence.append(current)
            previous = token.stop
        self.positions: dict[str, list[int]] = {}
        for i, options in enumerate(self.readings):
            for option in options:
                self.positions.setdefault(option, []).append(i)
        self.lemma_set = frozenset(self.positions)
        self.now = bool(self.lemma_set & _NOW) or bool(_TIME_RE.search(analyzed.text.lower()))

    def sentence_span(self, i: int) -> range:
        s = self.sentence[i]
        start = i
        while start > 0 and self.sentence[start - 1] == s:
            start -= 1
        stop = i
        while stop + 1 < len(self.sentence) and self.sentence[stop + 1] == s:
            stop += 1
        return range(start, stop + 1)

    def has(self, indices: Iterable[int], lemmas: frozenset[str]) -> bool:
        return any(self.readings[j] & lemmas for j in indices)

    def find(self, cue: Cue) -> list[tuple[int, ...]]:
        options: list[list[int]] = []
        for slot in cue.slots:
            at = sorted({p for r in slot & self.lemma_set for p in self.positions[r]})
            if not at:
                return []
            options.append(at[:12])
        found = []
        for combo in product(*options):
            if len(set(combo)) != len(combo):
                continue
            if cue.ordered and list(combo) != sorted(combo):
                continue
            if max(combo) - min(combo) > cue.window + len(combo) - 1:
                continue
            if len({self.sentence[i] for i in combo}) != 1:
                continue
            found.append(combo)
        return found


def _guarded(cue: Cue, combo: tuple[int, ...], r: _Reading, month: int | None) -> bool:
    """Whether a guard drops this match of the cue."""
    first, last = min(combo), max(combo)
    span = r.sentence_span(first)
    before = [j for j in range(span.start, last) if j not in combo]
    sentence = span
    g = cue.guards
    words = r.words
    if NEG in g:
        for k in combo:
            if any(j in span and j not in combo and words[j] in _NEGATIONS for j in (k - 1, k - 2)):
                return True
        if cue.kind in (UrgencyKind.FIRE, UrgencyKind.GAS) and last + 1 in span and words[last + 1] == "нет":
            return True
    if PAST in g:
        if any(words[j] == "после" for j in range(max(span.start, first - 3), first)):
            return True
        if r.has(before, _PAST):
            return True
        if any(words[j] in ("был", "была", "было", "были") for j in range(max(span.start, first - 2), first)):
            return True
        if any(w in _PAST_EVENTS for w in (words[j] for j in sentence)) and any(
            words[j] in _PAST_SEASONS for j in sentence
        ):
            return True
        if any(_YEAR.match(words[j]) and j > 0 and words[j - 1] in ("в", "во") for j in sentence):
            return True
        if any(
            _YEAR.match(words[j]) and j > 1 and words[j - 2] in ("в", "во") and j - 1 != first for j in sentence
        ):
            return True
        if cue.kind == UrgencyKind.FIRE and any(
            "гореть" in r.readings[k] and _PAST_FORM.search(words[k]) for k in combo
        ):
            return True
        if r.has(range(len(words)), _AFTERMATH) and not r.now:
            return True
        if any(words[k].startswith("упавш") for k in combo):
            return True
    if HYPO in g and r.has(before, _HYPOTHESIS):
        return True
    if MODAL in g and any("мочь" in r.readings[j] for j in range(max(span.start, first - 3), first)):
        return True
    if TREE_MODAL in g and r.has(sentence, _TREES) and r.has(before, frozenset({"мочь"})):
        return True
    if REQUEST in g and r.has(before, _REQUEST):
        return True
    if cue.kind == UrgencyKind.FIRE and r.has(sentence, _FIRE_SAFETY):
        return True
    if cue.kind == UrgencyKind.TREE and any(
        r.readings[k] & _TREES and k - 1 in span and words[k - 1] == "на" for k in combo
    ):
        return True  # "на дереве висит пакет": something on a tree
    if BETWEEN in g:
        for k in combo:
            nxt = k + 1
            if words[k] in ("нет", "нету") and k == last and nxt in span and _is_noun(words[nxt]):
                if not r.readings[nxt] & (_DURATION | _TIMES):
                    return True  # "воды - нет возможности перекрыть": "нет" is the next noun's
    if cue.kind == UrgencyKind.FIRE and any("гореть" in r.readings[k] for k in combo):
        if r.has(range(max(span.start, first - 3), min(span.stop, last + 4)), _LIGHTS):
            return True  # "горит свет в подвале", "не горит фонарь": a lamp, not a fire
    if RAIN in g and not r.now:
        for j in sentence:
            if r.readings[j] & _RAIN and any(
                words[i] in _RAIN_CONDITION or r.readings[i] & {"каждый", "время"}
                for i in range(max(span.start, j - 3), j)
            ):
                return True
    if HABIT in g and (
        r.has(sentence, _HABIT)
        or any(
            words[j] in ("по", "несколько") and words[j + 1] in _HABITUAL_NEXT for j in sentence if j + 1 in sentence
        )
        or any("каждый" in r.readings[j] and r.readings[j + 1] & _TIMES for j in sentence if j + 1 in sentence)
    ):
        return True
    if COMMON in g and r.has(range(len(words)) if cue.kind == UrgencyKind.NO_POWER else sentence, _COMMON):
        if not r.has(sentence, _HOME):
            return True
    if CHRONIC in g and (r.has(sentence, _CHRONIC) or _chronic(r)):
        return True
    if (
        PLANNED in g
        and r.has(range(len(words)), _PLANNED)
        and r.has(range(max(span.start, first - 2), last + 1), frozenset({"горячий", "гвс"}))
        and not r.has(range(max(span.start, first - 2), last + 1), frozenset({"холодный", "хвс"}))
    ):
        return True
    if DRAIN in g and r.has(sentence, _DRAIN):
        return True
    if DEBT in g and r.has(range(len(words)), _DEBT):
        return True
    if BETWEEN in g and any(
        _is_noun(words[j]) and not _is_preposition(words[j - 1]) for j in range(first + 1, last) if j not in combo
    ):
        return True
    if INFRA in g and r.has(range(first, last + 1), _INFRA):
        return True
    if ROAD in g and r.has(sentence, _ROAD):
        return True
    if TICKS in g and r.has(range(len(words)), frozenset({"клещ", "змея", "комар"})):
        return True
    if TELECOM in g and r.has(sentence, _TELECOM):
        return True
    if NOW in g and not (r.now or r.has(sentence, _DURATION)):
        return True
    if SEASON in g:
        if month is not None and month not in COLD_MONTHS:
            return True
        everywhere = range(len(words))
        if r.has(everywhere, _SEASON_POLICY) or r.has(everywhere, frozenset({"апрель", "май"})):
            return True
        if r.has(sentence, frozenset({"город"})) or any(words[j] == "всех" for j in sentence):
            return True
    return False


_YEARS_OF_IT = re.compile(
    r"(?:на\s+протяжении|в\s+течени[ие]|уже|более|больше|около|почти|свыше)\s+"
    r"(?:(?:\d{1,2}(?:[.,]\d)?(?:-?х)?|нескольк\w*|многи\w*|много|полутора|двух|тр[её]х|пяти|десяти)\s+)?"
    r"(?:лет|года|годами|отопительных\s+сезонов|сезонов)(?![а-я])"
    r"|из\s+года\s+в\s+год|(?<![а-я])годами(?![а-я])",
    re.IGNORECASE,
)


def _chronic(r: _Reading) -> bool:
    """Years of it: "на протяжении 2-х лет", "из года в год", "20 лет"."""
    return bool(_YEARS_OF_IT.search(r.analyzed.text))


@lru_cache(maxsize=50_000)
def _is_noun(word: str) -> bool:
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS == "NOUN"


@lru_cache(maxsize=5_000)
def _is_preposition(word: str) -> bool:
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS == "PREP"


def assess(text: str | AnalyzedText, *, now: datetime | None = None, month: int | None = None) -> Urgency:
    """Urgency kinds and tone of a message written ``now``; ``month`` is the local month of ``now``
    when the caller knows it (a batch reads the time zone once, not per message)."""
    analyzed = analyze(text) if isinstance(text, str) else text
    if month is None:
        month = _month(now or timezone.now())
    reading = _Reading(analyzed)
    kinds: dict[str, None] = {}
    terms: set[str] = set()
    raw = analyzed.text
    tokens = analyzed.tokens
    for cue in cues():
        for combo in reading.find(cue):
            if _guarded(cue, combo, reading, month):
                continue
            kinds.setdefault(cue.kind, None)
            terms.add(raw[tokens[min(combo)].start : tokens[max(combo)].stop])
            if cue.kind in _CHILD_HAZARDS and reading.has(reading.sentence_span(min(combo)), _CHILDREN):
                kinds.setdefault(UrgencyKind.CHILD, None)
            break
    for match in _THREATS.finditer(raw):
        kinds.setdefault(UrgencyKind.THREAT, None)
        terms.add(match.group(0))
    ordered = [k for k in _KIND_ORDER if k in kinds]
    return Urgency(is_urgent=bool(ordered), kinds=ordered, terms=sorted(terms), tone=assess_tone(analyzed))


_KIND_ORDER = [v for k, v in vars(UrgencyKind).items() if k.isupper()]


# --- tone ------------------------------------------------------------------------------------------

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
