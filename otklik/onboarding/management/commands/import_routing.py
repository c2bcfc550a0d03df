"""``otklik import-routing FILE`` — routing rules: category × territory → agency.

otklik import-routing rules.csv --dry-run
otklik import-routing rules.csv --replace   # rules not in the file are turned off
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from otklik.directory.commands import ImportCommand
from otklik.directory.tables import Report
from otklik.onboarding.routing import RULE_HEADERS, import_routing


class Command(ImportCommand):
    help = (
        "Load routing rules: category (code or name; empty: any), territory (empty: anywhere), agency, "
        "priority, fallback, active."
    )
    fields = tuple(RULE_HEADERS)

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--replace", action="store_true", help="turn off the active rules the file does not hold"
        )

    def load(self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]) -> Report:
        return import_routing(
            path, region, mapping=mapping, replace=options["replace"], dry_run=options["dry_run"]
        )
