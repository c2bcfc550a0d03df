"""Reading an official answer as a moderator does: what was done, what is promised and by when, what
was found, who else the matter belongs to — sentence by sentence, with lemmas, negation, tense and
aspect.

:func:`read_answer` returns a :class:`Reading`: the statements it found, each with the words behind it,
and :meth:`Reading.features` the numeric features the learned check (:mod:`.answer_model`) weighs.
Rules here say *what a sentence states*; how much each statement counts towards "a formal non-answer"
is learned from the hand-annotated answers (``docs/annotation/answers.md``).

* A **completion** is an action verb in the completed past — a short passive participle ("удалены",
  "закрашены", "ликвидирована", "убран") or a perfective past verb ("убрали") — not negated, not in a
  conditional ("в случае", "если") and not a step of paperwork ("направлено", "рассмотрено",
  "включено") or an inspection ("проведено обследование").
* A **promise** is a future statement ("будут выполнены", "планируется") or a term ("в срок до …",
  "не позднее …", "до 15.10.2021"). Its date is the promise's, not a regulation's: a date after "от"
  or beside "№" / a law's name is the date of a document, and a date before the answer is history.
  Past the end of the year after the answer's year, the term is a deferral.
* A **finding** is the result of a check: "не подтвердилась", "в пределах допустимых норм",
  "находится в исправном состоянии".
* A **referral** is a concrete step towards the body the matter belongs to: a notice, an order or a
  claim in court, a protocol, a named body to turn to.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from razdel import sentenize

from .text import fold, morph


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Verbs whose completed past is paperwork or a check, not the work asked for.
PAPERWORK_LEMMAS = _set(
    """
    рассмотреть направить переадресовать передать включить внести сформировать утвердить предложить
    составить принять подтвердить получить выдать вручить предоставить уведомить проинформировать
    сообщить разъяснить запросить подготовить зарегистрировать учесть согласовать заключить
    предъявить подать привлечь возбудить вынести назначить продлить оставить взять поставить
    обеспечить запланировать спланировать определить признать приложить прилагать
    выявить обнаружить зафиксировать осмотреть обследовать проверить провести произвести
    выполнить осуществить сделать проводить производить выполнять осуществлять
    предусмотреть обязать расположить связать отнести исполнить разработать приблизить выделить поступить
    ограничить инициировать предпринять принадлежать обусловить закрепить оформить расторгнуть заказать
    допустить вызвать признать размещать располагать находиться начать дать продлевать рассматривать
    указать изложить перечислить ознакомить довести известить уполномочить наделить лишить
    """
)
# Generic verbs ("выполнены работы", "проведено обследование"): work only with a word of work beside.
GENERIC_LEMMAS = _set(
    "провести произвести выполнить осуществить сделать проводить производить выполнять осуществлять"
)
INSPECTION_LEMMAS = _set(
    "обследование осмотр проверка мониторинг обход комиссионный замер выезд фотофиксация"
)
# "установлено" is a finding when a clause follows ("установлено, что", "установлено:").
FINDING_PARTICIPLES = _set("установить выявить обнаружить подтвердить")
FUTURE_AUX = frozenset({"будет", "будут", "буду", "будем", "будете", "станет"})
MODAL_LEMMAS = _set(
    "мочь должный необходимо нужно требоваться планироваться планировать возможно возможный"
    " предусмотреть предполагаться"
)
CONDITIONAL_CUES = re.compile(
    r"\b(?:в случае|если|при условии|при невыполнении|при не выполнении|при неисполнении|при отсутствии"
    r"|в случае не|после того как)\b",
    re.IGNORECASE,
)
FINDING_CUES = re.compile(
    r"не\s+подтверди\w*|не\s+нашл\w*\s+(?:своего\s+)?подтвержд\w*|факт\w*\s+\w*\s*не\s+подтверд\w*"
    r"|не\s+выявлен\w*|не\s+обнаружен\w*|нарушени\w*\s+не\s+выявлен\w*"
    r"|соответству\w*\s+(?:установленным\s+)?(?:\w+\s+){0,3}норм\w*|в\s+пределах\s+(?:допустимых\s+)?норм\w*"
    r"|в\s+(?:технически\s+)?(?:исправном|работоспособном|нормативном|надлежащем|удовлетворительном)\s+состоянии"
    r"|находит\w*\s+в\s+рабочем\s+состоянии|(?<!при\s)\bотсутству\w*|не\s+зарегистрирован\w*"
    r"|не\s+соответству\w*|предусмотрен\w*\s+(?:согласно|проект)\w*|установлен\w*\s+правомерно"
    r"|(?:так\s+как|т\.\s?к\.|поскольку|в\s+связи\s+с\s+тем,?\s+что)\s+(?!адресн|программ|план)",
    re.IGNORECASE,
)
MONITORING_CUES = re.compile(
    r"план\w*\s+мониторинг\w*|будет\s+рассмотрен\w*|будут\s+рассмотрен\w*|на\s+рассмотрении"
    r"|срок\w*\s+рассмотрени\w*\s+(?:\w+\s+){0,3}продлева\w*|вопрос\s+прорабатыва\w*|находится\s+в\s+проработке"
    r"|будет\s+(?:рассмотрен|изучен)\w*\s+вопрос|рассмотрен\w*\s+возможност\w*",
    re.IGNORECASE,
)
FUNDING_CUES = re.compile(
    r"при\s+наличии\s+(?:\w+\s+)?финансировани\w*|по\s+мере\s+(?:\w+\s+)?финансировани\w*"
    r"|при\s+поступлении\s+(?:денежных\s+)?средств|в\s+пределах\s+(?:выделенн\w+\s+)?(?:лимит|финансирован)\w*"
    r"|при\s+выделении\s+(?:\w+\s+)?(?:средств|финансировани)\w*",
    re.IGNORECASE,
)
IN_PROGRESS_CUES = re.compile(
    r"(?:ведутся|проводятся|выполняются|производятся|начаты)\s+(?:\w+\s+){0,2}работ\w*", re.IGNORECASE
)
PROGRAMME_FORMED_CUES = re.compile(
    r"программ\w*\s+(?:\w+\s+){0,8}(?:уже\s+)?(?:сформирован|утвержден|исполнен)\w*"
    r"|не\s+представляется\s+возможным|невозможно\s+(?:выполнить|устранить)|нецелесообразн\w*",
    re.IGNORECASE,
)
CAPITAL_REPAIR_CUES = re.compile(
    r"региональн\w*\s+программ\w*\s+капитальн\w*|капитальн\w*\s+ремонт\w*\s+(?:\w+\s+){0,4}(?:фасад|общего)"
    r"|в\s+течени[еи]\s+ближайших\s+\d+\s+лет|краткосрочн\w*\s+план\w*",
    re.IGNORECASE,
)
REFERRAL_STEP_CUES = re.compile(
    r"направлен\w*\s+(?:\w+\s+){0,3}(?:уведомлени|предписани|письм|претензи|иск|требовани|телеграмм|запрос|заявк|обращени)\w*"
    r"|(?:уведомлени|предписани|письм|претензи)\w*\s+(?:\w+\s+){0,3}(?:направлен|выдан|вручен|отправлен)\w*"
    r"|протокол\w*\s+об\s+административн\w*|привлеч\w*\s+к\s+административн\w*|исков\w*\s+заявлени\w*"
    r"|(?:арбитражн|районн)\w*\s+суд|гарантийн\w*\s+письм",
    re.IGNORECASE,
)
OWNER_CUES = re.compile(
    r"собственник\w*|владел\w+|балансодержател\w*|арендатор\w*|застройщик\w*"
    r"|в\s+компетенци\w*\s+(?:собственник|управляющ|товариществ)\w*|на\s+балансе\s+\w+|в\s+ведении\s+\w+",
    re.IGNORECASE,
)
TURN_ELSEWHERE_CUES = re.compile(
    r"(?:необходимо|следует|рекомендуем|можете|вправе|просим|нужно)\s+(?:\w+\s+){0,2}обрати\w*"
    r"|обратитесь|обратиться\s+в\s+суд|не\s+входит\s+в\s+(?:\w+\s+)?компетенци\w*|вне\s+компетенци\w*",
    re.IGNORECASE,
)
RENEW_FILE_CUES = re.compile(
    r"оставить\s+нов\w*\s+(?:первичн\w*\s+)?обращени\w*|не\s+соответству\w*\s+(?:выбранному|месту)",
    re.IGNORECASE,
)
STOCK_PHRASES = (
    "ваше обращение рассмотрено",
    "обращение рассмотрено",
    "информация принята к сведению",
    "принято к сведению",
    "будет рассмотрено в установленном порядке",
    "рассмотрено в установленном порядке",
    "в рамках компетенции",
    "в пределах компетенции",
    "взято на контроль",
    "будет учтено при планировании",
    "в порядке очерёдности",
    "в порядке очередности",
    "благодарим за обращение",
    "спасибо за обращение",
    "доводим до вашего сведения",
    "работы будут проведены в плановом порядке",
    "в плановом порядке",
    "вопрос прорабатывается",
)
_STOCK_RE = re.compile(
    "|".join(r"\b" + r"\s+".join(re.escape(w) for w in p.split()) + r"\b" for p in STOCK_PHRASES),
    re.IGNORECASE,
)

_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip
_MONTH_RE = (
    r"(?:январ[ьяе]|феврал[ьяе]|март[аеу]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[аеу]?"
    r"|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])"
)
DATE_PATTERNS = re.compile(
    r"(?P<dmy>\b(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>(?:19|20)?\d{2})\b)"
    rf"|(?P<dmonthy>\b(?P<d2>\d{{1,2}})\s*»?\s*(?P<month2>{_MONTH_RE})\s+(?P<y2>(?:19|20)\d{{2}}))"
    rf"|(?P<dmonth>\b(?P<d3>\d{{1,2}})\s+(?P<month4>{_MONTH_RE})(?!\s*(?:19|20)\d{{2}}))"
    r"|(?P<dmq>\b(?P<d4>\d{1,2})\s*»\s*(?P<m4>\d{2})\s+(?P<y4>20\d{2}))"
    r"|(?P<range>\b(?P<y5>20\d{2})\s*[-–—]\s*(?P<y6>20\d{2})\s*(?:гг?\.?|годы|годов|г\.г\.))"
    rf"|(?P<monthy>\b(?P<month3>{_MONTH_RE}|квартал[аеу]?)\s+(?P<y3>20\d{{2}}))"
    r"|(?P<year>\b(?P<y7>20\d{2})\s*(?:г\.|гг\.|год[ауе]?|г\b))",
    re.IGNORECASE,
)
# A date of a document: "от 06.10.2016", "№ 875 от …", "постановлением … 2016 года".
DOCUMENT_BEFORE = re.compile(
    r"(?:\bот|№\s*[\w\-/.]+\s*от|постановлени\w*|распоряжени\w*|приказ\w*|закон\w*|гост|снип|сп\s*\d|ордер\w*"
    r"|договор\w*|контракт\w*|уведомлени\w*\s*№|заявк\w*\s+от|редакци\w*|ред\.)\s*[\w\s.«»\"№\-/]{0,12}$",
    re.IGNORECASE,
)
TERM_BEFORE = re.compile(
    r"(?:\bдо|не\s+позднее|не\s+позже|в\s+срок\w*(?:\s+до)?|срок\w*\s*[-–:]?|по|к|в\s+течение|на|в)\s*«?\s*$",
    re.IGNORECASE,
)
CONSIDERATION = re.compile(r"мониторинг|рассмотрени|будет\s+рассмотрен|будут\s+рассмотрен", re.IGNORECASE)
CONTROL_BEFORE = re.compile(r"контрол\w*\s+(?:\w+\s+){0,6}до\s*$", re.IGNORECASE)
PROGRAMME_NEAR = re.compile(r"(?:программ|план)\w*", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """A date the answer commits to (or keeps the matter on control until)."""

    text: str
    on: date
    control: bool  # "остается на контроле до …": the date of the next answer, not of the work
    years_ahead: int  # the term's year minus the answer's year


@dataclass
class Reading:
    answered_on: date
    completions: list[str] = field(default_factory=list)
    inspections: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    promises: list[str] = field(default_factory=list)  # future statements about the work
    terms: list[Term] = field(default_factory=list)
    document_dates: list[str] = field(default_factory=list)
    past_dates: list[str] = field(default_factory=list)
    monitoring: list[str] = field(default_factory=list)
    funding: list[str] = field(default_factory=list)
    programme_formed: list[str] = field(default_factory=list)
    capital_repair: list[str] = field(default_factory=list)
    referral_steps: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    turn_elsewhere: list[str] = field(default_factory=list)
    renew_filing: list[str] = field(default_factory=list)
    stock_phrases: list[str] = field(default_factory=list)
    negated_actions: list[str] = field(default_factory=list)
    conditional_actions: list[str] = field(default_factory=list)
    sentences: int = 0
    recital_sentences: int = 0
    words: int = 0

    @property
    def work_terms(self) -> list[Term]:
        return [t for t in self.terms if not t.control]

    @property
    def near_terms(self) -> list[Term]:
        return [t for t in self.work_terms if t.years_ahead <= 1]

    @property
    def far_terms(self) -> list[Term]:
        return [t for t in self.work_terms if t.years_ahead > 1]

    def features(self) -> dict[str, float]:
        """The numbers the learned check weighs (names are stable: the model file keys them)."""
        far_control = [t for t in self.terms if t.control and t.years_ahead > 1]
        return {
            "completion": float(bool(self.completions)),
            "completions": math.log1p(len(self.completions)),
            "inspection": float(bool(self.inspections)),
            "finding": float(bool(self.findings)),
            "promise": float(bool(self.promises)),
            "in_progress": float(bool(self.in_progress)),
            "near_term": float(bool(self.near_terms)),
            "far_term": float(bool(self.far_terms)),
            "far_only": float(bool(self.far_terms) and not self.near_terms),
            "far_control": float(bool(far_control)),
            "promise_without_term": float(bool(self.promises) and not self.work_terms),
            "control_only": float(bool(self.terms) and not self.work_terms),
            "monitoring": float(bool(self.monitoring)),
            "funding_condition": float(bool(self.funding)),
            "programme_formed": float(bool(self.programme_formed)),
            "capital_repair": float(bool(self.capital_repair)),
            "referral_step": float(bool(self.referral_steps)),
            "owner_named": float(bool(self.owners)),
            "turn_elsewhere": float(bool(self.turn_elsewhere)),
            "renew_filing": float(bool(self.renew_filing)),
            "stock_phrase": float(bool(self.stock_phrases)),
            "negated_action": float(bool(self.negated_actions)),
            "document_dates": math.log1p(len(self.document_dates)),
            "recital_share": self.recital_sentences / self.sentences if self.sentences else 0.0,
            "nothing_concrete": float(
                not self.completions
                and not self.near_terms
                and not self.findings
                and not self.referral_steps
                and not self.in_progress
            ),
        }


@dataclass(frozen=True)
class _Parse:
    """One reading of a word by pymorphy3."""

    lemma: str  # folded
    pos: str
    aspect: str
    tense: str
    voice: str
    score: float


@lru_cache(maxsize=200_000)
def _parses(word: str) -> tuple[_Parse, ...]:
    """Every reading of a folded word, likeliest first: the one reader of words here."""
    return tuple(
        _Parse(fold(p.normal_form), str(p.tag.POS or ""), str(p.tag.aspect or ""), str(p.tag.tense or ""),
               str(p.tag.voice or ""), p.score)
        for p in morph().parse(word)
    )  # fmt: skip


def _parse(word: str) -> _Parse:
    """The likeliest reading of a folded word."""
    return _parses(word)[0]


def _is_completed_form(word: str) -> tuple[bool, str]:
    """Whether a word can be an action verb in the completed past (and that reading's lemma): a short
    passive participle ("удалены", "снято") or a perfective past verb ("убрали")."""
    parses = _parses(fold(word))
    best = parses[0].score or 1.0
    for parse in parses:
        if parse.score < best * 0.05:
            continue
        if parse.pos == "PRTS" and parse.voice == "pssv" and parse.tense == "past":
            return True, parse.lemma
        if parse.pos == "VERB" and parse.tense == "past" and parse.aspect == "perf":
            return True, parse.lemma
    return False, parses[0].lemma


def _promise_forms(words: list[str]) -> list[str]:
    """Future statements: "будут выполнены", "будет произведена", "планируется", future perfective."""
    found: list[str] = []
    for i, word in enumerate(words):
        w = fold(word)
        if w in FUTURE_AUX:
            found.append(" ".join(words[i : i + 2]))
            continue
        parse = _parse(w)
        lemma, pos, aspect, tense = parse.lemma, parse.pos, parse.aspect, parse.tense
        future_perfective = (
            pos == "VERB" and tense == "futr" and aspect == "perf" and lemma not in {"стать", "быть"}
        )
        planned = lemma in {"планироваться", "запланировать", "предусмотреть"} and pos in {"VERB", "PRTS"}
        if future_perfective or planned:
            found.append(word)
    return found


_WORD = re.compile(r"[А-Яа-яЁёA-Za-z]+(?:-[А-Яа-яЁё]+)?")


def _year(value: str) -> int:
    y = int(value)
    return y + 2000 if y < 100 else y


def _month(word: str) -> int:
    """The number of a month's name in any case form ("мая" → 5); December for another word (a
    quarter: "квартала 2025" is its year's end)."""
    folded = fold(word)
    return next((v for k, v in _MONTHS.items() if folded.startswith(k)), 12)


def _dates(sentence: str, answered_on: date) -> list[tuple[str, date, int, int]]:
    """(text, date, start, end) of the dates in a sentence; a year alone is its last day."""
    out = []
    for m in DATE_PATTERNS.finditer(sentence):
        try:
            if m.group("dmy"):
                on = date(_year(m.group("y")), int(m.group("m")), int(m.group("d")))
            elif m.group("dmonthy"):
                month = _month(m.group("month2"))
                on = date(int(m.group("y2")), month, int(m.group("d2")))
            elif m.group("dmonth"):  # "до 15 мая": this year's, or next year's when already past
                month = _month(m.group("month4"))
                on = date(answered_on.year, month, int(m.group("d3")))
                if on < answered_on - timedelta(days=60):
                    on = date(answered_on.year + 1, month, int(m.group("d3")))
            elif m.group("dmq"):
                on = date(int(m.group("y4")), int(m.group("m4")), int(m.group("d4")))
            elif m.group("range"):
                on = date(int(m.group("y6")), 12, 31)
            elif m.group("monthy"):
                month = _month(m.group("month3"))
                on = date(int(m.group("y3")), month, 28)
            else:
                on = date(int(m.group("y7")), 12, 31)
        except ValueError:
            continue
        out.append((m.group(0), on, m.start(), m.end()))
    return out


def _classify_date(sentence: str, start: int, on: date, answered_on: date) -> str:
    before = sentence[max(0, start - 60) : start]
    if DOCUMENT_BEFORE.search(before):
        return "document"
    if CONSIDERATION.search(before):
        return "control"
    if on < answered_on and not PROGRAMME_NEAR.search(before[-25:]):
        return "past"
    if CONTROL_BEFORE.search(before):
        return "control"
    return "term"


def read_answer(answer_text: str, *, answered_on: date | None = None) -> Reading:
    """What an official answer states, sentence by sentence (see the module's docstring)."""
    answered_on = answered_on or date.today()
    reading = Reading(answered_on=answered_on)
    text = " ".join(answer_text.split())
    reading.words = len(_WORD.findall(text))
    reading.stock_phrases = [m.group(0) for m in _STOCK_RE.finditer(text)]
    for sentence in (s.text for s in sentenize(text)):
        reading.sentences += 1
        _read_sentence(sentence, reading)
    return reading


def _read_sentence(sentence: str, reading: Reading) -> None:
    words = _WORD.findall(sentence)
    folded = [fold(w) for w in words]
    lemmas = [_parse(w).lemma for w in folded]
    lemma_set = set(lemmas)
    conditional = bool(CONDITIONAL_CUES.search(sentence))
    inspection = bool(lemma_set & INSPECTION_LEMMAS)
    recital = False
    for text, on, start, _end in _dates(sentence, reading.answered_on):
        kind = _classify_date(sentence, start, on, reading.answered_on)
        if kind == "document":
            reading.document_dates.append(text)
            recital = True
        elif kind == "past":
            reading.past_dates.append(text)
        else:
            ahead = on.year - reading.answered_on.year
            reading.terms.append(Term(text, on, kind == "control", ahead))
    if recital and not re.search(r"будут|будет|выполнен|устранен|убран", sentence, re.IGNORECASE):
        reading.recital_sentences += 1
    promises = _promise_forms(words)
    future = bool(promises)
    if future and not conditional:
        reading.promises.extend(promises)
    for i, word in enumerate(words):
        completed, lemma = _is_completed_form(word)
        if not completed:
            continue
        previous = folded[i - 1] if i else ""
        if previous in FUTURE_AUX or (i > 1 and folded[i - 2] in FUTURE_AUX and previous in {"не", "бы"}):
            continue  # "будут выполнены": a promise, read above
        was = previous in {"были", "был", "была", "было"}
        if previous == "не" or (i > 1 and folded[i - 2] == "не" and was):
            reading.negated_actions.append(f"{previous} {word}")
            continue
        if lemma in FINDING_PARTICIPLES or lemma == "установить":
            following = sentence[sentence.find(word) + len(word) :][:12]
            if re.match(r"\s*(?:,|:|что|контрол)", following, re.IGNORECASE) or lemma != "установить":
                continue
        if lemma in GENERIC_LEMMAS:
            if inspection and not re.search(
                r"работ|уборк|ремонт|очистк|вывоз|замен|обработк|покраск|окраск", sentence, re.IGNORECASE
            ):
                reading.inspections.append(word)
                continue
        elif lemma in PAPERWORK_LEMMAS:
            continue
        if conditional:
            reading.conditional_actions.append(word)
            continue
        if any(fold(w) in MODAL_LEMMAS for w in words[max(0, i - 3) : i]):
            continue
        reading.completions.append(word)
    hypothetical = conditional or future
    for cue, bucket in (
        (FINDING_CUES, reading.findings),
        (MONITORING_CUES, reading.monitoring),
        (IN_PROGRESS_CUES, reading.in_progress),
        (FUNDING_CUES, reading.funding),
        (PROGRAMME_FORMED_CUES, reading.programme_formed),
        (CAPITAL_REPAIR_CUES, reading.capital_repair),
        (REFERRAL_STEP_CUES, reading.referral_steps),
        (OWNER_CUES, reading.owners),
        (TURN_ELSEWHERE_CUES, reading.turn_elsewhere),
        (RENEW_FILE_CUES, reading.renew_filing),
    ):
        if hypothetical and bucket is reading.referral_steps:
            continue
        bucket.extend(m.group(0) for m in cue.finditer(sentence))
    if inspection and not reading.inspections:
        reading.inspections.extend(w for w in words if _parse(fold(w)).lemma in INSPECTION_LEMMAS)
