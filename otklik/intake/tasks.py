"""The pipeline on Celery workers: one task per BATCH of raw items (not per message).

``OTKLIK_PIPELINE=celery`` makes :func:`otklik.intake.ingest.ingest_file` call
:func:`enqueue_batches`; a worker (``celery -A otklik worker``) runs :func:`run_batch_task`, which
is :func:`~otklik.intake.pipeline.run_batch` — the same stages as the in-process runner.

**Nothing lost, nothing doubled.** The task is acknowledged only after it finished (``acks_late``)
and given back to the queue when its worker dies (``reject_on_worker_lost``); a batch is one
database transaction, so a worker killed in the middle leaves nothing behind and the batch delivered
again is processed whole; (source, external id) is unique, so a batch delivered twice stores its
messages once. A database that is away (``OperationalError``) is retried with back-off.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

from .models import Source
from .pipeline import order, run_batch, warm_up

log = logging.getLogger("otklik.intake.tasks")

TASK_NAME = "otklik.intake.tasks.run_batch_task"
BATCH_SIZE = 500


@worker_init.connect
def warm_up_worker(**_kwargs: Any) -> None:
    """Build the pipeline's caches once in the worker's main process, before its pool forks: every
    pool process inherits them, so no worker's first batch pays for them."""
    try:
        log.info("pipeline warmed up in %.1f s", warm_up())
    except Exception:  # e.g. a database not migrated yet: the first batch will build them
        log.exception("warm-up failed; the first batch builds the caches")
    finally:
        connections.close_all()  # a forked process must not share the parent's connections


@shared_task(
    name=TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=20,
    ignore_result=True,
)
def run_batch_task(
    items: list[Any], source: str | None = None, now: str | None = None, sequence: int | None = None
) -> dict[str, int]:
    """Run one batch through the pipeline; returns the counters (kept only with a result backend)."""
    order.start(sequence)
    default = Source.objects.filter(code=source).first() if source else None
    moment = datetime.fromisoformat(now) if now else None
    laps: dict[str, float] = {}
    result = run_batch(items, now=moment, source=default, sequence=sequence, mode="celery", timings=laps)
    # The seconds per stage (also in the metrics), one JSON object: bench/ingest.py sums them per worker.
    log.info(
        "batch of %d (sequence %s): %s; stages %s",
        len(items),
        sequence,
        result.summary(),
        json.dumps({name: round(seconds, 4) for name, seconds in laps.items()}),
    )
    return {name: getattr(result, name) for name in result.COUNTERS}


def enqueue_batches(
    items: Iterable[Any],
    *,
    batch_size: int = BATCH_SIZE,
    source: str | None = None,
    now: datetime | None = None,
    queue: str | None = None,
    broker_url: str | None = None,
) -> int:
    """Send the items to the workers in batches of ``batch_size``; returns the number of tasks sent.

    Sent through the broker (``broker_url``, default the configured one) even where tasks otherwise
    run eagerly."""
    from celery.exceptions import AlwaysEagerIgnored

    from otklik.celery import app

    options: dict[str, Any] = {"queue": queue or settings.OTKLIK_INTAKE_QUEUE}
    sent = 0
    chunk: list[Any] = []
    with app.connection_for_write(broker_url) as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore", AlwaysEagerIgnored)

        def send() -> None:
            nonlocal sent
            if chunk:
                # Its place in the order: the workers decide batches in the order they were sent.
                sequence = order.register()
                kwargs = {
                    "items": list(chunk),
                    "source": source,
                    "now": now.isoformat() if now else None,
                    "sequence": sequence,
                }
                try:
                    app.send_task(TASK_NAME, kwargs=kwargs, connection=connection, **options)
                except Exception:
                    order.unregister(sequence)
                    raise
                sent += 1
                chunk.clear()

        for item in items:
            chunk.append(item)
            if len(chunk) >= batch_size:
                send()
        send()
    return sent
