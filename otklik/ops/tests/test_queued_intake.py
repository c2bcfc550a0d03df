"""With OTKLIK_PIPELINE=celery the web server queues pushes for the workers instead of running the
pipeline: the webhook answers 202 (503 when the broker is away), Open311 answers with a token."""

from __future__ import annotations

import json

import pytest

from otklik.directory.choices import Channel
from otklik.intake.connectors.open311 import key_digest
from otklik.intake.connectors.webhook import SIGNATURE_HEADER, sign
from otklik.intake.models import DeadLetter, Message, Source

pytestmark = pytest.mark.django_db

SECRET = "queued-secret"


@pytest.fixture
def celery_mode(settings, monkeypatch):
    settings.OTKLIK_PIPELINE = "celery"
    monkeypatch.setenv("OTKLIK_TEST_QUEUED_SECRET", SECRET)
    sent: list[dict] = []

    def enqueue(items, **kwargs):
        sent.append({"items": list(items), **kwargs})
        return 1

    monkeypatch.setattr("otklik.intake.tasks.enqueue_batches", enqueue)
    return sent


def _push(client, items):
    Source.objects.get_or_create(
        code="hook",
        defaults={
            "name": "hook",
            "channel": Channel.SOCIAL,
            "connector": "webhook",
            "settings": {"secret_env": "OTKLIK_TEST_QUEUED_SECRET"},
        },
    )
    body = json.dumps(items).encode()
    return client.post(
        "/intake/webhook/hook/",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(SECRET, body)},
    )


def test_webhook_queues_valid_items_and_dead_letters_the_rest(client, celery_mode):
    good = {"external_id": "1", "text": "Нет воды в доме 5", "posted_at": "2026-03-02T09:15:00+04:00"}
    response = _push(client, [good, {"text": "no id"}])
    assert response.status_code == 400
    assert response.json()["queued"] == 1 and response.json()["dead_letters"] == 1
    assert [b["items"][0]["external_id"] for b in celery_mode] == ["1"]
    assert celery_mode[0]["source"] == "hook"
    assert DeadLetter.objects.count() == 1 and not Message.objects.exists()  # the worker stores it

    assert _push(client, [good]).status_code == 202


def test_webhook_says_503_when_the_broker_is_away(client, settings, monkeypatch):
    settings.OTKLIK_PIPELINE = "celery"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("OTKLIK_TEST_QUEUED_SECRET", SECRET)
    # Celery reads the broker's address from the environment first (never set on app.conf here: a
    # value left there would send later tests' tasks to the wrong broker).
    monkeypatch.setenv("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
    good = {"external_id": "1", "text": "Нет воды в доме 5", "posted_at": "2026-03-02T09:15:00+04:00"}
    response = _push(client, [good])
    assert response.status_code == 503
    assert "retry" in response.json()["error"]


def test_open311_answers_a_token_pending_until_a_worker_made_the_case(client, celery_mode):
    from otklik.directory.defaults_categories import load_default_categories

    load_default_categories()
    Source.objects.create(
        code="app",
        name="app",
        channel=Channel.OPEN311,
        connector="open311",
        settings={"api_key_sha256": key_digest("k-1")},
    )
    posted = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": "k-1",
            "service_code": "housing-heating",
            "lat": "51.49",
            "long": "46.12",
            "description": "Холодные батареи в квартире третий день, дом 5 по улице Ленина",
        },
    )
    assert posted.status_code == 201
    row = posted.json()[0]
    assert row["service_request_id"] is None and row["token"]
    assert celery_mode[0]["items"][0]["external_id"] == row["token"]
    pending = client.get(f"/open311/v2/tokens/{row['token']}.json")
    assert pending.status_code == 200
    assert pending.json() == [{"service_request_id": None, "token": row["token"]}]
    assert client.get("/open311/v2/tokens/unknown.json").status_code == 404
