"""``otklik import-agencies FILE`` — agencies (name, short name, kind, territories, categories,
email, phone, active).

    otklik import-agencies agencies.xlsx --region "Санкт-Петербург" --dry-run
    otklik import-agencies appeals.csv.gz --map name=executor_org
"""

from __future__ import annotations

from typing import Any

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.onboarding.agencies import AGENCY_HEADERS, import_agencies


class Command(ImportCommand):
    help = (
        "Load agencies: name, short name, kind (read off the name when not given), territories and "
        "categories served, email, phone, active."
    )
    fields = tuple(AGENCY_HEADERS)
    needs_region = False

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> Report:
        return import_agencies(path, region, mapping=mapping, dry_run=options["dry_run"])
