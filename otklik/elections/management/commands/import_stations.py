"""``otklik import-stations FILE --region "Саратовская область"``: territorial commissions and
polling stations from the CEC's per-station table (columns region, tik, uik, registered voters);
re-running updates them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.elections.services import import_stations


class Command(BaseCommand):
    help = "Import territorial commissions and polling stations of a region from a CEC table (CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--region", required=True, help="the region's name as in the table's first column"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"No file {path}")
        try:
            result = import_stations(path, region=options["region"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{result.stations} new and {result.updated} updated polling stations, "
            f"{result.commissions} new territorial commissions."
        )
        for problem in result.skipped[:20]:
            self.stderr.write(f"skipped {problem}")
        if not result.stations and not result.updated:
            raise CommandError(f"No polling station of “{options['region']}” in {path.name}.")
