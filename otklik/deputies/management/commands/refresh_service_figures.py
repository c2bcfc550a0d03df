"""``otklik refresh-service-figures [--rebuild]``: bring «Мой депутат»'s service figures up to date
(or count them all again — after the territories are reshuffled or a bulk load)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.deputies import service_counts


class Command(BaseCommand):
    help = (
        "Refresh the deputies' service figures incrementally; --rebuild counts every appeal and visit again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="count every appeal and visit again")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        result = service_counts.rebuild() if options["rebuild"] else service_counts.refresh()
        self.stdout.write(
            f"service figures: {result.cases} appeal(s) and {result.deputies} deputy(ies) counted, "
            f"{result.rows} row(s) changed, full={result.full}, {time.perf_counter() - started:.1f} s"
        )
