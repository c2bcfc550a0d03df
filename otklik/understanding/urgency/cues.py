"""The cues: a few words by lemma per kind, each with the guards that may drop it.

A cue is one line of a kind's specs: slots joined by " + ", alternatives by "|" (a line ending with
"|" goes on on the next one); "=word" stands for that word form only; a line starting with "^" wants
its words in that order. Every alternative matches any reading of a token (``text.word_readings``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..text import fold, morph, word_readings
from .kinds import UrgencyKind
from .vocabulary import (
    BETWEEN,
    CHRONIC,
    CLAUSE,
    COLD_WATER,
    COMMON,
    COMMON_LEAK,
    DEBT,
    DIRT,
    DOOR_GLASS,
    DRAIN,
    FENCED,
    FINISH,
    FIXED,
    HABIT,
    HATCH,
    HYPO,
    ICE_DOWN,
    INDOOR,
    INDOOR_PLACE,
    INFRA,
    INSIDE,
    LANDMARK,
    LONG,
    LOOSE_WIRE,
    MODAL,
    NEG,
    NOT_ICE,
    NOW,
    PAINT,
    PARTIAL,
    PAST,
    PLANNED,
    RAIN,
    REQUEST,
    ROAD,
    SEASON,
    SMELL,
    SUNK,
    SUPPOSITION,
    SURFACE,
    TELECOM,
    TICKS,
    TREE_MODAL,
    TREE_NEAR,
    WELL_WALLS,
)


@dataclass(frozen=True)
class Cue:
    kind: str
    text: str
    slots: tuple[frozenset[str], ...]
    window: int
    guards: frozenset[str]
    ordered: bool = False  # the slots' words in this order


EVENT = frozenset({NEG, PAST, HYPO, SUPPOSITION})


def _readings(alternatives: str) -> frozenset[str]:
    """Every reading of each alternative; "=word" stands for that word form only."""
    out: set[str] = set()
    for word in alternatives.split("|"):
        word = fold(word.strip())
        if word.startswith("="):
            out.add(word[1:])
        elif word:
            for form in _voices(word):
                out.update(word_readings(form))
                out.add(form)
    return frozenset(out)


def _voices(word: str) -> tuple[str, ...]:
    """A verb and its reflexive form are one cue word (round 10, N1): "оборвать" reads "оборвались",
    "прорвать" "прорвалась" — by the dictionary, a form it does not know is not made up."""
    parses = morph().parse(word)
    if not any(p.tag.POS == "INFN" for p in parses) or word.endswith(("ся", "сь")):
        return (word,)
    reflexive = f"{word}ся"
    return (word, reflexive) if morph().word_is_known(reflexive) else (word,)


def _cues(kind: str, specs: str, *, window: int = 4, guards: Iterable[str] = (NEG,)) -> list[Cue]:
    """Cues of one kind: one per line of ``specs``, slots joined by " + ", alternatives by "|"; a line
    starting with "^" wants its words in that order."""
    out = []
    joined: list[str] = []
    for raw in specs.strip().splitlines():  # a line ending with "|" goes on on the next one
        raw = raw.strip()
        if joined and joined[-1].endswith("|"):
            joined[-1] += raw
        else:
            joined.append(raw)
    for line in joined:
        ordered = line.startswith("^")
        line = line.lstrip("^ ")
        if not line:
            continue
        slots = tuple(_readings(slot) for slot in line.split(" + "))
        out.append(Cue(kind, line, slots, window, frozenset(guards), ordered))
    return out


_BUILDING = (
    "фасад|фасадный|стена|потолок|балкон|перекрытие|плита|козырек|козырёк|крыша|кровля|лестница|"
    "дом|здание|кладка|мост|карниз"
)
_PIPES = (
    "труба|трубопровод|батарея|радиатор|стояк|канализация|водопровод|теплотрасса|теплосеть|"
    "отопление|магистраль"
)
_INDOORS = (
    "квартира|подвал|подъезд|парадная|паркинг|лифт|щитовая|этаж|сосед|подвальный|лифтовый|"
    "помещение|жилец|житель|комната|кухня|спальня|коридор|санузел"
)
# Round 11 (H1): states of failure by lemma — of a cover or a door (broken, shifted, loose), of being
# open, and of a structure crumbling or coming away. A cover pushed up ("люк выдавило", "выжало наружу")
# is in place, heaved: road repair (round 14, clarification 1; round 15, R30) — no failure word; one that
# moves now is not fixed ("Люк сдвигается даже ногой").
_FAILED = (
    "неисправный|неисправность|сдвинуть|сдвинутый|сдвинуться|сдвигаться|сместить|сместиться|смещаться|"
    "смещённый|смещенный|вывернуть|вывернутый|шататься|болтаться|расколоть|расколотый|сломанный|разбитый"
)
_OPEN = "открытый|открыть|открыт|распахнуть|распахнутый|незакрытый|нараспашку"
# ... by its verb: a structure that crumbles or comes away now; a noun names a defect for repair, nothing
# said to fall ("Разрушения штукатурного слоя фасада", "Разрушение фасада водой … трещины"; round 13, R11)
_CRUMBLING = (
    "разрушаться|разрушиться|крошиться|осыпаться|отходить|отойти|отвалиться|"
    "отваливаться|отслаиваться|обваливаться|обвалиться"
)
_PEOPLE = (
    "голова|пешеход|прохожий|человек|люди|гражданин|житель|жилец|кто-нибудь|кто-то|ребенок|дети|посетитель|"
    "=проходящих|=проходящие|=проходящего|=проходящим|=идущих|=идущие"
)


@lru_cache(maxsize=1)
def cues() -> tuple[Cue, ...]:
    K = UrgencyKind
    out: list[Cue] = []
    out += _cues(K.GAS, "запах|пахнуть|вонять|утечка|травить|шипеть + газ", guards=EVENT)
    out += _cues(
        K.FIRE,
        f"""
        пожар|возгорание|задымление|пламя
        гореть|загореться|полыхать + {_BUILDING}|квартира|подъезд|машина|автомобиль|мусор|трава|лес|подвал|
        щиток|проводка|сарай|гараж|контейнер|свалка|балкон
        дым + валить|повалить
        ^ дым + из|в + окно|подъезд|квартира|подвал
        """,
        guards=(*EVENT, HABIT),
    )
    out += _cues(
        K.FLOOD,
        f"""
        прорыв|порыв|прорвать|лопнуть|разорвать|авария + {_PIPES}
        течь|литься|хлестать|капать + вода + комната|кухня|спальня|коридор
        течь|протечка|протекать|подтекать + стояк|батарея|радиатор|труба|трубопровод|водопровод
        утечка|течь|протечка + вода + подвал|квартира|подъезд|стояк|этаж
        течь|литься|хлестать|бить|капать|стекать + вода|кипяток + потолок|стояк|ступень|ступенька|лестница|
        розетка|проводка|люстра|квартира|подвал|этаж
        затопить|заливать|затапливать|залить|затопление|подтопить|подтопление|потоп + {_INDOORS}
        вода|кипяток + подвал|паркинг + стоять|залить|затопить|поступать|идти
        пар + подвал|валить|идти + вода|подвал
        откачать|откачивать|откачка + вода|фекалия|фикалия|стоки
        кипяток + фонтан|бить|течь|литься
        бить|хлестать|фонтанировать|фонтан + вода + асфальт|земля|грунт
        """,
        window=6,
        guards=(*EVENT, LONG, RAIN, DRAIN, CHRONIC, FIXED),
    )
    # Round 14 (R19): steam in a building — a heating or hot-water leak steams up a basement or a stairwell
    # ("присутствует парение", "парение через первый лестничный пролет").
    out += _cues(
        K.FLOOD,
        """
        парение + подвал|лестница|лестничный|пролет|подъезд|парадная|присутствовать|наблюдаться|сильный|
        помещение|этаж
        """,
        window=4,
        guards=(*EVENT, LONG, RAIN, DRAIN, CHRONIC, FIXED, HABIT),
    )
    # Round 15 (R35): a hole or a pinhole in a supply or a sewer pipe ("свищ в магистральной трубе холодной
    # воды", "Дыра в трубе канализации") — the pipe is open now.
    out += _cues(
        K.FLOOD,
        """
        ^ свищ|дыра|дырка|пробоина + в|на + труба|трубопровод|стояк|батарея|радиатор|магистраль|канализация|
        водопровод|лежак
        """,
        window=3,
        guards=(*EVENT, LONG, RAIN, DRAIN, CHRONIC, FIXED),
    )
    # A leak on a ceiling or into a flat; in the common areas with no home named it is the day's work
    # (round 12, R3: "в колясочном помещении протечка на потолке").
    out += _cues(
        K.FLOOD,
        """
        протечка|протекать|течь|потечь + потолок|квартира
        """,
        window=6,
        guards=(*EVENT, LONG, RAIN, DRAIN, CHRONIC, FIXED, COMMON_LEAK),
    )
    out += _cues(
        K.SEWAGE,
        """
        канализация|фекалия|нечистоты|стоки|коллектор|канализационный + течь|литься|потечь|прорыв|прорвать|
        фонтан|затопить|затапливать|разливаться|хлестать|протечка|утечка|вытекать|протекать
        """,
        window=5,
        guards=(*EVENT, LONG, RAIN, SMELL),
    )
    # Round 10 (N1): sewage out of the ground ("канализация … ключом бьёт из под земли").
    out += _cues(
        K.SEWAGE,
        """
        канализация|фекалия|нечистоты|стоки|канализационный + бить|хлестать|вытекать|фонтанировать|литься|
        течь + земля|грунт|асфальт|люк|колодец|тротуар|дорога
        """,
        window=6,
        guards=(*EVENT, LONG, RAIN),
    )
    # Round 9 (R4): sewage entering a basement or a flat now ("в подвал сейчас поступают нечистоты"); the
    # matter, not the system ("поступают жалобы на запах канализации" is a complaint).
    out += _cues(
        K.SEWAGE,
        """
        нечистоты|фекалия|фикалия|стоки + поступать|течь|литься|заливать|
        затапливать|хлестать|бежать + подвал|квартира|помещение|подъезд|парадная|комната
        """,
        window=5,
        guards=(*EVENT, LONG, RAIN, HABIT),
    )
    # Round 9 (R3): a roof that leaks into a home now — the text says when ("сегодня утром крыша
    # потекла"); a roof that leaks at every rain is the day's work.
    out += _cues(
        K.FLOOD,
        """
        крыша|кровля + потечь|течь|протекать|протечь|литься|лить
        """,
        window=3,
        guards=(*EVENT, LONG, RAIN, DRAIN, CHRONIC, FIXED, HABIT, NOW, COMMON_LEAK),
    )
    out += _cues(
        K.NO_HEATING,
        """
        нет|нету|отсутствовать|отсутствие|отключить|без + отопление
        """,
        window=4,
        guards=(COMMON, LONG, CHRONIC, SEASON, HABIT, BETWEEN, PARTIAL),
    )
    out += _cues(
        K.NO_HEATING,
        """
        батарея|радиатор + холодный|ледяной
        батарея|радиатор + не + греть|нагреваться|работать|топить
        """,
        window=4,
        guards=(COMMON, LONG, CHRONIC, SEASON, HABIT, COLD_WATER, PARTIAL),
    )
    out += _cues(
        K.NO_WATER,
        """
        нет|нету + =воды|=водоснабжения|хвс|гвс
        ^ без|отсутствие + =воды|=водоснабжения|хвс|гвс
        отсутствовать|пропасть|отключить + вода|водоснабжение|хвс|гвс
        """,
        window=5,
        guards=(LONG, CHRONIC, PLANNED, DRAIN, HABIT, PAST, DEBT, REQUEST, BETWEEN, INFRA, HYPO, PARTIAL),
    )
    out += _cues(
        K.NO_POWER,
        """
        нет|отсутствовать|отсутствие|пропасть|отключить|без + электроэнергия|электричество|электроснабжение
        нет|нету|отсутствовать|пропасть|без + свет
        """,
        window=3,
        guards=(LONG, CHRONIC, HABIT, COMMON, DEBT, NOW, PAST, REQUEST, BETWEEN, HYPO),
    )
    out += _cues(
        K.COLLAPSE,
        f"""
        обрушение|обрушиться|обрушаться|обваливаться|обвалиться|обвал|рухнуть|обрушиваться + {_BUILDING}|
        элемент|пол
        угроза|риск + обрушение
        выпирать|выпучиться + стена|кладка
        """,
        window=5,
        guards=(NEG, PAST, ROAD, FINISH),
    )
    # Round 13 (R16): a finish that has fallen in an arch ("Отвалившаяся штукатурка в арочном проеме"), a
    # slab coming off a house ("отваливается плита от стены дома").
    out += _cues(
        K.FALLING,
        f"""
        ^ упасть|падать|падение|лететь|свалиться|рухнуть|придавить|обрушиться|отвалиться|сыпаться|
        осыпаться + на + {_PEOPLE}|пешеходный
        отваливаться|отвалиться|отходить|отойти|оторваться|сорваться + лист|кронштейн|крепление|панель|блок|
        облицовка|плита + кровля|крыша|фасад|фасадный|антенна|балкон|дом|здание
        падать|сыпаться|отваливаться|обваливаться|обрушаться|осыпаться|лететь|обрушение|падение|осыпание|
        отслоение|обваливание|выпадение|отвалиться|обвалиться + штукатурка|
        кирпич|кусок|облицовка|декор|камень|бетон|плитка|часть|отделка|фрагмент|плита|панель + фасад|
        фасадный|балкон|крыша|кровля|карниз|арка|арочный|козырек|козырёк|земля|тротуар
        ^ падать|сыпаться|отваливаться|обваливаться|осыпаться|отвалиться|обвалиться + штукатурка|кирпич|кусок|
        облицовка|плитка|бетон + с|со + здание|дом|строение
        =падают|=сыпятся|=отваливаются|=летят|=осыпаются + кусок|куски|кирпич|кирпичи|штукатурка|облицовка|
        бетон
        крошиться|разрушаться|рассыпаться|сгнить|прогнить + балкон|козырек|козырёк|карниз|навес|колонна
        """,
        window=7,
        guards=(NEG, PAST, TREE_MODAL, FENCED, SUPPOSITION, PAINT, INDOOR, DOOR_GLASS, DIRT),  # DIRT: R38
    )
    # Round 14 (R23): a panel or a sheet blown off ("отлетела панель", "сорвало лист кровли").
    out += _cues(
        K.FALLING,
        """
        отлететь|слететь|сорвать|сорваться + панель|лист|облицовка|плита|профлист|кровля|фрагмент|кусок
        """,
        window=3,
        guards=(NEG, PAST, TREE_MODAL, FENCED, SUPPOSITION, PAINT, INDOOR_PLACE, HYPO),
    )
    out += _cues(
        K.FALLING,
        """
        падение|упасть|отвалиться|отваливаться|сорваться|отслоение|отслаиваться|отслоиться + облицовка
        ^ шататься|шатко|шаткий|болтаться|раскачиваться + над + тротуар|пешеходный|проход|вход|дорожка|голова|
        люди|пешеход
        """,
        window=3,
        guards=(NEG, PAST, TREE_MODAL, TREE_NEAR, FENCED, SUPPOSITION, PAINT, INDOOR),
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
        guards=(NEG, PAST, MODAL, SUPPOSITION, ICE_DOWN, INSIDE),  # round 14, R25
    )
    out += _cues(
        K.WIRES,
        """
        оборвать|обрыв|оборванный|порвать|оторвать|оторванный + провод|линия|лэп|трос
        ^ провод|кабель|проводка + под + напряжение
        оголить|оголенный|голый|полуоголенный|торчать + провод|контакт|проводка
        нарушить|нарушенный|повредить|поврежденный|повреждение|нарушение + изоляция + провод|кабель|проводка
        =искрит|=искрят|=искрило|=искрение|=искрения|=искрением|=искры|=искрами|=искрится|=искрятся
        бить|ударить + ток
        провод + земля|вода|лежать
        ^ висеть + на + провод
        открытый|открыть + щиток|электрощиток
        """,
        window=4,
        guards=(NEG, PAST, TELECOM, HYPO, CHRONIC, LOOSE_WIRE),
    )
    # "открытые провода" is wiring run on the wall unless bare, sparking or live words come with it (L1)
    out += _cues(
        K.WIRES,
        "открытый|открыть + провод|проводка",
        window=4,
        guards=(NEG, PAST, TELECOM, HYPO, CHRONIC, SURFACE),
    )
    out += _cues(
        K.POLE,
        "столб|опора + упасть|рухнуть|накрениться|наклониться|падать|завалиться",
        window=6,
        guards=(NEG, PAST, SUPPOSITION),
    )
    out += _cues(
        K.TREE,
        """
        дерево|ветка|ветвь|сук|тополь|береза|клен|ствол + наклонить|накрениться|наклониться|наклон|
        завалиться|висеть|повиснуть|трещать|надломиться|обломиться|обламываться|ломаться|скрипеть|треснуть|
        расколоться
        дерево|ветка|ветвь|сук|тополь|береза|клен + =падает|=падают|=валится|=валятся
        дерево|ветка|ветвь|сук + упасть|падать|повалиться|рухнуть + на + провод|линия|лэп|машина|автомобиль|
        тротуар|дорожка|тропинка|люди|человек|голова|прохожий|пешеход
        отвалиться|отвалившийся|сломать|сломанный|сломаться|обломать|обломанный|обломиться|надломить|
        надломленный|оторвать|оторваться + ветка|ветвь|сук + висеть|=весит|=весят|=висят|зависнуть|повиснуть|
        нависать
        ветка|ветвь|сук + натянуть|лечь|лежать|повиснуть + провод|линия|лэп
        """,
        window=6,
        guards=(NEG, PAST, RAIN, CHRONIC, TREE_MODAL, SUPPOSITION),
    )

    out += _cues(
        K.MANHOLE,
        """
        открытый|открыть|открыт|полуприкрытый|приоткрытый|полуоткрытый|полуоткрыть + люк|колодец|яма
        люк|колодец + без + крышка
        крышка + провалиться|упасть + внутрь
        яма|провал|котлован|дыра + не + огородить
        неогороженный|=глубже|увеличиваться|расширяться + яма|провал|котлован|дыра
        глубокий + колодец|провал
        провалиться + прохожий|человек|ребенок|пешеход|любой|дети|кто-нибудь|кто-то
        """,
        window=4,
        guards=(NEG, PAST, FENCED, HATCH),
    )
    # Round 10 (N1): a manhole covered by whatever came to hand, no lid ("люк, его накрыли куском плиты").
    out += _cues(
        K.MANHOLE,
        """
        люк|колодец + накрыть|прикрыть|заложить|закидать|заставить + кусок|доска|плита|фанера|поддон|лист|
        ветка|палка|щит|картон|покрышка|шина|бревно|мусор|ящик
        """,
        window=6,
        guards=(NEG, PAST, FENCED, HATCH, LANDMARK),
    )
    out += _cues(
        K.MANHOLE,
        """
        нет|отсутствовать|отсутствие + крышка + люк|колодец
        """,
        window=4,
        guards=(NEG, PAST, BETWEEN, HATCH),
    )
    # ... a missing manhole, unless the manhole names where something else is missing ("покрытие вокруг
    # люка разрушено, отсутствует"; round 12, R4)
    out += _cues(
        K.MANHOLE,
        "нет|отсутствовать|отсутствие + люк",
        window=4,
        guards=(NEG, PAST, BETWEEN, HATCH, LANDMARK),
    )
    out += _cues(
        K.MANHOLE,
        """
        разбить|сломать|повредить|повреждённый|поврежденный|лопнуть|треснуть|украсть|обрушиться|обрушаться|
        разрушить|разрушенный|развалиться|развалить|расколоться|проломиться + люк|крышка
        провалиться|провалившийся|проваливаться|перевернуть|перевернутый|перевёрнутый|провал + люк|крышка|
        колодец
        """,
        window=1,
        guards=(NEG, PAST, FENCED, SUNK, LANDMARK, HATCH),
    )
    # Round 15 (R31): a cover cracked through ("Крышка люка вся в трещинах") — the cover's own cracks, the
    # cover named first (not "трещины в асфальте вокруг люка").
    out += _cues(
        K.MANHOLE,
        """
        ^ крышка|люк + в + трещина
        """,
        window=3,
        guards=(NEG, PAST, FENCED, LANDMARK, HATCH, CLAUSE),
    )
    out += _cues(
        K.MANHOLE,
        """
        разрушение|разрушиться|разрушаться|развалиться|провалиться|провалить + колодец
        """,
        window=3,
        guards=(NEG, PAST, FENCED, SUNK, LANDMARK, HATCH, WELL_WALLS),  # round 14, R24
    )
    # Round 11 (H1): hazards by meaning — an object and a state of failure in one clause, read by lemma
    # (any form: "неисправный люк", "сдвинута плита с колодца", "люк выжало", "не закрыта крышка люка").
    out += _cues(
        K.MANHOLE,
        f"""
        {_FAILED}|{_OPEN} + люк|колодец|крышка
        ^ =не + закрыть|закрытый|закрываться + люк|крышка|колодец
        ^ без + =люка|=люков
        """,
        window=3,
        guards=(NEG, PAST, FENCED, SUNK, HATCH, REQUEST, CLAUSE, HABIT),  # HABIT: round 13, R17
    )
    # Round 13 (R14): a cover not fixed in place ("Крышка люка не закреплена, гремит"), and a manhole one
    # asks to close ("Просьба закрыть люк", the infinitive or the imperative): it is open now.
    out += _cues(
        K.MANHOLE,
        """
        ^ крышка|люк + =не + закрепить|закреплённый|закрепленный
        ^ =закрыть|=закройте + люк|колодец
        """,
        window=2,
        guards=(NEG, PAST, FENCED, SUNK, HATCH, CLAUSE),
    )
    # Round 15 (R32): the cover named first, then that it does not close or is not fixed, later in its
    # sentence ("крышка люка не закрывается", "Люк сдвигается даже ногой, не закреплён"); a hole into the
    # well itself ("дырки в колодце люка") — not a hole by it ("дыра возле люка", `landmark`).
    out += _cues(
        K.MANHOLE,
        """
        ^ крышка|люк + =не + закрываться|закрепить|закреплённый|закрепленный
        """,
        window=4,
        guards=(NEG, PAST, FENCED, SUNK, HATCH),
    )
    out += _cues(
        K.MANHOLE,
        "^ дыра|дырка|отверстие|пролом + в + колодец|люк",
        window=0,
        guards=(NEG, PAST, FENCED, HATCH),
    )
    out += _cues(
        K.WIRES,
        f"""
        {_OPEN} + щит|щиток|электрощит|электрощиток|электрощитовая|щитовая
        ^ =не + закрыть|закрытый|закрываться + щит|щиток|электрощит|электрощиток
        """,
        window=3,
        guards=(NEG, PAST, HYPO, REQUEST, TELECOM, CLAUSE),
    )
    # Round 14 (R21): an electrical duct or opening left open, the wiring in it ("открыт изоляционный
    # электрический короб", "открыто техническое отверстие с проводкой"); round 15 (R36): a junction box
    # open or without its cover ("Открыта коробка с проводкой", "Отсутствует крышка распределительной
    # коробки").
    out += _cues(
        K.WIRES,
        f"""
        {_OPEN} + короб|электрокороб|отверстие|ниша|коробка|распредкоробка + электрический|электрокабель|
        кабель|провод|проводка
        нет|отсутствовать|отсутствие|без + крышка + распределительный|распредкоробка|электрощиток|электрощит|
        распаечный
        """,
        window=4,
        guards=(NEG, PAST, HYPO, REQUEST, TELECOM, CLAUSE),
    )
    out += _cues(
        K.FALLING,
        f"""
        {_CRUMBLING} + фасад|фасадный|облицовка|карниз|козырек|козырёк|балкон|парапет
        """,
        window=4,
        guards=(NEG, PAST, HYPO, LONG, SUPPOSITION, FENCED, CLAUSE, PAINT, INDOOR),
    )
    # Round 15 (R34): a building or a structure crumbling now ("Разрушается кирпичное строение во дворе"),
    # unless its sentence names a place indoors.
    out += _cues(
        K.FALLING,
        f"""
        {_CRUMBLING} + строение|сооружение|постройка|конструкция
        """,
        window=3,
        guards=(NEG, PAST, HYPO, LONG, SUPPOSITION, FENCED, CLAUSE, PAINT, INDOOR, INDOOR_PLACE),
    )
    out += _cues(
        K.ICE,
        """
        ^ свисать|нависать|висеть + с|со|над + крыша|кровля|край|карниз|козырек|козырёк
        """,
        window=3,
        guards=(NEG, PAST, MODAL, SUPPOSITION, NOT_ICE),
    )
    # Someone stuck in a lift, not a lift that is stuck ("лифт застрял на 3 этаже и не едет": nobody named
    # inside), and not a lift that often sticks ("постоянно застреваем"; round 12, R7).
    out += _cues(K.TRAPPED, "^ застрять + в + лифт", window=2, guards=(NEG, PAST, HABIT))
    out += _cues(
        K.HEALTH,
        """
        =скорая|=скорую|=скорой|=скорые + не + приехать|ехать|приезжать
        =скорая|=скорую|=скорой|=скорые + ждать|прождать
        =скорая|=скорую|=скорой|=скорые + нет + место
        врач + не + прийти|приходить
        без + сознание
        отказать + госпитализация
        ^ =не + госпитализировать
        """,
        window=5,
        guards=(PAST,),
    )
    out += _cues(
        K.HEALTH,
        "инсулин + нет|нету|отсутствовать|отсутствие|закончиться|не",
        window=2,
        guards=(PAST, BETWEEN),
    )
    # ... an attack said by its noun too ("подвергаются нападению стаи бездомных собак"; round 15, R37)
    out += _cues(
        K.DOGS,
        """
        собака|пес|пёс|стая|свора + укусить|покусать|напасть|нападать|кидаться|бросаться|кинуться|нападение
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
        ребенок|дети|сын|дочь + провалиться|тонуть + лед|полынья
        ^ дети|ребенок + на + крыша|лед
        """,
        window=5,
        guards=(NEG, PAST, HYPO),
    )
    out += _cues(K.THREAT, "угрожать + убийство|нож|расправа", guards=(NEG,))
    return tuple(out)


@lru_cache(maxsize=1)
def anchors() -> dict[str, list[int]]:
    """Word → the cues whose smallest slot holds it: a text without any of them matches no cue."""
    out: dict[str, list[int]] = {}
    for i, cue in enumerate(cues()):
        for word in min(cue.slots, key=len):
            out.setdefault(word, []).append(i)
    return out
