"""The ordered pipeline's turn (PostgreSQL): what a batch makes before its turn, and the wake-up at a
commit. That two workers make exactly one process's cases is ``test_scale_out.py``."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction

from otklik.intake.models import Message
from otklik.intake.pipeline import order, run_batch, runner, similar

from .celery_workers import database_url, require_postgresql
from .conftest import NOW

PROBLEMS = [
    "Энгельс, улица Тельмана, дом 5: третий день нет горячей воды, управляющая компания не отвечает",
    "Энгельс, улица Ленина, дом 12: огромная яма на дороге у остановки, машины объезжают по тротуару",
    "Энгельс, улица Мира, дом 3: не вывозят мусор с контейнерной площадки уже неделю, всё переполнено",
]


def _item(n: int, text: str, hours: float) -> dict:
    return {
        "source": "vk-engels",
        "external_id": f"order-{n}",
        "author_id": f"a{n}",
        "text": text,
        "posted_at": (NOW - timedelta(hours=hours)).isoformat(),
    }


@pytest.mark.django_db(transaction=True)
def test_a_batch_after_another_process_s_makes_the_candidates_fingerprints_before_its_turn(
    region, monkeypatch
) -> None:
    """The stored messages a batch's keys find, written by another worker (whose fingerprints this
    process never made), are fingerprinted before the batch takes the deciding lock; the reposts then
    join their cases as they would without it."""
    require_postgresql()
    first = run_batch([_item(i, text, 30) for i, text in enumerate(PROBLEMS)], now=NOW)
    assert first.created_cases == len(PROBLEMS)
    stored = {
        (pk, digest): case_id
        for pk, digest, case_id in Message.objects.values_list("pk", "text_hash", "case_id")
    }
    similar._FINGERPRINTS.clear()  # as in a worker that did not write them
    monkeypatch.setattr(runner, "_last_sequence", None)  # the batch before was not this process's

    kept_at_turn: set[tuple[int, str]] = set()
    take_turn = order.take_turn

    def spy() -> None:
        kept_at_turn.update(similar._FINGERPRINTS)
        take_turn()

    monkeypatch.setattr(order, "take_turn", spy)
    sequence = order.register()
    reposts = [
        _item(10 + i, f"Репост. {text}. Помогите, сколько можно!", 2) for i, text in enumerate(PROBLEMS)
    ]
    result = run_batch(reposts, now=NOW, sequence=sequence)

    assert set(stored) <= kept_at_turn  # made before the turn, from the stored texts
    assert result.attached == len(PROBLEMS) and result.created_cases == 0
    for i in range(len(PROBLEMS)):  # each repost in its problem's case
        repost, original = (Message.objects.get(external_id=f"order-{n}") for n in (10 + i, i))
        assert repost.case_id == original.case_id


@pytest.mark.django_db(transaction=True)
def test_the_commit_of_a_batch_wakes_the_batches_waiting_for_their_turn() -> None:
    """``mark_committed`` notifies the waiting batches when the batch commits — not before (a waiting
    batch must see the committed cases when it looks)."""
    require_postgresql()
    sequence = order.register()
    assert sequence is not None
    with psycopg.connect(database_url(), autocommit=True) as listener:
        listener.execute(f"LISTEN {order.DECIDED_CHANNEL}")
        with transaction.atomic():
            order.mark_committed(sequence)
            assert list(listener.notifies(timeout=0.2)) == []  # still inside the transaction
        woken = list(listener.notifies(timeout=10, stop_after=1))
    assert [n.channel for n in woken] == [order.DECIDED_CHANNEL]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM intake_queuedbatch WHERE id = %s", [sequence])
        assert cursor.fetchone()[0] == 0
