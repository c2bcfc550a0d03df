"""Running connectors: schedule, back-off, claims, health, replays, the file kind and ``otklik fetch``."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import ConnectorError, FetchResult, connector_for
from otklik.intake.deadletters import replay_dead_letter
from otklik.intake.fakes.server import Response
from otklik.intake.fakes.social_json import FakeSocialFeed
from otklik.intake.fetching import (
    backoff_delay,
    check_health,
    due_sources,
    fetch_due_sources,
    fetch_source,
)
from otklik.intake.models import DeadLetter, Message, OfficialPage, Source
from otklik.intake.pipeline import run_batch
from otklik.intake.replies import publish_reply

from .conftest import NOW

pytestmark = pytest.mark.django_db
AT = "2026-03-03T08:00:00+04:00"


@pytest.fixture
def feed(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_FEED_TOKEN", "t")
    with FakeSocialFeed(token="t") as fake:
        fake.add_item("p-1", "Третий день нет горячей воды на ул. Тельмана в Энгельсе", AT)
        fake.add_item("p-2", "Огромная яма на дороге у остановки, машины бьют колёса", AT)
        yield fake


def feed_source(fake: FakeSocialFeed, code: str = "feed", **fields) -> Source:
    return Source.objects.create(
        code=code,
        name=code,
        channel=Channel.SOCIAL,
        connector="social_json",
        settings={"url": f"{fake.url}/feed", "token_env": "OTKLIK_TEST_FEED_TOKEN"},
        **fields,
    )


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour_and_honours_retry_after():
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_delay(50) == timedelta(hours=1)
    assert backoff_delay(1, retry_after=600) == timedelta(seconds=600)


def test_due_sources_are_enabled_pulling_sources_whose_time_has_come(region, feed):
    due = feed_source(feed, "due")
    feed_source(feed, "later", next_attempt_at=NOW + timedelta(minutes=1))
    feed_source(feed, "off", is_enabled=False)
    Source.objects.create(code="files", name="files", channel=Channel.IMPORT, connector="file")
    Source.objects.create(code="hook", name="hook", channel=Channel.SOCIAL, connector="webhook")
    Source.objects.create(code="odd", name="odd", channel=Channel.SOCIAL, connector="no-such-kind")

    assert due_sources(NOW) == [due]


def test_a_source_claimed_by_another_runner_is_not_fetched_twice(region, feed):
    source = feed_source(feed)
    stale = Source.objects.get(pk=source.pk)
    assert [r.source for r in fetch_due_sources(NOW)] == ["feed"]

    # Another runner that listed the source before the claim loses it.
    from otklik.intake.fetching import _claim

    assert _claim(stale, NOW) is False
    assert len(feed.calls("/feed")) == 1


def test_success_schedules_the_next_fetch_after_the_interval(region, feed):
    source = feed_source(feed)
    source.settings["interval_seconds"] = 120
    source.save()

    fetch_source(source, now=NOW)

    source.refresh_from_db()
    assert source.next_attempt_at == NOW + timedelta(seconds=120)
    assert source.last_fetched_at == NOW
    assert source.health["fetch"]["created_cases"] == 2


def test_cursor_does_not_move_when_the_batch_fails_part_way(region, feed):
    feed.add_item("p-3", "Не вывозят мусор во дворе на улице Мира уже неделю", AT)
    source = feed_source(feed)
    source.settings["limit"] = 2
    source.save()
    calls = {"n": 0}

    def fails_on_second_page(items, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionResetError("worker died")
        return run_batch(items, **kwargs)

    report = fetch_source(source, now=NOW, run=fails_on_second_page)

    assert not report.ok and report.retriable
    source.refresh_from_db()
    assert source.cursor == "2"  # the first page committed, the second did not move it
    assert Message.objects.count() == 2
    fetch_source(source, now=NOW + timedelta(minutes=1))
    assert Message.objects.count() == 3


def test_check_health_keeps_the_answer_on_the_source(region, feed, monkeypatch):
    source = feed_source(feed)
    assert check_health(source, now=NOW).ok
    monkeypatch.setenv("OTKLIK_TEST_FEED_TOKEN", "wrong")
    health = check_health(source, now=NOW)

    source.refresh_from_db()
    assert (
        not health.ok and source.health["check"]["ok"] is False and "401" in source.health["check"]["detail"]
    )


def test_connector_dead_letter_replays_through_the_connector(region, feed):
    feed.add_item("p-3", "Не вывозят мусор во дворе на улице Мира уже неделю", "")
    source = feed_source(feed)
    fetch_source(source, now=NOW)
    letter = DeadLetter.objects.get()

    assert replay_dead_letter(letter, now=NOW) is None  # still unreadable
    letter.refresh_from_db()
    assert letter.attempts == 2 and letter.replayed_at is None

    fixed = json.loads(letter.payload) | {"created_at": AT}
    letter.payload = json.dumps(fixed)
    letter.save()
    result = replay_dead_letter(letter, now=NOW)

    assert result is not None and result.created_cases == 1
    letter.refresh_from_db()
    assert letter.replayed_at == NOW and Message.objects.filter(external_id="p-3").exists()


def test_unexpected_connector_bug_is_recorded_and_retried(region, feed):
    source = feed_source(feed)
    connector = connector_for(source)

    def broken(cursor: str) -> FetchResult:
        raise KeyError("items")

    connector.fetch = broken  # type: ignore[method-assign]
    report = fetch_source(source, now=NOW, connector=connector)

    assert not report.ok and report.retriable and "KeyError" in report.error
    source.refresh_from_db()
    assert source.retry_count == 1


def test_file_sources_fetch_nothing_and_record_replies_as_not_sent(region, settings):
    from otklik.testing.factories import make_case

    source = Source.objects.create(code="import-x", name="x", channel=Channel.IMPORT, connector="file")
    connector = connector_for(source)
    assert connector.fetch("7").payloads == [] and connector.fetch("7").cursor == "7"
    case = make_case()
    Message.objects.filter(case=case).update(source=source)
    answer = Answer.objects.create(case=case, text="Ответ", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(case, answer)

    assert result["sent"] is False and "no channel back" in result["reason"]


def test_unknown_connector_kind_is_a_permanent_error():
    with pytest.raises(ConnectorError) as error:
        connector_for(Source(code="x", connector="carrier-pigeon"))
    assert error.value.retriable is False


def test_fetch_command_fetches_one_source_or_all_and_reports(region, feed):
    feed_source(feed, "feed-a")
    feed_source(feed, "feed-b", next_attempt_at=NOW + timedelta(days=1))
    out = io.StringIO()

    call_command("fetch", source="feed-b", stdout=out)
    assert "feed-b: 1 page(s), 2 fetched" in out.getvalue()

    out = io.StringIO()
    call_command("fetch", all=True, stdout=out)
    assert "feed-a:" in out.getvalue() and "feed-b:" in out.getvalue()

    out = io.StringIO()
    call_command("fetch", health=True, stdout=out)
    assert "feed-a: ok" in out.getvalue()

    with pytest.raises(CommandError, match="No source"):
        call_command("fetch", source="nope")


def test_fetch_command_fails_loudly_for_a_failing_source(region, feed):
    feed_source(feed)
    feed.fail_next(Response(500, {"error": "down"}))
    with pytest.raises(CommandError, match="HTTP 500"):
        call_command("fetch", source="feed", stdout=io.StringIO(), stderr=io.StringIO())


def test_fake_sources_command_configures_sources_for_the_demo(db):
    out = io.StringIO()
    call_command("fake_sources", configure=True, seconds=0, posts=8, stdout=out)

    sources = {s.code: s for s in Source.objects.filter(code__startswith="fake-")}
    assert set(sources) == {
        "fake-vk",
        "fake-telegram",
        "fake-feed",
        "fake-news",
        "fake-ok",
        "fake-max",
        "fake-tg-public",
    }
    pages = {p.source.code: p.ref for p in OfficialPage.objects.select_related("source")}
    assert pages == {
        "fake-vk": "-100001",
        "fake-ok": "70000000100001",
        "fake-max": "-70000000100001",
        "fake-tg-public": "demo_city_admin",
    }
    assert sources["fake-tg-public"].settings["fake_url"].startswith("http://127.0.0.1:")
    assert sources["fake-vk"].settings["api_url"].startswith("http://127.0.0.1:")
    assert sources["fake-vk"].settings["token_env"] == "OTKLIK_FAKE_TOKEN"
    assert "otklik fetch --all" in out.getvalue()


def test_demo_fakes_serve_posts_every_connector_can_read(region, monkeypatch):
    from otklik.intake.fakes.rss import FakeNewsSite
    from otklik.intake.fakes.seeding import VK_GROUP, seed_all
    from otklik.intake.fakes.telegram import FakeTelegram
    from otklik.intake.fakes.vk import FakeVK

    monkeypatch.setenv("OTKLIK_FAKE_TOKEN", "demo")
    with (
        FakeVK(token=None) as vk,
        FakeTelegram(token=None) as tg,
        FakeSocialFeed(token=None) as feed,
        FakeNewsSite() as news,
    ):
        seed_all(vk, tg, feed, news, count=8)
        specs = {
            "vk": {"api_url": f"{vk.url}/method", "owner_ids": [-VK_GROUP], "min_interval_seconds": 0},
            "telegram": {"api_url": tg.url},
            "social_json": {"url": f"{feed.url}/feed"},
            "rss": {"url": f"{news.url}/comments.rss"},
        }
        for kind, settings in specs.items():
            Source.objects.create(
                code=f"fake-{kind.replace('_', '-')}",
                name=kind,
                channel=Channel.SOCIAL,
                connector=kind,
                settings={**settings, "token_env": "OTKLIK_FAKE_TOKEN"},
            )
        reports = fetch_due_sources(NOW)

    assert sorted((r.source, r.ok, r.fetched) for r in reports) == [
        ("fake-rss", True, 2),
        ("fake-social-json", True, 2),
        ("fake-telegram", True, 2),
        ("fake-vk", True, 3),  # the community's own post is read and skipped
    ]
    assert Message.objects.count() == 8


def test_fetches_and_their_failures_are_counted_in_the_metrics_in_process(region, feed):
    from prometheus_client import REGISTRY

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    source = feed_source(feed)
    created = sample("otklik_pipeline_items_total", source="feed", outcome="created_cases")
    batches = sample("otklik_pipeline_batches_total", mode="inprocess")
    errors = sample("otklik_connector_errors_total", source="feed", retriable="yes")

    report = fetch_source(source, now=NOW)
    assert report.ok and report.result.created_cases == 2
    assert sample("otklik_pipeline_items_total", source="feed", outcome="created_cases") == created + 2
    assert sample("otklik_pipeline_batches_total", mode="inprocess") == batches + 1

    feed.fail_next(Response(500, {"error": "down"}))
    assert not fetch_source(Source.objects.get(pk=source.pk), now=NOW).ok
    assert sample("otklik_connector_errors_total", source="feed", retriable="yes") == errors + 1
