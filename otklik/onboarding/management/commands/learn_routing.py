"""``otklik learn-routing HISTORY --out rules.csv`` — the routing rules a history of routed appeals
supports, as a table to read and then load with ``otklik import-routing``.

    otklik learn-routing appeals.csv.gz --map agency=executor_org --map territory=district --out rules.csv
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.tables import FileProblems, parse_mapping
from otklik.onboarding.routing import HISTORY_HEADERS, learn_rules, write_rules


class Command(BaseCommand):
    help = (
        "Learn routing rules from a history of routed appeals (category, territory, agency columns): a "
        "category × territory one agency took at least --min-share of, a category one agency takes "
        "everywhere. Writes a table for import-routing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (optionally .gz) or XLSX")
        parser.add_argument("--out", required=True, help="where to write the rules (CSV)")
        parser.add_argument("--map", action="append", metavar="FIELD=Column", help=", ".join(HISTORY_HEADERS))
        parser.add_argument("--min-share", type=float, default=0.8)
        parser.add_argument("--min-cases", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0.5 < options["min_share"] <= 1:
            raise CommandError("--min-share is a share above 0.5 and at most 1")
        try:
            rules, rows = learn_rules(
                options["file"],
                mapping=parse_mapping(options["map"]),
                min_share=options["min_share"],
                min_cases=options["min_cases"],
            )
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc
        write_rules(rules, options["out"])
        covered = sum(r.cases for r in rules if r.territory)
        self.stdout.write(
            f"{len(rules)} rules from {rows} routed rows ({sum(1 for r in rules if not r.territory)} for a "
            f"category everywhere, {sum(1 for r in rules if r.territory)} for a category in a territory, "
            f"those covering {covered} rows) → {options['out']}; read it, then: otklik import-routing "
            f"{options['out']}"
        )
