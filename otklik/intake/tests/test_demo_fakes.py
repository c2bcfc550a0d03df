"""The demo's fakes (what ``otklik fake-sources --configure`` starts) read through the pipeline: the
demo city's official pages on VK, OK, MAX and Telegram public chats with their answers; Telegram's
public chats over the fake's HTTP transport (the demo's processes), FLOOD_WAIT and a reply included."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer
from otklik.directory.choices import Channel
from otklik.intake import pages
from otklik.intake.connectors.base import ConnectorError
from otklik.intake.fakes.seeding import TG_CHANNEL, TG_CHAT, sample_texts
from otklik.intake.fetching import fetch_source
from otklik.intake.models import Message, MonitoringQuery, OfficialPage, Source
from otklik.intake.replies import publish_reply

pytest.importorskip("telethon")
from otklik.intake.fakes.demo import DemoFakes, configure_sources, demo_fakes
from otklik.intake.fakes.telethon_http import FakeTelegramPublic, loopback_url

pytestmark = pytest.mark.django_db
PAGE_SOURCES = ("fake-vk", "fake-ok", "fake-max", "fake-tg-public")


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setenv("OTKLIK_FAKE_TOKEN", "demo")
    started = demo_fakes(sample_texts(16)).start()
    yield started
    started.stop()


def configured(fakes: DemoFakes) -> dict[str, Source]:
    configure_sources(fakes)
    sources = {s.code: s for s in Source.objects.filter(code__startswith="fake-")}
    for source in sources.values():
        source.settings = {**source.settings, "min_interval_seconds": 0}
        source.save(update_fields=["settings"])
    return sources


def test_demo_official_pages_on_vk_ok_max_and_telegram_go_through_the_pipeline(region, fakes):
    sources = configured(fakes)
    now = timezone.now()

    for code, source in sources.items():
        report = fetch_source(source, now=now)
        assert report.ok, (code, report.error)

    for code in PAGE_SOURCES:
        page = OfficialPage.objects.get(source__code=code)
        stats = pages.page_stats(page, now - timedelta(days=7), now, now=now)
        assert 0 < stats.answered < stats.comments, code
    tg = Message.objects.filter(source=sources["fake-tg-public"])
    assert tg.filter(raw__telegram_public__chat=TG_CHAT).exists()  # the public city chat
    assert tg.filter(raw__telegram_public__chat=TG_CHANNEL, raw__telegram_public__post_id=1).exists()
    assert set(tg.values_list("channel", flat=True)) == {Channel.TELEGRAM}
    assert tg.filter(case__isnull=False).exists()  # the same pipeline makes cases of them


def test_demo_telegram_public_chats_back_off_on_flood_wait_and_take_a_reply(region, fakes, settings):
    source = configured(fakes)["fake-tg-public"]
    tg_public = next(s for s in fakes.servers if isinstance(s, FakeTelegramPublic))
    now = timezone.now()
    tg_public.world.flood(42)

    report = fetch_source(source, now=now)

    assert not report.ok and report.retriable and "FLOOD_WAIT 42" in report.error
    source.refresh_from_db()
    assert source.cursor == "" and source.next_attempt_at == now + timedelta(seconds=42)

    assert fetch_source(source, now=now + timedelta(minutes=1)).ok
    message = Message.objects.filter(source=source, raw__telegram_public__post_id=1).earliest("posted_at")
    answer = Answer.objects.create(
        case=message.case, text="Проверим и ответим.", status=AnswerStatus.APPROVED
    )
    settings.OTKLIK_SEND_REPLIES = True

    result = publish_reply(message.case, answer)

    assert result["sent"] is True
    [sent] = tg_public.world.sent
    assert (sent["chat"], sent["comment_to"], sent["text"]) == (TG_CHANNEL, 1, answer.text)


def test_the_fake_transport_is_refused_off_this_machine_and_never_sends_the_session(region, fakes):
    with pytest.raises(ConnectorError, match="local http://"):
        loopback_url("https://fake.example.org")
    source = configured(fakes)["fake-tg-public"]
    assert fetch_source(source, now=timezone.now()).ok
    tg_public = next(s for s in fakes.servers if isinstance(s, FakeTelegramPublic))
    bodies = [r.json() for r in tg_public.requests]
    assert bodies and {b["session"] for b in bodies} == {hashlib.sha256(b"demo").hexdigest()}


def test_the_demos_source_scoped_monitoring_queries_watch_the_fakes_too(region, fakes):
    demo_vk = Source.objects.create(code="demo-vk", name="VK", channel=Channel.VK, connector="vk")
    scoped = MonitoringQuery.objects.create(name="Вода и тепло", query="вода | отопление")
    scoped.sources.add(demo_vk)
    everywhere = MonitoringQuery.objects.create(name="Мусор", query="мусор")

    sources = configured(fakes)

    assert set(scoped.sources.values_list("code", flat=True)) == {"demo-vk", *sources}
    assert not everywhere.sources.exists()  # a query over every source stays so
    assert fetch_source(sources["fake-tg-public"], now=timezone.now()).ok
    water = Message.objects.filter(
        source=sources["fake-tg-public"], text__startswith="Третий день нет горячей"
    )
    assert water and all(m.case_id for m in water)
    [match] = water[0].case.understanding["monitoring"]["queries"]
    assert match["id"] == scoped.pk
