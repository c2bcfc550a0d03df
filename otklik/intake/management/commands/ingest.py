"""``otklik ingest FILE``: load a JSONL or CSV file of messages through the pipeline.

The item schema is documented in :mod:`otklik.intake.pipeline.schema`. A line that is not JSON becomes a
dead letter like any invalid item; the run goes on and ends with a one-line summary.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from otklik.directory.choices import Channel
from otklik.intake.ingest import FORMATS, count_lines, detect_format, ingest_file
from otklik.intake.models import Source
from otklik.intake.pipeline.schema import SOURCE_CODE_RE


class Command(BaseCommand):
    help = "Ingest messages from a JSONL or CSV file through the pipeline (dedup, understanding, routing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .jsonl or .csv file of items")
        parser.add_argument(
            "--format", choices=FORMATS, help="force the format instead of the file extension"
        )
        parser.add_argument("--source", metavar="CODE", help="source code for rows that carry none")
        parser.add_argument("--batch-size", type=int, default=500, help="items per batch (default 500)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            fmt = options["format"] or detect_format(path)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        source = None
        if options["source"]:
            if not SOURCE_CODE_RE.match(options["source"]):
                raise CommandError("--source must be a code of letters, digits, - and _")
            source, created = Source.objects.get_or_create(
                code=options["source"],
                defaults={"name": options["source"], "channel": Channel.IMPORT, "connector": "file"},
            )
            if created:
                self.stderr.write(
                    f"Created source “{source.code}” (channel: import); adjust it in the admin."
                )
        total = max(count_lines(path) - (1 if fmt == "csv" else 0), 0)
        with tqdm(
            total=total,
            unit="msg",
            desc=path.name,
            disable=options["no_progress"] or options["verbosity"] < 1,
            file=sys.stderr,
        ) as bar:
            result = ingest_file(
                path, fmt=fmt, source=source, batch_size=options["batch_size"], progress=bar.update
            )
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {result.summary()}"))
