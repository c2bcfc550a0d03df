"""The MAX connector against a local fake of the MAX Bot API (updates, markers, errors, replies)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import connector_for
from otklik.intake.fakes.max import FakeMax, max_error
from otklik.intake.fetching import fetch_due_sources, fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import Stage
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
T0 = int((NOW - timedelta(hours=5)).timestamp() * 1000)
CHAT = -70000000001
CHANNEL = -70000000002


@pytest.fixture
def fake_max(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_MAX_TOKEN", "max-test-token")
    with FakeMax(token="max-test-token") as fake:
        fake.add_chat(CHAT, "Дом на Тельмана, 5: чат жителей")
        fake.add_chat(CHANNEL, "Администрация Энгельса", chat_type="channel")
        fake.add_user(11, "Ирина", "Петрова")
        fake.add_user(12, "Пётр", "Сидоров")
        yield fake


def max_source(fake: FakeMax, **settings) -> Source:
    return Source.objects.create(
        code="max-chats",
        name="MAX: чаты и каналы",
        channel=Channel.MAX,
        connector="max",
        settings={
            "api_url": fake.url,
            "token_env": "OTKLIK_TEST_MAX_TOKEN",
            "min_interval_seconds": 0,
            **settings,
        },
    )


def seed(fake: FakeMax) -> dict:
    post = fake.post(CHANNEL, "График отключения воды на неделю", timestamp=T0)
    first = fake.post(
        CHAT, "Третий день нет горячей воды на ул. Тельмана в Энгельсе", timestamp=T0 + 60_000, user_id=11
    )
    sticker = fake.post(CHAT, None, timestamp=T0 + 90_000, user_id=12)
    comment = fake.post(
        CHANNEL,
        "Огромная яма на дороге у остановки, машины бьют колёса",
        timestamp=T0 + 120_000,
        user_id=12,
        reply_to=post["body"]["mid"],
    )
    return locals()


def test_max_fetch_turns_residents_messages_into_messages_and_skips_the_rest(region, fake_max):
    seeded = seed(fake_max)
    source = max_source(fake_max)

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    messages = Message.objects.filter(source=source)
    assert messages.count() == 2
    assert report.skipped == 2  # the channel's own post and the sticker
    first = messages.get(text__startswith="Третий день")
    mid = seeded["first"]["body"]["mid"]
    assert first.external_id == f"{CHAT}_{mid}"
    assert first.author_name == "Ирина Петрова" and first.author_id == "11"
    assert first.channel == Channel.MAX and first.get_channel_display() == "MAX"
    assert first.raw["max"] == {"chat_id": CHAT, "mid": mid, "chat_type": "chat", "reply_to": None}
    comment = messages.get(text__startswith="Огромная яма")
    assert comment.raw["max"]["reply_to"] == seeded["post"]["body"]["mid"]
    source.refresh_from_db()
    assert source.cursor == "4" and source.health["ok"] is True
    auth = fake_max.requests[0].headers["authorization"]
    assert auth == "max-test-token" and "access_token" not in fake_max.requests[0].query


def test_max_marker_is_sent_only_after_the_batch_and_pages_on(region, fake_max):
    for n in range(5):
        fake_max.post(CHAT, f"Не горят фонари у дома {n} на улице Мира", timestamp=T0 + n, user_id=11)
    source = max_source(fake_max, limit=2)

    report = fetch_source(source, now=NOW)

    assert report.ok and report.pages == 3
    assert [r.query.get("marker") for r in fake_max.calls("/updates")] == [None, "2", "4"]
    assert Message.objects.filter(source=source).count() == 5
    fake_max.requests.clear()
    fake_max.post(CHAT, "Прорвало трубу во дворе на улице Тельмана", timestamp=T0 + 100, user_id=12)
    fetch_source(source, now=NOW + timedelta(minutes=5))
    assert [r.query.get("marker") for r in fake_max.calls("/updates")] == ["5"]
    assert Message.objects.filter(source=source).count() == 6


def test_max_edit_is_a_new_message_and_a_removal_is_skipped(region, fake_max):
    seeded = seed(fake_max)
    fake_max.edit(
        seeded["first"], "Третий день нет горячей воды, ул. Тельмана 5, Энгельс", timestamp=T0 + 200_000
    )
    fake_max.remove(seeded["comment"], timestamp=T0 + 300_000)
    source = max_source(fake_max)

    report = fetch_source(source, now=NOW)

    assert report.ok and report.skipped == 3
    ids = set(Message.objects.values_list("external_id", flat=True))
    assert f"{CHAT}_{seeded['first']['body']['mid']}_e{T0 + 200_000}" in ids


def test_max_malformed_update_is_dead_lettered_and_the_rest_go_through(region, fake_max):
    seed(fake_max)
    fake_max.add_raw_update(
        {"update_type": "message_created", "timestamp": T0, "message": {"body": {"text": "x"}}}
    )
    fake_max.post(CHAT, "Во дворе не горят фонари на улице Мира", timestamp="вчера", user_id=12)
    source = max_source(fake_max)

    report = fetch_source(source, now=NOW)

    assert report.ok and report.dead_letters == 2
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert any("recipient" in r for r in reasons) and any("milliseconds" in r for r in reasons)
    assert all(letter.stage == Stage.CONNECTOR for letter in DeadLetter.objects.all())
    assert Message.objects.filter(source=source).count() == 2
    assert Source.objects.get(pk=source.pk).cursor == "6"  # the batch with its dead letters moved on


def test_max_rate_limit_backs_off_then_succeeds(region, fake_max):
    seed(fake_max)
    source = max_source(fake_max)
    fake_max.fail_next(max_error(429, "too.many.requests", "Too many requests"))

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is True and "429" in report.error
    source.refresh_from_db()
    assert source.next_attempt_at == NOW + timedelta(seconds=60) and source.cursor == ""
    assert fetch_due_sources(NOW + timedelta(seconds=30)) == []
    [again] = fetch_due_sources(NOW + timedelta(seconds=61))
    assert again.ok and Message.objects.filter(source=source).count() == 2


def test_max_bad_token_is_permanent(region, fake_max, monkeypatch):
    seed(fake_max)
    monkeypatch.setenv("OTKLIK_TEST_MAX_TOKEN", "revoked")
    source = max_source(fake_max)

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is False and "verify.token" in report.error
    source.refresh_from_db()
    assert source.health["status"] == "failing" and source.next_attempt_at == NOW + timedelta(hours=6)
    assert "revoked" not in source.last_error
    health = connector_for(source).health()
    assert not health.ok and "401" in health.detail


def test_max_only_the_watched_chats_when_chat_ids_are_set(region, fake_max):
    seed(fake_max)
    report = fetch_source(max_source(fake_max, chat_ids=[CHANNEL]), now=NOW)
    assert report.ok and Message.objects.count() == 1


def test_max_reply_round_trip_in_the_thread(region, fake_max, settings):
    seeded = seed(fake_max)
    source = max_source(fake_max)
    fetch_source(source, now=NOW)
    mid = seeded["first"]["body"]["mid"]
    case = Message.objects.get(external_id=f"{CHAT}_{mid}").case
    answer = Answer.objects.create(
        case=case, text="Подачу воды восстановят до 18:00.", status=AnswerStatus.APPROVED
    )
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    assert result["sent"] is True and result["source"] == "max-chats"
    [sent] = fake_max.sent
    assert (
        sent["chat_id"] == CHAT
        and sent["link"] == {"type": "reply", "mid": mid}
        and sent["text"] == answer.text
    )
    assert result["external_id"] == f"{CHAT}_{sent['mid']}"


def test_max_reply_to_a_chat_the_bot_left_is_recorded_not_raised(region, fake_max, settings):
    seed(fake_max)
    fetch_source(max_source(fake_max), now=NOW)
    case = Message.objects.filter(source__code="max-chats").first().case
    answer = Answer.objects.create(case=case, text="Проверим.", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True
    fake_max.chats.pop(CHAT)
    fake_max.chats.pop(CHANNEL)

    result = publish_reply(case, answer)

    assert result["sent"] is False and "404" in result["reason"] and result["retriable"] is False


def test_max_health_asks_me(region, fake_max):
    health = connector_for(max_source(fake_max)).health()
    assert health.ok and health.checked["bot"] == "cur_region_bot"
