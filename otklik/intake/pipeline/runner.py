"""The runner: a batch through :data:`STAGES` in one transaction; the warm-up of a process's caches.

To add a stage, write ``stage_<name>(batch)`` in a module of this package (one function over the
whole batch; :meth:`~.schema.Batch.each` runs work item by item and dead-letters an item's permanent
failure), name it in :class:`~.schema.Stage` and put it in its place in :data:`STAGES`.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from otklik import metrics
from otklik.caching import read_together
from otklik.cases.routing import RuleIndex, current_rules, rules_cache
from otklik.directory.choices import Channel
from otklik.understanding import places
from otklik.understanding.classify import classifier_cache, get_classifier
from otklik.understanding.places.cache import places_cache

from .. import dedup, monitoring
from ..models import DeadLetter, Source
from . import order
from .decide import stage_decide
from .dedup import stage_dedup
from .normalize import stage_normalize
from .persist import stage_persist
from .route import stage_route
from .schema import RETRIABLE, Batch, BatchResult, Item, Stage, both_languages, log
from .similar import fingerprint_ahead, fingerprint_items, prefetch_stored, stage_similar
from .titles import make_title
from .understand import stage_categorize, stage_place, stage_relevance

STAGES: list[tuple[str, Callable[[Batch], None]]] = [
    (Stage.NORMALIZE, stage_normalize),
    (Stage.DEDUP, stage_dedup),
    (Stage.RELEVANCE, stage_relevance),
    (Stage.CATEGORIZE, stage_categorize),
    (Stage.PLACE, stage_place),
    (Stage.SIMILAR, stage_similar),
    (Stage.ROUTE, stage_route),
    (Stage.DECIDE, stage_decide),
    (Stage.PERSIST, stage_persist),
]
# On PostgreSQL these run first, outside the transaction and side by side on every worker; the rest
# decide one batch at a time, in the order the batches were sent (pipeline.order).
UNDERSTANDING = (Stage.RELEVANCE, Stage.CATEGORIZE, Stage.PLACE)
# What understanding leaves on an item; cleared again on an item that dedup then attaches to a case
# (such an item is never understood when the stages run in their listed order).
UNDERSTOOD_FIELDS = ("analyzed", "relevance", "classification", "urgency", "place", "monitoring")


def run_batch(
    items: list[dict[str, Any]],
    *,
    now: datetime | None = None,
    source: Source | None = None,
    store_dead_letters: bool = True,
    timings: dict[str, float] | None = None,
    sequence: int | None = None,
    mode: str = "inprocess",
) -> BatchResult:
    """Take a batch of raw items through every stage; return what happened to them.

    ``now`` is the moment of assignment (deadlines start then; default: the current time);
    ``source`` is the default for items without a ``source`` code; ``timings``, when given, gets
    the seconds spent per stage added (``setup``, the stages, ``dead_letters``, ``commit``);
    ``sequence`` is the batch's place in the order it was sent to the workers (pipeline.order);
    ``mode`` labels the batch in the metrics (``inprocess`` or ``celery``).

    The batch is one transaction: it is stored whole or not at all, so a run killed at any point
    leaves nothing half-done and running the same batch again is safe (at-least-once delivery with
    idempotent writes). A caller moves its cursor only after this returns.
    """
    laps: dict[str, float] = {}
    with _collector_paused(len(items)):  # (resumed once the batch's objects are freed)
        batch = _new_batch(items, now, source, store_dead_letters)
        try:
            if order.is_ordered():
                result = _run_ordered(batch, _Clock(laps), sequence)
            else:
                result = _run(batch, _Clock(laps))
        except _StageCrashed as crash:  # the batch was rolled back whole
            log.error("stage %s failed on a batch of %d: %r", crash.stage, len(items), crash.__cause__)
            failure = (crash.stage, both_languages(CRASHED, error=f"{type(crash.__cause__).__name__}"))
            return _one_by_one(batch, items, failure, source, store_dead_letters, sequence, mode)
    if timings is not None:
        for name, seconds in laps.items():
            timings[name] = timings.get(name, 0.0) + seconds
    counters = {name: getattr(result, name) for name in result.COUNTERS}
    metrics.observe_batch({source.code if source else "-": counters}, laps, mode=mode)
    return result


def _one_by_one(
    batch: Batch,
    items: list[dict[str, Any]],
    failure: tuple[str, str],
    source: Source | None,
    store_dead_letters: bool,
    sequence: int | None,
    mode: str,
) -> BatchResult:
    """One poison item must not cost the others: each item alone, the one that fails a dead letter."""
    if len(items) == 1:
        result = BatchResult(received=1, dead_letters=1, failures=[failure])
        if store_dead_letters:
            DeadLetter.objects.keep([_dead_letter_of(batch.items[0], batch, *failure)])
        counters = {name: getattr(result, name) for name in result.COUNTERS}
        metrics.observe_batch({source.code if source else "-": counters}, {}, mode=mode)
    else:
        result = BatchResult()
        for single in items:
            result.add(
                run_batch(
                    [single], now=batch.now, source=source, store_dead_letters=store_dead_letters, mode=mode
                )
            )
    if sequence is not None and order.is_ordered():
        with transaction.atomic():
            order.mark_committed(sequence)
    return result


CRASHED = gettext_noop("the item could not be processed (%(error)s); the rest of its batch was stored")


class _StageCrashed(Exception):
    """A stage failed on the batch as a whole (not on one item through Batch.each)."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


def _stage(name: str, stage: Callable[[Batch], None], batch: Batch) -> None:
    try:
        stage(batch)
    except RETRIABLE:
        raise  # the database is away: the batch is retried whole
    except Exception as exc:
        raise _StageCrashed(name) from exc


def _dead_letter_of(item: Item, batch: Batch, stage: str, reason: str) -> DeadLetter:
    payload = item.payload
    external_id = ""
    if isinstance(payload, dict) and isinstance(payload.get("external_id"), str | int):
        external_id = str(payload["external_id"])
    return DeadLetter.for_payload(
        payload,
        stage=stage,
        reason=reason,
        source=item.source or batch.default_source,
        external_id=external_id,
        now=batch.now,
    )


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
            _stage(name, stage, batch)
            clock.lap(name)
        _store_dead_letters(batch)
        clock.lap("dead_letters")
    clock.lap("commit")
    return batch.result


def _run_ordered(batch: Batch, clock: _Clock, sequence: int | None) -> BatchResult:
    """PostgreSQL: understand outside the transaction, then decide one batch at a time, in order —
    the same result as the stages in their listed order (see :mod:`.order`)."""
    _setup(batch)
    clock.lap("setup")
    batch.deferred = []
    repeats: list[Item] = []
    for name, stage in STAGES:
        if name == Stage.NORMALIZE or name in UNDERSTANDING:
            _stage(name, stage, batch)
            clock.lap(name)
        if name == Stage.NORMALIZE:
            repeats = _repeats(batch)
            clock.lap("repeats")
    _stage(Stage.SIMILAR, lambda b: _ahead(b, sequence, repeats), batch)
    clock.lap("ahead")
    if sequence is not None:
        order.wait_turn(sequence)
        clock.lap("wait")
    committed: list[bool] = []
    with transaction.atomic():
        order.take_turn()
        clock.lap("lock")

        # the first callback at the commit: "commit" is the commit itself, which the next batch's turn
        # waits for; "after_commit" the side effects the batch left for it (notifications sent)
        def at_commit() -> None:
            clock.lap("commit")
            committed.append(True)

        transaction.on_commit(at_commit)
        for name, stage in STAGES:
            if name == Stage.NORMALIZE or name in UNDERSTANDING:
                continue
            if name == Stage.DEDUP:
                _stage(name, lambda b: _dedup_understood(b, repeats), batch)
            else:
                _stage(name, stage, batch)
            clock.lap(name)
        _store_dead_letters(batch)
        if sequence is not None:
            order.mark_committed(sequence)
        clock.lap("dead_letters")
    clock.lap("after_commit" if committed else "commit")
    return batch.result


def _repeats(batch: Batch) -> list[Item]:
    """Before understanding, outside the turn: the items dedup would take out now — a message stored
    already, or the same text as a message of an open case, which it attaches to — marked
    ``expected_repeat`` and not understood ahead (dedup, deciding first, would never have them
    understood). Dedup itself runs on copies here; in the turn it runs again on what is committed
    then, and an item it no longer takes out is understood there (:func:`_dedup_understood`), so the
    result is the same either way; only the work moves."""
    live = list(batch.live())
    copies = [_shallow_copy(item) for item in live]
    stage_dedup(Batch(items=copies, now=batch.now, default_source=batch.default_source, result=BatchResult()))
    repeats = []
    for item, probe in zip(live, copies, strict=True):
        if probe.done or probe.attach_to is not None:
            item.expected_repeat = True
            repeats.append(item)
    return repeats


def _shallow_copy(item: Item) -> Item:
    """``copy.copy(item)`` without its generic protocol (``__reduce_ex__``, ``_reconstruct``): a
    dataclass's copy is a new object with the same ``__dict__``, at a tenth of the cost."""
    clone = object.__new__(Item)
    clone.__dict__.update(item.__dict__)
    return clone


def _ahead(batch: Batch, sequence: int | None, repeats: list[Item] | None = None) -> None:
    """What the deciding stages would make from an item's own text alone (its near-duplicate
    fingerprint, the title of the case it would open), made before the batch's turn, while another
    worker decides: the same values, computed outside the one-at-a-time part. When the batch before
    this one was another process's, the fingerprints of the stored messages its keys find too (this
    process has not made them): the look-up in the turn then finds them kept. An expected repeat
    gets its fingerprint too (its similarity keys are stored with it), not a title."""
    fingerprint_ahead(batch)
    fingerprint_items(
        [i for i in repeats or () if i.word_count >= dedup.MIN_WORDS and i.posted_at is not None]
    )
    for item in batch.understood():
        item.title = make_title(item.text)
    global _last_sequence
    prefetch_stored(batch, fingerprints=sequence is not None and _last_sequence != sequence - 1)
    _last_sequence = sequence


# The last batch sent to the workers (pipeline.order) this process took: the one before the current
# one was this process's too when it is one less (one worker, or batches taken in a row).
_last_sequence: int | None = None


def _dedup_understood(batch: Batch, repeats: list[Item] | None = None) -> None:
    """Dedup after understanding, leaving each item as dedup before understanding would have: an
    item it attaches to a case forgets what understanding found (and a failure there), a duplicate
    drops out, any other item's failure in understanding stands. An expected repeat (:func:`_repeats`)
    that dedup does not take out now is understood here."""
    deferred = batch.deferred or []
    batch.deferred = None
    for item, _failed_in, _reason in deferred:
        item.done = False  # dedup sees it, as it did before understanding failed on it
    for item in repeats or ():
        item.expected_repeat = False
    live_before = [item for item in batch.live()]
    stage_dedup(batch)
    for item in live_before:
        if item.attach_to is not None:
            for name in UNDERSTOOD_FIELDS:
                setattr(item, name, None)
    for item, stage, reason in deferred:
        if not item.done and item.attach_to is None:
            batch.fail(item, stage, reason)
    missed = [item for item in repeats or () if not item.done and item.attach_to is None]
    if missed:  # (the case was closed, the stored message removed meanwhile): understood now
        late = replace(batch, items=missed, deferred=None)  # its results and dead letters are the batch's
        for name, understand in STAGES:
            if name in UNDERSTANDING:
                _stage(name, understand, late)


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
    """What a batch reads from the process's caches: keyword rules, monitoring queries, the gazetteer,
    routing rules (their versions by one query; a cache is rebuilt only when its data changed)."""
    with read_together(classifier_cache, monitoring.scanner_cache, places_cache, rules_cache):
        # the versions of the four caches by one query (not one each); the rules from this process's copy
        batch.classifier = get_classifier()
        batch.scanner = monitoring.active_scanner()
        batch.gazetteer = places.get_gazetteer()
        batch.rules = RuleIndex(current_rules())


def _store_dead_letters(batch: Batch) -> None:
    if batch.dead and batch.store_dead_letters:
        DeadLetter.objects.keep(batch.dead)


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
