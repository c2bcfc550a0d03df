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
from otklik.intake.fetching import fetch_due_sources, fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import Stage
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
        fake.server_time = int(NOW.timestamp())  # VK's clock: the comment window ends now
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
    vk.requests.clear()

    again = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert again.ok
    assert again.fetched == 0  # no new post, and no post's comment count changed: nothing is read
    assert vk.calls("wall.getComments") == []
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
    assert letter.stage == Stage.CONNECTOR and letter.source == source
    assert "unix time" in letter.reason
    assert json.loads(letter.payload)["item"]["date"] == "вчера"  # the raw payload is kept
    assert Message.objects.filter(source=source).count() == 3

    # The cursor moved past the bad comment with its batch: it is kept once, replayable from the admin.
    vk.add_comment(OWNER, 101, 702, from_id=12, date=T0 + 900, text="Дорогу на Мира так и не починили")
    fetch_source(source, now=NOW + timedelta(minutes=5))
    letter.refresh_from_db()
    assert DeadLetter.objects.count() == 1 and letter.attempts == 1
    assert Message.objects.filter(external_id="wall-1001_101_r702").exists()


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
    clock = [100.0]  # the calls themselves take no time: every call must wait the full interval

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    connector.sleep = sleep
    connector.monotonic = lambda: clock[0]

    fetch_source(source, now=NOW, connector=connector)

    assert len(vk.requests) >= 2
    assert sleeps == [0.5] * (len(vk.requests) - 1)


# --- comments under older posts ------------------------------------------------------------------

DAY = 86400


def seed_month(fake: FakeVK, days: int = 40) -> None:
    """A community announcement a day: post ``n`` is ``days - n`` days old (the newest is ``days``)."""
    for n in range(1, days + 1):
        fake.add_post(OWNER, n, from_id=OWNER, date=T0 - (days - n) * DAY, text=f"Новости района, выпуск {n}")


def comment_ids(post_id: int) -> set[str]:
    return {
        eid
        for eid in Message.objects.values_list("external_id", flat=True)
        if eid.startswith(f"wall-1001_{post_id}_r")
    }


def test_vk_comments_are_watched_under_posts_of_the_window_not_only_the_newest(region, vk):
    seed_month(vk)  # 40 posts, one a day
    source = vk_source(vk, comment_days=14, page_size=5)
    fetch_source(source, now=NOW)
    walls = [int(r.form["offset"]) for r in vk.calls("wall.get")]
    assert walls == [0, 5, 10]  # paged on until a post older than 14 days (post 26)
    watched = json.loads(Source.objects.get(pk=source.pk).cursor)["watch"][str(OWNER)]
    assert sorted(int(p) for p in watched) == list(range(27, 41))  # less than 14 days old

    # Weeks-old posts get comments; those in the window are read, older ones are not watched.
    vk.add_comment(
        OWNER, 30, 7001, from_id=11, date=T0 + 60, text="Десять дней прошло, а яму на Мира не засыпали"
    )
    vk.add_comment(OWNER, 27, 7002, from_id=12, date=T0 + 90, text="Во дворе на Тельмана 5 опять нет света")
    vk.add_comment(OWNER, 20, 7003, from_id=12, date=T0 + 120, text="Когда уберут мусор на Ленина 7?")
    vk.requests.clear()
    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok
    assert comment_ids(30) == {"wall-1001_30_r7001"} and comment_ids(27) == {"wall-1001_27_r7002"}
    assert comment_ids(20) == set()  # 20 days old: outside the window
    # Only the posts whose comment count changed were asked for their comments.
    assert sorted(int(r.form["post_id"]) for r in vk.calls("wall.getComments")) == [27, 30]


def test_vk_pinned_post_is_watched_however_old_and_the_cap_limits_the_posts(region, vk):
    seed_month(vk, days=10)
    vk.add_post(
        OWNER, 1000, from_id=OWNER, date=T0 - 90 * DAY, text="Задайте вопрос администрации", is_pinned=1
    )
    source = vk_source(vk, comment_days=30, comment_posts=4)

    report = fetch_source(source, now=NOW)

    watched = json.loads(Source.objects.get(pk=source.pk).cursor)["watch"][str(OWNER)]
    assert sorted(int(p) for p in watched) == [8, 9, 10, 1000]  # the pinned one and the newest three
    assert any("newest 4 posts" in note for note in report.notes)
    vk.add_comment(OWNER, 1000, 8001, from_id=11, date=T0 + 60, text="Нет воды на улице Мира третий день")
    fetch_source(source, now=NOW + timedelta(minutes=5))
    assert comment_ids(1000) == {"wall-1001_1000_r8001"}


def test_vk_comments_are_paged_from_the_last_comment_read(region, vk):
    vk.add_post(OWNER, 50, from_id=OWNER, date=T0, text="Отчёт главы района о работе за год")
    texts = ["Нет горячей воды в доме {n} на улице Тельмана", "Яма у подъезда дома {n} на улице Мира"]
    for n in range(1, 26):
        vk.add_comment(OWNER, 50, 100 + n, from_id=11, date=T0 + n, text=texts[n % 2].format(n=n))
    source = vk_source(vk, page_size=10)

    fetch_source(source, now=NOW)

    pages = [(r.form.get("offset"), r.form.get("start_comment_id")) for r in vk.calls("wall.getComments")]
    assert pages == [("0", None), (None, "110"), (None, "119")]  # VK's count is at most 100 a page
    assert len(comment_ids(50)) == 25
    assert json.loads(Source.objects.get(pk=source.pk).cursor)["watch"][str(OWNER)]["50"][:2] == [125, 25]

    # The last comment read is deleted (gone from the list) and new ones come: VK starts at the
    # nearest earlier comment, and only the new ones are taken.
    vk.delete_comment(OWNER, 50, 125)
    vk.delete_comment(OWNER, 50, 103, placeholder=True)
    vk.add_comment(OWNER, 50, 126, from_id=12, date=T0 + 100, text="Опять прорвало трубу у дома 26")
    vk.add_comment(OWNER, 50, 127, from_id=11, date=T0 + 101, text="Не горят фонари у дома 27")
    vk.add_comment(OWNER, 50, 128, from_id=12, date=T0 + 102, text="Не вывозят мусор от дома 28")
    vk.requests.clear()
    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok and report.fetched == 3 and report.result.duplicates == 0
    assert [r.form.get("start_comment_id") for r in vk.calls("wall.getComments")] == ["125"]
    assert len(comment_ids(50)) == 28


def test_vk_an_unchanged_comment_count_is_trusted_until_the_recheck_round(region, vk):
    seed_wall(vk)
    source = vk_source(vk, comment_recheck_rounds=2)
    fetch_source(source, now=NOW)

    # One comment deleted and one written between two fetches: the count stays the same.
    vk.delete_comment(OWNER, 100, 503)
    vk.add_comment(OWNER, 100, 504, from_id=11, date=T0 + 400, text="Воду так и не дали на ул. Тельмана 3")
    fetch_source(source, now=NOW + timedelta(minutes=5))
    assert "wall-1001_100_r504" not in comment_ids(100)

    fetch_source(source, now=NOW + timedelta(minutes=10))  # the second round since the post was read
    assert "wall-1001_100_r504" in comment_ids(100)
    assert Message.objects.filter(external_id="wall-1001_100_r503").exists()  # what was stored stays


def test_vk_rate_limit_in_the_middle_of_the_comments_keeps_the_pages_committed(region, vk):
    for post_id in range(1, 6):
        vk.add_post(OWNER, post_id, from_id=OWNER, date=T0 + post_id, text=f"Объявление {post_id}")
        vk.add_comment(
            OWNER,
            post_id,
            100 + post_id,
            from_id=11,
            date=T0 + 60,
            text=f"Нет света в доме {post_id} на ул. Мира",
        )
    source = vk_source(vk, comment_posts_per_fetch=2)
    vk.fail_method("wall.getComments", vk_error(6, "wall.getComments"), after=3)

    report = fetch_source(source, now=NOW)

    # Page 1 (the wall and the comments of posts 5 and 4) committed; page 2 stopped at post 2.
    assert not report.ok and report.retriable is True and "error 6" in report.error
    assert report.pages == 1  # the failed page is not counted
    assert {p for p in range(1, 6) if comment_ids(p)} == {4, 5}
    source.refresh_from_db()
    cursor = json.loads(source.cursor)
    assert cursor["pending"] == [[OWNER, 3, 1], [OWNER, 2, 1], [OWNER, 1, 1]]
    assert source.next_attempt_at == NOW + timedelta(seconds=30)

    vk.requests.clear()
    [again] = fetch_due_sources(NOW + timedelta(seconds=31))

    assert again.ok and again.pages == 2  # posts 3 and 2, then post 1
    assert vk.calls("wall.get") == []  # the round goes on where it stopped
    assert {p for p in range(1, 6) if comment_ids(p)} == {1, 2, 3, 4, 5}
    assert Message.objects.filter(source=source).count() == 5  # every comment once
    assert json.loads(Source.objects.get(pk=source.pk).cursor)["pending"] == []


def test_vk_a_watched_post_deleted_later_is_no_longer_watched(region, vk):
    seed_wall(vk)
    source = vk_source(vk)
    fetch_source(source, now=NOW)
    vk.add_comment(OWNER, 100, 505, from_id=12, date=T0 + 500, text="Нет воды в доме 7 на улице Тельмана")
    vk.blocked_posts[(OWNER, 100)] = 15  # the post was deleted after its comments were read

    report = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert report.ok and any("100" in note and "error 15" in note for note in report.notes)
    watched = json.loads(Source.objects.get(pk=source.pk).cursor)["watch"][str(OWNER)]
    assert "100" not in watched
    assert Message.objects.filter(external_id="wall-1001_100_r501").exists()
