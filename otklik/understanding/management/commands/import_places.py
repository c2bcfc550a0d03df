"""``otklik import-places FILE`` — named places (neighbourhoods, squares, parks, metro stations)."""

from __future__ import annotations

from typing import Any

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.understanding.places.loading import PLACE_HEADERS, import_places


class Command(ImportCommand):
    help = (
        "Load named places of the region (columns name, kind — suburb, neighbourhood, square, park, "
        "metro, other — lat, lon, optional aliases and territory) for the place resolver."
    )
    fields = tuple(PLACE_HEADERS)

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> Report:
        return import_places(path, region, mapping=mapping, dry_run=options["dry_run"])
