"""Stage *persist*: the batch's new cases, messages and similarity keys written in bulk.

New cases are opened through :func:`otklik.cases.actions.open_cases` (assigned with their deadline,
or sent to moderation, as :mod:`.decide` decided); messages and similarity keys go as plain rows
(``COPY`` on PostgreSQL). Messages attached to an existing case refresh its counters and history
(:func:`otklik.cases.actions.attach_messages`). The same (source, external id) stored meanwhile by
another worker loses to the unique constraint and is counted as a duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction

from otklik.cases import actions, bulk

from .. import dedup
from ..models import Message, SimilarityKey
from .decide import decide, opens_case, target_of
from .schema import RETRIABLE, Batch, BatchResult, Item, Stage
from .similar import remember_fingerprint

log = logging.getLogger("otklik.pipeline")

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
    "photo",
    "photo_hidden",
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
        "",  # no photo yet: the public form attaches its re-encoded one after the pipeline
        False,
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
        if not opens_case(item):
            continue
        if item.decision is None:  # its twin failed after the decisions were made
            decide(item)
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
        if opens_case(item):
            assert item.decision is not None
            item.case = item.decision.case
            planned.append((item, item.case.pk, False))
            continue
        target = target_of(item)
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
            remember_fingerprint(message_id, item.text_hash, fp)
            keys += [(k, message_id, item.posted_at) for k in fp.stored_keys]
    bulk.insert_rows(SimilarityKey, _KEY_COLUMNS, keys)
    return out


def _persist_alone(batch: Batch, item: Item) -> _Written | None:
    """One item in its own savepoint; a redelivery that lost a race is counted as a duplicate."""
    try:
        with transaction.atomic():
            return _write(batch, [item])
    except RETRIABLE:
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
    except RETRIABLE:
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
