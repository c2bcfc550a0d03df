"""``otklik urgency-agreement``: how far two readers of urgency agree (waves 10 to 13 read twice).

Compares the second, blind reading (``data/annotations/urgency_second_reading.csv``) with the first
annotator's labels of the same rows: raw agreement, Cohen's kappa and the confusion tables, the
first reader's borderline rows apart, each reader's precision and recall as a "detector" of the
other's urgent rows, and the rows whose labels differ (ids and notes only, development rows;
held-out rows that differ are only counted; no text is read).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from otklik.understanding import urgency_agreement as ua


class Command(BaseCommand):
    help = (
        "Agreement between two readers of urgency: the second, blind reading against the first "
        "(every row read twice, or one wave with --wave)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--wave",
            type=int,
            default=None,
            help="only this wave's rows (the first reading's wave column); default: every row read twice",
        )
        parser.add_argument("--no-notes", action="store_true", help="list disagreements without the notes")

    def handle(self, *args: Any, **options: Any) -> None:
        second = ua.read_second_reading()
        first = ua.read_first_reading(second)
        self.stdout.write(
            ua.report(ua.agreement(first, second, wave=options["wave"]), with_notes=not options["no_notes"])
        )
