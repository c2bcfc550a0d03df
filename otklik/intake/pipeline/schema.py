"""What the stages pass along: the stage names, a batch of items, one item, the batch's result.

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
``address``        no        the building address the sender gives (a city portal's ``full_address``,
                             a connector's address field): the case's address; two messages that give
                             two buildings are never near-duplicates (``dedup.same_building``)
``category``       no        a category code the sender chose (an Open311 ``service_code``): the case
                             takes it as decided (``decided_by`` "sender"); an unknown code is invalid
``addressed_to``   no        the id of the agency the resident wrote to (a deputy's office): the case
                             is assigned to it at once, never attached to another agency's case
=================  ========  ==========================================================================

Other keys are kept in ``Message.raw``. An invalid item becomes a :class:`~otklik.intake.models.DeadLetter`
with its raw payload, the stage and a clear reason; the rest of the batch goes through.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError
from django.utils import translation

from otklik.cases import actions
from otklik.cases.models import Case
from otklik.cases.routing import AgencySuggestion, RouteResult, RuleIndex
from otklik.directory.models import Agency
from otklik.understanding.classify import Classification, RuleClassifier
from otklik.understanding.places import Gazetteer, Place
from otklik.understanding.relevance import Relevance
from otklik.understanding.text import AnalyzedText, Token
from otklik.understanding.urgency import Urgency

from .. import dedup, monitoring
from ..models import DeadLetter, Source

log = logging.getLogger("otklik.pipeline")

RETRIABLE = (OperationalError, InterfaceError)  # the database is away: fail the batch, retry it whole
# What the pipeline reads of a case a message may attach to (not its understanding JSON and the rest).
CASE_PLACE = ("territory", "suggested_territory", "address", "lat", "lon")
# The longest message text taken on any channel (the longest real appeal seen was 15,000 characters).
MAX_TEXT_LENGTH = 20_000
SOURCE_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")  # an item's ``source``


class Stage:
    """The value of ``DeadLetter.stage``: the pipeline's stages, in the order they run
    (:data:`otklik.intake.pipeline.runner.STAGES`), and the steps before an item exists."""

    NORMALIZE = "normalize"
    DEDUP = "dedup"
    RELEVANCE = "relevance"
    CATEGORIZE = "categorize"
    PLACE = "place"
    SIMILAR = "similar"
    ROUTE = "route"
    DECIDE = "decide"
    PERSIST = "persist"
    PARSE = "parse"  # reading a file or a push (``otklik ingest``, a webhook): a body that is not JSON
    CONNECTOR = "connector"  # a payload its connector could not normalize


class InvalidItem(ValueError):
    """A permanent problem of one item: it goes to the dead letters, the batch goes on."""


KEPT_FOR_AN_OPERATOR = "the item could not be processed; it is kept for an operator"


def client_reason(stage: str, reason: str) -> str:
    """A dead letter's reason as a sender may see it: what was wrong with the item (the schema's
    checks, the connector's, the parser's) as it is; a failure inside the pipeline (a bug, a
    database error) never — the operator reads it in the dead letter."""
    if stage in (Stage.NORMALIZE, Stage.PARSE, Stage.CONNECTOR):
        return reason
    return both_languages(KEPT_FOR_AN_OPERATOR)


def both_languages(message: str, **params: Any) -> str:
    """A dead letter's reason in Russian and English, "по-русски / in English" (``message`` is the
    English msgid of the catalog, marked with ``gettext_noop``; ``params`` fill its %(name)s)."""
    with translation.override("ru"):
        russian = translation.gettext(message) % params
    english = message % params
    return english if russian == english else f"{russian} / {english}"


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
    address: str = ""  # the building address the sender gives, if any
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
    # Dedup, asked before understanding, found it repeats a stored message (the same external id, or
    # the same text of an open case): not understood ahead of the turn (pipeline.runner._repeats).
    expected_repeat: bool = False
    attach_to: Case | None = None
    twin_of: Item | None = None  # an earlier item of this batch with the same text
    relevance: Relevance | None = None
    classification: Classification | None = None
    urgency: Urgency | None = None
    place: Place | None = None
    routed: RouteResult | None = None
    agency_suggestion: AgencySuggestion | None = None  # no rule routes it: the router's or practice's pick
    monitoring: list[monitoring.QueryMatch] | None = None  # None: no active monitoring queries
    fingerprint: dedup.Fingerprint | None = None
    lookup_keys: list[int] | None = None  # the fingerprint's keys to look up (made with it, ahead)
    title: str | None = None  # the title of the case it would open (made ahead, see runner)
    similar_to: dict[str, Any] | None = None  # the near-duplicate it attaches to
    decision: actions.Opening | None = None
    case: Case | None = None

    @property
    def is_relevant(self) -> bool:
        return self.relevance is None or self.relevance.is_relevant

    @property
    def needs_understanding(self) -> bool:
        # A twin inside the batch is understood too: if its twin gets no case, it stands on its own.
        return self.attach_to is None and not self.expected_repeat


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
    # Understanding ahead of dedup (pipeline.order): an item's failure waits until dedup has shown
    # whether the item is understood at all (a duplicate or an attached message never is).
    deferred: list[tuple[Item, str, str]] | None = None
    prefetched: Any = None  # similar.Prefetched: the stored similarity keys read before the turn

    def live(self) -> Iterator[Item]:
        return (item for item in self.items if not item.done)

    def understood(self) -> Iterable[Item]:
        """The live items that open or may open a case of their own: relevant, attached to none."""
        return [i for i in self.live() if i.needs_understanding and i.is_relevant]

    def fail(self, item: Item, stage: str, reason: str) -> None:
        if self.deferred is not None and stage != Stage.NORMALIZE:
            item.done = True  # no later understanding stage touches it, as after a real failure
            self.deferred.append((item, stage, reason))
            return
        item.done = True
        self.result.dead_letters += 1
        self.result.failures.append((stage, reason))
        self.dead.append(
            DeadLetter.for_payload(
                item.payload,
                stage=stage,
                reason=reason,
                source=item.source,
                external_id=item.external_id,
                now=self.now,
            )
        )

    def each(self, stage: str, work: Callable[[Item], None]) -> None:
        """Run ``work`` on every live item; a permanent failure dead-letters that item only."""
        for item in list(self.live()):
            try:
                work(item)
            except RETRIABLE:
                raise
            except InvalidItem as exc:
                self.fail(item, stage, str(exc))
            except Exception as exc:
                log.exception("stage %s failed on item %s", stage, item.index)
                self.fail(item, stage, f"{type(exc).__name__}: {exc}")

    def each_understood(self, stage: str, work: Callable[[Item], None]) -> None:
        """:meth:`each` over the items :meth:`understood` names (read before the first one runs)."""
        targets = {id(i) for i in self.understood()}
        self.each(stage, lambda item: work(item) if id(item) in targets else None)
