"""Answer quality before approval: formal non-answers ("отписки") and answers that miss the question,
and similar past cases with their approved answers for the executor.

:func:`assess_answer` reads the answer as a moderator does (:mod:`.answer_reading`: what was done, what
is promised and by when, what a check found, who else the matter belongs to, what the appeal asked
about) and weighs those statements with the model learned from hand-annotated answers
(:mod:`.answer_model`). The verdict is the model's; the reasons shown are the statements that pushed
it, each with the words behind it:

* ``boilerplate`` — stock phrases that say nothing, matched as whole phrases ("ваше обращение
  рассмотрено", "спасибо за обращение");
* ``monitoring`` — only a plan to consider ("включено в план мониторинга", "будет рассмотрено");
* ``deferred`` — a term past the end of the next year, or a programme years away;
* ``funding`` — the work depends on money ("при наличии бюджетного финансирования");
* ``no_date`` — work promised with no term;
* ``no_action`` — nothing done, no term, no finding of a check and no step towards whom it belongs to;
* ``referral_only`` — the resident is only sent elsewhere;
* ``off_topic`` — few of the question's content lemmas come back in the answer (or a classifier puts
  question and answer in different top categories).

Brevity is no fault: "Мусор убран." is a completion. The score is 1 − the model's probability
rescaled so that 0.5 is the model's threshold: below 0.5 the answer should go back to the executor.
:func:`similar_cases` ranks past cases by TF-IDF cosine over lemmas.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .answer_model import load_model
from .answer_reading import Reading, read_answer
from .text import AnalyzedText, analyze, morph


class QualityFlag:
    BOILERPLATE = "boilerplate"
    MONITORING = "monitoring"
    DEFERRED = "deferred"
    FUNDING = "funding"
    NO_ACTION = "no_action"
    NO_DATE = "no_date"
    REFERRAL_ONLY = "referral_only"
    OFF_TOPIC = "off_topic"
    TOO_SHORT = "too_short"  # kept for answers assessed before the rebuild; no longer raised


PASSING_SCORE = 0.5
MIN_OVERLAP = 0.2  # share of the question's content lemmas the answer should take up
# The model's feature behind each reason shown (a reason is shown when it pushes towards the flag).
FLAG_FEATURES = {
    QualityFlag.BOILERPLATE: ("stock_phrase",),
    QualityFlag.MONITORING: ("monitoring",),
    QualityFlag.DEFERRED: ("far_term", "far_only", "capital_repair", "programme_formed"),
    QualityFlag.FUNDING: ("funding_condition",),
    QualityFlag.NO_DATE: ("promise_without_term",),
    QualityFlag.NO_ACTION: ("nothing_concrete",),
    QualityFlag.REFERRAL_ONLY: ("turn_elsewhere", "renew_filing"),
    QualityFlag.OFF_TOPIC: ("off_topic",),
}
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
    probability: float = 0.0  # the model's probability of a formal non-answer

    @property
    def passes(self) -> bool:
        return self.score >= PASSING_SCORE


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


LABELS = {
    QualityFlag.BOILERPLATE: gettext_noop("stock phrases that say nothing"),
    QualityFlag.MONITORING: gettext_noop("only a plan to consider the matter"),
    QualityFlag.DEFERRED: gettext_noop("deferred beyond next year or into a programme"),
    QualityFlag.FUNDING: gettext_noop("depends on funding"),
    QualityFlag.NO_ACTION: gettext_noop("nothing done, promised, found or passed on"),
    QualityFlag.NO_DATE: gettext_noop("work promised with no term"),
    QualityFlag.REFERRAL_ONLY: gettext_noop("only sends the resident elsewhere"),
    QualityFlag.OFF_TOPIC: gettext_noop("does not take up the question"),
    QualityFlag.TOO_SHORT: gettext_noop("too short"),
}


def flag_label(flag: str) -> str:
    return _(LABELS.get(flag, flag))


def question_overlap(question: AnalyzedText, answer: AnalyzedText) -> tuple[float, list[str]]:
    """Share of the question's content lemmas the answer takes up (at most 12 counted), and those shared."""
    answer_lemmas = content_lemmas(answer, all_readings=True)
    asked = content_lemmas(question) | (content_lemmas(question, all_readings=True) & answer_lemmas)
    if not asked:
        return 1.0, []
    shared = asked & answer_lemmas
    return min(len(shared) / min(len(asked), 12), 1.0), sorted(shared)


def answer_features(
    question_text: str, answer_text: str, *, answered_on: date | None = None, classifier: Any = None
) -> tuple[dict[str, float], Reading, float, list[str]]:
    """The model's features of an answer to a question, the reading behind them and the overlap."""
    reading = read_answer(answer_text, answered_on=answered_on)
    question, answer = analyze(question_text), analyze(answer_text)
    overlap, shared = question_overlap(question, answer)
    off_topic = overlap < MIN_OVERLAP
    if classifier is not None and not off_topic:
        q_class, a_class = classifier.classify(question), classifier.classify(answer)
        confident = min(q_class.confidence, a_class.confidence) >= 0.5
        if confident and q_class.category and a_class.category:
            off_topic = q_class.category.top.pk != a_class.category.top.pk
    features = reading.features()
    features["off_topic"] = float(off_topic)
    return features, reading, overlap, shared


def _evidence(flag: str, reading: Reading, shared: list[str]) -> list[str]:
    return {
        QualityFlag.BOILERPLATE: reading.stock_phrases,
        QualityFlag.MONITORING: reading.monitoring,
        QualityFlag.DEFERRED: [t.text for t in reading.far_terms]
        + reading.capital_repair
        + reading.programme_formed,
        QualityFlag.FUNDING: reading.funding,
        QualityFlag.NO_DATE: reading.promises,
        QualityFlag.NO_ACTION: [],
        QualityFlag.REFERRAL_ONLY: reading.turn_elsewhere + reading.renew_filing,
        QualityFlag.OFF_TOPIC: shared,
    }[flag]


def _unique(words: Iterable[str], limit: int = 4) -> list[str]:
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(" ".join(word.split()), None)
    return list(seen)[:limit]


def _strengths(reading: Reading) -> list[str]:
    """What makes the answer concrete, in the moderator's words."""
    parts = []
    if reading.completions:
        parts.append(_("reports the work done") + f" ({', '.join(_unique(reading.completions))})")
    if reading.near_terms:
        parts.append(_("gives a term") + f" ({', '.join(_unique(t.text for t in reading.near_terms))})")
    if reading.findings:
        parts.append(_("reports what a check found") + f" ({', '.join(_unique(reading.findings, 2))})")
    if reading.referral_steps:
        steps = ", ".join(_unique(reading.referral_steps, 2))
        parts.append(_("names a step towards the one responsible") + f" ({steps})")
    return parts


def _score(probability: float, threshold: float, flagged: bool) -> float:
    """1 − probability rescaled so that 0.5 is the verdict's border (passes at 0.5 and above)."""
    if not flagged:
        return round(0.5 + 0.5 * (1 - min(probability, threshold) / threshold), 2)
    return round(min(0.49, 0.49 * (1 - probability) / max(1 - threshold, 1e-9)), 2)


def assess_answer(
    question_text: str, answer_text: str, *, classifier: Any = None, answered_on: date | None = None
) -> AnswerQuality:
    """The verdict on an answer: score in [0, 1] (passes at 0.5), reasons and the words behind them.
    ``answered_on`` (default today) places the terms; ``classifier`` (a RuleClassifier) adds the
    topic check."""
    features, reading, overlap, shared = answer_features(
        question_text, answer_text, answered_on=answered_on, classifier=classifier
    )
    model = load_model()
    probability = model.probability(features)
    pushes = model.contributions(features)
    evidence = {
        flag: _unique(_evidence(flag, reading, shared))
        for flag, names in FLAG_FEATURES.items()
        if any(features.get(n, 0.0) and pushes.get(n, 0.0) > 0 for n in names)
    }
    flags = list(evidence)
    score = _score(probability, model.threshold, model.flags(features))
    if score < PASSING_SCORE:
        parts = [flag_label(f) + (f" ({', '.join(evidence[f])})" if evidence[f] else "") for f in flags]
        explanation = "; ".join(parts) or _("reads like a formal non-answer")
    else:
        explanation = "; ".join(_strengths(reading)) or _("a concrete answer")
    return AnswerQuality(score, flags, explanation, evidence, round(overlap, 2), round(probability, 3))


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
