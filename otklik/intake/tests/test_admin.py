"""The dead-letter admin: the replay action re-runs the payload and marks it replayed."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.intake.models import DeadLetter, Message
from otklik.testing.factories import PASSWORD, make_user

from .test_pipeline import WATER

pytestmark = pytest.mark.django_db


def test_replay_action_ingests_the_payload_and_marks_the_letter(region, client) -> None:
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.login(username=admin.username, password=PASSWORD)
    good = DeadLetter.objects.create(stage="persist", reason="database was away", payload=json.dumps(WATER))
    bad = DeadLetter.objects.create(stage="parse", reason="not JSON", payload="{broken")

    url = reverse("admin:intake_deadletter_changelist")
    response = client.post(url, {"action": "replay", "_selected_action": [good.pk, bad.pk]}, follow=True)

    assert response.status_code == 200
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.replayed_at is not None and bad.replayed_at is None and bad.attempts == 2
    assert Message.objects.filter(external_id=WATER["external_id"]).exists()
    assert client.get(reverse("admin:intake_message_changelist"), {"q": "горячей"}).status_code == 200
