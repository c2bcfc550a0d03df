"""Audit finding 2: one poison item costs one dead letter, never the file, the batch or the push.

A line of invalid UTF-8, JSON nested 100,000 deep, ``posted_at`` 9999-12-31T23:59:59+14:00 (the
duplicate window overflowed), a list or a number as ``text``, an object as ``external_id``, a text
of 100 KB, a NUL character: each becomes one dead letter (the raw bytes kept, the reason in Russian
and English) and the good items around it are stored — through ``otklik ingest``, the inbox, the
signed webhook and a stage that fails on a whole batch."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from otklik.intake import runner
from otklik.intake.connectors.webhook import SIGNATURE_HEADER, sign
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import run_batch
from otklik.intake.pipeline import runner as pipeline_runner

from .conftest import NOW

pytestmark = pytest.mark.django_db

GOOD = [
    {
        "external_id": "good-1",
        "text": "Во дворе на улице Ленина 5 в Энгельсе не вывозят мусор, контейнеры переполнены",
        "posted_at": "2026-03-02T09:00:00+04:00",
    },
    {
        "external_id": "good-2",
        "text": "Огромная яма на дороге у остановки, машины бьют колёса",
        "posted_at": "2026-03-02T10:00:00+04:00",
    },
]


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


TEXT = "Третий день нет горячей воды в доме на улице Тельмана"
POISON = [
    {"external_id": "far-future", "text": TEXT, "posted_at": "9999-12-31T23:59:59+14:00"},
    {"external_id": "text-list", "text": ["нет", "воды"], "posted_at": "2026-03-02T09:00:00+04:00"},
    {"external_id": "text-number", "text": 42, "posted_at": "2026-03-02T09:00:00+04:00"},
    {"external_id": {"id": 1}, "text": TEXT, "posted_at": "2026-03-02T09:00:00+04:00"},
    {"external_id": "huge", "text": "яма " * 25_000, "posted_at": "2026-03-02T09:00:00+04:00"},
    {"external_id": "nul", "text": "нет\x00воды", "posted_at": "2026-03-02T09:00:00+04:00"},
    {"external_id": "deep-extra", "text": TEXT, "posted_at": "2026-03-02T09:00:00+04:00", "x": nested(40)},
]
DEEP = "[" * 100_000 + "]" * 100_000
BAD_UTF8 = b'{"external_id": "latin1", "text": "\xe7\xe4\xf0\xe0\xe2\xf1\xf2\xe2\xf3\xe9\xf2\xe5"}'


def poison_file(path) -> bytes:
    lines = [json.dumps({**GOOD[0], "source": "vk-engels"}, ensure_ascii=False).encode()]
    lines.append(BAD_UTF8)
    lines.append(DEEP.encode())
    lines += [json.dumps({**p, "source": "vk-engels"}, ensure_ascii=False).encode() for p in POISON]
    lines.append(json.dumps({**GOOD[1], "source": "vk-engels"}, ensure_ascii=False).encode())
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def assert_one_letter_each(expected: int) -> None:
    assert set(Message.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}
    letters = list(DeadLetter.objects.all())
    assert len(letters) == expected
    for letter in letters:
        assert letter.reason and "\x00" not in letter.payload
    latin1 = [d for d in letters if d.payload_bytes and b"latin1" in bytes(d.payload_bytes)]
    if latin1:
        assert bytes(latin1[0].payload_bytes) == BAD_UTF8  # kept byte for byte
        assert "UTF-8" in latin1[0].reason and "не" in latin1[0].reason  # Russian / English


@pytest.mark.parametrize("batch_size", ["500", "1"])
def test_ingest_stores_the_good_lines_around_poison_ones(region, tmp_path, batch_size):
    path = poison_file(tmp_path / "poison.jsonl")
    out = StringIO()
    call_command(
        "ingest", str(path), "--no-progress", "--batch-size", batch_size, stdout=out, stderr=StringIO()
    )
    assert "dead letters: 9" in out.getvalue()
    assert_one_letter_each(9)
    far = DeadLetter.objects.get(external_id="far-future")
    assert "posted_at" in far.reason and "вне" in far.reason
    assert "string" in DeadLetter.objects.get(external_id="text-list").reason
    assert DeadLetter.objects.filter(reason__contains="NUL").count() == 1
    assert "20000" in DeadLetter.objects.get(external_id="huge").reason


def test_the_inbox_moves_a_poisoned_file_to_done(region, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    inbox = runner.inbox_dir()
    poison_file(inbox / "poison.jsonl")
    assert len(runner.drain_inbox()) == 1
    assert [p.name.endswith("poison.jsonl") for p in (inbox / "done").iterdir()] == [True]
    assert not (inbox / "failed").exists()
    assert_one_letter_each(9)


@pytest.fixture
def webhook(monkeypatch) -> Source:
    monkeypatch.setenv("OTKLIK_TEST_WEBHOOK_SECRET", "poison-secret")
    return Source.objects.create(
        code="partner",
        name="Партнёр",
        channel="social",
        connector="webhook",
        settings={"secret_env": "OTKLIK_TEST_WEBHOOK_SECRET"},
    )


def push(client, body: bytes):
    return client.post(
        "/intake/webhook/partner/",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign("poison-secret", body)},
    )


def test_a_signed_push_with_poison_items_is_a_400_with_the_good_ones_stored(region, client, webhook):
    body = json.dumps([GOOD[0], *POISON, GOOD[1]], ensure_ascii=False).encode()
    answer = push(client, body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["dead_letters"] == len(POISON) and answer.json()["accepted"] == 2
    assert_one_letter_each(len(POISON))
    again = push(client, body)  # a retrying sender converges: nothing new, no 500
    assert again.status_code == 400 and Message.objects.count() == 2


@pytest.mark.parametrize(
    "body", [DEEP.encode(), b"\xff\xfe" + BAD_UTF8, b'{"a": 1'], ids=["deep", "utf8", "cut"]
)
def test_an_unreadable_push_is_a_400_and_one_dead_letter(region, client, webhook, body):
    answer = push(client, body)
    assert answer.status_code == 400 and "JSON" in answer.json()["error"]
    letter = DeadLetter.objects.get()
    assert letter.stage == "parse" and "/" in letter.reason  # Russian / English
    if b"\xff" in body:
        assert bytes(letter.payload_bytes) == body


def test_a_stage_failing_on_a_whole_batch_costs_only_the_poison_item(region, monkeypatch):
    real = pipeline_runner.stage_similar

    def similar(batch):
        if any("ЯД" in item.text for item in batch.live()):
            raise ZeroDivisionError("a bug that only one item reaches")
        real(batch)

    monkeypatch.setattr(
        pipeline_runner,
        "STAGES",
        [(name, similar if name == "similar" else stage) for name, stage in pipeline_runner.STAGES],
    )
    poison = {"external_id": "poison", "text": "ЯД: " + TEXT, "posted_at": "2026-03-02T11:00:00+04:00"}
    result = run_batch([GOOD[0], poison, GOOD[1]], now=NOW, source=region["source"])
    assert result.received == 3 and result.dead_letters == 1 and result.created_cases == 2
    letter = DeadLetter.objects.get()
    assert (letter.stage, letter.external_id) == ("similar", "poison")
    assert "ZeroDivisionError" in letter.reason and "ZeroDivisionError" not in str(letter.payload)


def test_a_sender_never_reads_what_failed_inside_the_pipeline(region, monkeypatch):
    from otklik.intake.direct import SubmissionError, submit

    def persist(batch):
        raise RuntimeError('psycopg.DataError: relation "intake_message" secret detail')

    monkeypatch.setattr(
        pipeline_runner,
        "STAGES",
        [(name, persist if name == "persist" else stage) for name, stage in pipeline_runner.STAGES],
    )
    with pytest.raises(SubmissionError) as refused:
        submit({**GOOD[0]}, source=region["source"], now=NOW)
    assert "secret" not in str(refused.value) and "оператора" in str(refused.value)
    assert "secret" in DeadLetter.objects.get().reason or "RuntimeError" in DeadLetter.objects.get().reason
