"""``otklik import-institutions FILE.csv``: load the region's registry of institutions from CSV.

Columns: ``region, municipality, settlement, kind, number, name, address, lat, lon`` (settlement,
name, address and the point may be empty). A row already in the registry (same kind, number and
territory) is updated; rows naming an unknown territory or institution are reported and skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding.places.institutions import import_csv


class Command(BaseCommand):
    help = "Import the region's institutions (schools, polyclinics …) for the place resolver from CSV."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"No file {path}")
        result = import_csv(path)
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(f"created {result.created}, updated {result.updated}, skipped {len(result.errors)}")
