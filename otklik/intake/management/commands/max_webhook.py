"""``otklik max_webhook SOURCE --url https://…/intake/max/SOURCE/``: subscribe a MAX source's bot.

Calls the MAX Bot API's ``POST /subscriptions`` with the url, the update types the connector reads
and the source's secret (``webhook_secret_env``), and sets the source's ``"mode": "webhook"`` so the
scheduler stops polling. ``--delete`` calls ``DELETE /subscriptions`` and goes back to polling.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.intake.connectors.base import ConnectorError
from otklik.intake.connectors.max import MaxConnector
from otklik.intake.models import Source


class Command(BaseCommand):
    help = "Subscribe (or unsubscribe) a MAX source's bot to the MAX webhook of this Otklik."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="CODE", help="the MAX source's code")
        parser.add_argument("--url", required=True, help="the public HTTPS address of /intake/max/CODE/")
        parser.add_argument("--delete", action="store_true", help="remove the subscription (back to polling)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Source.objects.filter(code=options["source"], connector=MaxConnector.kind).first()
        if source is None:
            raise CommandError(f"No MAX source “{options['source']}”.")
        connector = MaxConnector(source)
        try:
            if options["delete"]:
                connector.unsubscribe(options["url"])
            else:
                connector.subscribe(options["url"])
        except ConnectorError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            connector.close()
        source.settings = {**(source.settings or {}), "mode": "polling" if options["delete"] else "webhook"}
        source.save(update_fields=["settings"])
        done = "unsubscribed from" if options["delete"] else "subscribed to"
        self.stdout.write(f"{source.code}: {done} {options['url']}")
