"""The pipeline on real Celery workers (Redis and RabbitMQ) over PostgreSQL: a worker killed in the
middle of a batch and restarted loses nothing and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from otklik.cases.models import Case
from otklik.intake.models import Message
from otklik.intake.tasks import enqueue_batches

ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"
BROKERS = {
    "redis": os.environ.get("OTKLIK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("OTKLIK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
BATCHES, BATCH_SIZE = 3, 100


def _unavailable(reason: str) -> None:
    if os.environ.get("OTKLIK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (OTKLIK_REQUIRE_SERVICES=1: services are required)")
    pytest.skip(reason)


@pytest.fixture(params=sorted(BROKERS))
def broker(request) -> str:
    from kombu import Connection

    url = BROKERS[request.param]
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        _unavailable(f"{request.param} broker is not reachable at {url}: {exc}")
    return url


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def workers(broker: str) -> Iterator[Callable[[], subprocess.Popen]]:
    if connection.vendor != "postgresql":
        _unavailable("Celery workers need PostgreSQL (DATABASE_URL=postgres://…): SQLite is one process")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "OTKLIK_PIPELINE": "celery",
        "CELERY_VISIBILITY_TIMEOUT": "2",  # Redis gives a dead worker's task back after 2 s
        "PYTHONPATH": str(ROOT),
    }
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        name = f"w{len(started)}-{queue}@%h"
        command = [str(CELERY), "-A", "otklik", "worker", "-Q", queue, "-c", "1", "-n", name]
        command += ["--without-gossip", "--without-mingle", "-l", "warning"]
        proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
        started.append(proc)
        return proc

    start.queue = queue  # type: ignore[attr-defined]
    start.broker = broker  # type: ignore[attr-defined]
    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    from otklik.celery import app

    with app.connection_for_write(broker) as conn:
        conn.default_channel.queue_purge(queue)


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


def _poll(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


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

    # Kill the worker while it holds a batch's transaction open, after at least one batch committed.
    _poll(
        lambda: Message.objects.count() >= BATCH_SIZE and _worker_in_transaction(), 120, "a batch in flight"
    )
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    _poll(lambda: not _worker_in_transaction(), 30, "the killed worker's transaction to end")
    stored = Message.objects.count()
    assert stored % BATCH_SIZE == 0 and stored < len(items), "a batch is stored whole or not at all"

    workers()  # the task the dead worker held is delivered again
    _poll(lambda: Message.objects.count() >= len(items), 180, "every batch to be stored")
    _poll(lambda: not _worker_in_transaction(), 30, "the worker to be idle")
    assert Message.objects.count() == len(items)
    assert Message.objects.values("external_id").distinct().count() == len(items)
    assert Case.objects.count() == len(items)
    assert not Message.objects.filter(case=None).exists()
    assert set(Case.objects.values_list("message_count", flat=True)) == {1}
