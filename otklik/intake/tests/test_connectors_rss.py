"""The RSS/Atom news-comments connector against a local news site (RSS 2.0, Atom, ETag, bad feeds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer
from otklik.directory.choices import Channel
from otklik.intake.fakes.rss import FakeNewsSite
from otklik.intake.fetching import fetch_source
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)


@pytest.fixture
def news():
    with FakeNewsSite() as fake:
        fake.add_comment(
            "c-1",
            "Третий день нет горячей воды на ул. Тельмана в Энгельсе",
            AT,
            author="Ирина",
            link="http://news.example/a/1#c-1",
        )
        fake.add_comment(
            "c-2",
            "Огромная яма на дороге у остановки, машины <b>бьют</b> колёса",
            AT + timedelta(minutes=5),
            author="Пётр",
            link="http://news.example/a/1#c-2",
        )
        fake.add_comment("c-3", "", AT + timedelta(minutes=6), author="Аноним")  # malformed: no text at all
        yield fake


def news_source(fake: FakeNewsSite, path: str = "/comments.rss") -> Source:
    return Source.objects.create(
        code="news-comments",
        name="Новости: комментарии",
        channel=Channel.NEWS,
        connector="rss",
        settings={"url": f"{fake.url}{path}"},
    )


@pytest.mark.parametrize("path", ["/comments.rss", "/comments.atom"])
def test_feed_comments_become_messages_and_an_unreadable_one_is_dead_lettered(region, news, path):
    source = news_source(news, path)

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    assert set(Message.objects.values_list("external_id", flat=True)) == {"c-1", "c-2"}
    pothole = Message.objects.get(external_id="c-2")
    assert pothole.text == "Огромная яма на дороге у остановки, машины бьют колёса"  # markup stripped
    assert pothole.posted_at == AT + timedelta(minutes=5) and pothole.author_name == "Пётр"
    assert pothole.url == "http://news.example/a/1#c-2" and pothole.channel == Channel.NEWS
    letter = DeadLetter.objects.get()
    assert letter.external_id == "c-3" and "no text" in letter.reason


def test_unchanged_feed_costs_a_304_and_makes_nothing(region, news):
    source = news_source(news)
    fetch_source(source, now=NOW)
    messages = Message.objects.count()

    again = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert again.ok and again.fetched == 0
    assert news.requests[-1].headers["if-none-match"].startswith('"')
    assert Message.objects.count() == messages


def test_new_comment_is_read_and_old_ones_are_not_handed_on(region, news):
    source = news_source(news)
    fetch_source(source, now=NOW)
    news.add_comment("c-4", "Не вывозят мусор во дворе на улице Мира уже неделю", AT + timedelta(hours=1))

    again = fetch_source(source, now=NOW + timedelta(minutes=5))

    assert again.fetched == 2  # c-4 and c-3, the newest of the last read (same date is read again)
    assert again.result.duplicates == 0 and again.result.received == 1
    assert Message.objects.filter(external_id="c-4").exists()


def test_a_page_that_is_not_a_feed_is_a_permanent_error(region, news):
    news.raw_body = b"<html><body>502 Bad Gateway"
    report = fetch_source(news_source(news), now=NOW)
    assert report.retriable is False and "not a readable RSS/Atom feed" in report.error


def test_external_entities_are_not_resolved(region, news, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    news.raw_body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title><item><guid>x-1</guid>'
        "<description>Нет воды &amp; света на улице Мира &xxe;</description>"
        "<pubDate>Tue, 03 Mar 2026 04:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()

    fetch_source(news_source(news), now=NOW)

    texts = list(Message.objects.values_list("text", flat=True)) + list(
        DeadLetter.objects.values_list("payload", flat=True)
    )
    assert texts and not any("TOP-SECRET" in t for t in texts)


def test_news_comment_reply_is_recorded_as_not_sent(region, news, settings):
    fetch_source(news_source(news), now=NOW)
    case = Message.objects.get(external_id="c-1").case
    answer = Answer.objects.create(case=case, text="Ответ", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    assert result["sent"] is False and "answer on the site" in result["reason"]
