"""``otklik import-protocols FILE [--region NAME] [--election ID]``: the commissions' official
results per station from a CEC table, to check against the observers (:mod:`otklik.elections.protocols`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.elections.access import active_election
from otklik.elections.models import Election
from otklik.elections.protocols import import_protocols


class Command(BaseCommand):
    help = "Import the commissions' protocols (official results per station) from a CEC table (CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--region", default="", help="the region's name as in the table's region column")
        parser.add_argument("--election", type=int, help="the election's id (default: the active one)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"No file {path}")
        chosen = options["election"]
        election = Election.objects.filter(pk=chosen).first() if chosen else active_election()
        if election is None:
            raise CommandError("No such election (or no active one): name it with --election ID.")
        try:
            result = import_protocols(path, election=election, region=options["region"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{result.protocols} new and {result.replaced} replaced protocols for {election}; "
            f"options: {', '.join(result.options) or '—'}."
        )
        for problem in result.skipped[:20]:
            self.stderr.write(f"skipped {problem}")
        if len(result.skipped) > 20:
            self.stderr.write(f"… and {len(result.skipped) - 20} more skipped")
        if not result.protocols and not result.replaced:
            raise CommandError(f"No protocol imported from {path.name}.")
