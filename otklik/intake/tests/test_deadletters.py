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
