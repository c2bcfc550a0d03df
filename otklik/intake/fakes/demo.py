"""The demo's fakes wired together: what ``otklik fake-sources`` starts and the sources it points at
them. A test starts the same (:func:`demo_fakes`) and reads them through the pipeline, so the demo's
wiring is what is tested.

Residents' posts go to VK, Telegram (bot), a social JSON feed and news comments; the demo city's
official pages are on VK, OK, MAX and in Telegram (a public channel whose posts residents comment,
read over MTProto by ``telegram_public``, with a public city chat beside it), each with residents'
comments and some of the page's answers. The fakes accept any token (``OTKLIK_FAKE_TOKEN``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from otklik.directory.choices import Channel

from .max import FakeMax
from .ok import FakeOK
from .rss import FakeNewsSite
from .seeding import (
    MAX_CHANNEL,
    OK_GROUP,
    TG_CHANNEL,
    TG_CHAT,
    VK_GROUP,
    seed_all,
    seed_official_pages,
    seed_telegram_public,
)
from .server import FakeServer
from .social_json import FakeSocialFeed
from .telegram import FakeTelegram
from .telethon_http import FakeTelegramPublic
from .vk import FakeVK

TOKEN_ENV = "OTKLIK_FAKE_TOKEN"


@dataclass
class DemoFakes:
    servers: list[FakeServer] = field(default_factory=list)
    # code → (name, channel, connector, settings): the demo's sources, pointed at the fakes
    sources: dict[str, tuple[str, str, str, dict[str, Any]]] = field(default_factory=dict)
    # code → (ref, name): the demo city's official pages on those sources
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)

    def start(self) -> DemoFakes:
        for server in self.servers:
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def demo_fakes(texts: list[str] | None = None, port: Callable[[int], int] = lambda n: 0) -> DemoFakes:
    """The fakes seeded with ``texts`` (else built-in ones), not started; ``port(n)`` is the n-th
    fake's port (0: any free one)."""
    vk, telegram = FakeVK(token=None, port=port(0)), FakeTelegram(token=None, port=port(1))
    feed, news = FakeSocialFeed(token=None, port=port(2)), FakeNewsSite(port=port(3))
    ok, fake_max = FakeOK(application_key=None, port=port(4)), FakeMax(token=None, port=port(5))
    tg_public = FakeTelegramPublic(port=port(6))
    seed_all(vk, telegram, feed, news, texts=texts)
    pages_texts = texts[: max(len(texts) // 2, 1)] if texts else None
    seed_official_pages(vk, ok, fake_max, texts=pages_texts)
    seed_telegram_public(tg_public.world, texts=pages_texts)
    sources: dict[str, tuple[str, str, str, dict[str, Any]]] = {
        "fake-vk": (
            "VK (фейк)",
            Channel.VK,
            "vk",
            {"api_url": f"{vk.url}/method", "owner_ids": [-VK_GROUP], "group_id": VK_GROUP},
        ),
        "fake-telegram": (
            "Telegram (фейк)",
            Channel.TELEGRAM,
            "telegram",
            {"api_url": telegram.url},
        ),
        "fake-feed": (
            "Лента соцсети (фейк)",
            Channel.SOCIAL,
            "social_json",
            {"url": f"{feed.url}/feed", "reply_url": f"{feed.url}/replies"},
        ),
        "fake-news": (
            "Комментарии новостей (фейк)",
            Channel.NEWS,
            "rss",
            {"url": f"{news.url}/comments.rss"},
        ),
        "fake-ok": (
            "Одноклассники: госпаблики (фейк)",
            Channel.OK,
            "ok",
            {
                "api_url": f"{ok.url}/fb.do",
                "group_ids": [OK_GROUP],
                "application_key_env": TOKEN_ENV,
                "application_secret_key_env": TOKEN_ENV,
                "access_token_env": TOKEN_ENV,
            },
        ),
        "fake-max": ("MAX: каналы (фейк)", Channel.MAX, "max", {"api_url": fake_max.url}),
        "fake-tg-public": (
            "Telegram: открытые чаты и каналы (фейк)",
            Channel.TELEGRAM,
            "telegram_public",
            {
                "fake_url": tg_public.url,
                "chats": [f"https://t.me/{TG_CHAT}", f"https://t.me/{TG_CHANNEL}"],
                "session_env": TOKEN_ENV,
                "api_hash_env": TOKEN_ENV,
                "api_id": 1,
                "reply": True,  # answers go back to the fake
            },
        ),
    }
    pages = {
        "fake-vk": (str(-VK_GROUP), "Администрация города (демо) — ВКонтакте"),
        "fake-ok": (OK_GROUP, "Администрация города (демо) — Одноклассники"),
        "fake-max": (str(MAX_CHANNEL), "Администрация города (демо) — MAX"),
        "fake-tg-public": (TG_CHANNEL, "Администрация города (демо) — Telegram"),
    }
    return DemoFakes([vk, telegram, feed, news, ok, fake_max, tg_public], sources, pages)


def configure_sources(fakes: DemoFakes, *, interval_seconds: int = 30) -> None:
    """Point the demo's sources at the fakes (created or updated, enabled, due now), let the monitoring
    queries that watch named sources watch them too, and register the demo city's official pages."""
    from otklik.intake.models import MonitoringQuery, Source

    configured = []
    for code, (name, channel, connector, settings) in fakes.sources.items():
        source, _ = Source.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "channel": channel,
                "connector": connector,
                "is_enabled": True,
                "settings": {**settings, "token_env": TOKEN_ENV, "interval_seconds": interval_seconds},
                "next_attempt_at": None,
                "retry_count": 0,
            },
        )
        configured.append(source)
    # The demo region's monitoring queries watch its sources by name; active queries keep only what
    # they match, so unless they watch the fakes too every fake post would be judged off-topic.
    for query in MonitoringQuery.objects.filter(is_active=True, sources__isnull=False).distinct():
        query.sources.add(*configured)
    configure_official_pages(fakes.pages)


def configure_official_pages(pages: dict[str, tuple[str, str]]) -> None:
    """The demo city's official pages on the fake sources, linked to the region's first municipal
    body and its territory when the demo region is loaded (``/intake/pages/`` ranks them)."""
    from otklik.directory.choices import AgencyKind
    from otklik.directory.models import Agency
    from otklik.intake.models import OfficialPage, Source

    agency = Agency.objects.filter(kind=AgencyKind.MUNICIPALITY).order_by("pk").first()
    territory = agency.territories.order_by("pk").first() if agency is not None else None
    for code, (ref, name) in pages.items():
        source = Source.objects.get(code=code)
        OfficialPage.objects.update_or_create(
            source=source,
            ref=ref,
            defaults={"name": name, "agency": agency, "territory": territory, "is_active": True},
        )
