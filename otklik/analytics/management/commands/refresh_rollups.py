"""``otklik refresh-rollups [--rebuild]``: bring the analytics rollups up to date (or count all again)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.analytics.rollups import rebuild_rollups, refresh_rollups


class Command(BaseCommand):
    help = "Refresh the analytics rollups incrementally; --rebuild empties them and counts every case."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="empty the rollups and count all cases")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        result = rebuild_rollups() if options["rebuild"] else refresh_rollups()
        self.stdout.write(
            f"rollups: {result.cases} case(s) counted, {result.rows} row(s) changed, "
            f"full={result.full}, {time.perf_counter() - started:.1f} s"
        )
