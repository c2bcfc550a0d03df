"""``otklik import-addresses FILE`` — buildings of the region's address registry from a CSV/XLSX.

otklik import-addresses buildings.csv --region "Санкт-Петербург" --dry-run
otklik import-addresses appeals.csv.gz --map address=full_address --map lat=latitude --map lon=longitude
"""

from __future__ import annotations

from typing import Any

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.understanding.places.loading import ADDRESS_HEADERS, import_addresses


class Command(ImportCommand):
    help = (
        "Load buildings (street, house, корпус, литера, point) into the region's address registry: "
        "an address column or street/house columns, lat and lon."
    )
    fields = tuple(ADDRESS_HEADERS)

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> Report:
        return import_addresses(path, region, mapping=mapping, dry_run=options["dry_run"])
