"""The VK connector against a local fake of VK API 5.199 (walls, comments, search, errors, replies)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import connector_for
from otklik.intake.connectors.vk import VKConnector
from otklik.intake.fakes.vk import FakeVK, vk_error
from otklik.intake.fetching import STAGE_CONNECTOR, fetch_due_sources, fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
T0 = int((NOW - timedelta(hours=5)).timestamp())
GROUP = 1001
OWNER = -GROUP


@pytest.fixture
def vk(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_VK_TOKEN", "vk-test-token")
    with FakeVK(token="vk-test-token") as fake:
        fake.add_group(GROUP, "Администрация Энгельсского района")
        fake.add_user(11, "Ирина", "Петрова")
        fake.add_user(12, "Пётр", "Сидоров")
        yield fake


def vk_source(fake: FakeVK, **settings) -> Source:
    return Source.objects.create(
        code="vk-walls",
        name="VK: паблики",
        channel=Channel.VK,
        connector="vk",
        settings={
            "api_url": f"{fake.url}/method",
            "token_env": "OTKLIK_TEST_VK_TOKEN",
            "owner_ids": [OWNER],
            "group_id": GROUP,
            "min_interval_seconds": 0,
            **settings,
        },
    )


def seed_wall(fake: FakeVK) -> None:
    fake.add_post(OWNER, 100, from_id=OWNER, date=T0, text="Плановые работы на водопроводе в четверг")
    fake.add_comment(
        OWNER,
        100,
        501,
        from_id=11,
        date=T0 + 60,
        text="Третий день нет горячей воды на ул. Тельмана в Энгельсе",
    )
    fake.add_deleted_comment(OWNER, 100, 502, date=T0 + 120)
    fake.add_comment(
        OWNER,
        100,
        503,
        from_id=12,
        date=T0 + 180,
        text="Огромная яма на дороге у остановки, машины бьют колёса",
    )
    fake.add_post(
        OWNER, 101, from_id=12, date=T0 + 300, text="Не вывозят мусор во дворе на улице Мира уже неделю"
    )


def test_vk_fetch_turns_visitor_posts_and_comments_into_messages_and_skips_deleted(region, vk):
    seed_wall(vk)
    source = vk_source(vk)

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    ids = set(Message.objects.filter(source=source).values_list("external_id", flat=True))
    assert ids == {"wall-1001_101", "wall-1001_100_r501", "wall-1001_100_r503"}
    assert report.skipped == 2  # the community's own announcement and the deleted comment
    comment = Message.objects.get(external_id="wall-1001_100_r501")
    assert comment.author_name == "Ирина Петрова"
    assert comment.author_id == "11"
    assert comment.url == "https://vk.com/wall-1001_100?reply=501"
    assert comment.raw["vk"] == {"owner_id": OWNER, "post_id": 100, "comment_id": 501}
    assert Case.objects.count() == 3
    source.refresh_from_db()
    assert json.loads(source.cursor)["walls"] == {str(OWNER): 101}
    assert source.retry_count == 0 and source.health["ok"] is True
    assert source.next_attempt_at == NOW + timedelta(seconds=300)


def test_vk_same_fetch_repeated_makes_no_new_case(region, vk):
    seed_wall(vk)
    source = vk_source(vk)
    fetch_source(source, now=NOW)
    cases, messages = Case.objects.count(), Message.objects.count()

    again = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert again.ok
    assert again.result.duplicates == 2  # the comments under the newest post are read again
    assert (Case.objects.count(), Message.objects.count()) == (cases, messages)


def test_vk_wall_is_read_by_offset_until_the_cursor(region, vk):
    for post_id in range(1, 6):
        vk.add_post(
            OWNER,
            post_id,
            from_id=11,
            date=T0 + post_id,
            text=f"Нет света в доме номер {post_id} на ул. Мира",
        )
    source = vk_source(vk, page_size=2, comments=False, backfill_pages=5)

    fetch_source(source, now=NOW)
    assert Message.objects.filter(source=source).count() == 5
    assert [r.form["offset"] for r in vk.calls("wall.get")] == ["0", "2", "4"]

    vk.requests.clear()
    vk.add_post(OWNER, 6, from_id=12, date=T0 + 10, text="Прорвало трубу во дворе на улице Тельмана")
    fetch_source(source, now=NOW + timedelta(minutes=5))

    assert [r.form["offset"] for r in vk.calls("wall.get")] == ["0"]  # post 5 is the cursor: stop
    assert Message.objects.filter(source=source).count() == 6


def test_vk_too_many_requests_backs_off_then_succeeds(region, vk):
    seed_wall(vk)
    source = vk_source(vk)
    vk.fail_next(vk_error(6, "wall.get"))

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is True
    assert "error 6" in report.error
    source.refresh_from_db()
    assert source.retry_count == 1
    assert source.next_attempt_at == NOW + timedelta(seconds=30)
    assert source.cursor == "" and source.health["status"] == "retrying"
    assert not Message.objects.exists()

    assert fetch_due_sources(NOW + timedelta(seconds=10)) == []  # still backing off
    reports = fetch_due_sources(NOW + timedelta(seconds=31))

    assert [r.ok for r in reports] == [True]
    source.refresh_from_db()
    assert source.retry_count == 0 and source.last_error == ""
    assert Message.objects.filter(source=source).count() == 3


def test_vk_authorization_error_is_permanent(region, vk, monkeypatch):
    seed_wall(vk)
    monkeypatch.setenv("OTKLIK_TEST_VK_TOKEN", "stale-token")
    source = vk_source(vk)

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable is False
    source.refresh_from_db()
    assert "error 5" in source.last_error
    assert source.health["status"] == "failing"
    assert source.next_attempt_at == NOW + timedelta(hours=6)
    assert not Message.objects.exists()


def test_vk_deleted_or_blocked_post_is_skipped_and_the_rest_goes_through(region, vk):
    seed_wall(vk)
    vk.add_post(OWNER, 102, from_id=11, date=T0 + 400, text="Нет отопления в школе номер 5, дети мёрзнут")
    vk.add_comment(OWNER, 102, 601, from_id=12, date=T0 + 500, text="Поддерживаю, в школе очень холодно")
    vk.blocked_posts[(OWNER, 102)] = 15
    source = vk_source(vk)

    report = fetch_source(source, now=NOW)

    assert report.ok
    assert any("102" in note and "error 15" in note for note in report.notes)
    ids = set(Message.objects.values_list("external_id", flat=True))
    assert "wall-1001_102" in ids and "wall-1001_100_r501" in ids
    assert "wall-1001_102_r601" not in ids


def test_vk_malformed_item_lands_in_dead_letters_while_the_rest_go_through(region, vk):
    seed_wall(vk)
    vk.add_comment(OWNER, 101, 701, from_id=11, date="вчера", text="Когда починят дорогу на Мира?")
    source = vk_source(vk)

    report = fetch_source(source, now=NOW)

    assert report.ok and report.dead_letters == 1
    letter = DeadLetter.objects.get()
    assert letter.stage == STAGE_CONNECTOR and letter.source == source
    assert "unix time" in letter.reason
    assert json.loads(letter.payload)["item"]["date"] == "вчера"  # the raw payload is kept
    assert Message.objects.filter(source=source).count() == 3

    fetch_source(source, now=NOW + timedelta(minutes=5))  # the comment is read again: no second letter
    letter.refresh_from_db()
    assert DeadLetter.objects.count() == 1 and letter.attempts == 2


def test_vk_newsfeed_search_pages_by_next_from(region, vk):
    for n in range(3):
        vk.add_search_item(
            {
                "id": 40 + n,
                "owner_id": 77,
                "from_id": 77,
                "date": T0 + n,
                "post_type": "post",
                "text": f"Нет воды в Энгельсе на улице номер {n}, когда дадут воду?",
            }
        )
    vk.add_search_item({"id": 50, "owner_id": 78, "from_id": 78, "date": T0, "text": "Продам гараж"})
    source = vk_source(vk, owner_ids=[], query="нет воды", page_size=2)

    fetch_source(source, now=NOW)

    calls = vk.calls("newsfeed.search")
    assert [c.form.get("start_from") for c in calls] == [None, "2"]
    assert Message.objects.filter(source=source).count() == 3
    source.refresh_from_db()
    assert json.loads(source.cursor)["search_time"] == T0 + 2
    fetch_source(source, now=NOW + timedelta(minutes=5))
    assert vk.calls("newsfeed.search")[-1].form["start_time"] == str(T0 + 2)


def test_vk_reply_is_a_comment_under_the_residents_comment(region, vk, settings):
    seed_wall(vk)
    source = vk_source(vk)
    fetch_source(source, now=NOW)
    case = Message.objects.get(external_id="wall-1001_100_r501").case
    answer = Answer.objects.create(
        case=case, text="Подачу воды восстановят до 18:00.", status=AnswerStatus.APPROVED
    )

    settings.OTKLIK_SEND_REPLIES = False
    assert publish_reply(case, answer)["sent"] is False
    assert vk.created_comments == []

    settings.OTKLIK_SEND_REPLIES = True
    result = publish_reply(case, answer)

    assert result["sent"] is True and result["source"] == "vk-walls"
    [sent] = vk.created_comments
    assert (sent["owner_id"], sent["post_id"], sent["reply_to_comment"]) == (str(OWNER), "100", "501")
    assert sent["from_group"] == str(GROUP) and sent["message"] == answer.text
    assert result["external_id"] == f"wall-1001_100_r{sent['comment_id']}"


def test_vk_reply_failure_is_recorded_not_raised(region, vk, settings):
    seed_wall(vk)
    source = vk_source(vk)
    fetch_source(source, now=NOW)
    case = Message.objects.get(external_id="wall-1001_101").case
    answer = Answer.objects.create(case=case, text="Мусор вывезут завтра.", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True
    vk.blocked_posts[(OWNER, 101)] = 15

    result = publish_reply(case, answer)

    assert result["sent"] is False and "error 15" in result["reason"] and result["retriable"] is False


def test_vk_health_asks_groups_get_by_id(region, vk):
    health = connector_for(vk_source(vk)).health()

    assert health.ok and health.checked["groups"] == ["Администрация Энгельсского района"]
    assert vk.calls("groups.getById")[0].form["group_ids"] == str(GROUP)


def test_vk_calls_are_paced_without_real_sleeping(region, vk):
    seed_wall(vk)
    source = vk_source(vk, min_interval_seconds=0.5)
    connector = connector_for(source)
    assert isinstance(connector, VKConnector)
    sleeps: list[float] = []
    connector.sleep = sleeps.append
    connector.monotonic = lambda: 100.0  # the clock stands still: every call must wait the full interval

    fetch_source(source, now=NOW, connector=connector)

    assert len(vk.requests) >= 2
    assert sleeps == [0.5] * (len(vk.requests) - 1)
