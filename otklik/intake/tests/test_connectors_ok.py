"""The Odnoklassniki connector against a local fake of OK's REST API (topics, comments, errors, replies)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import connector_for
from otklik.intake.connectors.ok import signature
from otklik.intake.fakes.ok import FakeOK, ok_error
from otklik.intake.fetching import fetch_due_sources, fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import Stage
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
T0 = int((NOW - timedelta(hours=5)).timestamp() * 1000)
GROUP = "70000000000001"
KEYS = {"OTKLIK_TEST_OK_KEY": "CBAFAKEOKAPPKEY", "OTKLIK_TEST_OK_SECRET": "fake-ok-secret"}


@pytest.fixture
def ok(monkeypatch):
    for name, value in {**KEYS, "OTKLIK_TEST_OK_TOKEN": "ok-test-token"}.items():
        monkeypatch.setenv(name, value)
    with FakeOK() as fake:
        fake.add_group(GROUP, "Администрация Энгельсского района")
        fake.add_user("11", "Ирина", "Петрова")
        fake.add_user("12", "Пётр", "Сидоров")
        yield fake


def ok_source(fake: FakeOK, **settings) -> Source:
    return Source.objects.create(
        code="ok-pages",
        name="ОК: госпаблики",
        channel=Channel.OK,
        connector="ok",
        settings={
            "api_url": f"{fake.url}/fb.do",
            "application_key_env": "OTKLIK_TEST_OK_KEY",
            "application_secret_key_env": "OTKLIK_TEST_OK_SECRET",
            "access_token_env": "OTKLIK_TEST_OK_TOKEN",
            "group_ids": [GROUP],
            "min_interval_seconds": 0,
            **settings,
        },
    )


def seed_group(fake: FakeOK) -> None:
    fake.add_topic(
        GROUP, "900", author=f"group:{GROUP}", created_ms=T0, text="Плановые работы на водопроводе"
    )
    fake.add_comment(
        "900",
        "c1",
        author_id="11",
        date_ms=T0 + 60_000,
        text="Третий день нет горячей воды на ул. Тельмана в Энгельсе",
    )
    fake.add_comment("900", "c2", author_id="12", date_ms=T0 + 120_000, text="", deleted=True)
    fake.add_comment("900", "c3", author_id=GROUP, date_ms=T0 + 150_000, text="Воду дадут к вечеру")
    fake.add_comment(
        "900",
        "c4",
        author_id="12",
        date_ms=T0 + 180_000,
        text="Огромная яма на дороге у остановки, машины бьют колёса",
    )
    fake.add_topic(
        GROUP,
        "901",
        author="user:12",
        created_ms=T0 + 300_000,
        text="Не вывозят мусор во дворе на улице Мира уже неделю",
    )


def test_signature_is_md5_of_sorted_params_and_the_session_secret():
    # md5("application_key=Kformat=jsonmethod=group.getInfo" + md5("tok" + "sec"))
    import hashlib

    secret = hashlib.md5(b"toksec").hexdigest()
    expected = hashlib.md5(f"application_key=Kformat=jsonmethod=group.getInfo{secret}".encode()).hexdigest()
    params = {"method": "group.getInfo", "format": "json", "application_key": "K", "access_token": "tok"}
    assert signature(params, "tok", "sec") == expected


def test_ok_fetch_turns_residents_topics_and_comments_into_messages(region, ok):
    seed_group(ok)
    source = ok_source(ok)

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    ids = set(Message.objects.filter(source=source).values_list("external_id", flat=True))
    assert ids == {f"ok{GROUP}_t901", f"ok{GROUP}_t900_cc1", f"ok{GROUP}_t900_cc4"}
    # the group's own topic, the deleted comment and the group's own answer
    assert report.skipped == 3
    comment = Message.objects.get(external_id=f"ok{GROUP}_t900_cc1")
    assert comment.author_name == "Ирина Петрова" and comment.author_id == "11"
    assert comment.channel == Channel.OK
    assert comment.url == f"https://ok.ru/group/{GROUP}/topic/900"
    assert comment.raw["ok"] == {"group_id": GROUP, "topic_id": "900", "comment_id": "c1"}
    topic = Message.objects.get(external_id=f"ok{GROUP}_t901")
    assert topic.author_name == "Пётр Сидоров"
    assert Case.objects.count() == 3
    source.refresh_from_db()
    assert json.loads(source.cursor)["groups"] == {GROUP: T0 + 300_000}
    assert source.health["ok"] is True


def test_ok_repeated_fetch_reads_only_what_is_new(region, ok):
    seed_group(ok)
    source = ok_source(ok)
    fetch_source(source, now=NOW)
    ok.requests.clear()

    again = fetch_source(source, now=NOW + timedelta(minutes=5))
    assert again.ok and again.fetched == 0
    assert ok.calls("/fb.do") and all(r.form["method"] != "discussions.getComments" for r in ok.requests)

    ok.add_comment("900", "c5", author_id="11", date_ms=T0 + 400_000, text="Воды так и нет на Тельмана 3")
    third = fetch_source(source, now=NOW + timedelta(minutes=10))

    assert third.ok and third.fetched == 1 and third.result.duplicates == 0
    assert Message.objects.filter(external_id=f"ok{GROUP}_t900_cc5").exists()


def test_ok_topics_and_comments_are_paged_by_anchor(region, ok):
    for n in range(1, 6):
        ok.add_topic(
            GROUP,
            f"{n}",
            author="user:11",
            created_ms=T0 + n * 1000,
            text=f"Нет света в доме {n} на ул. Мира",
        )
    for n in range(1, 8):
        ok.add_comment(
            "5", f"k{n}", author_id="12", date_ms=T0 + 10_000 + n, text=f"Не горят фонари у дома {n} на Мира"
        )
    source = ok_source(ok, page_size=2, backfill_pages=5)

    report = fetch_source(source, now=NOW)

    assert report.ok
    calls = [r.form for r in ok.requests]
    topic_pages = [c.get("anchor") for c in calls if c["method"] == "mediatopic.getTopics"]
    assert len(topic_pages) == 3 and topic_pages[0] is None
    comment_pages = [
        c for c in calls if c["method"] == "discussions.getComments" and c["discussionId"] == "5"
    ]
    assert len(comment_pages) == 4 and all(c["direction"] == "FORWARD" for c in comment_pages)
    assert Message.objects.filter(source=source).count() == 5 + 7

    # A new topic: the next fetch stops at the cursor's topic.
    ok.requests.clear()
    ok.add_topic(
        GROUP, "6", author="user:12", created_ms=T0 + 9000, text="Прорвало трубу во дворе на улице Тельмана"
    )
    fetch_source(source, now=NOW + timedelta(minutes=5))
    assert Message.objects.filter(external_id=f"ok{GROUP}_t6").exists()


def test_ok_a_deleted_comment_does_not_lose_the_place(region, ok):
    seed_group(ok)
    source = ok_source(ok)
    fetch_source(source, now=NOW)

    ok.delete_comment("900", "c4")  # the last comment read is gone
    ok.add_comment("900", "c6", author_id="11", date_ms=T0 + 500_000, text="Опять прорвало трубу у дома 26")
    ok.add_comment(
        "900", "c7", author_id="12", date_ms=T0 + 501_000, text="Не горят фонари у дома 27 на Мира"
    )
    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok and report.fetched == 2 and report.result.duplicates == 0
    assert Message.objects.filter(external_id=f"ok{GROUP}_t900_cc4").exists()  # what was stored stays


def test_ok_deleted_topic_stops_being_watched(region, ok):
    seed_group(ok)
    source = ok_source(ok)
    fetch_source(source, now=NOW)
    ok.add_comment(
        "900", "c8", author_id="11", date_ms=T0 + 600_000, text="Нет воды в доме 7 на улице Тельмана"
    )
    ok.gone_topics.add("900")

    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok and any("900" in note and "error 300" in note for note in report.notes)
    assert "900" not in json.loads(Source.objects.get(pk=source.pk).cursor)["watch"][GROUP]


def test_ok_malformed_comment_is_dead_lettered_and_the_rest_go_through(region, ok):
    seed_group(ok)
    ok.add_comment("900", "c9", author_id="11", date_ms="вчера", text="Когда починят дорогу на Мира?")
    source = ok_source(ok)

    report = fetch_source(source, now=NOW)

    assert report.ok and report.dead_letters == 1
    letter = DeadLetter.objects.get()
    assert letter.stage == Stage.CONNECTOR and letter.source == source
    assert "date" in letter.reason
    assert json.loads(letter.payload)["item"]["id"] == "c9"
    assert Message.objects.filter(source=source).count() == 3


def test_ok_flood_limit_backs_off_then_goes_on(region, ok):
    seed_group(ok)
    source = ok_source(ok)
    ok.fail_method("discussions.getComments", ok_error(8))

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is True and "error 8" in report.error
    source.refresh_from_db()
    assert source.retry_count == 1 and source.health["status"] == "retrying"
    assert source.next_attempt_at == NOW + timedelta(seconds=60)  # FLOOD_BLOCKED waits a minute at least
    assert not Message.objects.exists()

    assert fetch_due_sources(NOW + timedelta(seconds=30)) == []
    [again] = fetch_due_sources(NOW + timedelta(seconds=61))
    assert again.ok
    assert Message.objects.filter(source=source).count() == 3


@pytest.mark.parametrize(
    ("env", "value", "code"),
    [
        ("OTKLIK_TEST_OK_TOKEN", "expired-token", "error 102"),
        ("OTKLIK_TEST_OK_SECRET", "wrong-secret", "error 104"),
        ("OTKLIK_TEST_OK_KEY", "WRONGKEY", "error 101"),
    ],
)
def test_ok_bad_credentials_are_permanent(region, ok, monkeypatch, env, value, code):
    seed_group(ok)
    monkeypatch.setenv(env, value)
    source = ok_source(ok)

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is False
    source.refresh_from_db()
    assert code in source.last_error and source.health["status"] == "failing"
    assert source.next_attempt_at == NOW + timedelta(hours=6)


def test_ok_missing_keys_are_a_clear_permanent_error(region, ok, monkeypatch):
    monkeypatch.delenv("OTKLIK_TEST_OK_SECRET")
    report = fetch_source(ok_source(ok), now=NOW)
    assert not report.ok and report.retriable is False and "application_secret_key_env" in report.error
    assert ok.requests == []


def test_ok_reply_round_trip_as_the_group(region, ok, settings):
    seed_group(ok)
    source = ok_source(ok)
    fetch_source(source, now=NOW)
    case = Message.objects.get(external_id=f"ok{GROUP}_t900_cc1").case
    answer = Answer.objects.create(
        case=case, text="Подачу воды восстановят до 18:00.", status=AnswerStatus.APPROVED
    )
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    assert result["sent"] is True and result["source"] == "ok-pages"
    [sent] = ok.created_comments
    assert sent["method"] == "discussions.addDiscussionComment"  # OK's documented method
    assert (sent["entityId"], sent["entityType"]) == ("900", "GROUP_TOPIC")
    assert (sent["reply_to_comment_id"], sent["as_admin"]) == ("c1", "true")
    assert sent["comment"] == answer.text
    assert result["external_id"] == f"ok{GROUP}_t900_c{sent['comment_id']}"

    # The answer shows up in the topic as the group's comment: read back, it is not a new message.
    report = fetch_source(source, now=NOW + timedelta(minutes=5))
    assert report.ok and report.fetched == 1 and report.skipped == 1
    assert Message.objects.filter(source=source).count() == 3


def test_ok_reply_to_a_deleted_topic_is_recorded_not_raised(region, ok, settings):
    seed_group(ok)
    fetch_source(ok_source(ok), now=NOW)
    case = Message.objects.get(external_id=f"ok{GROUP}_t901").case
    answer = Answer.objects.create(case=case, text="Мусор вывезут завтра.", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True
    ok.gone_topics.add("901")

    result = publish_reply(case, answer)

    assert result["sent"] is False and "error 300" in result["reason"] and result["retriable"] is False


def test_ok_health_asks_group_get_info(region, ok):
    health = connector_for(ok_source(ok)).health()
    assert health.ok and health.checked["groups"] == ["Администрация Энгельсского района"]
    [call] = ok.requests
    assert call.form["method"] == "group.getInfo" and call.form["uids"] == GROUP
