"""``otklik import-osm FILE.osm.pbf`` — the address registry from an OpenStreetMap extract (pyosmium):
buildings with ``addr:*``, named streets, ``place=suburb|quarter|neighbourhood``, metro stations,
parks and squares."""

from __future__ import annotations

from typing import Any

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.understanding.places.loading import import_osm


class Command(ImportCommand):
    help = "Load the region's buildings, streets and named places from an OpenStreetMap extract (.osm, .pbf)."
    file_help = ".osm or .osm.pbf (a region's extract)"

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> list[Report]:
        return import_osm(path, region, dry_run=options["dry_run"])
