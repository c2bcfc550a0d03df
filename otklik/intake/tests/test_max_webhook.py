"""The MAX webhook: POST /subscriptions on the fake, then the updates MAX would push, with its secret."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from otklik.directory.choices import Channel
from otklik.intake.connectors.max import SECRET_HEADER
from otklik.intake.fakes.max import FakeMax
from otklik.intake.fetching import fetch_source
from otklik.intake.models import DeadLetter, Message

from .conftest import NOW
from .test_connectors_max import CHANNEL, CHAT, T0, max_source

pytestmark = pytest.mark.django_db
SECRET = "max-hook_Secret-42"
URL = "/intake/max/max-chats/"
PUBLIC = "https://otklik.example.ru/intake/max/max-chats/"


@pytest.fixture
def fake_max(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_MAX_TOKEN", "max-test-token")
    with FakeMax(token="max-test-token") as fake:
        fake.add_chat(CHAT, "Дом на Тельмана, 5: чат жителей")
        fake.add_chat(CHANNEL, "Администрация Энгельса", chat_type="channel")
        fake.add_user(11, "Ирина", "Петрова")
        yield fake


@pytest.fixture
def subscribed(fake_max, monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_MAX_HOOK", SECRET)
    source = max_source(fake_max, webhook_secret_env="OTKLIK_TEST_MAX_HOOK")
    call_command("max_webhook", source.code, url=PUBLIC)
    source.refresh_from_db()
    return source


def push(client, fake, update, **headers):
    body, sent = fake.webhook_request(update)
    return client.post(URL, body, content_type="application/json", headers={**sent, **headers})


def test_subscription_sends_url_types_and_secret_and_stops_polling(region, fake_max, subscribed):
    assert fake_max.subscriptions == [
        {
            "url": PUBLIC,
            "secret": SECRET,
            "update_types": ["message_created", "message_edited", "message_removed"],
        }
    ]
    assert subscribed.settings["mode"] == "webhook"
    fake_max.post(CHAT, "Нет света в подъезде дома 5 на улице Тельмана", timestamp=T0, user_id=11)
    fake_max.requests.clear()
    report = fetch_source(subscribed, now=NOW)
    assert report.ok and report.fetched == 0 and not fake_max.calls("/updates")

    call_command("max_webhook", subscribed.code, url=PUBLIC, delete=True)
    subscribed.refresh_from_db()
    assert fake_max.subscriptions == [] and subscribed.settings["mode"] == "polling"


def test_subscription_needs_a_secret_and_https(region, fake_max):
    source = max_source(fake_max)
    with pytest.raises(CommandError, match="webhook_secret_env"):
        call_command("max_webhook", source.code, url=PUBLIC)
    with pytest.raises(CommandError, match="HTTPS"):
        call_command("max_webhook", source.code, url="http://otklik.example.ru/intake/max/max-chats/")
    assert fake_max.subscriptions == []


def test_pushed_update_is_a_message_through_the_pipeline_once(region, client, fake_max, subscribed):
    message = fake_max.post(
        CHAT, "Третий день нет горячей воды на ул. Тельмана в Энгельсе", timestamp=T0, user_id=11
    )
    update = fake_max.updates[-1]

    first = push(client, fake_max, update)
    again = push(client, fake_max, update)  # MAX re-delivers when the answer is late

    assert first.status_code == 200 and first.json()["accepted"] == 1
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    stored = Message.objects.get(source=subscribed)
    assert stored.external_id == f"{CHAT}_{message['body']['mid']}"
    assert stored.channel == Channel.MAX and stored.author_name == "Ирина Петрова"
    assert stored.raw["max"]["chat_id"] == CHAT


def test_channel_post_and_removal_are_skipped_not_dead(region, client, fake_max, subscribed):
    post = fake_max.post(CHANNEL, "График отключения воды на неделю", timestamp=T0)
    fake_max.remove(post, timestamp=T0 + 1000)
    for update in fake_max.updates:
        response = push(client, fake_max, update)
        assert response.status_code == 200 and response.json()["skipped"] == 1
    assert not Message.objects.exists() and not DeadLetter.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"update_type": "message_created", "timestamp": 1, "message": {"body": {"text": "x"}}}',
    ],
    ids=["not-json", "no-recipient"],
)
def test_bad_payload_is_a_dead_letter_and_400(region, client, fake_max, subscribed, body):
    response = client.post(URL, body, content_type="application/json", headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    dead = DeadLetter.objects.get()
    assert dead.source == subscribed
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "wrong-secret"}, {"Authorization": f"Bearer {SECRET}"}]
)
def test_wrong_or_missing_secret_is_403_and_stores_nothing(region, client, fake_max, subscribed, headers):
    fake_max.post(CHAT, "Не вывозят мусор во дворе на улице Мира", timestamp=T0, user_id=11)
    body, _ = fake_max.webhook_request(fake_max.updates[-1])
    response = client.post(URL, body, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert not Message.objects.exists() and not DeadLetter.objects.exists()


def test_source_without_secret_refuses_everything(region, client, fake_max):
    max_source(fake_max)
    response = client.post(URL, b"{}", content_type="application/json", headers={SECRET_HEADER: ""})
    assert response.status_code == 403


def test_unknown_source_is_404_and_get_is_405(region, client, subscribed):
    assert client.post("/intake/max/nope/", b"{}", content_type="application/json").status_code == 404
    assert client.get(URL).status_code == 405
