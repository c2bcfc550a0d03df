"""One process or many: the same cases, joins and dead letters.

Two batches running side by side on two Celery workers would not see each other's new cases: each
decides in its own transaction whether a message repeats an open case, so near-duplicates split
between them would open two cases where one process opens one (issue 13 measured 7,559 cases from
10,000 messages on two workers against 7,303 in one process). On PostgreSQL the runner therefore
splits a batch in two:

1. **Understanding**, outside any transaction and in parallel on every worker: normalize, relevance,
   category, place — what a message is about depends only on its text and the region's reference
   data, never on other messages.
2. **Deciding**, one batch at a time (a transaction-scoped advisory lock): dedup and near-duplicates,
   similar cases, routing (the routing practice reads recent cases), the decision and persisting.
   A batch decides only after the batches before it committed, so it sees their cases.

Batches sent to the workers are registered when sent (:func:`register`, a row of
:class:`~otklik.intake.models.QueuedBatch` whose id is the order sent, removed when the batch
commits); a batch decides only once no batch sent before it is still waiting (:func:`wait_turn`), so
two workers decide in the order one process would, and make exactly its cases. When a predecessor
does not commit within ``OTKLIK_PIPELINE_ORDER_WAIT_SECONDS`` (its worker was killed and the broker
has not given it back yet) the batch goes ahead: nothing is lost or doubled then either ((source,
external id) is unique), only the order of those two may differ.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection

log = logging.getLogger("otklik.pipeline")

# pg_advisory_xact_lock key of the deciding half of a batch (any constant unique to this use).
DECIDE_LOCK = 0x07715E0


def is_ordered() -> bool:
    """Only PostgreSQL runs batches side by side (SQLite serializes every write anyway)."""
    return connection.vendor == "postgresql"


def register() -> int | None:
    """Before a batch is sent to the workers: its place in the order (None on SQLite)."""
    if not is_ordered():
        return None
    from ..models import QueuedBatch

    return int(QueuedBatch.objects.create().pk)


def unregister(sequence: int | None) -> None:
    """The batch could not be sent (the broker is away): nobody waits for it."""
    if sequence is not None:
        from ..models import QueuedBatch

        QueuedBatch.objects.filter(pk=sequence).delete()


def _waiting_before(sequence: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM intake_queuedbatch WHERE id < %s)", [sequence])
        return bool(cursor.fetchone()[0])


def wait_turn(sequence: int) -> float:
    """Wait (outside a transaction) until every batch sent before ``sequence`` committed; returns the
    seconds waited. Gives up after ``OTKLIK_PIPELINE_ORDER_WAIT_SECONDS``."""
    started = time.monotonic()
    limit = float(settings.OTKLIK_PIPELINE_ORDER_WAIT_SECONDS)
    pause = 0.005
    while _waiting_before(sequence):
        waited = time.monotonic() - started
        if waited > limit:
            log.warning("batch %d: a batch sent before it has not committed after %.0f s; deciding now",
                        sequence, waited)
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
    return time.monotonic() - started


def take_turn() -> None:
    """Inside the batch's transaction: one batch decides at a time (released at commit/rollback)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DECIDE_LOCK])


def mark_committed(sequence: int) -> None:
    """Inside the batch's transaction: once it commits, the batches sent after it may decide."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM intake_queuedbatch WHERE id = %s", [sequence])
