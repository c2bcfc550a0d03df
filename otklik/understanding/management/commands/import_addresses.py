"""``otklik import-addresses FILE`` — buildings of the region's address registry from a CSV/XLSX.

otklik import-addresses buildings.csv --region "Санкт-Петербург" --dry-run
otklik import-addresses appeals.csv.gz --map address=full_address --map lat=latitude --map lon=longitude
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.tables import FileProblems, find_region, parse_mapping
from otklik.understanding.places.loading import import_addresses


class Command(BaseCommand):
    help = (
        "Load buildings (street, house, корпус, литера, point) into the region's address registry: "
        "an address column or street/house columns, lat and lon."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (optionally .gz) or XLSX")
        parser.add_argument("--region", help="the region's name (default: the only region loaded)")
        parser.add_argument(
            "--map",
            action="append",
            metavar="FIELD=Column",
            help="address, street, house, korpus, litera, stroenie, settlement, lat, lon",
        )
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = find_region(options["region"])
            report = import_addresses(
                options["file"], region, mapping=parse_mapping(options["map"]), dry_run=options["dry_run"]
            )
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("\n".join(report.lines()))
