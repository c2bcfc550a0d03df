"""``otklik import-observers FILE [--links OUT.csv] [--no-email]``: observers bound to their polling
stations from a table, each invited to set a password (:mod:`otklik.elections.observers`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.elections.observers import import_observers, write_links


class Command(BaseCommand):
    help = "Import observers (station, full name, phone and/or email) and invite them to set a password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--links", type=Path, help="write the invitation links here (CSV, for SMS)")
        parser.add_argument("--no-email", action="store_true", help="do not email the invitations")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"No file {path}")
        try:
            result = import_observers(path, send_email=not options["no_email"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{result.created} new and {result.updated} updated observers; "
            f"{len(result.invitations)} invitations, {result.emailed} of them emailed."
        )
        if options["links"]:
            write_links(result.invitations, options["links"])
            self.stdout.write(f"Invitation links: {options['links']}")
        for problem in result.skipped[:50]:
            self.stderr.write(f"skipped {problem}")
        if not result.created and not result.updated:
            raise CommandError(f"No observer imported from {path.name}.")
