"""``otklik import-categories FILE`` — the category tree (code, name, parent, keywords, deadline,
public, active, order).

    otklik import-categories categories.xlsx --dry-run
    otklik import-categories appeals.csv.gz --map name=category
"""

from __future__ import annotations

from typing import Any

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.onboarding.categories import CATEGORY_HEADERS, import_categories


class Command(ImportCommand):
    help = (
        "Load the category tree: code (or made from the name), name, parent, keywords, deadline "
        "(“30 дней”, “8 рабочих дней”), public (shown to residents), active, order."
    )
    fields = tuple(CATEGORY_HEADERS)
    needs_region = False

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> Report:
        return import_categories(path, mapping=mapping, dry_run=options["dry_run"])
