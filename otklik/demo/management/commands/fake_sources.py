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
from otklik.intake.fakes.rss import FakeNewsSite
from otklik.intake.fakes.seeding import VK_GROUP, seed_all
from otklik.intake.fakes.server import FakeServer
from otklik.intake.fakes.social_json import FakeSocialFeed
from otklik.intake.fakes.telegram import FakeTelegram
from otklik.intake.fakes.vk import FakeVK
from otklik.intake.models import Source

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
        seed_all(vk, telegram, feed, news, texts=demo_texts(options["posts"]))
        servers: list[FakeServer] = [vk, telegram, feed, news]
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
