"""``otklik fake-sources``: run local fakes of VK, OK, MAX, Telegram (bot and public chats over
MTProto), a social JSON feed and a news site.

They listen on 127.0.0.1 (ephemeral ports unless ``--port-base``), seeded with demo posts and the
demo city's official pages, and accept any token (:mod:`otklik.intake.fakes.demo`). ``--configure``
points the ``fake-*`` sources at them and registers the official pages, so
``OTKLIK_FAKE_TOKEN=demo otklik fetch --all`` (in another shell, or the runner of ``otklik serve``)
reads them and replies go back to them. Runs until Ctrl-C or ``--seconds``.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.demo.messages import demo_texts
from otklik.intake.fakes.demo import TOKEN_ENV, configure_sources, demo_fakes


class Command(BaseCommand):
    help = "Run local fakes of VK, OK, MAX, Telegram, a feed and a news site with demo posts (for the demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--configure", action="store_true", help="point the fake-* sources at them")
        parser.add_argument("--port-base", type=int, default=0, help="fixed ports from here (default: any)")
        parser.add_argument("--posts", type=int, default=40, help="demo posts to spread over the fakes")
        parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["port_base"]
        fakes = demo_fakes(demo_texts(options["posts"]), port=(lambda n: base + n) if base else (lambda n: 0))
        fakes.start()
        try:
            for code, (_name, _channel, connector, settings) in fakes.sources.items():
                url = settings.get("api_url") or settings.get("url") or settings.get("fake_url")
                self.stdout.write(f"{code:15} {connector:16} {url}")
            if options["configure"]:
                configure_sources(fakes)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Sources configured. In another shell: {TOKEN_ENV}=demo otklik fetch --all"
                    )
                )
            stop = threading.Event()
            stop.wait(options["seconds"]) if options["seconds"] is not None else stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            fakes.stop()
