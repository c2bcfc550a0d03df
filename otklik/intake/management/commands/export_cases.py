"""``otklik export-cases --format cur43 --out FILE.xlsx|FILE.csv``: cases in the ЦУР export schema.

The file has exactly the 43 columns of the ЦУР monitoring system's export, in its order; what
Otklik knows is filled in, the rest is left empty (see :mod:`otklik.intake.cur_schema`).
"""

from __future__ import annotations

import sys
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.intake.importing import TABLE_FORMATS, detect_table_format, export_cur43


class Command(BaseCommand):
    help = "Export cases in the ЦУР monitoring system's 43-column schema (CSV or XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["cur43"], default="cur43", help="the schema (cur43)")
        parser.add_argument("--out", required=True, help="the file to write: .csv or .xlsx")
        parser.add_argument("--file-format", choices=TABLE_FORMATS, help="force CSV or XLSX")
        parser.add_argument("--since", help="cases created on or after this date (YYYY-MM-DD)")
        parser.add_argument("--until", help="cases created before this date (YYYY-MM-DD)")
        parser.add_argument("--status", action="append", choices=CaseStatus.values, help="repeatable")
        parser.add_argument("--tz", help="time zone of the written dates (default: the project's)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def _day(self, value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError as exc:
            raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc
        return timezone.make_aware(datetime.combine(day, time.min))

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            file_format = options["file_format"] or detect_table_format(out)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        tz = None
        if options["tz"]:
            try:
                tz = ZoneInfo(options["tz"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise CommandError(f"Unknown time zone {options['tz']!r}") from exc
        cases = Case.objects.all()
        since, until = self._day(options["since"]), self._day(options["until"])
        if since:
            cases = cases.filter(created_at__gte=since)
        if until:
            cases = cases.filter(created_at__lt=until)
        if options["status"]:
            cases = cases.filter(status__in=options["status"])
        with tqdm(
            total=cases.count(),
            unit="case",
            desc=out.name,
            disable=options["no_progress"] or options["verbosity"] < 1,
            file=sys.stderr,
        ) as bar:
            written = export_cur43(cases, out, fmt=file_format, tz=tz, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"{out}: {written} cases in the ЦУР 43-column schema"))
