"""``otklik import-osm FILE.osm.pbf`` — the address registry from an OpenStreetMap extract (pyosmium):
buildings with ``addr:*``, named streets, ``place=suburb|quarter|neighbourhood``, metro stations,
parks and squares."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.tables import FileProblems, find_region
from otklik.understanding.places.loading import import_osm


class Command(BaseCommand):
    help = "Load the region's buildings, streets and named places from an OpenStreetMap extract (.osm, .pbf)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".osm or .osm.pbf (a region's extract)")
        parser.add_argument("--region", help="the region's name (default: the only region loaded)")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = find_region(options["region"])
            reports = import_osm(options["file"], region, dry_run=options["dry_run"])
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc
        for report in reports:
            self.stdout.write("\n".join(report.lines()))
