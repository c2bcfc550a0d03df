"""The pipeline on real Celery workers (Redis and RabbitMQ) over PostgreSQL: a worker killed in the
middle of a batch and restarted loses nothing and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from otklik.cases.models import Case
from otklik.intake.models import Message
from otklik.intake.tasks import enqueue_batches

from .celery_workers import poll, require_postgresql, start_worker, stop_workers

BATCHES, BATCH_SIZE = 4, 100


@pytest.fixture
def workers(broker: str) -> Iterator[Callable[[], subprocess.Popen]]:
    """Starts a worker on the test's own queue at each call; all are stopped at the end."""
    require_postgresql()
    queue = f"test-{uuid.uuid4().hex[:10]}"
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        # Redis gives a dead worker's task back after 2 s
        proc = start_worker(
            queue, broker, name=f"w{len(started)}-{queue}", env={"CELERY_VISIBILITY_TIMEOUT": "2"}
        )
        started.append(proc)
        return proc

    start.queue = queue  # type: ignore[attr-defined]
    start.broker = broker  # type: ignore[attr-defined]
    yield start
    stop_workers(started, queue, broker)


def _items() -> list[dict]:
    return [
        {
            "source": "vk-engels",
            "external_id": f"wall-7_{i}",
            "author_id": f"id{i}",
            "text": f"Третий день нет горячей воды в доме {i} на улице Тельмана в Энгельсе, УК молчит",
            "posted_at": "2026-03-02T09:15:00+04:00",
        }
        for i in range(BATCHES * BATCH_SIZE)
    ]


def _worker_in_transaction() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_loses_and_doubles_nothing(region, workers) -> None:
    items = _items()
    first = workers()
    assert (
        enqueue_batches(items, batch_size=BATCH_SIZE, queue=workers.queue, broker_url=workers.broker)
        == BATCHES
    )

    # Kill the worker while it holds a batch's transaction open, after one or two batches committed:
    # even if the batch in flight commits just before the signal lands, one batch is still to come.
    poll(
        lambda: BATCH_SIZE <= Message.objects.count() <= 2 * BATCH_SIZE and _worker_in_transaction(),
        120,
        "a batch in flight",
    )
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    poll(lambda: not _worker_in_transaction(), 30, "the killed worker's transaction to end")
    stored = Message.objects.count()
    assert stored % BATCH_SIZE == 0 and stored < len(items), "a batch is stored whole or not at all"

    workers()  # the task the dead worker held is delivered again
    poll(lambda: Message.objects.count() >= len(items), 180, "every batch to be stored")
    poll(lambda: not _worker_in_transaction(), 30, "the worker to be idle")
    assert Message.objects.count() == len(items)
    assert Message.objects.values("external_id").distinct().count() == len(items)
    assert Case.objects.count() == len(items)
    assert not Message.objects.filter(case=None).exists()
    assert set(Case.objects.values_list("message_count", flat=True)) == {1}
