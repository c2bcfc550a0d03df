"""At-least-once delivery: the same 10,000 messages delivered twice make no new message or case."""

from __future__ import annotations

import pytest

from otklik.cases.models import Case, CaseEvent
from otklik.intake.models import Message
from otklik.intake.pipeline import run_batch

from .conftest import NOW

N, BATCH = 10_000, 2_500
STREETS = ("Тельмана", "Ленина", "Гагарина", "Волжской", "Мира")


def _items() -> list[dict]:
    return [
        {
            "source": "vk-engels",
            "external_id": f"wall-9_{i}",
            "author_id": f"id{i}",
            "text": f"Нет горячей воды в доме {i} на улице {STREETS[i % len(STREETS)]} в Энгельсе",
            "posted_at": "2026-03-02T09:15:00+04:00",
        }
        for i in range(N)
    ]


@pytest.mark.django_db
def test_ten_thousand_messages_delivered_twice_create_nothing_new(region) -> None:
    items = _items()
    first = [run_batch(items[i : i + BATCH], now=NOW) for i in range(0, N, BATCH)]
    assert sum(r.created_cases for r in first) == N
    counts = (Message.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    assert counts[:2] == (N, N)

    again = [run_batch(items[i : i + BATCH], now=NOW) for i in range(0, N, BATCH)]
    assert sum(r.duplicates for r in again) == N
    assert sum(r.created_cases + r.attached + r.irrelevant + r.dead_letters for r in again) == 0
    assert (Message.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == counts
