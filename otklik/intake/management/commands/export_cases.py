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
from django.db.models import QuerySet
from django.utils import timezone
from tqdm import tqdm

from otklik.cases.choices import CaseStatus
from otklik.cases.filters import CaseFilter
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.intake.importing import TABLE_FORMATS, detect_table_format, export_cur43


class Command(BaseCommand):
    help = "Export cases in the ЦУР monitoring system's 43-column schema (CSV or XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["cur43"], default="cur43", help="the schema (cur43)")
        parser.add_argument("--out", required=True, help="the file to write: .csv or .xlsx")
        parser.add_argument("--file-format", choices=TABLE_FORMATS, help="force CSV or XLSX")
        parser.add_argument("--since", help="cases created on or after this date (YYYY-MM-DD)")
        parser.add_argument("--until", help="cases created before this date (YYYY-MM-DD)")
        # The operator queue's and the API's filters (otklik.cases.filters.CaseFilter), same meaning:
        # category, territory and agency match the decided value or, while none is decided, the suggested one.
        parser.add_argument("--status", action="append", choices=CaseStatus.values, help="repeatable")
        parser.add_argument("--channel", action="append", choices=Channel.values, help="repeatable")
        parser.add_argument("--category", help="category id (a top category covers its subcategories)")
        parser.add_argument("--territory", help="territory id (a district covers its settlements)")
        parser.add_argument("--agency", help="agency id")
        parser.add_argument("--overdue", choices=["true", "false"], help="only overdue cases, or none")
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

    def _filtered(self, options: dict[str, Any]) -> QuerySet[Case]:
        names = ("category", "territory", "agency", "overdue")
        params = {name: options[name] for name in names if options[name]}
        for name in ("status", "channel"):
            if options[name]:
                params[name] = ",".join(options[name])
        filters = CaseFilter(params, Case.objects.order_by("pk"))
        if not filters.is_valid():
            problems = "; ".join(f"--{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
            raise CommandError(problems)
        return filters.qs

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
        cases = self._filtered(options)
        since, until = self._day(options["since"]), self._day(options["until"])
        if since:
            cases = cases.filter(created_at__gte=since)
        if until:
            cases = cases.filter(created_at__lt=until)
        with tqdm(
            total=cases.count(),
            unit="case",
            desc=out.name,
            disable=options["no_progress"] or options["verbosity"] < 1,
            file=sys.stderr,
        ) as bar:
            written = export_cur43(cases, out, fmt=file_format, tz=tz, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"{out}: {written} cases in the ЦУР 43-column schema"))
