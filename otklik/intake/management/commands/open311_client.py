"""``otklik open311-client CODE [--name NAME] [--rotate]``: make an Open311 client and give its API key.

The key is printed once; only its SHA-256 is stored (in the source's settings). ``--rotate`` replaces
the key of an existing client (the old key stops working at once).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.choices import Channel
from otklik.intake.connectors.open311 import Open311Connector, key_digest, new_api_key
from otklik.intake.models import Source


class Command(BaseCommand):
    help = "Create an Open311 GeoReport v2 client (a source) and print its API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the client's source code (letters, digits, - and _)")
        parser.add_argument("--name", default="", help="a readable name (default: the code)")
        parser.add_argument("--rotate", action="store_true", help="replace the key of an existing client")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["code"]
        source, created = Source.objects.get_or_create(
            code=code,
            defaults={
                "name": options["name"] or code,
                "channel": Channel.OPEN311,
                "connector": Open311Connector.kind,
            },
        )
        if source.connector != Open311Connector.kind:
            raise CommandError(f"The source “{code}” is a {source.connector} source, not an Open311 client.")
        if not created and source.settings.get("api_key_sha256") and not options["rotate"]:
            raise CommandError(f"The client “{code}” has a key already; --rotate replaces it.")
        api_key = new_api_key()
        source.settings = {**source.settings, "api_key_sha256": key_digest(api_key)}
        if options["name"]:
            source.name = options["name"]
        source.save(update_fields=["settings", "name"])
        done = "Created" if created else "Updated"
        self.stdout.write(f"{done} Open311 client {code}. Its API key (shown once):")
        self.stdout.write(api_key)
