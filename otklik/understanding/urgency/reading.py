"""A text read by sentence, and the guards that drop a cue's match the way a person reads it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import product

from ..text import AnalyzedText, fold, morph
from .cues import Cue
from .kinds import COLD_MONTHS, UrgencyKind
from .vocabulary import (
    ABBREVIATIONS,
    AFTERMATH,
    BETWEEN,
    CANOPY,
    CHRONIC,
    CHRONIC_WORDS,
    CLAUSE,
    CLEARING,
    COLD_WATER,
    COMMON,
    COMMON_LEAK,
    COMMON_PLACES,
    COMMON_WORDS,
    COVER_OF,
    DEBT,
    DEBT_WORDS,
    DIRT,
    DIRT_WORDS,
    DOOR_GLASS,
    DOORS,
    DRAIN,
    DRAIN_WORDS,
    DURATION,
    FALLING_MATTER,
    FENCE_GONE,
    FENCE_NOUNS,
    FENCED,
    FENCED_WORDS,
    FINISH,
    FINISH_WORDS,
    FIRE_SAFETY,
    FIXED,
    FIXED_WORDS,
    FLOODS,
    FLOWS,
    GLASS,
    GROUND,
    HABIT,
    HABIT_WORDS,
    HABITUAL_NEXT,
    HANGING,
    HATCH,
    HATCH_WORDS,
    HEATING_QUALITY_WORDS,
    HOME,
    HOMES,
    HUNG_THINGS,
    HYPO,
    HYPOTHESIS,
    ICE_AND_SNOW,
    ICE_DOWN,
    INDOOR,
    INDOOR_FINISH_WORDS,
    INDOOR_PLACE,
    INDOOR_PLACES,
    INFRA,
    INFRA_WORDS,
    INSIDE,
    INTO,
    LANDMARK,
    LASTING,
    LIGHTS,
    LIVE_OR_LINE,
    LIVE_WIRE,
    LONG,
    LONG_UNITS,
    LONG_WORDS,
    LOOSE_WIRE,
    LOW_CURRENT,
    LUKEWARM,
    MODAL,
    MODALS,
    MONTHS,
    NEAR_WORDS,
    NEG,
    NEGATIONS,
    NOT_ICE,
    NOW,
    NOW_WORDS,
    OUTDOORS,
    OUTSIDE,
    PAINT,
    PAINT_WORDS,
    PARTIAL,
    PARTIAL_WORDS,
    PAST,
    PAST_EVENTS,
    PAST_FORM,
    PAST_SEASONS,
    PAST_WORDS,
    PLANNED,
    PLANNED_WORDS,
    QUALITY_WORDS,
    RAIN,
    RAIN_CONDITION,
    RAIN_WORDS,
    REQUEST,
    REQUEST_WORDS,
    ROAD,
    ROAD_WORDS,
    SEASON,
    SEASON_NOUNS,
    SEASON_POLICY,
    SEASONS_AHEAD,
    SENTENCE_END,
    SMELL,
    SMELLS,
    STEPS,
    SUNK,
    SUNK_WORDS,
    SUPPLY,
    SUPPLY_NOUNS,
    SUPPLY_PIPES,
    SUPPOSED,
    SUPPOSITION,
    SURFACE,
    TELECOM,
    TELECOM_WORDS,
    THROWN_DOWN,
    TICKS,
    TIME_RE,
    TIMES,
    TREE_MODAL,
    TREE_NEAR,
    TREES,
    TYPO_TOLERANT,
    WALL_PARTS,
    WALLS,
    WELL_WALLS,
    WIRING,
    YEAR,
)


class Reading:
    """One text's tokens by sentence, for matching cues and reading their guards."""

    def __init__(self, analyzed: AnalyzedText) -> None:
        self.analyzed = analyzed
        self.words = [fold(t.text) for t in analyzed.tokens]
        typos = _typos()
        self.readings = [
            frozenset(r) | {w} | typos.get(w, frozenset())
            for r, w in zip(analyzed.readings, self.words, strict=True)
        ]
        self.sentence: list[int] = []
        text, current, previous = analyzed.text, 0, 0
        last_word = ""
        for token in analyzed.tokens:
            end = SENTENCE_END.search(text, previous, token.start)
            if end and not (
                end.group() == "." and last_word in ABBREVIATIONS and "\n" not in text[previous : token.start]
            ):
                current += 1
            self.sentence.append(current)
            previous = token.stop
            last_word = fold(token.text)
        self.positions: dict[str, list[int]] = {}
        for i, options in enumerate(self.readings):
            for option in options:
                self.positions.setdefault(option, []).append(i)
        self.lemma_set = frozenset(self.positions)
        self.now = bool(self.lemma_set & NOW_WORDS) or bool(TIME_RE.search(analyzed.text.lower()))

    def sentence_span(self, i: int) -> range:
        s = self.sentence[i]
        start = i
        while start > 0 and self.sentence[start - 1] == s:
            start -= 1
        stop = i
        while stop + 1 < len(self.sentence) and self.sentence[stop + 1] == s:
            stop += 1
        return range(start, stop + 1)

    def clause_span(self, i: int) -> range:
        """The clause of token ``i``: its sentence cut at commas, colons, semicolons and dashes between
        tokens (round 11, G1) — a guard's word in another clause of the sentence says nothing of this one."""
        span = self.sentence_span(i)
        tokens, text = self.analyzed.tokens, self.analyzed.text
        start = i
        while start - 1 in span and not _CLAUSE_BREAK.search(
            text[tokens[start - 1].stop : tokens[start].start]
        ):
            start -= 1
        stop = i
        while stop + 1 in span and not _CLAUSE_BREAK.search(text[tokens[stop].stop : tokens[stop + 1].start]):
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


def guarded(cue: Cue, combo: tuple[int, ...], r: Reading, month: int | None) -> str:
    """The name of the guard that drops this match of the cue ("negation", "past", … — the learned
    model reads it as a feature), or "" when none does."""
    first, last = min(combo), max(combo)
    span = r.sentence_span(first)
    before = [j for j in range(span.start, last) if j not in combo]
    sentence = span
    # the cue's clause and what comes before it in the sentence: a time said up front governs what follows
    # ("С 2020 г., каждую зиму течёт"), one in a later clause is of something else (round 11, G1)
    clause = range(span.start, max(r.clause_span(last).stop, last + 1))
    g = cue.guards
    words = r.words
    if CLAUSE in g and len({r.clause_span(k).start for k in combo}) > 1:
        return CLAUSE  # "балкон черной лестницы, пол развален, разрушена стяжка": two clauses, two things
    if NEG in g:
        for k in combo:
            if k - 1 in span and k - 1 not in combo and words[k - 1] in NEGATIONS:
                return NEG
            if (
                k - 2 in span
                and k - 2 not in combo
                and words[k - 2] in NEGATIONS
                and _negates_across(r, k, combo)
            ):
                return NEG
        if cue.kind in (UrgencyKind.FIRE, UrgencyKind.GAS) and last + 1 in span and words[last + 1] == "нет":
            return NEG
    # "до сих пор нет воды": a supply cut that lasts is not over, whatever began it (round 9, G1)
    # ... nor is a tree, a wire or a pole that fell and still lies or hangs there: "после урагана дерево упало
    # на провода, и до сегодняшнего дня оно там и весит" (round 13, R13)
    if (
        PAST in g
        and not (cue.kind in _SUPPLY_KINDS and _lasting(r))
        and not (cue.kind in _STAYING_KINDS and _lasting_in(r, span))
    ):
        if any(words[j] == "после" for j in range(max(span.start, first - 3), first)):
            return PAST
        if r.has(before, PAST_WORDS):
            return PAST
        if any(words[j] in ("был", "была", "было", "были") for j in range(max(span.start, first - 2), first)):
            return PAST
        if (
            any(w in PAST_EVENTS for w in (words[j] for j in sentence))
            and any(words[j] in PAST_SEASONS for j in sentence)
            and not r.has(sentence, NOW_WORDS)  # "летом был ремонт крыши, сегодня утром крыша потекла"
        ):
            return PAST
        # a year in the cue's clause ("в 2019 году повредили крышку"), not in another clause of the
        # sentence ("люка нет, в 2019 году дорожники …"; round 11, G1) — nor when the cue's own clause says
        # it is now again ("в 2019 и 2020 году проходил ремонт кровли, сегодня опять протекает крыша";
        # round 15, R39)
        again = _says_now(r, r.clause_span(first))
        if not again and any(YEAR.match(words[j]) and j > 0 and words[j - 1] in ("в", "во") for j in clause):
            return PAST
        if not again and any(
            YEAR.match(words[j]) and j > 1 and words[j - 2] in ("в", "во") and j - 1 != first for j in clause
        ):
            return PAST
        if cue.kind == UrgencyKind.FIRE and any(
            "гореть" in r.readings[k] and PAST_FORM.search(words[k]) for k in combo
        ):
            return PAST
        if _aftermath(r) and not r.now:
            return PAST
        if any(words[k].startswith("упавш") for k in combo):
            return PAST
    # "где отсутствовала подача отопления": an absence said in the past tense was then, not now, unless
    # the sentence says it lasts or is now (round 13, R9)
    if (
        cue.kind in _SUPPLY_KINDS
        and any(words[k].startswith("отсутствовал") for k in combo)
        and not _lasting(r)
        and not _says_now(r, sentence)
    ):
        return PAST
    if HYPO in g and r.has(before, HYPOTHESIS):
        return HYPO
    # months or years of it, its sentence not saying now ("с 2020 г. в доме течёт крыша"; round 10, D1)
    # ... in the cue's clause (round 11, G1: "течь воды на -1 этаже, …, за три года уборка …" is a leak now)
    if LONG in g and _long_duration(r, clause) and not _says_now(r, sentence):
        return LONG
    if LOOSE_WIRE in g and _loose_wire(r, combo, span):
        return (
            LOOSE_WIRE  # "торчит провод", "провода оторваны от стен", "оторван провод. Не работает домофон"
        )
    if HATCH in g and any(
        r.readings[k] & _MANHOLE_WORDS
        and r.has(range(max(span.start, k - 3), min(span.stop, k + 4)), HATCH_WORDS)
        for k in combo
    ):
        return HATCH  # "крышка загрузочного люка мусоропровода", "цокольный люк": no manhole in a path
    # Round 12: what the broad cues name that the guide calls the day's work, read by what falls, where
    # the water goes and whose the cover is — not by one text's words.
    if PAINT in g and _paint(r, combo, span):
        return PAINT  # "осыпается краска", "с крыш летят куски краски": paint, not plaster or brick (R1)
    if INDOOR in g and _indoor_finish(r, combo, span):
        return INDOOR  # "на потолке отваливается штукатурка" in a stairwell: repair (R2)
    if COMMON_LEAK in g and _leak_in_common(r):
        return COMMON_LEAK  # "в парадной протекает кровля", no flat named as flooded (R3)
    if HATCH in g and _cover_of_other(r, combo, span):
        return COVER_OF  # "крышка светофора повреждена": the signal's cover, no manhole (R4)
    if DOOR_GLASS in g and _door_glass(r, span):
        return DOOR_GLASS  # "разбито стекло в двери … сыпятся стёкла": the door's repair (R5)
    if SMELL in g and any(k - 1 in span and k - 1 not in combo and r.readings[k - 1] & SMELLS for k in combo):
        return SMELL  # "запах канализации, и как результат протечки": a smell (round 13, R15)
    # Round 14: a well's walls that crumble, its opening not named ("Разрушаются внутренние стенки колодца",
    # R24); ice inside a pipe ("льда внутри трубы", R25).
    if INDOOR_PLACE in g and r.has(span, INDOOR_PLACES) and not r.has(span, OUTSIDE):
        return INDOOR_PLACE
    if WELL_WALLS in g and r.has(r.clause_span(last), WALL_PARTS):
        return WELL_WALLS
    if INSIDE in g and r.has(r.clause_span(last), frozenset({"внутри"})):
        return INSIDE
    # Round 15 (R38): dirt that pours on heads — dust, cobwebs — no part of a building in the sentence
    if DIRT in g and r.has(range(len(words)), DIRT_WORDS) and not r.has(span, FALLING_MATTER):
        return DIRT
    if (
        NOT_ICE in g
        and r.has(r.clause_span(last), HUNG_THINGS)
        and not r.has(r.clause_span(last), ICE_AND_SNOW)
    ):
        return NOT_ICE  # "Свисает провод с крыши, валяется на снегу": a wire hangs, not ice (round 13, R12)
    if ICE_DOWN in g and _ice_down(r, sentence):
        return ICE_DOWN  # "неубранный лёд с крыш на тротуаре", "во время уборки наледей с крыши разбили …"
    if SUPPOSITION in g and _supposed(r, before, sentence):
        return SUPPOSITION
    if MODAL in g and any("мочь" in r.readings[j] for j in range(max(span.start, first - 3), first)):
        return MODAL
    if TREE_NEAR in g and r.has(sentence, TREES):
        return TREE_NEAR
    if PARTIAL in g:
        partial = PARTIAL_WORDS | QUALITY_WORDS if cue.kind == UrgencyKind.NO_WATER else PARTIAL_WORDS
        if cue.kind == UrgencyKind.NO_HEATING:
            partial = PARTIAL_WORDS | HEATING_QUALITY_WORDS
        if any(
            r.readings[j] & partial and not (j + 1 in span and r.readings[j + 1] & (DURATION | TIMES))
            for j in range(max(span.start, first - 2), last + 1)
        ):
            return PARTIAL  # not "почти сутки нет воды": "почти" is the duration's (round 11, G2)
        if cue.kind == UrgencyKind.NO_WATER and _lukewarm(r, combo, span):
            return PARTIAL  # "нет горячей воды, … идёт чуть тёплая": it runs, only not hot (round 12, R6)
    if LANDMARK in g and any(r.readings[k] & _MANHOLE_WORDS and _landmark(r, k, span) for k in combo):
        return LANDMARK  # "рядом с люком провалилось мощение", "близи люка колодца": where, not what
    if FIXED in g and not r.now and _said_done(r, FIXED_WORDS):
        return FIXED  # "протечку устранили", "после устранения аварии": it is over
    if SUNK in g and r.has(sentence, _FELL_IN_WORDS if r.has(combo, _FELL_IN) else SUNK_WORDS):
        # a cover sunk below the asphalt; one that fell in ("Провалился люк, нормально не подъехать") is
        # open, whatever it does to the traffic — unless the sentence says it sank to a level or into the
        # asphalt (round 15, R31)
        return SUNK
    if FENCED in g and _fenced(r):
        return FENCED  # "яму огородили": fenced off
    if FINISH in g and r.has(
        (j for j in range(first, min(last + 3, span.stop)) if j not in combo), FINISH_WORDS
    ):
        return FINISH  # "обвалившаяся штукатурка стены": the finish fell, not the structure
    if SURFACE in g and not r.has(sentence, LIVE_WIRE):
        return SURFACE  # "открытые провода на стенах": surface wiring, nothing bare, sparking or live
    if TREE_MODAL in g and r.has(sentence, TREES) and r.has(before, frozenset({"мочь"})):
        return TREE_MODAL
    if REQUEST in g and r.has(before, REQUEST_WORDS):
        return REQUEST
    if cue.kind == UrgencyKind.FIRE and r.has(sentence, FIRE_SAFETY):
        return "fire_safety"
    if cue.kind == UrgencyKind.TREE and any(
        r.readings[k] & TREES and k - 1 in span and words[k - 1] == "на" for k in combo
    ):
        return "on_a_tree"  # "на дереве висит пакет": something on a tree
    if BETWEEN in g:
        for k in combo:
            nxt = k + 1
            if (
                words[k] in ("нет", "нету")
                and k == last
                and nxt in span
                and _is_noun(words[nxt])
                and not r.readings[nxt] & (DURATION | TIMES)
            ):
                return BETWEEN  # "воды - нет возможности перекрыть": "нет" is the next noun's
    if (
        cue.kind == UrgencyKind.FIRE
        and any("гореть" in r.readings[k] for k in combo)
        and r.has(range(max(span.start, first - 3), min(span.stop, last + 4)), LIGHTS)
    ):
        return "a_lamp"  # "горит свет в подвале", "не горит фонарь": a lamp, not a fire
    if RAIN in g and not r.now:
        # the rain is what floods ("квартира постоянно затапливается осадками"; round 14, R27)
        if any(
            j in span and r.readings[j] & RAIN_WORDS and _is_instrumental(words[j])
            for j in (last + 1, last + 2)
        ):
            return RAIN
        for j in sentence:
            if r.readings[j] & RAIN_WORDS and any(
                words[i] in RAIN_CONDITION or r.readings[i] & {"каждый", "время"}
                for i in range(max(span.start, j - 3), j)
            ):
                return RAIN
    if HABIT in g and (
        r.has(sentence, HABIT_WORDS)
        or any(
            words[j] in ("по", "несколько") and words[j + 1] in HABITUAL_NEXT
            for j in sentence
            if j + 1 in sentence
        )
        or any("каждый" in r.readings[j] and r.readings[j + 1] & TIMES for j in sentence if j + 1 in sentence)
    ):
        return HABIT
    where = range(len(words)) if cue.kind == UrgencyKind.NO_POWER else sentence
    if COMMON in g and r.has(where, COMMON_WORDS) and not r.has(sentence, HOME):
        return COMMON
    # years of it, unless the text says it is happening again now ("в этом году опять нет отопления")
    if CHRONIC in g and (r.has(sentence, CHRONIC_WORDS) or (_chronic(r) and not r.now)):
        return CHRONIC
    if (
        PLANNED in g
        and r.has(range(len(words)), PLANNED_WORDS)
        and r.has(range(max(span.start, first - 2), last + 1), frozenset({"горячий", "гвс"}))
        and not r.has(range(max(span.start, first - 2), last + 1), frozenset({"холодный", "хвс"}))
    ):
        return PLANNED
    # ... no drain when the leak names a supply pipe or hot water in its clause (round 14, R26)
    if (
        DRAIN in g
        and r.has(sentence, DRAIN_WORDS)
        and not r.has(r.clause_span(first), SUPPLY_PIPES)
        and not r.has(sentence, WIRING)  # water onto wiring, whatever pipe it comes from (R29)
    ):
        return DRAIN
    # ... and water on the porch's steps where the text names the canopy's drainage ("вода льётся прямо на
    # ступени", a gutter asked for the canopy; round 14, R28)
    if DRAIN in g and r.has(combo, STEPS) and r.has(range(len(words)), DRAIN_WORDS | CANOPY):
        return DRAIN
    if DEBT in g and r.has(range(len(words)), DEBT_WORDS):
        return DEBT
    if BETWEEN in g and any(
        _only_noun(words[j])
        and not r.readings[j] & SUPPLY_NOUNS  # "отсутствует подача электроэнергии" (round 13, R9)
        and not any(_is_preposition(words[i]) for i in (j - 1, j - 2) if i > first)
        for j in range(first + 1, last)
        if j not in combo
    ):
        return BETWEEN  # not "отопления до сих пор нет", "отсутствует холодное водоснабжение" (round 11, G3)
    if COLD_WATER in g and any(
        r.readings[k] & {"холодный", "ледяной"}
        and r.has((j for j in (k - 1, k + 1) if 0 <= j < len(words)), frozenset({"вода", "водоснабжение"}))
        for k in combo
    ):
        return COLD_WATER
    if INFRA in g and r.has(range(first, last + 1), INFRA_WORDS):
        return INFRA
    if ROAD in g and r.has(sentence, ROAD_WORDS):
        return ROAD
    if TICKS in g and r.has(range(len(words)), frozenset({"клещ", "змея", "комар"})):
        return TICKS
    if TELECOM in g and r.has(sentence, TELECOM_WORDS):
        return TELECOM
    if NOW in g and not (r.now or r.has(sentence, DURATION)):
        return NOW
    if SEASON in g:
        if month is not None and month not in COLD_MONTHS:
            return SEASON
        everywhere = range(len(words))
        if r.has(everywhere, SEASON_POLICY) or r.has(everywhere, frozenset({"апрель", "май"})):
            return SEASON
        if r.has(sentence, frozenset({"город"})) or any(words[j] == "всех" for j in sentence):
            return SEASON
    return ""


_YEARS_OF_IT = re.compile(
    r"(?:на\s+протяжении|в\s+течени[ие]|уже|более|больше|около|почти|свыше)\s+"
    r"(?:(?:\d{1,2}(?:[.,]\d)?(?:-?х)?|нескольк\w*|многи\w*|много|полутора|двух|тр[её]х|пяти|десяти"
    r"|два|три|четыре|пять|шесть|семь|восемь|десять)\s+)?"
    r"(?:лет|года|годами|отопительных\s+сезонов|сезонов)(?![а-я])"
    r"|из\s+года\s+в\s+год|(?<![а-я])годами(?![а-я])|(?<![а-я])много\s+лет(?![а-я])",
    re.IGNORECASE,
)


_CLAUSE_BREAK = re.compile(r"[,:;—–]|\s-\s")
_SUPPLY_KINDS = frozenset({UrgencyKind.NO_WATER, UrgencyKind.NO_HEATING, UrgencyKind.NO_POWER})
_MANHOLE_WORDS = frozenset({"люк", "колодец", "крышка"})
# Round 15 (R31): the cover or the well fell in ("провал люка", "люк провалился"), not sank
_FELL_IN = frozenset({"провалиться", "провалившийся", "проваливаться", "провал"})
_FELL_IN_WORDS = frozenset({"просесть", "проседать", "просевший", "уровень", "ниже", "асфальт", "покрытие"})
_STAYING_KINDS = frozenset({UrgencyKind.TREE, UrgencyKind.WIRES, UrgencyKind.POLE})


@lru_cache(maxsize=1)
def _typos() -> dict[str, frozenset[str]]:
    """Each form of a supply word (:data:`TYPO_TOLERANT`) with one letter left out, when the dictionary
    knows no such word → that word's lemma ("отсутсвует" → "отсутствовать"; round 14, R18)."""
    out: dict[str, set[str]] = {}
    for lemma in TYPO_TOLERANT:
        for form in {fold(f.word) for p in morph().parse(lemma)[:1] for f in p.lexeme}:
            for i in range(1, len(form) - 1):
                short = form[:i] + form[i + 1 :]
                if len(short) >= 6 and short != form and not morph().word_is_known(short):
                    out.setdefault(short, set()).add(lemma)
    return {k: frozenset(v) for k, v in out.items()}


def typo_readings(words: Iterable[str]) -> frozenset[str]:
    """The supply words these (folded) words are with a letter put back (:func:`_typos`)."""
    typos = _typos()
    return frozenset().union(*(typos[w] for w in words if w in typos))


def _negates_across(r: Reading, k: int, combo: tuple[int, ...]) -> bool:
    """Whether a negation two words before the cue's word ``k`` is the cue word's: not across a comma
    ("не пройти, дети могут провалиться") and not when the word between is a verb of its own ("не
    могут заделать дыру" negates the repair, not the hole; modals pass it on: "не может гореть")."""
    tokens = r.analyzed.tokens
    if re.search(r"[,:—–]|\s-\s", r.analyzed.text[tokens[k - 2].stop : tokens[k].start]):
        return False
    between = k - 1
    return between in combo or not (_is_verb(r.words[between]) and not r.readings[between] & MODALS)


_NUMBERS = {"два": 2, "две": 2, "полтора": 1, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7}
_NUMBERS |= {"восемь": 8, "девять": 9, "десять": 10, "один": 1, "одна": 1}
_COUNT = re.compile(r"^(\d{1,2})(?:-?х|-?ти|-?ми)?$")


def _number(word: str) -> int:
    """The count a word says: "4", "2-х", "четыре" → 4, 2, 4; 0 when none."""
    match = _COUNT.match(word)
    return int(match.group(1)) if match else _NUMBERS.get(word, 0)


def _long_duration(r: Reading, sentence: range) -> bool:
    """A sentence says its trouble has lasted months or years (round 10, D1): "с 2020 г.", "с июля",
    "с октября месяца", "с лета", "четыре года", "несколько месяцев", "длительное время", "никогда",
    "годами". A start on a date ("с 5 декабря", "с 10:00") or days and weeks
    ("третий день", "неделю") are an outage now, not this."""
    words = r.words
    for j in sentence:
        here = r.readings[j]
        if here & LONG_WORDS:
            if not here & {"длительный", "долгий"}:
                return True
            if j + 1 in sentence and r.readings[j + 1] & {"время", "срок", "период"}:
                return True
        if words[j] in ("с", "со") and j + 1 in sentence:
            after = r.readings[j + 1]
            if YEAR.match(words[j + 1]) or after & (MONTHS | SEASON_NOUNS):
                return True
        if here & LONG_UNITS and j - 1 in sentence:
            count = _number(words[j - 1])
            if (
                count >= 2
                or (count == 1 and "год" in here)
                or r.readings[j - 1] & {"несколько", "много", "многий"}
            ):
                return True
    return False


def _says_now(r: Reading, sentence: range) -> bool:
    """The sentence says it is happening now: "сегодня", "сейчас", "опять", "теперь", "с утра", "с 10:00"."""
    if r.has(sentence, NOW_WORDS | {"теперь"}):
        return True
    if any(
        r.words[j] in ("с", "со") and r.readings[j + 1] & {"утро", "вечер", "ночь"}
        for j in sentence
        if j + 1 in sentence
    ):
        return True
    tokens = r.analyzed.tokens
    return bool(
        TIME_RE.search(r.analyzed.text[tokens[sentence.start].start : tokens[sentence[-1]].stop].lower())
    )


def tense_signals(r: Reading, at: Iterable[int]) -> frozenset[str]:
    """What the sentences holding the tokens ``at`` (a cue's first word each) say of time: "duration"
    (months or years of it, :func:`_long_duration`) and "now" (:func:`_says_now`) — features of the
    learned model beside the guards (round 10)."""
    out: set[str] = set()
    for span in {r.sentence[i]: r.sentence_span(i) for i in at}.values():
        if _long_duration(r, span):
            out.add("duration")
        if _says_now(r, span):
            out.add("now")
    return frozenset(out)


_LOOSE = frozenset({"торчать", "оторвать", "оторванный", "оторваться"})


def _loose_wire(r: Reading, combo: tuple[int, ...], span: range) -> bool:
    """A wire that sticks out or was pulled off a wall, or an intercom's or antenna's, with nothing bare,
    sparking, live or of a pole or a line in its sentence (round 10, L3): "торчит провод", "провода
    оторваны от стен", "оторван провод. Не работает домофон"."""
    verbs = [k for k in combo if r.readings[k] & _LOOSE]
    if not verbs or r.has(span, LIVE_OR_LINE):
        return False
    if any(r.readings[k] & {"торчать"} for k in verbs):
        return True
    off_wall = any(
        r.words[j] == "от" and r.readings[j + 1] & WALLS
        for k in verbs
        for j in range(k, min(span.stop, k + 4) - 1)
    )
    following = range(span.start, min(len(r.words), span.stop + 8))  # the sentence and the next words
    return off_wall or r.has(following, LOW_CURRENT)


def _paint(r: Reading, combo: tuple[int, ...], span: range) -> bool:
    """What falls is paint (round 12, R1): a paint word next to a word of the cue, and no plaster, brick
    or facing in that word's clause ("Осыпается краска, повреждения штукатурки фасада", "с крыш летят
    куски краски"; not "осыпается краска и штукатурка с фасада")."""
    for k in combo:
        for j in (k - 1, k + 1):
            if j in span and j not in combo and r.readings[j] & PAINT_WORDS:
                clause = r.clause_span(k)
                if not r.has((i for i in clause if i != j), FALLING_MATTER):
                    return True
    return False


def _indoor_finish(r: Reading, combo: tuple[int, ...], span: range) -> bool:
    """A finish — plaster, putty, paint — coming off indoors (round 12, R2): the finish is the cue's or
    next to it, the sentence names a ceiling, a stairwell or a flat and nothing outdoors ("Отслоение
    штукатурки на стене и потолке", "на потолке отваливается штукатурка"; not "штукатурка падает с
    фасада на тротуар")."""
    near = range(max(span.start, min(combo) - 1), min(span.stop, max(combo) + 2))
    return r.has(near, INDOOR_FINISH_WORDS) and r.has(span, INDOOR_PLACES) and not r.has(span, OUTDOORS)


def _leak_in_common(r: Reading) -> bool:
    """A leak under a roof or on a ceiling in the common areas with no home named as where the water
    goes (round 12, R3): the text names a stairwell, an attic or a pram room, and every flat it names
    is a landmark ("напротив 34 квартиры", "где квартиры с 32 по 42"), none after "в", "на", "из" or a
    flooding word ("в квартире", "залило квартиру", "потолок квартиры")."""
    if not r.has(range(len(r.words)), COMMON_PLACES):
        return False
    for j, options in enumerate(r.readings):
        if options & HOMES and any(
            r.words[i] in INTO or r.readings[i] & FLOODS for i in (j - 1, j - 2) if i >= 0
        ):
            return False
    return True


def _cover_of_other(r: Reading, combo: tuple[int, ...], span: range) -> bool:
    """A cover named with its owner (round 12, R4): "крышка" followed, over adjectives, by a noun in the
    genitive that is no manhole or well ("крышка светофора", "крышка щитка"; not "крышка люка",
    "крышка канализационного колодца")."""
    if any(r.readings[k] & {"люк", "колодец"} for k in combo):
        return False
    for k in combo:
        if "крышка" not in r.readings[k]:
            continue
        j = k + 1
        while j in span and j <= k + 3 and (_is_adjective(r.words[j]) or _abbreviated(r, j)):
            j += 1  # over adjectives and shortened ones: "крышки распределительных эл. щитков" (round 13)
        if j in span and not r.readings[j] & _MANHOLE_WORDS and _is_genitive_noun(r.words[j]):
            return True
    return False


def _abbreviated(r: Reading, j: int) -> bool:
    """Token ``j`` is a shortened word: at most four letters followed by a full stop ("эл.", "тех.")."""
    token = r.analyzed.tokens[j]
    return len(r.words[j]) <= 4 and r.analyzed.text[token.stop : token.stop + 1] == "."


def _door_glass(r: Reading, span: range) -> bool:
    """Glass broken in a door (round 12, R5): the sentence's falling thing is glass and the text says
    it is a door's ("Разбито стекло в двери … сыпятся стёкла")."""
    if not r.has(span, GLASS):
        return False
    n = len(r.words)
    return any(r.readings[j] & GLASS and r.has(range(max(0, j - 3), min(n, j + 4)), DOORS) for j in range(n))


def _lukewarm(r: Reading, combo: tuple[int, ...], span: range) -> bool:
    """Hot water said to run, only not hot (round 12, R6): the absence is of hot water and the sentence
    says water runs lukewarm, rusty or cloudy ("нет горячей воды, из крана с горячей водой идёт холодная
    или чуть тёплая вода")."""
    around = range(max(span.start, min(combo) - 2), min(span.stop, max(combo) + 2))
    if not r.has(around, frozenset({"горячий", "гвс"})):
        return False
    return any(
        r.readings[j] & LUKEWARM
        and r.has(range(max(span.start, j - 3), min(span.stop, j + 4)), FLOWS | {"вода"})
        for j in span
    )


def _ice_down(r: Reading, sentence: range) -> bool:
    """Roof ice or snow already down, or named in a clause about clearing it (round 10, L5): "неубранный
    снег и лёд с крыш на тротуаре", "во время уборки наледей с крыши разбили фонарь" — unless the sentence
    says it hangs or falls ("сосульки свисают", "лёд падает на тротуар")."""
    if r.has(sentence, HANGING):
        return False
    if r.has(sentence, THROWN_DOWN):
        return True
    for j in sentence:
        if j + 1 in sentence and r.words[j] == "на" and r.readings[j + 1] & GROUND:
            return True
        if r.readings[j] & CLEARING and j - 1 in sentence and r.words[j - 1] in ("время", "при", "после"):
            return True
    return False


def _lasting(r: Reading) -> bool:
    """A sentence says a supply is still cut: "до сих пор … водоснабжение не восстановлено"."""
    text = r.analyzed.text
    for match in LASTING.finditer(text):
        at = next((i for i, t in enumerate(r.analyzed.tokens) if t.start >= match.start()), None)
        if at is not None and r.has(r.sentence_span(at), SUPPLY):
            return True
    return False


def _lasting_in(r: Reading, span: range) -> bool:
    """The sentence ``span`` says its state lasts: "до сих пор", "до сегодняшнего дня", "по сей день"."""
    tokens = r.analyzed.tokens
    return bool(LASTING.search(r.analyzed.text[tokens[span.start].start : tokens[span[-1]].stop]))


def _aftermath(r: Reading) -> bool:
    """Who pays for the damage ("возместить ущерб"): the event is over — unless the damage is feared
    ("может принести ущерб", "во избежание ущерба")."""
    return any(
        r.readings[j] & AFTERMATH and not r.has(range(max(0, j - 3), j), HYPOTHESIS)
        for j in range(len(r.words))
    )


def _supposed(r: Reading, before: list[int], sentence: range) -> bool:
    """What the writer supposes or waits for, not what is there: "как будто есть прорывы", "ждут, пока
    он рухнет", "зима скоро — здравствуйте сосульки" (round 9, H1)."""
    if r.has(before, SUPPOSED):
        return True
    for j in before:
        if r.words[j] == "пока" and r.has(range(max(sentence.start, j - 3), j), frozenset({"ждать"})):
            return True
        if r.words[j] == "скоро" and r.has(sentence, SEASONS_AHEAD):
            return True
    return False


def _landmark(r: Reading, k: int, span: range) -> bool:
    """The manhole word at ``k`` names a place: a preposition or "близи", "возле" before it (over
    other manhole words: "близи люка колодца")."""
    j = k - 1
    while j in span and r.readings[j] & _MANHOLE_WORDS:
        j -= 1
    return j in span and (r.words[j] in NEAR_WORDS or _is_preposition(r.words[j]))


def _fenced(r: Reading) -> bool:
    """The text says the place is fenced: a fence word done (not asked for), not negated and not
    "частично", and no fence
    said to be gone ("ограждения забрали", "нет ограждения"; round 9, G3)."""
    for j in range(len(r.words)):
        if r.readings[j] & FENCE_NOUNS:
            near = range(max(0, j - 3), min(len(r.words), j + 4))
            if r.has(near, FENCE_GONE) or (j > 0 and r.words[j - 1] in {"нет", "без"}):
                return False
    return any(
        r.readings[j] & FENCED_WORDS
        and _is_done_form(r.words[j])  # "огородили", "огорожено" — not "необходимо огородить"
        and not any(r.words[k] in NEGATIONS for k in (j - 1, j - 2) if k >= 0)
        and not any(r.words[k] in PARTIAL_WORDS for k in (j - 1, j - 2) if k >= 0)
        for j in range(len(r.words))
    )


def _affirmed(r: Reading, lemmas: frozenset[str]) -> bool:
    """Whether the text says one of ``lemmas`` without a negation right before it ("не устранили")."""
    return any(
        r.readings[j] & lemmas and not any(r.words[k] in NEGATIONS for k in (j - 1, j - 2) if k >= 0)
        for j in range(len(r.words))
    )


def _said_done(r: Reading, lemmas: frozenset[str]) -> bool:
    """Whether the text says the work of ``lemmas`` was done: a past form ("устранили", "устранена",
    "ликвидированная") or its noun after "после" ("после устранения аварии"), not negated. Asking for
    it ("просим устранить", "устраните", "требуется устранение") says it is not done yet."""
    for j, word in enumerate(r.words):
        if not r.readings[j] & lemmas or any(r.words[k] in NEGATIONS for k in (j - 1, j - 2) if k >= 0):
            continue
        if _is_done_form(word) or any(r.words[k] == "после" for k in (j - 1, j - 2) if k >= 0):
            return True
    return False


@lru_cache(maxsize=5_000)
def _is_done_form(word: str) -> bool:
    """A past verb or a passive participle: the action is over ("устранили", "устранена")."""
    parses = morph().parse(word)
    if not parses:
        return False
    tag = parses[0].tag
    return (tag.POS == "VERB" and "past" in tag) or (tag.POS in {"PRTS", "PRTF"} and "pssv" in tag)


def _chronic(r: Reading) -> bool:
    """Years of it: "на протяжении 2-х лет", "из года в год", "20 лет"."""
    return bool(_YEARS_OF_IT.search(r.analyzed.text))


@lru_cache(maxsize=50_000)
def _is_noun(word: str) -> bool:
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS == "NOUN"


@lru_cache(maxsize=50_000)
def _only_noun(word: str) -> bool:
    """A noun that can be read as nothing else: "холодное" may be an adjective, so it is not one."""
    parses = morph().parse(word)
    return (
        bool(parses)
        and parses[0].tag.POS == "NOUN"
        and not any(p.tag.POS in {"ADJF", "PRTF"} for p in parses)
    )


@lru_cache(maxsize=20_000)
def _is_verb(word: str) -> bool:
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS in {"VERB", "INFN"}


@lru_cache(maxsize=20_000)
def _is_adjective(word: str) -> bool:
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS in {"ADJF", "PRTF"}


@lru_cache(maxsize=20_000)
def _is_genitive_noun(word: str) -> bool:
    """Any reading a noun in the genitive ("щитков" is also a short adjective; round 13)."""
    return any(p.tag.POS == "NOUN" and "gent" in p.tag for p in morph().parse(word))


@lru_cache(maxsize=5_000)
def _is_preposition(word: str) -> bool:
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS == "PREP"


@lru_cache(maxsize=5_000)
def _is_instrumental(word: str) -> bool:
    return any(p.tag.POS == "NOUN" and "ablt" in p.tag for p in morph().parse(word))
