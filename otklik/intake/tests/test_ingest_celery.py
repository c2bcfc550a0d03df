"""``ingest_file`` and ``otklik ingest`` with ``OTKLIK_PIPELINE=celery``: a real worker on the real broker
(Redis and RabbitMQ) over PostgreSQL stores every message of a file exactly once, malformed lines land
in the dead letters, and running the same file again creates nothing new.

The file is read in this process and its batches go through the broker to a worker listening on a
queue of this test only. One worker with one process takes one task at a time in the order sent, so
a "sentinel" batch sent after the file tells when the worker has finished the file's batches.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from otklik.cases.models import Case, CaseEvent
from otklik.intake.ingest import ingest_file
from otklik.intake.models import DeadLetter, Message, SimilarityKey
from otklik.intake.pipeline import Stage
from otklik.intake.tasks import enqueue_batches

from .celery_workers import poll, require_postgresql, start_worker, stop_workers

SOURCE = "vk-engels"
SENTINEL_SOURCE = "ingest-sentinel"
VALID, BATCH_SIZE = 150, 40  # 150 items + 3 malformed lines: 4 batches


@pytest.fixture
def worker(broker: str, monkeypatch) -> Iterator[Callable[[], str]]:
    """One Celery worker (one process) on a queue of its own; the test process sends to it."""
    require_postgresql()
    from otklik.celery import app

    queue = f"test-ingest-{uuid.uuid4().hex[:10]}"
    proc = start_worker(queue, broker, name=queue)
    # What ingest_file sends goes through this broker to this queue (as a deployment's settings would).
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    # The pipeline's batches are routed to the "intake" queue by name: route them to this test's
    # queue instead (and back afterwards; Celery caches its router).
    routes = app.conf.task_routes
    app.conf.task_routes = {"otklik.intake.tasks.*": {"queue": queue}}
    _flush_routes(app)
    monkeypatch.setattr(settings, "OTKLIK_INTAKE_QUEUE", queue)  # not the production "intake" queue
    sentinels = iter(range(1, 1000))

    def drain() -> str:
        """Send a sentinel batch after everything sent so far and wait until the worker has stored it."""
        external_id = f"done-{next(sentinels)}"
        item = {
            "source": SENTINEL_SOURCE,
            "external_id": external_id,
            "text": "Спасибо за праздник во дворе, всё было хорошо",
            "posted_at": "2026-03-02T12:00:00+04:00",
        }
        assert enqueue_batches([item], queue=queue, broker_url=broker) == 1
        poll(
            lambda: Message.objects.filter(source__code=SENTINEL_SOURCE, external_id=external_id).exists(),
            240,
            "the worker to finish the batches sent before the sentinel",
        )
        assert proc.poll() is None, "the worker died"
        return external_id

    try:
        yield drain
    finally:
        app.conf.task_routes = routes
        _flush_routes(app)
        stop_workers([proc], queue, broker)


def _flush_routes(app) -> None:
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def _file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A JSONL file of VALID good items and three bad lines; returns it and the bad lines by stage."""
    lines = [
        json.dumps(
            {
                "source": SOURCE,
                "external_id": f"ingest-{i}",
                "author_id": f"id{i}",
                "text": f"Третий день нет горячей воды в доме {i} на улице Тельмана в Энгельсе, УК молчит",
                "posted_at": "2026-03-02T09:15:00+04:00",
            },
            ensure_ascii=False,
        )
        for i in range(VALID)
    ]
    bad = {
        Stage.PARSE: '{"source": "vk-engels", "external_id": "cut-off", "text": "нет воды"',
        Stage.NORMALIZE: json.dumps(
            {"source": SOURCE, "external_id": "no-date", "text": "Нет света в подъезде дома 3"},
            ensure_ascii=False,
        ),
        "normalize-array": '["not", "an", "item"]',
    }
    lines.insert(10, bad[Stage.PARSE])
    lines.insert(60, bad[Stage.NORMALIZE])
    lines.insert(120, bad["normalize-array"])
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, bad


def _state() -> dict[str, object]:
    """What the file left in the database (the sentinels excluded)."""
    messages = Message.objects.filter(source__code=SOURCE)
    cases = Case.objects.filter(pk__in=messages.values("case_id"))
    return {
        "messages": messages.count(),
        "external_ids": set(messages.values_list("external_id", flat=True)),
        "cases": cases.count(),
        "message_counts": sorted(cases.values_list("message_count", flat=True)),
        "events": CaseEvent.objects.filter(case__in=cases).count(),
        "similarity_keys": SimilarityKey.objects.filter(message__in=messages).count(),
    }


def _dead_letters() -> list[tuple[str, str]]:
    return sorted(DeadLetter.objects.values_list("stage", "payload"))


@pytest.mark.django_db(transaction=True)
def test_ingest_file_on_a_celery_worker_stores_each_message_once_and_a_rerun_adds_nothing(
    region, worker, tmp_path, settings
) -> None:
    settings.OTKLIK_PIPELINE = "celery"
    path, bad = _file(tmp_path)

    result = ingest_file(path, batch_size=BATCH_SIZE)

    # The file is read here: the line that is not JSON is a dead letter at once, the rest is queued.
    assert result.received == VALID + 3
    assert result.queued == 4  # 152 items in batches of 40
    assert result.dead_letters == 1 and result.failures[0][0] == Stage.PARSE
    worker()

    first = _state()
    assert first["messages"] == VALID
    assert first["external_ids"] == {f"ingest-{i}" for i in range(VALID)}
    assert first["cases"] == VALID
    assert first["message_counts"] == [1] * VALID
    assert not Message.objects.filter(source__code=SOURCE, case=None).exists()
    letters = _dead_letters()
    assert letters == sorted(
        [
            (Stage.PARSE, bad[Stage.PARSE]),
            (Stage.NORMALIZE, bad[Stage.NORMALIZE]),
            (Stage.NORMALIZE, bad["normalize-array"]),
        ]
    )
    assert "posted_at" in DeadLetter.objects.get(payload=bad[Stage.NORMALIZE]).reason

    # The same file again, through the command: every item is a duplicate, nothing new is stored.
    out = StringIO()
    call_command("ingest", str(path), "--batch-size", str(BATCH_SIZE), "--no-progress", stdout=out)
    assert f"received: {VALID + 3}" in out.getvalue()
    worker()

    assert _state() == first
    assert _dead_letters() == letters  # the same bad lines are kept once, read twice
    assert set(DeadLetter.objects.values_list("attempts", flat=True)) == {2}
