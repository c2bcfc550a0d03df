"""Relevance: is this a resident's problem, or spam, advertising, a greeting or off-topic chatter?

Plain rules over lemmas, cheap enough for every message:

* **links only** — nothing but URLs, mentions and hashtags (fewer than two words once removed);
* **advertising** — advert markers ("скидка", "промокод", "подписывайтесь", "заработок", a phone
  number, a link …) outweigh the problem signals;
* **greeting** — only thanks, greetings and congratulations, no problem signal;
* **too short** — under three words and no problem signal;
* **off-topic** — no problem signal and not one word of the category keywords (``topic_vocabulary``).

Anything else is relevant: better a moderator rejects it than a resident's problem is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .text import URL_RE, AnalyzedText, PhraseMatcher, analyze, terms

PHONE_RE = re.compile(r"(?:\+7|\b8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b")


class Verdict:
    RELEVANT = "relevant"
    LINKS_ONLY = "links_only"
    ADVERTISING = "advertising"
    GREETING = "greeting"
    TOO_SHORT = "too_short"
    OFF_TOPIC = "off_topic"


ADVERT_MARKERS = terms(
    """
    скидка, акция, распродажа, промокод, купон, бесплатная доставка, доставка по городу,
    подписывайтесь, подпишись, подписаться на канал, переходи по ссылке, ссылка в профиле,
    пишите в личку, пишите в директ, пишите в лс, звоните, обращайтесь, выгодно,
    выгодное предложение, успей купить, только сегодня, продам, продаю, куплю, сдам, сниму квартиру,
    аренда квартиры, заработок, заработать, доход от, пассивный доход, удалённая работа,
    работа на дому, инвестиции, криптовалюта, ставки на спорт, казино, букмекер, займ,
    кредит без отказа, розыгрыш, приз, лайк, репост, магазин в профиле, прайс, цена договорная,
    оптом, в наличии, натяжные потолки, ремонт под ключ, услуги грузчиков, эвакуатор недорого,
    гадание, приворот
    """
)

GREETING_MARKERS = terms(
    """
    спасибо, благодарю, благодарность, здравствуйте, добрый день, добрый вечер, доброе утро, привет,
    поздравляю, поздравление, с праздником, с днём рождения, с новым годом, всех благ, молодцы,
    так держать, отличная работа, хорошего дня, ура, класс, супер
    """
)

PROBLEM_MARKERS = terms(
    """
    не, нет, без, отсутствовать, проблема, жалоба, жаловаться, помочь, помогите, просить, просьба,
    прошу, требовать, разобраться, принять меры, когда, почему, сколько можно, невозможно, нельзя,
    опасно, опасный, сломать, сломаться, сломанный, разбить, разрушить, авария, прорыв, течь,
    протекать, отключить, отключение, не работать, ужасный, безобразие, беспредел, невыносимо,
    угроза, пострадать, отказать, отказ, задержка, обещать, ждать, месяц, неделя, год, уже,
    до сих пор, никто, бездействие, вынуждены, обращаться
    """
)


@dataclass(frozen=True)
class Relevance:
    is_relevant: bool
    verdict: str
    problem_terms: list[str] = field(default_factory=list)
    advert_terms: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _matchers() -> tuple[PhraseMatcher[str], PhraseMatcher[str], PhraseMatcher[str]]:
    return (
        PhraseMatcher((m, "advert") for m in ADVERT_MARKERS),
        PhraseMatcher((m, "greeting") for m in GREETING_MARKERS),
        PhraseMatcher(((m, "problem") for m in PROBLEM_MARKERS), slack=1),
    )


def assess(
    text: str | AnalyzedText, *, topic_vocabulary: frozenset[str] = frozenset(), topic_terms: int = 0
) -> Relevance:
    """Judge one message. ``topic_vocabulary`` are the lemmas of all category keywords (the
    classifier's vocabulary); ``topic_terms`` how many category keywords the classifier matched."""
    analyzed = analyze(text) if isinstance(text, str) else text
    raw = analyzed.text
    advert, greeting, problem = _matchers()
    problem_terms = sorted({p.text for p in problem.find(analyzed)})
    advert_terms = sorted({p.text for p in advert.find(analyzed)})
    n_words = len(analyzed.tokens)
    has_link = bool(URL_RE.search(raw))

    if n_words < 2 and has_link:
        return Relevance(False, Verdict.LINKS_ONLY, problem_terms, advert_terms)

    topical = topic_terms > 0 or bool(analyzed.lemma_set & topic_vocabulary)
    advert_score = len(advert_terms) + (1 if has_link else 0) + (1 if PHONE_RE.search(raw) else 0)
    signal = len(problem_terms) + (2 if topic_terms else 0)
    if advert_score >= 2 and advert_score > signal:
        return Relevance(False, Verdict.ADVERTISING, problem_terms, advert_terms)

    if not problem_terms:
        greeting_words = {lemma for p in greeting.find(analyzed) for lemma in p.lemmas}
        if greeting_words and len(greeting_words) * 2 >= n_words - 1 and not topic_terms:
            return Relevance(False, Verdict.GREETING, problem_terms, advert_terms)
        if n_words < 3 and not topic_terms:
            return Relevance(False, Verdict.TOO_SHORT, problem_terms, advert_terms)
        if not topical:
            return Relevance(False, Verdict.OFF_TOPIC, problem_terms, advert_terms)
    elif n_words < 2:
        return Relevance(False, Verdict.TOO_SHORT, problem_terms, advert_terms)
    return Relevance(True, Verdict.RELEVANT, problem_terms, advert_terms)
