"""``otklik import-cases FILE.csv|FILE.xlsx``: import a table of messages through the pipeline.

Columns are mapped to message fields automatically from known headers (English and Russian; a ЦУР
43-column export is recognized as such) or by ``--map field=Column`` options. Bad rows become dead
letters with the row and the reason; the rest go through the pipeline. Re-importing is a no-op.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from otklik.directory.choices import Channel
from otklik.intake.importing import FIELDS, TABLE_FORMATS, MappingError, ensure_source, import_table


class Command(BaseCommand):
    help = "Import messages from a CSV or XLSX table (column mapping; ЦУР 43-column exports)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument(
            "--format", choices=TABLE_FORMATS, help="force the format instead of the extension"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=f"map a column to a field ({', '.join(FIELDS)}); repeatable; the rest is detected",
        )
        parser.add_argument("--source", metavar="CODE", help="source code for rows that carry none")
        parser.add_argument(
            "--channel",
            choices=Channel.values,
            default=Channel.IMPORT,
            help="the channel of the --source when it is new (web_form for a portal's appeals: written "
            "to the center on purpose, never judged off-topic); default: import",
        )
        parser.add_argument("--tz", help="time zone of dates without an offset (default: the project's)")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per pipeline batch (default 500)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        mapping: dict[str, str] = {}
        for pair in options["map"]:
            field_name, sep, column = pair.partition("=")
            if not sep or not column.strip():
                raise CommandError(f"--map takes FIELD=COLUMN, got {pair!r}")
            mapping[field_name.strip()] = column.strip()
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        tz = None
        if options["tz"]:
            try:
                tz = ZoneInfo(options["tz"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise CommandError(f"Unknown time zone {options['tz']!r}") from exc
        try:
            source = (
                ensure_source(options["source"], channel=options["channel"]) if options["source"] else None
            )
        except ValueError as exc:
            raise CommandError(f"--source: {exc}") from exc
        with tqdm(
            unit="row",
            desc=path.name,
            disable=options["no_progress"] or options["verbosity"] < 1,
            file=sys.stderr,
        ) as bar:

            def set_total(total: int) -> None:
                bar.total = total
                bar.refresh()

            try:
                outcome = import_table(
                    path,
                    fmt=options["format"],
                    mapping=mapping or None,
                    source=source,
                    tz=tz,
                    default_posted_at=timezone.now(),
                    batch_size=options["batch_size"],
                    progress=bar.update,
                    on_total=set_total,
                )
            except (MappingError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        columns = ", ".join(f"{k}←{v}" for k, v in outcome.mapping.items())
        self.stderr.write(f"Columns: {columns}")
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {outcome.summary()}"))
