"""``otklik import-places FILE`` — named places (neighbourhoods, squares, parks, metro stations)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.tables import FileProblems, find_region, parse_mapping
from otklik.understanding.places.loading import import_places


class Command(BaseCommand):
    help = (
        "Load named places of the region (columns name, kind — suburb, neighbourhood, square, park, "
        "metro, other — lat, lon, optional aliases and territory) for the place resolver."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (optionally .gz) or XLSX")
        parser.add_argument("--region", help="the region's name (default: the only region loaded)")
        parser.add_argument("--map", action="append", metavar="FIELD=Column")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = find_region(options["region"])
            report = import_places(
                options["file"], region, mapping=parse_mapping(options["map"]), dry_run=options["dry_run"]
            )
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("\n".join(report.lines()))
