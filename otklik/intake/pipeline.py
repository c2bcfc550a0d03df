"""The intake pipeline: a batch of raw items → stored messages → understood, routed cases.

A batch goes through NAMED STAGES, each one function over the whole batch (see :data:`STAGES`)::

    normalize → dedup → relevance → categorize → place → route → persist → deadline

``persist`` comes before ``deadline`` on purpose: the deadline starts through
:func:`otklik.cases.actions.auto_assign` (or the case goes to moderation through
:func:`~otklik.cases.actions.send_to_moderation`), and an action works on a stored case.

**Item schema** (a dict; JSONL lines and CSV rows of ``otklik ingest`` are the same):

=================  ========  ==========================================================================
field              required  meaning
=================  ========  ==========================================================================
``source``         yes*      source code (slug). *May be omitted when the batch has a default source
                             (``run_batch(source=…)``, ``otklik ingest --source``). An unknown code
                             creates the Source (connector "file", channel from the item or "import")
                             so a file from another system can be imported as is; fix it in the admin.
``external_id``    yes       the message's id in its source; (source, external_id) is unique
``text``           yes       the message, non-empty
``posted_at``      yes       ISO 8601 ("2026-03-02T09:15:00+04:00"); without an offset the project's
                             time zone is assumed
``channel``        no        a :class:`~otklik.directory.choices.Channel` value; default: the source's
``author_name``    no        shown to moderators
``author_id``      no        the author's id in the source; counts distinct authors of a case
``author_contact`` no        phone or email for an answer
``url``            no        link to the post (http/https)
``lat``, ``lon``   no        WGS 84 point, both or neither; places the case by point-in-polygon
``category``       no        a category code the sender chose (an Open311 ``service_code``): the case
                             takes it as decided (``decided_by`` "sender"); an unknown code is invalid
``addressed_to``   no        the id of the agency the resident wrote to (a deputy's office): the case
                             is assigned to it at once, never attached to another agency's case
=================  ========  ==========================================================================

Other keys are kept in ``Message.raw``. An invalid item becomes a :class:`~otklik.intake.models.DeadLetter`
with its raw payload, the stage and a clear reason; the rest of the batch goes through.

**Idempotency.** The same (source, external_id) delivered again — in a later batch or twice in one —
is a no-op counted as a duplicate; under concurrency the unique constraint decides (the loser's
insert is rolled back to a savepoint and counted as a duplicate). A message whose normalized text
equals (``text_hash``) that of a message of an open case posted within 3 days attaches to that case
(message and distinct-author counters refreshed); so does its twin later in the same batch.

**Decisions.** Irrelevant messages are stored (``is_relevant=False``) without a case. A new case
gets the suggestions (category, territory, agency), the confidence and an ``understanding`` JSON; it
is assigned automatically when the confidence reaches ``settings.OTKLIK_AUTO_ROUTE_CONFIDENCE``, the
category is set and a routing rule finds an agency; otherwise it goes to moderation.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from razdel import sentenize
from razdel.segmenters.sentenize import DELIMITERS as SENTENCE_DELIMITERS

from otklik.cases import actions, bulk
from otklik.cases.choices import OPEN
from otklik.cases.models import Case
from otklik.cases.routing import RouteResult, RuleIndex, active_rules, route
from otklik.directory.choices import Channel
from otklik.directory.models import Agency
from otklik.understanding import agency_model, places, relevance, routing_practice, urgency
from otklik.understanding.classify import Classification, RuleClassifier, get_classifier, should_auto_route
from otklik.understanding.places import Gazetteer, Place
from otklik.understanding.relevance import Relevance, Verdict
from otklik.understanding.text import AnalyzedText, Token, analyze, message_tokens, normalize_tokens
from otklik.understanding.urgency import Urgency

from . import deadletters, dedup, monitoring
from .models import DeadLetter, Message, SimilarityKey, Source

log = logging.getLogger("otklik.pipeline")

NEAR_DUPLICATE_WINDOW = timedelta(days=3)
# What the pipeline reads of a case a message may attach to (not its understanding JSON and the rest).
_CASE_PLACE = ("territory", "suggested_territory", "address")
NEAR_DUPLICATE_MIN_WORDS = 4  # "Когда починят?" from two people is not the same problem
TITLE_LENGTH = 120
_CHANNELS = frozenset(Channel.values)  # Channel.values builds a new list on every call
SOURCE_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
_url_validator = URLValidator(schemes=["http", "https"])
# A link is its scheme://host part and the rest ("/wall-1_2", "?w=…"); URLValidator accepts any rest
# of non-space characters after a host it accepts, so a host it accepted once need not be checked again.
_URL_PARTS = re.compile(r"([a-z0-9.+-]*://[^/?#\s]+)(?:[/?#]\S*)?\Z", re.IGNORECASE)
_GOOD_URL_HOSTS: set[str] = set()
_GOOD_URL_HOSTS_MAX = 10_000


def _check_url(url: str) -> None:
    """``URLValidator(schemes=["http", "https"])(url)``, with the hosts it accepted remembered."""
    parts = _URL_PARTS.match(url)
    if parts is None or len(url) > _url_validator.max_length:
        _url_validator(url)
        return
    host = parts.group(1)
    if host in _GOOD_URL_HOSTS:
        return
    _url_validator(url)
    try:
        _url_validator(host)  # ("http://a_b?c@d.ru" passes with a_b?c as the user: the host alone may not)
    except ValidationError:
        return
    if len(_GOOD_URL_HOSTS) >= _GOOD_URL_HOSTS_MAX:
        _GOOD_URL_HOSTS.clear()
    _GOOD_URL_HOSTS.add(host)


_RETRIABLE = (OperationalError, InterfaceError)  # the database is away: fail the batch, retry it whole


class Stage:
    NORMALIZE = "normalize"
    DEDUP = "dedup"
    RELEVANCE = "relevance"
    CATEGORIZE = "categorize"
    PLACE = "place"
    ROUTE = "route"
    SIMILAR = "similar"
    PERSIST = "persist"
    DEADLINE = "deadline"
    PARSE = "parse"  # reading a file (``otklik ingest``): a line that is not JSON


class InvalidItem(ValueError):
    """A permanent problem of one item: it goes to the dead letters, the batch goes on."""


@dataclass
class BatchResult:
    received: int = 0
    created_cases: int = 0
    attached: int = 0
    duplicates: int = 0
    irrelevant: int = 0
    dead_letters: int = 0
    auto_assigned: int = 0
    to_moderation: int = 0
    case_ids: list[int] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (stage, reason) of each dead letter
    queued: int = 0  # batches sent to Celery workers (OTKLIK_PIPELINE=celery)

    COUNTERS = (
        "received",
        "created_cases",
        "attached",
        "duplicates",
        "irrelevant",
        "dead_letters",
        "auto_assigned",
        "to_moderation",
    )

    def add(self, other: BatchResult) -> None:
        for name in self.COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.case_ids += other.case_ids
        self.failures += other.failures
        self.queued += other.queued

    def summary(self) -> str:
        return ", ".join(f"{name.replace('_', ' ')}: {getattr(self, name)}" for name in self.COUNTERS)


@dataclass(frozen=True)
class AgencySuggestion:
    """No routing rule covers the case: the agency the learned router picks, else the one most of
    the latest routed cases of its category went to — suggested to the moderator, never assigned.
    ``why`` is kept as the case's ``understanding["routing"]``: {"model": version, "confidence": p}
    or {"practice": [its cases, the decisions looked at]}."""

    agency: Agency
    why: dict[str, Any]


@dataclass
class Item:
    """One raw item on its way through the stages."""

    index: int
    payload: Any
    source: Source | None = None
    external_id: str = ""
    text: str = ""
    channel: str = ""
    posted_at: datetime | None = None
    author_name: str = ""
    author_id: str = ""
    author_contact: str = ""
    url: str = ""
    lat: float | None = None
    lon: float | None = None
    category_code: str = ""  # the sender's choice of category, if any
    addressed_to: int | None = None  # the agency the resident wrote to (a deputy's office), if any
    addressed: Agency | None = None
    text_hash: str = ""
    normalized: str = ""
    word_count: int = 0
    tokens: list[Token] | None = None  # the text's tokens, made once (``text.message_tokens``)
    words: list[Token] | None = None  # the same without links and mentions: what stages read
    analyzed: AnalyzedText | None = None
    done: bool = False  # duplicate or dead: no further stage touches it
    attach_to: Case | None = None
    twin_of: Item | None = None  # an earlier item of this batch with the same text
    relevance: Relevance | None = None
    classification: Classification | None = None
    urgency: Urgency | None = None
    place: Place | None = None
    routed: RouteResult | None = None
    agency_suggestion: AgencySuggestion | None = (
        None  # no rule routes it: the router's or the practice's pick
    )
    monitoring: list[monitoring.QueryMatch] | None = None  # None: no active monitoring queries
    fingerprint: dedup.Fingerprint | None = None
    similar_to: dict[str, Any] | None = None  # the near-duplicate it attaches to
    decision: actions.Opening | None = None
    case: Case | None = None

    @property
    def is_relevant(self) -> bool:
        return self.relevance is None or self.relevance.is_relevant


@dataclass
class Batch:
    items: list[Item]
    now: datetime
    default_source: Source | None
    result: BatchResult
    store_dead_letters: bool = True
    sources: dict[str, Source] = field(default_factory=dict)
    classifier: RuleClassifier | None = None
    gazetteer: Gazetteer | None = None
    rules: RuleIndex | None = None
    scanner: monitoring.Scanner | None = None
    dead: list[DeadLetter] = field(default_factory=list)
    touched_cases: dict[int, list[int]] = field(default_factory=dict)  # case id → attached message ids

    def live(self) -> Iterator[Item]:
        return (item for item in self.items if not item.done)

    def fail(self, item: Item, stage: str, reason: str) -> None:
        item.done = True
        self.result.dead_letters += 1
        self.result.failures.append((stage, reason))
        self.dead.append(
            DeadLetter(
                source=item.source,
                external_id=item.external_id[:200],
                stage=stage,
                reason=reason,
                payload=payload_text(item.payload),
                created_at=self.now,
            )
        )

    def each(self, stage: str, work: Callable[[Item], None]) -> None:
        """Run ``work`` on every live item; a permanent failure dead-letters that item only."""
        for item in list(self.live()):
            try:
                work(item)
            except _RETRIABLE:
                raise
            except InvalidItem as exc:
                self.fail(item, stage, str(exc))
            except Exception as exc:
                log.exception("stage %s failed on item %s", stage, item.index)
                self.fail(item, stage, f"{type(exc).__name__}: {exc}")


def payload_text(payload: Any) -> str:
    if isinstance(payload, str):
        return payload
    try:
        return json.dumps(payload, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(payload)


# --- normalize -----------------------------------------------------------------------------------


def _string(payload: dict[str, Any], key: str, limit: int = 200) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:limit]


def _float(payload: dict[str, Any], key: str) -> float | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError as exc:
        raise InvalidItem(f"“{key}” is not a number: {value!r}") from exc


def parse_posted_at(value: Any) -> datetime:
    if value in (None, ""):
        raise InvalidItem("“posted_at” is required (ISO 8601)")
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidItem(f"“posted_at” is not an ISO 8601 date and time: {value!r}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _source_for(batch: Batch, code: str, channel: str) -> Source:
    if code in batch.sources:
        return batch.sources[code]
    if not SOURCE_CODE_RE.match(code):
        raise InvalidItem(f"“source” is not a valid code (letters, digits, - and _): {code!r}")
    source, created = Source.objects.get_or_create(
        code=code, defaults={"name": code, "channel": channel or Channel.IMPORT, "connector": "file"}
    )
    if created:
        log.info("created source %s from an ingested item", code)
    batch.sources[code] = source
    return source


def _normalize_one(batch: Batch, item: Item) -> None:
    payload = item.payload
    if not isinstance(payload, dict):
        raise InvalidItem(f"an item must be an object, got {type(payload).__name__}")
    item.external_id = _string(payload, "external_id", 1000)
    channel = _string(payload, "channel", 20)
    valid_channel = channel in _CHANNELS
    code = _string(payload, "source", 64)
    if code:
        item.source = _source_for(batch, code, channel if valid_channel else "")
    elif batch.default_source is not None:
        item.source = batch.default_source
    else:
        raise InvalidItem("“source” is required (or give the batch a default source)")
    if channel and not valid_channel:
        raise InvalidItem(f"unknown “channel” {channel!r}; one of: {', '.join(Channel.values)}")
    if not item.external_id:
        raise InvalidItem("“external_id” is required")
    if len(item.external_id) > 200:
        raise InvalidItem("“external_id” is longer than 200 characters")
    text = payload.get("text")
    item.text = str(text).strip() if text is not None else ""
    if not item.text:
        raise InvalidItem("“text” is required and must not be empty")
    item.posted_at = parse_posted_at(payload.get("posted_at"))
    item.channel = channel or item.source.channel
    item.author_name = _string(payload, "author_name")
    item.author_id = _string(payload, "author_id")
    item.author_contact = _string(payload, "author_contact")
    item.url = _string(payload, "url", 1000)
    if item.url:
        if len(item.url) > 500:
            raise InvalidItem("“url” is longer than 500 characters")
        try:
            _check_url(item.url)
        except ValidationError as exc:
            raise InvalidItem(f"“url” is not an http(s) link: {item.url!r}") from exc
    item.lat, item.lon = _float(payload, "lat"), _float(payload, "lon")
    if (item.lat is None) != (item.lon is None):
        raise InvalidItem("give both “lat” and “lon”, or neither")
    if (
        item.lat is not None
        and item.lon is not None
        and not (-90 <= item.lat <= 90 and -180 <= item.lon <= 180)
    ):
        raise InvalidItem(f"coordinates out of range: {item.lat}, {item.lon}")
    item.category_code = _string(payload, "category", 64)
    addressed = _string(payload, "addressed_to", 20)
    if addressed:
        if not addressed.isdigit():
            raise InvalidItem(f"“addressed_to” is not an agency id: {addressed!r}")
        item.addressed_to = int(addressed)
    # Tokenized once here; normalize, relevance, categorize, urgency and place share the tokens.
    item.tokens, item.words = message_tokens(item.text)
    item.normalized = normalize_tokens(item.words)  # normalize_text(item.text)
    item.word_count = len(item.words)
    # text_hash() of the same normalized text, without tokenizing it a second time
    item.text_hash = hashlib.sha1(item.normalized.encode("utf-8"), usedforsecurity=False).hexdigest()


def stage_normalize(batch: Batch) -> None:
    """Validate every item against the schema and bring it to typed fields."""
    _read_sources(batch)
    batch.each(Stage.NORMALIZE, lambda item: _normalize_one(batch, item))


def _read_sources(batch: Batch) -> None:
    """The batch's sources in one query (unknown ones are created item by item)."""
    codes = {_string(i.payload, "source", 64) for i in batch.items if isinstance(i.payload, dict)}
    codes -= {"", *batch.sources}
    if codes:
        batch.sources.update((s.code, s) for s in Source.objects.filter(code__in=codes))


# --- dedup ---------------------------------------------------------------------------------------


def stage_dedup(batch: Batch) -> None:
    """Exact duplicates drop out; near-duplicates (same normalized text) attach to an open case."""
    live = list(batch.live())
    wanted: set[tuple[int, str]] = set()
    for item in live:
        assert item.source is not None
        wanted.add((item.source.pk, item.external_id))
    stored: set[tuple[int, str]] = set()
    if wanted:  # one query for all sources; the pairs are picked out here
        stored = wanted.intersection(
            Message.objects.filter(
                source_id__in={s for s, _ in wanted}, external_id__in={e for _, e in wanted}
            ).values_list("source_id", "external_id")
        )
    seen: set[tuple[int, str]] = set()
    for item in live:
        assert item.source is not None
        key = (item.source.pk, item.external_id)
        if key in stored or key in seen:
            item.done = True
            batch.result.duplicates += 1
        seen.add(key)

    candidates = [
        i
        for i in batch.live()
        if i.word_count >= NEAR_DUPLICATE_MIN_WORDS and i.posted_at and i.addressed_to is None
    ]
    if not candidates:
        return
    earliest = min(i.posted_at for i in candidates if i.posted_at) - NEAR_DUPLICATE_WINDOW
    latest = max(i.posted_at for i in candidates if i.posted_at) + NEAR_DUPLICATE_WINDOW
    existing: dict[str, list[tuple[datetime, int]]] = {}
    for digest, posted_at, case_id in Message.objects.filter(
        text_hash__in={i.text_hash for i in candidates},
        case__isnull=False,
        case__status__in=OPEN,
        posted_at__gte=earliest,
        posted_at__lte=latest,
    ).values_list("text_hash", "posted_at", "case_id"):
        existing.setdefault(digest, []).append((posted_at, case_id))
    cases = Case.objects.only(*_CASE_PLACE).in_bulk(
        {case_id for rows in existing.values() for _, case_id in rows}
    )
    first_in_batch: dict[str, Item] = {}
    for item in candidates:
        assert item.posted_at is not None
        near = [
            (abs(posted_at - item.posted_at), case_id)
            for posted_at, case_id in existing.get(item.text_hash, [])
            if abs(posted_at - item.posted_at) <= NEAR_DUPLICATE_WINDOW and case_id in cases
        ]
        if near:
            item.attach_to = cases[min(near)[1]]
            continue
        twin = first_in_batch.get(item.text_hash)
        if (
            twin is not None
            and twin.posted_at
            and abs(twin.posted_at - item.posted_at) <= NEAR_DUPLICATE_WINDOW
        ):
            item.twin_of = twin
        else:
            first_in_batch[item.text_hash] = item


def _needs_understanding(item: Item) -> bool:
    # A twin inside the batch is understood too: if its twin gets no case, it stands on its own.
    return item.attach_to is None


# --- relevance, categorize, place, route ---------------------------------------------------------


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
        if not _needs_understanding(item):
            return
        if item.channel in ADDRESSED_CHANNELS:
            # Written to the center on purpose (form, call, letter, official appeal): never off-topic.
            item.analyzed = _analyzed(item)
            item.relevance = Relevance(True, Verdict.RELEVANT)
            return
        if scanner:
            item.monitoring = scanner.scan(item.text)
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


def _understood(batch: Batch) -> Iterable[Item]:
    return [i for i in batch.live() if _needs_understanding(i) and i.is_relevant]


def stage_categorize(batch: Batch) -> None:
    """Category with confidence by the rule classifier (or the sender's declared one); urgency flags."""
    assert batch.classifier is not None
    classifier = batch.classifier

    items = list(_understood(batch))
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
        item.urgency = urgency.assess(analyzed, now=batch.now, month=month)

    _each_understood(batch, Stage.CATEGORIZE, understand)


def _each_understood(batch: Batch, stage: str, work: Callable[[Item], None]) -> None:
    targets = {id(i) for i in _understood(batch)}
    batch.each(stage, lambda item: work(item) if id(item) in targets else None)


def stage_place(batch: Batch) -> None:
    """Territory from the text (gazetteer) or the point, street address."""
    gazetteer = batch.gazetteer

    def locate(item: Item) -> None:
        item.place = places.locate(
            item.text, lat=item.lat, lon=item.lon, gazetteer=gazetteer, tokens=item.tokens
        )

    _each_understood(batch, Stage.PLACE, locate)


def stage_similar(batch: Batch) -> None:
    """Near-duplicates, reposts and quotes of a message of an open case (or of an earlier item of the
    batch) within the window, in the same place when known, attach to that case (:mod:`.dedup`)."""
    targets = [
        i
        for i in _understood(batch)
        if i.twin_of is None
        and i.word_count >= dedup.MIN_WORDS
        and i.posted_at is not None
        and i.addressed_to is None  # written to someone: never joined to another agency's case
    ]
    if not targets:
        return
    for item, made in zip(targets, dedup.fingerprints([i.text for i in targets]), strict=True):
        item.fingerprint = made
    lookups = {id(i): i.fingerprint.lookup_keys() for i in targets if i.fingerprint is not None}
    earliest = min(i.posted_at for i in targets if i.posted_at) - dedup.WINDOW
    latest = max(i.posted_at for i in targets if i.posted_at) + dedup.WINDOW
    wanted = sorted({k for keys in lookups.values() for k in keys})
    by_key: dict[int, list[tuple[int, int]]] = {}  # key → (message id, posted at in µs)
    found_in: dict[int, tuple[str, int]] = {}  # message id → (its text hash, its case id)
    for key, message_id, posted_at, digest, case_id in _keys_found(wanted, earliest, latest):
        by_key.setdefault(key, []).append((message_id, posted_at))
        found_in[message_id] = (digest, case_id)
    for key, rows in by_key.items():  # a template many residents copy: the latest few stand for all
        if len(rows) > _MAX_PER_KEY:
            by_key[key] = sorted(rows, key=lambda row: row[1])[-_MAX_PER_KEY:]
    stored: dict[int, tuple[dedup.Fingerprint, int]] = {}
    cases: dict[int, tuple[int | None, str]] = {}  # case id → (its territory or the suggested one, address)
    if by_key:
        ids = {mid for rows in by_key.values() for mid, _ in rows}
        for mid in ids:  # fingerprints kept in this process (written or read before): no text needed
            digest, case_id = found_in[mid]
            known = _FINGERPRINTS.get((mid, digest))
            if known is not None:
                stored[mid] = (known, case_id)
        missing = [mid for mid in ids if mid not in stored]
        if missing:
            texts = Message.objects.filter(pk__in=missing).values_list("pk", "text", "text_hash", "case_id")
            for mid, text, digest, case_id in texts:
                stored[mid] = (_stored_fingerprint(mid, digest, text), case_id)
        cases = {
            pk: (territory_id or suggested_id, address)
            for pk, territory_id, suggested_id, address in Case.objects.filter(
                pk__in={case_id for _, case_id in stored.values()}
            ).values_list("pk", "territory_id", "suggested_territory_id", "address")
        }
    parents = _territory_parents() if cases else {}
    local: dict[int, list[Item]] = {}
    attached: dict[int, int] = {}  # id(item) → the stored case it attaches to
    for item in targets:
        fp, keys = item.fingerprint, lookups[id(item)]
        assert fp is not None and item.posted_at is not None
        posted = _microseconds(item.posted_at)
        best: tuple[float, float, int | Item, int | None] | None = None
        for mid in {
            mid for k in keys for mid, at in by_key.get(k, ()) if abs(at - posted) <= _WINDOW_MICROSECONDS
        }:
            old, case_id = stored[mid]
            place = cases.get(case_id)
            if place is None or not _same_place(item, place[0], place[1], parents):
                continue
            score = dedup.match_score(fp, old)
            if score and (best is None or score > best[0]):
                best = (score, 0.0, case_id, mid)
        for other in {id(o): o for k in keys for o in local.get(k, ())}.values():
            assert other.fingerprint is not None and other.posted_at is not None
            if abs(other.posted_at - item.posted_at) > dedup.WINDOW or other.done:
                continue
            if not _same_place(
                item, _territory_id(other), other.place.address if other.place else "", parents
            ):
                continue
            score = dedup.match_score(fp, other.fingerprint)
            if score and (best is None or score > best[0]):
                best = (score, 1.0, other, None)
        if best is None:
            for k in fp.stored_keys:
                bucket = local.setdefault(k, [])
                bucket.append(item)
                if len(bucket) > _MAX_PER_KEY:
                    del bucket[0]
            continue
        score, _, target, found = best
        item.similar_to = {"score": round(score, 3), "message": found}
        if isinstance(target, int):
            attached[id(item)] = target
        elif id(target) in attached:
            attached[id(item)] = attached[id(target)]
        else:
            item.twin_of = target
    if attached:  # the cases as objects, read only for the messages that attach to them
        objects = Case.objects.only(*_CASE_PLACE).in_bulk(set(attached.values()))
        for item in targets:
            if id(item) in attached:  # (a case gone meanwhile leaves the message on its own)
                item.attach_to = objects.get(attached[id(item)])


_MAX_PER_KEY = 8  # candidates kept per similarity key: bounds the work on mass templated complaints
# (stored message id, its text hash) → fingerprint, in this process; the hash guards against an id
# reused after a rolled-back transaction.
_FINGERPRINTS: dict[tuple[int, str], dedup.Fingerprint] = {}
_FINGERPRINT_CACHE_SIZE = 50_000


def _stored_fingerprint(message_id: int, digest: str, text: str) -> dedup.Fingerprint:
    found = _FINGERPRINTS.get((message_id, digest))
    if found is None:
        found = _remember_fingerprint(message_id, digest, dedup.fingerprint(text))
    return found


def _remember_fingerprint(message_id: int, digest: str, fp: dedup.Fingerprint) -> dedup.Fingerprint:
    """Keep a stored message's fingerprint (also when written: later batches look it up)."""
    if len(_FINGERPRINTS) >= _FINGERPRINT_CACHE_SIZE:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[(message_id, digest)] = fp
    return fp


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_WINDOW_MICROSECONDS = dedup.WINDOW // _MICROSECOND


def _microseconds(moment: datetime) -> int:
    """A moment as whole microseconds since 1970 (exact: compared with the database's)."""
    return (moment - _EPOCH) // _MICROSECOND


def _keys_found(
    keys: list[int], earliest: datetime, latest: datetime
) -> list[tuple[int, int, int, str, int]]:
    """(key, message id, posted at in µs since 1970, text hash, case id) of stored similarity keys
    among ``keys``, messages of open cases."""
    if not keys:
        return []
    if connection.vendor == "postgresql":  # one array parameter instead of thousands
        with connection.cursor() as cursor:
            cursor.execute(
                # (the moment as an integer: tens of thousands of timestamps parsed cost more)
                "SELECT k.key, k.message_id, (EXTRACT(EPOCH FROM k.posted_at) * 1000000)::bigint, "
                "m.text_hash, m.case_id FROM intake_similaritykey k "
                "JOIN intake_message m ON m.id = k.message_id JOIN cases_case c ON c.id = m.case_id "
                "WHERE k.key = ANY(%s::bigint[]) AND k.posted_at BETWEEN %s AND %s AND c.status = ANY(%s)",
                # an array literal: psycopg adapts a list of thousands of ints element by element
                ["{" + ",".join(map(str, keys)) + "}", earliest, latest, list(OPEN)],
            )
            return list(cursor.fetchall())
    rows: list[tuple[int, int, int, str, int]] = []
    for start in range(0, len(keys), 2000):
        rows += [
            (key, message_id, _microseconds(posted_at), digest, case_id)
            for key, message_id, posted_at, digest, case_id in SimilarityKey.objects.filter(
                key__in=keys[start : start + 2000],
                posted_at__gte=earliest,
                posted_at__lte=latest,
                message__case__status__in=OPEN,
            ).values_list("key", "message_id", "posted_at", "message__text_hash", "message__case_id")
        ]
    return rows


def _territory_id(item: Item) -> int | None:
    territory = item.place.territory if item.place else None
    return territory.pk if territory is not None else None


def _territory_parents() -> dict[int, int | None]:
    from otklik.directory.models import Territory

    return dict(Territory.objects.values_list("pk", "parent_id"))


def _chain(territory_id: int, parents: dict[int, int | None]) -> list[int]:
    chain: list[int] = []
    node: int | None = territory_id
    while node is not None and len(chain) < 10:
        chain.append(node)
        node = parents.get(node)
    return chain


def _same_place(item: Item, territory_id: int | None, address: str, parents: dict[int, int | None]) -> bool:
    """Same place when known: the same address, and one territory inside the other."""
    mine = item.place.address if item.place else ""
    if mine and address and mine.casefold() != address.casefold():
        return False
    own = _territory_id(item)
    if own is None or territory_id is None or own == territory_id:
        return True
    if not parents:
        parents.update(_territory_parents())
    return territory_id in _chain(own, parents) or own in _chain(territory_id, parents)


def stage_route(batch: Batch) -> None:
    """The agency a routing rule picks for the suggested category and territory (or the agency the
    resident addressed)."""
    wanted = {i.addressed_to for i in _understood(batch) if i.addressed_to is not None}
    addressed = Agency.objects.filter(is_active=True).in_bulk(wanted) if wanted else {}

    def pick(item: Item) -> None:
        if item.attach_to is not None:
            return
        if item.addressed_to is not None:
            item.addressed = addressed.get(item.addressed_to)
            if item.addressed is None:
                raise InvalidItem(f"“addressed_to”: no active agency {item.addressed_to}")
            return
        category = item.classification.category if item.classification else None
        territory = item.place.territory if item.place else None
        if category is None and territory is None:
            return
        item.routed = route(category, territory, batch.rules)

    _each_understood(batch, Stage.ROUTE, pick)
    _suggest_agency(batch)


def _suggest_agency(batch: Batch) -> None:
    """Cases no rule routes: the agency the learned router (the active AGENCY model) is sure enough
    of; for the rest, where most of the latest routed cases of their category went (two queries for
    the whole batch, one more for the agencies)."""
    unrouted = [
        item
        for item in _understood(batch)
        if item.attach_to is None and item.routed is None and item.addressed is None
    ]
    if not unrouted:
        return
    learned = agency_model.suggest_agencies(
        [
            agency_model.RoutingRow(
                item.text,
                item.classification.category.code
                if item.classification and item.classification.category
                else None,
                item.place.territory.pk if item.place and item.place.territory else None,
            )
            for item in unrouted
        ]
    )
    known = Agency.objects.filter(is_active=True).in_bulk({s.agency_id for s in learned if s is not None})
    by_category: list[tuple[Item, int]] = []
    for item, suggestion in zip(unrouted, learned, strict=True):
        if suggestion is not None and suggestion.agency_id in known:
            why = {"model": suggestion.model, "confidence": suggestion.confidence}
            item.agency_suggestion = AgencySuggestion(known[suggestion.agency_id], why)
        elif item.classification is not None and item.classification.category is not None:
            by_category.append((item, item.classification.category.pk))
    if not by_category:
        return
    found = routing_practice.leading_agencies({category_id for _item, category_id in by_category})
    agencies = Agency.objects.in_bulk({hit[0] for hit in found.values() if hit is not None})
    for item, category_id in by_category:
        hit = found.get(category_id)
        if hit is not None and hit[0] in agencies:
            item.agency_suggestion = AgencySuggestion(agencies[hit[0]], {"practice": [hit[1], hit[2]]})


# --- deadline: the decision ----------------------------------------------------------------------


def _target_of(item: Item) -> Case | Item | None:
    """What the item's message attaches to: an open case, or an earlier item of the batch whose new
    case it joins; None when it stands on its own."""
    if item.attach_to is not None:
        return item.attach_to
    twin = item.twin_of
    if twin is not None and not twin.done:
        return _target_of(twin) or (twin if twin.is_relevant else None)
    return None


def _opens_case(item: Item) -> bool:
    return not item.done and item.is_relevant and _target_of(item) is None


# Openers that say nothing about the problem: a title starts after them.
_OPENERS = re.compile(
    r"^(здравствуйте|добрый (день|вечер)|доброе утро|доброго времени суток|привет\w*|помогите|"
    r"уважаемые?( \w+)?|администрация,? ау|сколько можно( терпеть)?|срочно|люди|подскажите)\b",
    re.IGNORECASE,
)


# razdel splits sentences only at these marks (razdel.segmenters.sentenize.DELIMITER)
_SENTENCE_MARKS = re.compile(f"[{re.escape(SENTENCE_DELIMITERS)}]")
# The title is looked for in the text's beginning first — up to its first sentence mark, then 400
# characters: razdel decides a sentence end by the 10 characters after it (its window), so the
# sentences of a beginning that end before its last 10 characters are those of the whole text.
_TITLE_HEAD = 400
_RAZDEL_WINDOW = 10


def _title_sentence(flat: str, *, whole: bool = False) -> str | None:
    """The first sentence that says something; of a text's beginning (``whole=False``) only when
    its end is certain, else None."""
    if not _SENTENCE_MARKS.search(flat):
        return flat if whole else None
    sentences = list(sentenize(flat))
    if not whole:
        sentences = [s for s in sentences if s.stop + _RAZDEL_WINDOW <= len(flat)]
    for s in sentences:
        if not (len(s.text.split()) <= 4 and _OPENERS.match(s.text)):
            return str(s.text)
    if whole:
        return sentences[0].text if sentences else flat
    return None


def make_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """The first sentence that says something (greetings and cries skipped), cut at a word boundary.

    Sentences are split by razdel, which knows Russian abbreviations ("ул.", "д.", "кв.").
    """
    flat = " ".join(text.split())
    mark = _SENTENCE_MARKS.search(flat)
    if mark is None:
        sentence: str | None = flat
    else:
        sentence = None
        for head in (mark.end() + _RAZDEL_WINDOW, _TITLE_HEAD):
            if sentence is None and head < len(flat):
                sentence = _title_sentence(flat[:head])
        if sentence is None:
            sentence = _title_sentence(flat, whole=True)
    assert sentence is not None
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def _understanding_json(item: Item) -> dict[str, Any]:
    c, p, u, r = item.classification, item.place, item.urgency, item.relevance
    data: dict[str, Any] = {
        "matched_terms": c.matched_terms if c else [],
        "version": c.version if c else "",
        "decided_by": getattr(c, "decided_by", "rules") if c else "",
        "threshold": getattr(c, "threshold", None) if c else None,
        "scores": c.scores if c else {},
        "urgency": {"kinds": u.kinds, "terms": u.terms} if u else {},
        "tone": {"flags": u.tone.flags, "terms": u.tone.terms} if u and getattr(u, "tone", None) else {},
        "place": {
            "matched": p.matched,
            "precision": p.precision,
            "address": p.address,
            "settlement": getattr(p, "settlement", ""),
            "institution": getattr(p, "institution", ""),
            "source": getattr(p, "source", ""),
            "unresolved": getattr(p, "unresolved", []),
        }
        if p
        else {},
        "relevance": {"verdict": r.verdict, "problem_terms": r.problem_terms} if r else {},
    }
    if item.monitoring is not None:
        data["monitoring"] = {"queries": [m.as_json() for m in item.monitoring]}
    if item.agency_suggestion is not None:
        data["routing"] = item.agency_suggestion.why
    return data


def _suggested_agency(item: Item) -> Agency | None:
    if item.addressed is not None:
        return item.addressed
    if item.routed is not None:
        return item.routed.agency
    return item.agency_suggestion.agency if item.agency_suggestion is not None else None


def _new_case(item: Item) -> Case:
    """The case a message opens (unsaved: :func:`otklik.cases.actions.open_cases` stores it)."""
    assert item.posted_at is not None
    c, p, u = item.classification, item.place, item.urgency
    return Case(
        title=make_title(item.text),
        text=item.text,
        channel=item.channel,
        created_at=item.posted_at,
        suggested_category=c.category if c else None,
        suggested_territory=p.territory if p else None,
        suggested_agency=_suggested_agency(item),
        category_confidence=c.confidence if c else None,
        understanding=_understanding_json(item),
        is_urgent=bool(u and u.is_urgent),
        address=(p.address if p else "")[:300],
        lat=p.lat if p else None,
        lon=p.lon if p else None,
        message_count=1,
        author_count=1,
    )


def _decide(batch: Batch, item: Item) -> None:
    """Assign a confident, routable case at once (its deadline starts now), or send it to moderation."""
    if not _opens_case(item):
        return
    case = _new_case(item)
    c, p = item.classification, item.place
    if item.addressed is not None:  # the resident chose whom to write to
        case.category = c.category if c is not None and should_auto_route(c) else None
        case.territory = p.territory if p else None
        item.decision = actions.Opening(case, agency=item.addressed)
        return
    if c is not None and should_auto_route(c) and item.routed is not None:
        case.category = c.category
        case.territory = p.territory if p else None
        item.decision = actions.Opening(case, agency=item.routed.agency)
        return
    item.decision = actions.Opening(case, reason=moderation_reason(c))


def moderation_reason(c: Classification | None) -> str:
    """Why a new case waits for a moderator, in words for the case's history (stored in the
    site's language, as every system comment is)."""
    if c is None or c.category is None:
        return _("No category recognized.")
    if should_auto_route(c):
        return _("No routing rule covers this category and place.")
    values = {"confidence": f"{c.confidence:.0%}"}
    if c.threshold is not None:
        values["threshold"] = f"{c.threshold:.0%}"
        text = _("Category confidence %(confidence)s is below the category's threshold %(threshold)s.")
        return text % values
    if c.decided_by == "model":
        return _(
            "The model's predictions of this category never reached the target precision in validation, "
            "so a moderator confirms them."
        )
    threshold = float(settings.OTKLIK_AUTO_ROUTE_CONFIDENCE)
    if threshold > 1:
        return _("Automatic routing by rules is off; a moderator confirms the category.")
    values["threshold"] = f"{threshold:.0%}"
    return _("Category confidence %(confidence)s is below the threshold %(threshold)s.") % values


def stage_deadline(batch: Batch) -> None:
    """Decide for every new case: confident and routable → assigned; the rest → moderation."""
    batch.each(Stage.DEADLINE, lambda item: _decide(batch, item))


# --- persist -------------------------------------------------------------------------------------


# Every column of a message row (bulk.insert_rows builds no Message instance on PostgreSQL).
_MESSAGE_COLUMNS = (
    "id",
    "source_id",
    "external_id",
    "channel",
    "case_id",
    "author_name",
    "author_id",
    "author_contact",
    "text",
    "url",
    "lat",
    "lon",
    "posted_at",
    "received_at",
    "is_relevant",
    "text_hash",
    "raw",
)
_KEY_COLUMNS = ("key", "message_id", "posted_at")


def _message_row(item: Item, batch: Batch, message_id: int, case_id: int | None) -> tuple[Any, ...]:
    assert item.source is not None and item.posted_at is not None
    return (
        message_id,
        item.source.pk,
        item.external_id,
        item.channel,
        case_id,
        item.author_name,
        item.author_id,
        item.author_contact,
        item.text,
        item.url,
        item.lat,
        item.lon,
        item.posted_at,
        batch.now,
        item.is_relevant,
        item.text_hash,
        item.payload if isinstance(item.payload, dict) else {},
    )


@dataclass
class _Written:
    result: BatchResult = field(default_factory=BatchResult)
    touched: dict[int, list[int]] = field(default_factory=dict)


def _write(batch: Batch, items: list[Item]) -> _Written:
    """Store the items' new cases (assigned or in moderation), messages and similarity keys in bulk.

    Messages and similarity keys go as plain rows (``bulk.insert_rows``: ``COPY`` on PostgreSQL),
    their ids reserved first so the keys and the touched cases know them."""
    out = _Written()
    openings = []
    for item in items:
        if not _opens_case(item):
            continue
        if item.decision is None:  # its twin failed after the decisions were made
            _decide(batch, item)
        assert item.decision is not None
        openings.append(item.decision)
    actions.open_cases(openings, now=batch.now)
    for opening in openings:
        if opening.agency is not None:
            out.result.auto_assigned += 1
        else:
            out.result.to_moderation += 1
    planned: list[tuple[Item, int | None, bool]] = []  # (item, its case id, attached to a case)
    for item in items:
        if item.done:
            continue
        if _opens_case(item):
            assert item.decision is not None
            item.case = item.decision.case
            planned.append((item, item.case.pk, False))
            continue
        target = _target_of(item)
        case = target.case if isinstance(target, Item) else target
        if target is not None and case is None:
            raise RuntimeError("an item attaches to an earlier item that has no case")
        planned.append((item, case.pk if case is not None else None, case is not None))
    ids = bulk.reserve_ids(Message, len(planned))
    bulk.insert_rows(
        Message,
        _MESSAGE_COLUMNS,
        [
            _message_row(item, batch, mid, case_id)
            for (item, case_id, _), mid in zip(planned, ids, strict=True)
        ],
    )
    keys: list[tuple[int, int, datetime]] = []
    for (item, case_id, attached), message_id in zip(planned, ids, strict=True):
        if attached:
            assert case_id is not None
            out.touched.setdefault(case_id, []).append(message_id)
            out.result.attached += 1
        elif item.case is not None:
            out.result.created_cases += 1
            out.result.case_ids.append(item.case.pk)
        else:
            out.result.irrelevant += 1
        if case_id is not None and item.word_count >= dedup.MIN_WORDS:
            assert item.posted_at is not None
            fp = item.fingerprint or dedup.fingerprint(item.text)
            _remember_fingerprint(message_id, item.text_hash, fp)
            keys += [(k, message_id, item.posted_at) for k in fp.stored_keys]
    bulk.insert_rows(SimilarityKey, _KEY_COLUMNS, keys)
    return out


def _persist_alone(batch: Batch, item: Item) -> _Written | None:
    """One item in its own savepoint; a redelivery that lost a race is counted as a duplicate."""
    try:
        with transaction.atomic():
            return _write(batch, [item])
    except _RETRIABLE:
        raise
    except IntegrityError as exc:
        item.case = None
        assert item.source is not None
        if not Message.objects.filter(source=item.source, external_id=item.external_id).exists():
            batch.fail(item, Stage.PERSIST, f"IntegrityError: {exc}")
            return None
        item.done = True  # another worker stored the same message first
        batch.result.duplicates += 1
        return None
    except Exception as exc:
        item.case = None
        log.exception("persisting item %s failed", item.index)
        batch.fail(item, Stage.PERSIST, f"{type(exc).__name__}: {exc}")
        return None


def stage_persist(batch: Batch) -> None:
    """Store messages and new cases in bulk; attach near-duplicates (counters, history).

    The whole batch is written in a few statements inside a savepoint; when that fails (a message
    stored meanwhile by another worker, a value the database refuses) it is written again item by
    item, so the duplicate is counted and a bad item goes to the dead letters alone.
    """
    live = list(batch.live())
    written: list[_Written] = []
    try:
        with transaction.atomic():
            written.append(_write(batch, live))
    except _RETRIABLE:
        raise
    except (DatabaseError, RuntimeError, ValueError):  # ValueError: a text the database cannot encode
        log.info("bulk write of a batch failed: writing its %d items one by one", len(live))
        for item in live:
            item.case = None
        for item in live:
            if not item.done:
                alone = _persist_alone(batch, item)
                if alone is not None:
                    written.append(alone)
    touched: dict[int, list[int]] = {}
    for part in written:
        for name in ("created_cases", "attached", "irrelevant", "auto_assigned", "to_moderation"):
            setattr(batch.result, name, getattr(batch.result, name) + getattr(part.result, name))
        batch.result.case_ids += part.result.case_ids
        for case_id, ids in part.touched.items():
            touched.setdefault(case_id, []).extend(ids)
    batch.touched_cases = touched
    actions.attach_messages(touched, now=batch.now)


STAGES: list[tuple[str, Callable[[Batch], None]]] = [
    (Stage.NORMALIZE, stage_normalize),
    (Stage.DEDUP, stage_dedup),
    (Stage.RELEVANCE, stage_relevance),
    (Stage.CATEGORIZE, stage_categorize),
    (Stage.PLACE, stage_place),
    (Stage.SIMILAR, stage_similar),
    (Stage.ROUTE, stage_route),
    (Stage.DEADLINE, stage_deadline),
    (Stage.PERSIST, stage_persist),
]


def run_batch(
    items: list[dict[str, Any]],
    *,
    now: datetime | None = None,
    source: Source | None = None,
    store_dead_letters: bool = True,
    timings: dict[str, float] | None = None,
) -> BatchResult:
    """Take a batch of raw items through every stage; return what happened to them.

    ``now`` is the moment of assignment (deadlines start then; default: the current time);
    ``source`` is the default for items without a ``source`` code; ``timings``, when given, gets
    the seconds spent per stage added (``setup``, the stages, ``dead_letters``, ``commit``).

    The batch is one transaction: it is stored whole or not at all, so a run killed at any point
    leaves nothing half-done and running the same batch again is safe (at-least-once delivery with
    idempotent writes). A caller moves its cursor only after this returns.
    """
    with _collector_paused(len(items)):  # (resumed once the batch's objects are freed)
        return _run(_new_batch(items, now, source, store_dead_letters), _Clock(timings))


# A problem message touching every part of the understanding (phrases, urgency, address, institution).
_WARM_UP_TEXT = (
    "Здравствуйте! Третий день нет горячей воды и отопления в доме 5 на улице Ленина, рядом со "
    "школой № 2, в подъезде пахнет газом. Управляющая компания не отвечает, просим срочно помочь."
)


def warm_up() -> float:
    """Build what a process's first batch would otherwise build: the rules and the learned model, the
    monitoring queries, the gazetteer, the routing rules, the relevance and urgency phrase lists and
    the word analyser's caches. Nothing is written. A worker calls it when it starts, so that its
    first batch is as fast as the others; returns the seconds it took."""
    start = time.perf_counter()
    item = {
        "external_id": "warm-up",
        "channel": Channel.WEB_FORM,
        "text": _WARM_UP_TEXT,
        "posted_at": "2026-01-15T10:00:00+03:00",
    }
    batch = _new_batch([item], None, Source(code="warm-up", channel=Channel.WEB_FORM))
    with transaction.atomic():
        _setup(batch)
        for stage in (stage_normalize, stage_relevance, stage_categorize, stage_place):
            stage(batch)
        make_title(_WARM_UP_TEXT)
        dedup.fingerprints([_WARM_UP_TEXT])
        transaction.set_rollback(True)
    if batch.result.failures:
        log.warning("warm-up: %s", batch.result.failures[0])
    return time.perf_counter() - start


def _run(batch: Batch, clock: _Clock) -> BatchResult:
    with transaction.atomic():
        _setup(batch)
        clock.lap("setup")
        for name, stage in STAGES:
            stage(batch)
            clock.lap(name)
        _store_dead_letters(batch)
        clock.lap("dead_letters")
    clock.lap("commit")
    return batch.result


def _new_batch(
    items: list[dict[str, Any]], now: datetime | None, source: Source | None, store_dead_letters: bool = True
) -> Batch:
    batch = Batch(
        items=[Item(index=i, payload=payload) for i, payload in enumerate(items)],
        now=now or timezone.now(),
        default_source=source,
        result=BatchResult(received=len(items)),
        store_dead_letters=store_dead_letters,
    )
    if source is not None:
        batch.sources[source.code] = source
    return batch


def _setup(batch: Batch) -> None:
    """Caches built once per batch: keyword rules, monitoring queries, the gazetteer, routing rules."""
    batch.classifier = get_classifier()
    batch.scanner = monitoring.active_scanner()
    batch.gazetteer = places.get_gazetteer()
    batch.rules = RuleIndex(active_rules())


def _store_dead_letters(batch: Batch) -> None:
    if batch.dead and batch.store_dead_letters:
        deadletters.keep(batch.dead)


# A batch allocates many objects that live until its end. Were the cyclic garbage collector to run in
# the middle, it would promote them to its oldest generation, whose collections scan the whole heap
# (pymorphy3's dictionaries, the caches): measured at about a third of a batch's CPU. Nothing the
# pipeline makes needs the collector (reference counting frees it), so it waits for the batch's end.
_GC_PAUSE_ITEMS = 50  # a webhook's single message is not worth it
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _collector_paused(size: int) -> Iterator[None]:
    global _gc_pauses, _gc_was_enabled
    if size < _GC_PAUSE_ITEMS:
        yield
        return
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


class _Clock:
    """Adds the seconds since the last lap to ``timings[name]`` (nothing when timings is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
            self.last = now


def record_dead_letter(
    payload: Any,
    *,
    stage: str,
    reason: str,
    source: Source | None = None,
    external_id: str = "",
    now: datetime | None = None,
) -> DeadLetter:
    """Keep something that could not even become an item (a line that is not JSON), once per payload."""
    return deadletters.keep_one(
        DeadLetter(
            source=source,
            external_id=external_id[:200],
            stage=stage,
            reason=reason,
            payload=payload_text(payload),
            created_at=now or timezone.now(),
        )
    )


def replay_dead_letter(dead_letter: DeadLetter, *, now: datetime | None = None) -> BatchResult | None:
    """Run a dead letter's payload through the pipeline again.

    On success ``replayed_at`` is set; on another failure the attempt is counted and the reason
    updated (no second dead letter is made). Returns None when the payload is not even JSON.
    """
    now = now or timezone.now()
    try:
        payload = json.loads(dead_letter.payload)
    except ValueError:
        dead_letter.attempts += 1
        dead_letter.save(update_fields=["attempts"])
        return None
    result = run_batch([payload], now=now, source=dead_letter.source, store_dead_letters=False)
    if result.dead_letters:
        dead_letter.attempts += 1
        dead_letter.stage, dead_letter.reason = result.failures[0]
        dead_letter.save(update_fields=["attempts", "stage", "reason"])
    else:
        dead_letter.replayed_at = now
        dead_letter.save(update_fields=["replayed_at"])
    return result


# --- files ---------------------------------------------------------------------------------------

FORMATS = ("jsonl", "csv")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise ValueError(f"Cannot tell the format of {path.name}: use .jsonl or .csv, or give the format.")


@dataclass(frozen=True)
class Unparsed:
    """A line of a file that is not an item (bad JSON): it becomes a dead letter."""

    line: int
    text: str
    reason: str


def read_items(path: Path, fmt: str | None = None) -> Iterator[dict[str, Any] | Unparsed]:
    """Items of a JSONL or CSV file, one by one; malformed JSON lines come as :class:`Unparsed`."""
    fmt = fmt or detect_format(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if fmt == "csv":
            for row in csv.DictReader(fh):
                yield {k.strip(): (v if v != "" else None) for k, v in row.items() if k}
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                yield Unparsed(number, line.rstrip("\n"), f"line {number} is not valid JSON: {exc}")
                continue
            yield value


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(buffer.count(b"\n") for buffer in iter(lambda: fh.read(1 << 20), b""))


def ingest_file(
    path: Path | str,
    *,
    fmt: str | None = None,
    source: Source | None = None,
    batch_size: int = 500,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Ingest a JSONL or CSV file in batches; ``progress`` is called with the rows of each batch.

    With ``OTKLIK_PIPELINE=celery`` the batches are sent to the Celery workers instead (the result
    then counts the items received and the batches ``queued``; the workers store the rest).
    """
    path = Path(path)
    total = BatchResult()
    celery = settings.OTKLIK_PIPELINE == "celery"

    def batches() -> Iterator[list[dict[str, Any]]]:
        pending: list[dict[str, Any]] = []
        for value in read_items(path, fmt):
            if isinstance(value, Unparsed):
                record_dead_letter(value.text, stage=Stage.PARSE, reason=value.reason, source=source, now=now)
                total.received += 1
                total.dead_letters += 1
                total.failures.append((Stage.PARSE, value.reason))
                if progress:
                    progress(1)
                continue
            pending.append(value)
            if len(pending) >= batch_size:
                yield pending
                pending = []
        if pending:
            yield pending

    if celery:  # the workers run the batches (otklik.intake.tasks)
        from .tasks import enqueue_batches

        for items in batches():
            total.received += len(items)
            total.queued += enqueue_batches(
                items, batch_size=batch_size, source=source.code if source else None, now=now
            )
            if progress:
                progress(len(items))
        return total
    for items in batches():  # in-process: each batch in its own transaction
        total.add(run_batch(items, now=now, source=source))
        if progress:
            progress(len(items))
    return total


__all__ = [
    "STAGES",
    "BatchResult",
    "Stage",
    "detect_format",
    "ingest_file",
    "make_title",
    "read_items",
    "record_dead_letter",
    "replay_dead_letter",
    "run_batch",
    "warm_up",
]
