"""``otklik import-territories FILE`` — territories as a hierarchy: a city's districts over its okrugs.

    otklik import-territories territories.csv --region "Санкт-Петербург" --dry-run
    otklik import-territories appeals.csv.gz --map name=municipality --map parent=district \\
        --map lat=latitude --map lon=longitude
"""

from __future__ import annotations

from typing import Any

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.onboarding.territories import TERRITORY_HEADERS, import_territories


class Command(ImportCommand):
    help = (
        "Load territories under the region: name, parent, kind, other names, OKTMO, lat/lon. Names are "
        "matched in any spelling, renamed ones by their points (kept as other names); missing parents "
        "become districts drawn as the union of their territories."
    )
    fields = tuple(TERRITORY_HEADERS)

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> Report:
        return import_territories(path, region, mapping=mapping, dry_run=options["dry_run"])
