"""Stages *relevance*, *categorize* and *place*: what a message is about and where.

Each reads the tokens made at normalization and the caches the runner set up for the batch (the
classifier, the monitoring scanner, the gazetteer); messages attached to a case by dedup skip them.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from otklik.directory.choices import Channel
from otklik.understanding import places, relevance, urgency
from otklik.understanding.places import Gazetteer
from otklik.understanding.relevance import Relevance, Verdict
from otklik.understanding.text import AnalyzedText, analyze

from .schema import Batch, InvalidItem, Item, Stage

log = logging.getLogger("otklik.pipeline")

# Verdicts that stay irrelevant even when a monitoring query matches: they are not a resident's words.
SPAM_VERDICTS = frozenset({Verdict.ADVERTISING, Verdict.LINKS_ONLY, Verdict.GREETING})
NO_MONITORING_MATCH = "no_monitoring_match"
# Channels where a resident addresses the center on purpose: monitoring and topic filters do not apply.
ADDRESSED_CHANNELS = frozenset(
    {Channel.WEB_FORM, Channel.PHONE, Channel.EMAIL, Channel.OFFICIAL, Channel.DEPUTY, Channel.OPEN311}
)


def stage_relevance(batch: Batch) -> None:
    """Spam, advertising, greetings and off-topic posts are kept but get no case.

    With active monitoring queries (:mod:`otklik.intake.monitoring`) a message is relevant when one
    of them matches and the spam rules do not object; the matches are kept for the case card.
    """
    assert batch.classifier is not None
    vocabulary = batch.classifier.vocabulary
    scanner = batch.scanner

    def judge(item: Item) -> None:
        if not item.needs_understanding:
            return
        if item.channel in ADDRESSED_CHANNELS:
            # Written to the center on purpose (form, call, letter, official appeal): never off-topic.
            item.analyzed = _analyzed(item)
            item.relevance = Relevance(True, Verdict.RELEVANT)
            return
        if scanner:
            item.monitoring = scanner.scan(item.text, item.source.pk if item.source is not None else None)
            if not item.monitoring:
                item.relevance = Relevance(False, NO_MONITORING_MATCH)
                return
        item.analyzed = _analyzed(item)
        verdict = relevance.assess(item.analyzed, topic_vocabulary=vocabulary)
        if item.monitoring and not verdict.is_relevant and verdict.verdict not in SPAM_VERDICTS:
            verdict = Relevance(True, Verdict.RELEVANT, verdict.problem_terms, verdict.advert_terms)
        item.relevance = verdict

    batch.each(Stage.RELEVANCE, judge)


def _analyzed(item: Item) -> AnalyzedText:
    """The item's text analyzed once, from the tokens made at normalization."""
    if item.analyzed is None:
        item.analyzed = analyze(item.text, item.words)
    return item.analyzed


def stage_categorize(batch: Batch) -> None:
    """Category with confidence by the rule classifier (or the sender's declared one); urgency flags."""
    assert batch.classifier is not None
    classifier = batch.classifier

    items = list(batch.understood())
    month = timezone.localtime(batch.now).month if timezone.is_aware(batch.now) else batch.now.month
    for item in items:
        item.analyzed = _analyzed(item)
    try:
        # The learned model runs once over the whole batch; rules alone classify one by one.
        found = classifier.classify_many([i.analyzed for i in items if i.analyzed is not None])
        for item, classification in zip(items, found, strict=True):
            item.classification = classification
    except Exception:  # one bad text must not stop the batch: fall back to one by one below
        log.exception("batch classification failed; classifying one by one")

    def understand(item: Item) -> None:
        analyzed = _analyzed(item)
        if item.category_code:
            item.classification = classifier.declared(item.category_code)
            if item.classification is None:
                raise InvalidItem(f"unknown or inactive “category” {item.category_code!r}")
        if item.classification is None:
            item.classification = classifier.classify(analyzed)
        item.urgency = urgency.judge(analyzed, now=batch.now, month=month)

    batch.each_understood(Stage.CATEGORIZE, understand)


def stage_place(batch: Batch) -> None:
    """Territory from the text (gazetteer) or the point, street address."""
    gazetteer = batch.gazetteer

    def locate(item: Item) -> None:
        item.place = places.locate(
            item.text, lat=item.lat, lon=item.lon, gazetteer=gazetteer, tokens=item.tokens
        )
        if item.monitoring:
            _keep_matches_in_place(item, gazetteer)

    batch.each_understood(Stage.PLACE, locate)


def _keep_matches_in_place(item: Item, gazetteer: Gazetteer | None) -> None:
    """Monitoring queries scoped to territories count only for posts placed there; a post that no
    query in scope is left for is off-topic, as if nothing had matched."""
    matches = item.monitoring or []
    if not any(m.territories for m in matches):
        return
    territory = item.place.territory if item.place is not None else None
    chain: list[int] = []
    if territory is not None:
        known = gazetteer is not None and territory.pk in gazetteer.territories
        chain = (
            gazetteer.chain(territory.pk) if known and gazetteer else [t.pk for t in territory.ancestors()]
        )
    kept = [m for m in matches if m.in_place(chain)]
    item.monitoring = kept
    if not kept:
        item.relevance = Relevance(False, NO_MONITORING_MATCH)
