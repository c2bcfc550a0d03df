"""Stored dead letters follow the renaming of a stage."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from otklik.intake.models import DeadLetter
from otklik.intake.pipeline import Stage

pytestmark = pytest.mark.django_db

migration = importlib.import_module("otklik.intake.migrations.0005_dead_letter_stage_decide")


def test_dead_letters_of_the_deadline_stage_become_decide_and_back() -> None:
    old = DeadLetter.objects.create(stage="deadline", reason="boom", payload="{}")
    other = DeadLetter.objects.create(stage=Stage.PERSIST, reason="boom", payload="{}")

    migration.rename("deadline", "decide")(apps, None)
    assert DeadLetter.objects.get(pk=old.pk).stage == Stage.DECIDE == "decide"
    assert DeadLetter.objects.get(pk=other.pk).stage == Stage.PERSIST

    migration.rename("decide", "deadline")(apps, None)
    assert DeadLetter.objects.get(pk=old.pk).stage == "deadline"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "russian", "english"),
    [
        (
            {"external_id": "1", "posted_at": "2026-03-02T09:00:00+04:00"},
            "непустое поле «text»",
            "“text” is required",
        ),
        (
            {"text": "Яма на дороге", "posted_at": "2026-03-02T09:00:00+04:00"},
            "«external_id»",
            "“external_id” is required",
        ),
        ({"external_id": "2", "text": "Яма", "posted_at": "вчера"}, "не дата и время", "not an ISO 8601"),
        (
            {"external_id": "3", "text": "Яма", "posted_at": "2026-03-02T09:00:00+04:00", "lat": 51},
            "«lat» и «lon»",
            "give both",
        ),
        (["not", "an", "object"], "должен быть объектом", "must be an object"),
    ],
)
def test_a_bad_items_dead_letter_says_why_in_russian_and_english(payload, russian, english) -> None:
    from otklik.intake.models import Source
    from otklik.intake.pipeline import run_batch

    source = Source.objects.create(code="partner", name="Партнёр", channel="social", connector="webhook")
    result = run_batch([payload], source=source)
    assert result.dead_letters == 1
    reason = DeadLetter.objects.get().reason
    assert russian in reason and english in reason and " / " in reason
