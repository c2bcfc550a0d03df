"""Answer quality before approval: formal non-answers ("отписки") and answers that miss the question,
and similar past cases with their approved answers for the executor.

:func:`assess_answer` flags, each with the words that triggered it:

* ``boilerplate`` — stock phrases that say nothing ("Ваше обращение рассмотрено", "информация принята
  к сведению", "будет рассмотрено в установленном порядке");
* ``no_action`` — no concrete action done or planned (устранено, отремонтирован, вывезен,
  будет заменён …);
* ``no_date`` — no date or term (12.05.2026, "до 15 мая", "в течение 3 дней", "в III квартале");
* ``referral_only`` — the resident is only sent elsewhere ("Вам необходимо обратиться в …");
* ``off_topic`` — few of the question's content lemmas come back in the answer, or a rule classifier
  puts question and answer in different top categories;
* ``too_short`` — under a dozen words.

The score starts at 1 and loses a weight per flag; below 0.5 the answer should go back to the
executor. :func:`similar_cases` ranks past cases by TF-IDF cosine over lemmas.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .text import AnalyzedText, PhraseMatcher, analyze, morph, terms


class QualityFlag:
    BOILERPLATE = "boilerplate"
    NO_ACTION = "no_action"
    NO_DATE = "no_date"
    REFERRAL_ONLY = "referral_only"
    OFF_TOPIC = "off_topic"
    TOO_SHORT = "too_short"


WEIGHTS = {
    QualityFlag.BOILERPLATE: 0.2,
    QualityFlag.NO_ACTION: 0.3,
    QualityFlag.NO_DATE: 0.15,
    QualityFlag.REFERRAL_ONLY: 0.3,
    QualityFlag.OFF_TOPIC: 0.3,
    QualityFlag.TOO_SHORT: 0.15,
}
PASSING_SCORE = 0.5
MIN_WORDS = 12
MIN_OVERLAP = 0.2  # share of the question's content lemmas the answer should take up

BOILERPLATE = terms(
    """
    ваше обращение рассмотрено, обращение рассмотрено, информация принята к сведению,
    принято к сведению, будет рассмотрено в установленном порядке, рассмотрено в установленном порядке,
    в установленные сроки, в рамках компетенции, в пределах компетенции, ваше обращение зарегистрировано,
    взято на контроль, находится на контроле, будет учтено при планировании, по мере финансирования,
    при наличии финансирования, при поступлении денежных средств, в порядке очерёдности,
    благодарим за обращение, спасибо за обращение, доводим до вашего сведения, сообщаем следующее,
    работы будут проведены в плановом порядке, вопрос прорабатывается, вопрос находится в проработке
    """
)
REFERRAL = terms(
    """
    вам необходимо обратиться, рекомендуем обратиться, следует обратиться, можете обратиться,
    просим обратиться, необходимо обратиться, не входит в компетенцию, вне компетенции,
    обращение перенаправлено, обращение направлено, направлено для рассмотрения, переадресовано,
    по подведомственности, обратитесь в
    """
)
# Verbs (lemmas) of a concrete action taken or planned; their passive participles count too.
ACTION_LEMMAS = frozenset(
    [
        "устранить",
        "устранять",
        "отремонтировать",
        "ремонтировать",
        "заменить",
        "заменять",
        "вывезти",
        "вывозить",
        "убрать",
        "убирать",
        "восстановить",
        "восстанавливать",
        "установить",
        "устанавливать",
        "провести",
        "проводить",
        "выполнить",
        "выполнять",
        "очистить",
        "очищать",
        "спилить",
        "спиливать",
        "покосить",
        "скосить",
        "засыпать",
        "заасфальтировать",
        "залатать",
        "подключить",
        "подключать",
        "возобновить",
        "включить",
        "починить",
        "демонтировать",
        "отловить",
        "обработать",
        "выдать",
        "выдавать",
        "выплатить",
        "назначить",
        "начислить",
        "перечислить",
        "произвести",
        "производить",
        "организовать",
        "направить",
        "выехать",
        "выезжать",
        "осмотреть",
        "обследовать",
        "закрыть",
        "открыть",
        "нанести",
        "покрасить",
        "подрезать",
        "запланировать",
        "планировать",
        "включить",
        "включать",
        "завезти",
        "доставить",
        "оборудовать",
        "прочистить",
        "откачать",
    ]
)
_MONTHS = (
    r"январ[ьяе]|феврал[ьяе]|март[аеу]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[аеу]?|"
    r"сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]"
)
DATE_RE = re.compile(
    r"\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b"
    rf"|\b\d{{1,2}}\s+(?:{_MONTHS})\b"
    rf"|\b(?:до|в|с|по|к)\s+(?:конца\s+|начала\s+|середине\s+|середины\s+)?(?:{_MONTHS})\b"
    r"|\bв\s+течени[ие]\s+(?:\d+|одного|двух|трёх|трех|пяти|десяти|недели|месяца|дня|суток)"
    r"|\b(?:[IV]{1,3}|\d)\s*(?:-?м\s+)?квартал"
    r"|\b(?:сегодня|завтра|на этой неделе|на следующей неделе|до конца (?:года|месяца|недели))\b"
    r"|\b20\d\d\s*(?:г\.|года|году)",
    re.IGNORECASE,
)
_CONTENT_POS = frozenset({"NOUN", "ADJF", "ADJS", "VERB", "INFN", "PRTF", "PRTS"})
_STOP_LEMMAS = frozenset(
    [
        "здравствуйте",
        "добрый",
        "день",
        "уважаемый",
        "просить",
        "прошу",
        "пожалуйста",
        "спасибо",
        "быть",
        "мочь",
        "являться",
        "весь",
        "это",
        "ваш",
        "наш",
        "который",
        "такой",
        "обращение",
        "вопрос",
        "ответ",
        "сообщать",
        "сообщить",
        "информация",
        "администрация",
        "житель",
    ]
)


@dataclass(frozen=True)
class AnswerQuality:
    score: float
    flags: list[str]
    explanation: str
    evidence: dict[str, list[str]] = field(default_factory=dict)  # flag → the words behind it
    overlap: float = 0.0

    @property
    def passes(self) -> bool:
        return self.score >= PASSING_SCORE


@lru_cache(maxsize=1)
def _boilerplate() -> PhraseMatcher[str]:
    return PhraseMatcher(((p, QualityFlag.BOILERPLATE) for p in BOILERPLATE), slack=1)


@lru_cache(maxsize=1)
def _referral() -> PhraseMatcher[str]:
    return PhraseMatcher(((p, QualityFlag.REFERRAL_ONLY) for p in REFERRAL), slack=1)


@lru_cache(maxsize=50_000)
def _is_content(lemma: str) -> bool:
    if len(lemma) < 3 or lemma in _STOP_LEMMAS or lemma.isdigit():
        return False
    parses = morph().parse(lemma)
    return bool(parses) and parses[0].tag.POS in _CONTENT_POS


def content_lemmas(analyzed: AnalyzedText, *, all_readings: bool = False) -> set[str]:
    """Content words' lemmas (the likeliest reading, or every reading: "горячего" → горячее, горячий)."""
    if all_readings:
        return {lemma for readings in analyzed.readings for lemma in readings if _is_content(lemma)}
    return {lemma for lemma in analyzed.lemmas if _is_content(lemma)}


def _action_words(analyzed: AnalyzedText) -> list[str]:
    found = []
    for token, readings in zip(analyzed.tokens, analyzed.readings, strict=True):
        if any(r in ACTION_LEMMAS for r in readings):
            found.append(token.text)
    return found


LABELS = {
    QualityFlag.BOILERPLATE: gettext_noop("stock phrases that say nothing"),
    QualityFlag.NO_ACTION: gettext_noop("no concrete action done or planned"),
    QualityFlag.NO_DATE: gettext_noop("no date or term"),
    QualityFlag.REFERRAL_ONLY: gettext_noop("only sends the resident elsewhere"),
    QualityFlag.OFF_TOPIC: gettext_noop("does not take up the question"),
    QualityFlag.TOO_SHORT: gettext_noop("too short"),
}


def flag_label(flag: str) -> str:
    return _(LABELS.get(flag, flag))


def assess_answer(question_text: str, answer_text: str, *, classifier: Any = None) -> AnswerQuality:
    """Flags and a score in [0, 1]; ``classifier`` (a RuleClassifier) adds the topic check."""
    question, answer = analyze(question_text), analyze(answer_text)
    evidence: dict[str, list[str]] = {}
    boilerplate = [p.text for p in _boilerplate().find(answer)]
    if boilerplate:
        evidence[QualityFlag.BOILERPLATE] = boilerplate
    actions = _action_words(answer)
    if not actions:
        evidence[QualityFlag.NO_ACTION] = []
    dates = [m.group(0) for m in DATE_RE.finditer(answer_text)]
    if not dates:
        evidence[QualityFlag.NO_DATE] = []
    referral = [p.text for p in _referral().find(answer)]
    if referral and not actions:
        evidence[QualityFlag.REFERRAL_ONLY] = referral
    asked = content_lemmas(question, all_readings=False) | (
        content_lemmas(question, all_readings=True) & content_lemmas(answer, all_readings=True)
    )
    shared = asked & content_lemmas(answer, all_readings=True)
    overlap = len(shared) / min(len(asked), 12) if asked else 1.0
    overlap = min(overlap, 1.0)
    off_topic = bool(asked) and overlap < MIN_OVERLAP
    if classifier is not None and not off_topic:
        q_class, a_class = classifier.classify(question), classifier.classify(answer)
        confident = min(q_class.confidence, a_class.confidence) >= 0.5
        if confident and q_class.category and a_class.category:
            off_topic = q_class.category.top.pk != a_class.category.top.pk
    if off_topic:
        evidence[QualityFlag.OFF_TOPIC] = sorted(shared)
    if len(answer.tokens) < MIN_WORDS:
        evidence[QualityFlag.TOO_SHORT] = []
    flags = [f for f in WEIGHTS if f in evidence]
    score = round(max(0.0, 1.0 - sum(WEIGHTS[f] for f in flags)), 2)
    if flags:
        parts = []
        for flag in flags:
            words = evidence[flag]
            parts.append(flag_label(flag) + (f" ({', '.join(words[:4])})" if words else ""))
        explanation = "; ".join(parts)
    else:
        explanation = _("a concrete answer with an action and a date")
    return AnswerQuality(score, flags, explanation, evidence, round(overlap, 2))


# --- similar past cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class PastCase:
    case_id: int
    text: str
    answer: str
    title: str = ""


@dataclass(frozen=True)
class SimilarCase:
    case_id: int
    similarity: float
    title: str
    answer: str


def _lemma_analyzer(text: str) -> list[str]:
    return [lemma for lemma in analyze(text).lemmas if _is_content(lemma)]


class SimilarCaseIndex:
    """TF-IDF over content lemmas (unigrams and bigrams) of past cases; cosine similarity."""

    def __init__(self, cases: Iterable[PastCase]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.cases = [c for c in cases if c.text.strip()]
        self.vectorizer = TfidfVectorizer(analyzer=lambda t: _grams(_lemma_analyzer(t)), sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([c.text for c in self.cases]) if self.cases else None

    def query(
        self, text: str, *, limit: int = 5, min_similarity: float = 0.1, exclude: Sequence[int] = ()
    ) -> list[SimilarCase]:
        if self.matrix is None:
            return []
        vector = self.vectorizer.transform([text])
        scores = (self.matrix @ vector.T).toarray().ravel()  # rows are L2-normalized: cosine
        ranked = scores.argsort()[::-1]
        found: list[SimilarCase] = []
        for index in ranked:
            case = self.cases[int(index)]
            if scores[index] < min_similarity or len(found) >= limit:
                break
            if case.case_id in exclude:
                continue
            found.append(SimilarCase(case.case_id, round(float(scores[index]), 3), case.title, case.answer))
        return found


def _grams(lemmas: list[str]) -> list[str]:
    return lemmas + [f"{a} {b}" for a, b in itertools.pairwise(lemmas)]


def similar_cases(
    text: str, past: Iterable[PastCase] | SimilarCaseIndex, limit: int = 5
) -> list[SimilarCase]:
    """The past cases most like ``text`` with their approved answers, best first."""
    index = past if isinstance(past, SimilarCaseIndex) else SimilarCaseIndex(past)
    return index.query(text, limit=limit)
