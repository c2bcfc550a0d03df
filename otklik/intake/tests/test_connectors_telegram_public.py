"""Telegram public chats and channels over MTProto, against a fake at Telethon's client interface."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import ConnectorError, connector_for
from otklik.intake.connectors.telegram_public import TelegramPublicConnector, chat_name
from otklik.intake.fetching import fetch_due_sources, fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import Stage
from otklik.intake.replies import publish_reply

from .conftest import NOW

# telethon is a dependency (pyproject); a venv made before it was added skips rather than errs.
pytest.importorskip("telethon")
from otklik.intake.fakes.telethon_client import FakeTelegramWorld

pytestmark = pytest.mark.django_db
T0 = NOW - timedelta(hours=5)


@pytest.fixture
def world(monkeypatch):
    fake = FakeTelegramWorld()
    monkeypatch.setenv("OTKLIK_TEST_TG_SESSION", fake.session)
    monkeypatch.setenv("OTKLIK_TEST_TG_API_ID", "12345")
    monkeypatch.setenv("OTKLIK_TEST_TG_API_HASH", "0123456789abcdef")
    monkeypatch.setattr(TelegramPublicConnector, "client_factory", staticmethod(fake.factory))
    fake.add_channel("engels_city_chat", "Энгельс: чат горожан", channel_id=101, broadcast=False)
    fake.add_channel("engels_admin", "Администрация Энгельса", channel_id=102)
    fake.add_user(11, "Ирина", "Петрова", username="irina_p")
    fake.add_user(12, "Пётр", "Сидоров")
    fake.add_user(13, "Бот погоды", bot=True)
    return fake


def tg_source(**settings) -> Source:
    return Source.objects.create(
        code="tg-public",
        name="Telegram: городские чаты",
        channel=Channel.TELEGRAM,
        connector="telegram_public",
        settings={
            "session_env": "OTKLIK_TEST_TG_SESSION",
            "api_id_env": "OTKLIK_TEST_TG_API_ID",
            "api_hash_env": "OTKLIK_TEST_TG_API_HASH",
            "chats": ["https://t.me/engels_city_chat", "@engels_admin"],
            "min_interval_seconds": 0,
            **settings,
        },
    )


def seed(world: FakeTelegramWorld) -> None:
    chat = "engels_city_chat"
    world.post(chat, 1, "Третий день нет горячей воды на ул. Тельмана в Энгельсе", date=T0, user=11)
    world.post(chat, 2, None, date=T0 + timedelta(minutes=1), user=12)  # a photo without caption
    world.post(chat, 3, "Завтра +5, без осадков", date=T0 + timedelta(minutes=2), user=13)
    world.post("engels_admin", 50, "Плановые работы на водопроводе в четверг", date=T0, comments=True)
    world.comment(
        "engels_admin",
        50,
        7001,
        "Огромная яма на дороге у остановки, машины бьют колёса",
        date=T0 + timedelta(minutes=5),
        user=12,
    )
    world.comment(
        "engels_admin", 50, 7002, "Работы закончим к 18:00", date=T0 + timedelta(minutes=6), user=None
    )


def test_chat_links_and_usernames_are_read_and_junk_is_refused():
    assert chat_name("https://t.me/Engels_City") == "engels_city"
    assert chat_name("@engels_city") == chat_name("t.me/s/engels_city") == "engels_city"
    with pytest.raises(ConnectorError):
        chat_name("https://t.me/+AbCdEfPrivateInvite")


def test_public_chat_messages_and_channel_comments_become_messages(region, world):
    seed(world)
    source = tg_source()

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    ids = set(Message.objects.filter(source=source).values_list("external_id", flat=True))
    assert ids == {"engels_city_chat_1", "engels_admin_50_c7001"}
    # the photo, the bot, the channel's own post and the channel's own comment (its answer)
    assert report.skipped == 4
    first = Message.objects.get(external_id="engels_city_chat_1")
    assert first.author_name == "Ирина Петрова (@irina_p)" and first.author_id == "11"
    assert first.url == "https://t.me/engels_city_chat/1"
    comment = Message.objects.get(external_id="engels_admin_50_c7001")
    assert comment.url == "https://t.me/engels_admin/50?comment=7001"
    assert comment.raw["telegram_public"]["post_id"] == 50
    cursor = json.loads(Source.objects.get(pk=source.pk).cursor)
    assert cursor["chats"] == {"engels_city_chat": 3, "engels_admin": 50}
    assert cursor["watch"]["engels_admin"] == {"50": [7002, 2]}
    assert source.settings.get("session") is None and "fake-session" not in json.dumps(source.settings)


def test_second_fetch_reads_only_new_messages_and_changed_comments(region, world):
    seed(world)
    source = tg_source()
    fetch_source(source, now=NOW)
    world.calls.clear()
    world.post(
        "engels_city_chat",
        4,
        "Не вывозят мусор во дворе на улице Мира",
        date=T0 + timedelta(hours=1),
        user=12,
    )

    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok and report.fetched == 1 and report.result.duplicates == 0
    mins = [
        kw["min_id"]
        for name, kw in world.calls
        if name == "iter_messages" and kw["chat"] == "engels_city_chat"
    ]
    assert mins == [3]
    assert not [
        kw for name, kw in world.calls if name == "iter_messages" and kw["reply_to"]
    ]  # count unchanged


def test_flood_wait_backs_off_at_least_as_long_as_telegram_asks(region, world):
    seed(world)
    source = tg_source()
    world.flood(420)

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is True and "FLOOD_WAIT 420" in report.error
    source.refresh_from_db()
    assert source.next_attempt_at == NOW + timedelta(seconds=420) and source.cursor == ""
    assert fetch_due_sources(NOW + timedelta(seconds=400)) == []
    [again] = fetch_due_sources(NOW + timedelta(seconds=421))
    assert again.ok and Message.objects.filter(source=source).count() == 2


def test_revoked_session_is_permanent_and_never_stored(region, world, monkeypatch):
    seed(world)
    monkeypatch.setenv("OTKLIK_TEST_TG_SESSION", "a-revoked-session")
    source = tg_source()

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is False and "not authorized" in report.error
    source.refresh_from_db()
    assert "a-revoked-session" not in source.last_error + json.dumps(source.health)
    assert source.health["status"] == "failing"


def test_private_or_unknown_chat_is_noted_and_the_rest_is_read(region, world):
    seed(world)
    world.private.add("engels_admin")
    source = tg_source(chats=["engels_city_chat", "engels_admin", "no_such_chat_here"])

    report = fetch_source(source, now=NOW)

    assert report.ok and Message.objects.filter(source=source).count() == 1
    assert any("engels_admin" in n and "ChannelPrivate" in n for n in report.notes)
    assert any("no_such_chat_here" in n for n in report.notes)


def test_malformed_message_is_dead_lettered(region, world):
    seed(world)
    world.post("engels_city_chat", 5, ["не", "текст"], date=T0 + timedelta(minutes=9), user=12)
    source = tg_source()

    report = fetch_source(source, now=NOW)

    assert report.ok and report.dead_letters == 1
    letter = DeadLetter.objects.get()
    assert letter.stage == Stage.CONNECTOR and "text" in letter.reason
    assert json.loads(letter.payload)["id"] == 5


def test_paging_reads_the_backlog_in_order_over_fetches(region, world):
    for n in range(1, 8):
        world.post(
            "engels_city_chat",
            n,
            f"Не горят фонари у дома {n} на улице Мира",
            date=T0 + timedelta(minutes=n),
            user=11,
        )
    source = tg_source(chats=["engels_city_chat"], backfill=3, limit=2)

    fetch_source(source, now=NOW)
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [
        f"engels_city_chat_{n}" for n in (5, 6, 7)
    ]

    for n in range(8, 13):
        world.post(
            "engels_city_chat",
            n,
            f"Яма у подъезда дома {n} на улице Мира",
            date=T0 + timedelta(minutes=n),
            user=12,
        )
    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok and report.pages == 3  # 8-9, 10-11, 12: each page committed with its cursor
    assert Message.objects.count() == 8
    assert json.loads(Source.objects.get(pk=source.pk).cursor)["chats"]["engels_city_chat"] == 12


def test_only_matching_keeps_messages_a_monitoring_query_finds(region, world):
    from otklik.intake.models import MonitoringQuery

    MonitoringQuery.objects.create(name="вода", query="вода | воды")
    seed(world)
    source = tg_source(only_matching=True)

    fetch_source(source, now=NOW)

    assert set(Message.objects.values_list("external_id", flat=True)) == {"engels_city_chat_1"}


def test_reply_round_trip_as_a_comment_in_the_thread(region, world, settings):
    seed(world)
    source = tg_source(reply=True)
    fetch_source(source, now=NOW)
    case = Message.objects.get(external_id="engels_admin_50_c7001").case
    answer = Answer.objects.create(case=case, text="Яму заделают до пятницы.", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    assert result["sent"] is True
    assert world.sent == [{"chat": "engels_admin", "text": answer.text, "reply_to": None, "comment_to": 50}]

    Source.objects.filter(pk=source.pk).update(settings={**source.settings, "reply": False})
    assert publish_reply(case, answer)["sent"] is False and len(world.sent) == 1


def test_health_checks_the_account(region, world):
    health = connector_for(tg_source()).health()
    assert health.ok and health.checked["account"] == "cur_monitoring"


def test_a_deleted_channel_post_stops_being_watched_and_the_rest_is_read(region, world):
    seed(world)
    source = tg_source()
    assert fetch_source(source, now=NOW).ok
    assert "50" in json.loads(Source.objects.get(pk=source.pk).cursor)["watch"]["engels_admin"]
    world.messages["engels_admin"] = []  # the channel deleted its post (and so its comments)
    world.post(
        "engels_city_chat", 4, "Не горят фонари во дворе на улице Мира", date=T0 + timedelta(hours=1), user=12
    )

    report = fetch_source(source, now=NOW + timedelta(minutes=10))

    assert report.ok and report.fetched == 1
    source.refresh_from_db()
    assert json.loads(source.cursor)["watch"]["engels_admin"] == {}
    assert Message.objects.filter(source=source).count() == 3  # what was read stays


def test_a_post_deleted_while_its_comments_are_read_is_noted_not_fatal(region, world):
    from telethon import errors

    seed(world)
    real_check = world.check

    def check(call, **kw):  # the post disappears between listing the posts and reading its comments
        if call == "iter_messages" and kw.get("reply_to") == 50:
            raise errors.MsgIdInvalidError(request=None)
        return real_check(call, **kw)

    world.check = check
    report = fetch_source(tg_source(), now=NOW)

    assert report.ok and report.skipped >= 1 and any("the post is gone" in n for n in report.notes)
