"""``otklik fake-sources``: run local fakes of VK, Telegram, a social JSON feed and a news site.

They listen on 127.0.0.1 (ephemeral ports unless ``--port-base``), seeded with demo posts, and
accept any token. ``--configure`` points the sources ``fake-vk``, ``fake-telegram``, ``fake-feed``
and ``fake-news`` at them, so ``OTKLIK_FAKE_TOKEN=demo otklik fetch --all`` (in another shell, or
the runner) reads them and replies go back to them. Runs until Ctrl-C or ``--seconds``.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.demo.messages import demo_texts
from otklik.directory.choices import Channel
from otklik.intake.fakes.max import FakeMax
from otklik.intake.fakes.ok import FakeOK
from otklik.intake.fakes.rss import FakeNewsSite
from otklik.intake.fakes.seeding import MAX_CHANNEL, OK_GROUP, VK_GROUP, seed_all, seed_official_pages
from otklik.intake.fakes.server import FakeServer
from otklik.intake.fakes.social_json import FakeSocialFeed
from otklik.intake.fakes.telegram import FakeTelegram
from otklik.intake.fakes.vk import FakeVK
from otklik.intake.models import OfficialPage, Source

TOKEN_ENV = "OTKLIK_FAKE_TOKEN"


class Command(BaseCommand):
    help = "Run local fake VK, Telegram, feed and news servers with demo posts (for the demo and tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--configure", action="store_true", help="point the fake-* sources at them")
        parser.add_argument("--port-base", type=int, default=0, help="fixed ports from here (default: any)")
        parser.add_argument("--posts", type=int, default=40, help="demo posts to spread over the fakes")
        parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["port_base"]
        port = (lambda n: base + n) if base else (lambda n: 0)
        vk, telegram = FakeVK(token=None, port=port(0)), FakeTelegram(token=None, port=port(1))
        feed, news = FakeSocialFeed(token=None, port=port(2)), FakeNewsSite(port=port(3))
        ok, fake_max = FakeOK(application_key=None, port=port(4)), FakeMax(token=None, port=port(5))
        texts = demo_texts(options["posts"])
        seed_all(vk, telegram, feed, news, texts=texts)
        seed_official_pages(vk, ok, fake_max, texts=texts[: max(len(texts) // 2, 1)] if texts else None)
        servers: list[FakeServer] = [vk, telegram, feed, news, ok, fake_max]
        for server in servers:
            server.start()
        sources: dict[str, tuple[str, str, str, dict[str, Any]]] = {
            "fake-vk": (
                "VK (фейк)",
                Channel.VK,
                "vk",
                {"api_url": f"{vk.url}/method", "owner_ids": [-VK_GROUP], "group_id": VK_GROUP},
            ),
            "fake-telegram": ("Telegram (фейк)", Channel.TELEGRAM, "telegram", {"api_url": telegram.url}),
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
        }
        for code, (name, channel, connector, settings) in sources.items():
            self.stdout.write(f"{code:14} {connector:12} {settings.get('api_url') or settings.get('url')}")
            if options["configure"]:
                Source.objects.update_or_create(
                    code=code,
                    defaults={
                        "name": name,
                        "channel": channel,
                        "connector": connector,
                        "is_enabled": True,
                        "settings": {**settings, "token_env": TOKEN_ENV, "interval_seconds": 30},
                        "next_attempt_at": None,
                        "retry_count": 0,
                    },
                )
        if options["configure"]:
            configure_official_pages(
                {
                    "fake-vk": (str(-VK_GROUP), "Администрация города (демо) — ВКонтакте"),
                    "fake-ok": (OK_GROUP, "Администрация города (демо) — Одноклассники"),
                    "fake-max": (str(MAX_CHANNEL), "Администрация города (демо) — MAX"),
                }
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Sources configured. In another shell: {TOKEN_ENV}=demo otklik fetch --all"
                )
            )
        stop = threading.Event()
        try:
            stop.wait(options["seconds"]) if options["seconds"] is not None else stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for server in servers:
                server.stop()


def configure_official_pages(pages: dict[str, tuple[str, str]]) -> None:
    """The demo city's official pages on the fake sources, linked to the region's first municipal
    body and its territory when the demo region is loaded (``/intake/pages/`` ranks them)."""
    from otklik.directory.choices import AgencyKind
    from otklik.directory.models import Agency

    agency = Agency.objects.filter(kind=AgencyKind.MUNICIPALITY).order_by("pk").first()
    territory = agency.territories.order_by("pk").first() if agency is not None else None
    for code, (ref, name) in pages.items():
        source = Source.objects.get(code=code)
        OfficialPage.objects.update_or_create(
            source=source,
            ref=ref,
            defaults={"name": name, "agency": agency, "territory": territory, "is_active": True},
        )
