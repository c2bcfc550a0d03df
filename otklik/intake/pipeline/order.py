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
:class:`~otklik.intake.models.QueuedBatch` whose id is the order sent, marked when a worker takes it
(:func:`start`), removed when it commits); a batch decides only once no batch sent before it is
still being worked on (:func:`wait_turn`), so two workers decide in the order one process would, and
make exactly its cases. A predecessor whose worker was killed is waited for at most
``OTKLIK_PIPELINE_ORDER_WAIT_SECONDS`` from its start, and one that no worker took (the broker lost
it, or has not given it back yet) for a second: then the batch goes ahead — nothing is lost or
doubled then either ((source, external id) is unique), only the order of those two may differ, and a
lost batch never holds the pipeline up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


# A batch sent earlier that no worker has started this long after we finished understanding ours is
# not on its way (its worker died before starting it, or the broker lost it): we do not wait for it.
START_GRACE_SECONDS = 1.0


def start(sequence: int | None) -> None:
    """A worker took the batch: from now on the batches sent after it wait for it (for a while)."""
    if sequence is not None and is_ordered():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE intake_queuedbatch SET started_at = clock_timestamp() WHERE id = %s", [sequence]
            )


def _waiting_before(sequence: int, *, limit: float, unstarted_too: bool) -> bool:
    """Whether a batch sent before ``sequence`` is being worked on (started within ``limit``
    seconds: one started earlier belongs to a worker that died) — or, while ``unstarted_too``, merely
    sent and not yet started."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM intake_queuedbatch WHERE id < %s AND "
            "(started_at > clock_timestamp() - make_interval(secs => %s) OR (%s AND started_at IS NULL)))",
            [sequence, limit, unstarted_too],
        )
        return bool(cursor.fetchone()[0])


def wait_turn(sequence: int) -> float:
    """Wait (outside a transaction) until no batch sent before ``sequence`` is still being worked on;
    returns the seconds waited. A predecessor whose worker died is waited for at most
    ``OTKLIK_PIPELINE_ORDER_WAIT_SECONDS`` from its start; one never started, for a second."""
    started = time.monotonic()
    limit = float(settings.OTKLIK_PIPELINE_ORDER_WAIT_SECONDS)
    pause = 0.005
    with _woken_by_commits() as pause_until_woken:
        while _waiting_before(
            sequence, limit=limit, unstarted_too=time.monotonic() - started < START_GRACE_SECONDS
        ):
            pause_until_woken(pause)
            pause = min(pause * 2, 0.1)
    waited = time.monotonic() - started
    if waited > 5:
        log.warning("batch %d waited %.0f s for the batches sent before it", sequence, waited)
    return waited


# NOTIFY channel: a batch committed (sent at its commit); the batches waiting for their turn look again.
DECIDED_CHANNEL = "otklik_batch_decided"


@contextmanager
def _woken_by_commits() -> Iterator[Callable[[float], None]]:
    """While waiting for the turn: a pause that ends early when a batch commits (LISTEN/NOTIFY), so the
    next batch decides at once instead of at its next poll (up to 0.1 s later, a batch's serial time
    lost each time). The poll stays: a predecessor whose worker died sends nothing."""
    connection.ensure_connection()
    raw = connection.connection
    if not hasattr(raw, "notifies"):  # (not psycopg 3)
        yield time.sleep
        return

    def pause(seconds: float) -> None:
        for _ in raw.notifies(timeout=seconds, stop_after=1):
            pass

    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {DECIDED_CHANNEL}")
    try:
        yield pause
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"UNLISTEN {DECIDED_CHANNEL}")


def take_turn() -> None:
    """Inside the batch's transaction: one batch decides at a time (released at commit/rollback)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DECIDE_LOCK])


def mark_committed(sequence: int) -> None:
    """Inside the batch's transaction: once it commits, the batches sent after it may decide."""
    with connection.cursor() as cursor:
        # with it, registrations of batches that never reached a worker (a broker that lost them)
        cursor.execute(
            "DELETE FROM intake_queuedbatch WHERE id = %s OR created_at < now() - interval '1 day'",
            [sequence],
        )
        cursor.execute(f"NOTIFY {DECIDED_CHANNEL}")  # delivered at commit, not before
