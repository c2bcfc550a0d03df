"""``otklik import-stations FILE [--region "Саратовская область"]``: territorial commissions and
polling stations from a CEC per-station table (region, tik, uik, registered voters) or a station
registry with addresses and coordinates (uik, tik, street, building, latitude, longitude, district);
re-running updates them. See :mod:`otklik.elections.stations`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.elections.stations import import_stations


class Command(BaseCommand):
    help = "Import territorial commissions and polling stations from a CEC table or a station registry (CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--region",
            default="",
            help="the region's name as in the table's region column (required when it has one); "
            "its districts are matched to the commissions",
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
            f"{result.commissions} new territorial commissions, "
            f"{result.placed} stations with coordinates."
        )
        for problem in result.skipped[:20]:
            self.stderr.write(f"skipped {problem}")
        for note in result.repeated[:20]:
            self.stderr.write(note)
        if not result.stations and not result.updated:
            where = f" of “{options['region']}”" if options["region"] else ""
            raise CommandError(f"No polling station{where} in {path.name}.")
