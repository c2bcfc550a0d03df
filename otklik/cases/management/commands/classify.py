"""``otklik classify FILE --out predictions.csv`` — what the pipeline would decide for each row: the
category with its confidence and the model version, the place, the agency, and whether it would
be routed without a moderator. Makes no cases.

    otklik classify new_appeals.csv --out predictions.csv
    otklik classify appeals.csv.gz --text-col text --lat-col latitude --lon-col longitude --out p.csv
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from otklik.cases.predictions import classify_file
from otklik.directory.tables import FileProblems


class Command(BaseCommand):
    help = (
        "Classify, place and route every row of a table (CSV, .csv.gz or XLSX) with the active model, "
        "the gazetteer and the routing rules; write the rows with the predictions to a CSV."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (optionally .gz) or XLSX with a text column")
        parser.add_argument(
            "--out", required=True, help="the CSV to write (the file's columns + predictions)"
        )
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--lat-col", help="a latitude column: messages with a point are placed by it")
        parser.add_argument("--lon-col", help="a longitude column")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["lat_col"]) != bool(options["lon_col"]):
            raise CommandError("--lat-col and --lon-col go together")
        with tqdm(
            unit="row", disable=options["no_progress"] or options["verbosity"] < 1, file=sys.stderr
        ) as bar:
            try:
                summary = classify_file(
                    options["file"],
                    options["out"],
                    text_col=options["text_col"],
                    lat_col=options["lat_col"],
                    lon_col=options["lon_col"],
                    batch_size=max(1, options["batch_size"]),
                    progress=bar.update,
                )
            except FileProblems as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{summary.line()} → {options['out']}")
