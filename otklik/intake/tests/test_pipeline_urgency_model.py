"""The pipeline acts on the combined urgency verdict (rules and the learned model,
``urgency.judge``), and the case's reasons say who flagged it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import translation

from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.directory.defaults_categories import load_default_categories
from otklik.intake.pipeline import run_batch
from otklik.testing.factories import make_source
from otklik.understanding.explain import explain
from otklik.understanding.urgency.learned import Source, UrgencyModel

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_pipeline_acts_on_the_combined_verdict_and_the_card_says_who_flagged_it() -> None:
    load_default_categories()
    make_source("vk-test", channel=Channel.VK)
    chore = "Просим покрасить скамейки во дворе"  # a chore: the rules alone never flag it
    item = {"source": "vk-test", "external_id": "m1", "text": chore, "posted_at": NOW.isoformat()}
    confident = UrgencyModel({}, 3.0, with_rules=0.3, alone=0.8)  # p ≈ 0.95 for every text
    with mock.patch("otklik.understanding.urgency.load_model", return_value=confident):
        run_batch([item], now=NOW)
    case = Case.objects.get(messages__external_id="m1")
    assert case.is_urgent  # so the pipeline asked urgency.judge, not the rules alone
    assert case.understanding["urgency"]["flagged_by"] == Source.MODEL
    with translation.override("ru"):
        shown = dict(explain(case.understanding))
    assert any("кто отметил: только обученная модель" in line for lines in shown.values() for line in lines)
