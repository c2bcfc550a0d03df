"""The Telegram connector against a local fake of the Bot API (updates, offsets, 429, replies)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import connector_for
from otklik.intake.fakes.server import Response
from otklik.intake.fakes.telegram import FakeTelegram, tg_error
from otklik.intake.fetching import fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
TOKEN = "123456:TEST-token"
T0 = int((NOW - timedelta(hours=2)).timestamp())
CHAT = {"id": -1001234, "type": "supergroup", "title": "Энгельс: наш город", "username": "engels_city"}
CHANNEL = {"id": -1005555, "type": "channel", "title": "Новости Балаково"}
IRINA = {"id": 11, "is_bot": False, "first_name": "Ирина", "last_name": "Петрова", "username": "irina"}


@pytest.fixture
def tg(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_TG_TOKEN", TOKEN)
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


def tg_source(fake: FakeTelegram, **settings) -> Source:
    return Source.objects.create(
        code="tg-chats",
        name="Telegram",
        channel=Channel.TELEGRAM,
        connector="telegram",
        settings={"api_url": fake.url, "token_env": "OTKLIK_TEST_TG_TOKEN", **settings},
    )


def seed(fake: FakeTelegram) -> None:
    fake.add_chat_message(
        CHAT, "Третий день нет горячей воды на ул. Тельмана в Энгельсе", date=T0, user=IRINA
    )
    fake.add_chat_message(
        CHANNEL,
        "Огромная яма на дороге у остановки, машины бьют колёса",
        date=T0 + 60,
        kind="channel_post",
        sender_chat=CHANNEL,
    )
    fake.add_chat_message(CHAT, None, date=T0 + 90, user=IRINA, sticker={"emoji": "😡"})
    fake.add_chat_message(
        CHAT, "Я бот, я всё записал", date=T0 + 100, user={"id": 99, "is_bot": True, "first_name": "Bot"}
    )


def test_telegram_updates_become_messages_and_the_offset_confirms_them(region, tg):
    seed(tg)
    source = tg_source(tg)

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    assert report.skipped == 2  # the sticker and the bot
    water = Message.objects.get(external_id="-1001234_500")
    assert water.author_name == "Ирина Петрова (@irina)" and water.author_id == "11"
    assert water.url == "https://t.me/engels_city/500"
    assert Message.objects.get(external_id="-1005555_501").author_name == "Новости Балаково"
    source.refresh_from_db()
    assert source.cursor == "1004"

    again = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert tg.calls("getUpdates")[-1].form["offset"] == "1004"
    assert again.fetched == 0 and tg.updates == []  # Telegram forgot what the offset confirmed
    assert Case.objects.count() == 2


def test_telegram_edit_is_kept_as_a_new_message(region, tg):
    update = tg.add_chat_message(CHAT, "Нет света в доме", date=T0, user=IRINA)
    edited = {**update["message"], "text": "Нет света в доме 5 на ул. Мира в Энгельсе", "edit_date": T0 + 30}
    tg.add_update("edited_message", edited)

    fetch_source(tg_source(tg), now=NOW)

    assert set(Message.objects.values_list("external_id", flat=True)) == {
        "-1001234_500",
        f"-1001234_500_e{T0 + 30}",
    }


def test_telegram_pages_while_updates_fill_the_limit(region, tg):
    for n in range(5):
        tg.add_chat_message(CHAT, f"Не работает светофор на перекрёстке номер {n}", date=T0 + n, user=IRINA)

    report = fetch_source(tg_source(tg, limit=2), now=NOW)

    assert report.pages == 3
    assert [c.form.get("offset") for c in tg.calls("getUpdates")] == [None, "1002", "1004"]
    assert Message.objects.count() == 5


def test_telegram_429_waits_at_least_retry_after(region, tg):
    seed(tg)
    source = tg_source(tg)
    tg.fail_next(tg_error(429, "Too Many Requests: retry after 120", retry_after=120))

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable
    source.refresh_from_db()
    assert source.next_attempt_at == NOW + timedelta(seconds=120)
    assert not Message.objects.exists()
    assert fetch_source(source, now=NOW + timedelta(seconds=121)).ok
    assert Message.objects.count() == 2


def test_telegram_server_error_is_retriable_and_401_permanent(region, tg, monkeypatch):
    source = tg_source(tg)
    tg.fail_next(Response(502, b"<html>Bad Gateway</html>", content_type="text/html"))
    report = fetch_source(source, now=NOW)
    assert report.retriable is True and "502" in report.error

    monkeypatch.setenv("OTKLIK_TEST_TG_TOKEN", "123456:revoked")
    report = fetch_source(source, now=NOW + timedelta(minutes=1))
    assert report.retriable is False and "401" in report.error
    assert TOKEN not in report.error and "revoked" not in report.error  # the token never shows


def test_telegram_malformed_update_is_dead_lettered_and_the_rest_go_through(region, tg):
    seed(tg)
    tg.add_raw_update({"update_id": 1010, "message": {"message_id": 7, "date": T0, "text": "без чата"}})
    source = tg_source(tg)

    report = fetch_source(source, now=NOW)

    assert report.dead_letters == 1
    letter = DeadLetter.objects.get()
    assert "chat.id" in letter.reason and '"update_id": 1010' in letter.payload
    assert letter.external_id == "1010"
    assert Message.objects.count() == 2
    source.refresh_from_db()
    assert source.cursor == "1011"


def test_telegram_cursor_stays_when_the_batch_fails_and_nothing_is_lost(region, tg):
    seed(tg)
    source = tg_source(tg)

    def broken_batch(items, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    report = fetch_source(source, now=NOW, run=broken_batch)

    assert not report.ok and report.retriable
    source.refresh_from_db()
    assert source.cursor == "" and source.retry_count == 1
    assert not Message.objects.exists()

    fetch_source(source, now=NOW + timedelta(minutes=1))
    assert tg.calls("getUpdates")[-1].form.get("offset") is None  # the same updates are asked again
    assert Message.objects.count() == 2


def test_telegram_reply_is_sent_in_the_chat_as_a_reply(region, tg, settings):
    seed(tg)
    fetch_source(tg_source(tg), now=NOW)
    case = Message.objects.get(external_id="-1001234_500").case
    answer = Answer.objects.create(
        case=case, text="Воду дадут сегодня к 18:00.", status=AnswerStatus.APPROVED
    )
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    [sent] = tg.sent
    assert result["sent"] is True and result["external_id"] == f"-1001234_{sent['message_id']}"
    assert (sent["chat_id"], sent["reply_to_message_id"], sent["text"]) == ("-1001234", "500", answer.text)


def test_telegram_health_is_get_me(region, tg):
    health = connector_for(tg_source(tg)).health()
    assert health.ok and health.checked == {"bot": "cur_test_bot"}
