"""The generic social JSON feed connector against a local server speaking the documented schema."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.intake.fakes.server import Response
from otklik.intake.fakes.social_json import FakeSocialFeed
from otklik.intake.fetching import fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
AT = "2026-03-03T08:00:00+04:00"


@pytest.fixture
def feed(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_FEED_TOKEN", "feed-test-token")
    with FakeSocialFeed(token="feed-test-token") as fake:
        yield fake


def feed_source(fake: FakeSocialFeed, **settings) -> Source:
    return Source.objects.create(
        code="ok-feed",
        name="Одноклассники (агрегатор)",
        channel=Channel.OK,
        connector="social_json",
        settings={
            "url": f"{fake.url}/feed",
            "reply_url": f"{fake.url}/replies",
            "token_env": "OTKLIK_TEST_FEED_TOKEN",
            **settings,
        },
    )


def seed(fake: FakeSocialFeed) -> None:
    fake.add_item(
        "p-1",
        "Третий день нет горячей воды на ул. Тельмана в Энгельсе",
        AT,
        author={"id": "u-1", "name": "Ирина"},
        url="https://ok.example/p-1",
        lat=51.49,
        lon=46.12,
    )
    fake.add_item("p-2", "Пост удалён", AT, deleted=True)
    fake.add_item("p-3", "Огромная яма на дороге у остановки, машины бьют колёса", AT)
    fake.add_item("p-4", None, AT)  # malformed: no text
    fake.add_item("p-5", "Не вывозят мусор во дворе на улице Мира уже неделю", AT)


def test_feed_pages_by_next_cursor_and_skips_deleted(region, feed):
    seed(feed)
    source = feed_source(feed, limit=2)

    report = fetch_source(source, now=NOW)

    assert report.ok and report.pages == 3 and report.skipped == 1
    assert [c.query.get("cursor") for c in feed.calls("/feed")] == [None, "2", "4"]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"p-1", "p-3", "p-5"}
    water = Message.objects.get(external_id="p-1")
    assert (water.author_name, water.channel, water.lat) == ("Ирина", Channel.OK, 51.49)
    source.refresh_from_db()
    assert source.cursor == "5"


def test_feed_malformed_item_is_dead_lettered_and_repeating_makes_no_new_case(region, feed):
    seed(feed)
    source = feed_source(feed)
    fetch_source(source, now=NOW)
    letter = DeadLetter.objects.get()
    assert letter.external_id == "p-4" and "“text” is required" in letter.reason

    source.cursor = ""  # the feed is read from the very start again
    source.save()
    cases = Case.objects.count()
    again = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert again.result.duplicates == 3 and Case.objects.count() == cases
    assert DeadLetter.objects.count() == 1


def test_feed_rate_limit_honours_retry_after_header(region, feed):
    seed(feed)
    source = feed_source(feed)
    feed.fail_next(Response(429, {"error": "slow down"}, headers={"Retry-After": "90"}))

    report = fetch_source(source, now=NOW)

    assert not report.ok and report.retriable
    source.refresh_from_db()
    assert source.next_attempt_at == NOW + timedelta(seconds=90)
    assert fetch_source(source, now=source.next_attempt_at).ok
    assert Message.objects.count() == 3


def test_feed_backoff_grows_with_each_failure(region, feed):
    source = feed_source(feed)
    feed.fail_next(Response(503, {"error": "maintenance"}), times=3)
    moments = []
    now = NOW
    for _ in range(3):
        fetch_source(source, now=now)
        source.refresh_from_db()
        moments.append(source.next_attempt_at - now)
        now = source.next_attempt_at
    assert moments == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert source.retry_count == 3


def test_feed_bad_token_is_permanent(region, feed, monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_FEED_TOKEN", "wrong")
    report = fetch_source(feed_source(feed), now=NOW)
    assert report.retriable is False and "401" in report.error


def test_feed_answer_without_items_list_is_a_permanent_error(region, feed):
    feed.fail_next(Response(200, {"data": []}))
    report = fetch_source(feed_source(feed), now=NOW)
    assert report.retriable is False and "items" in report.error


def test_feed_reply_is_posted_to_the_reply_url(region, feed, settings):
    seed(feed)
    fetch_source(feed_source(feed), now=NOW)
    case = Message.objects.get(external_id="p-3").case
    answer = Answer.objects.create(case=case, text="Яму заделают до пятницы.", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    assert result["sent"] is True and result["external_id"] == "r-1"
    assert feed.replies == [{"id": "r-1", "in_reply_to": "p-3", "text": answer.text}]
