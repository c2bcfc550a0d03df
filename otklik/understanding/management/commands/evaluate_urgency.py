"""``otklik evaluate-urgency``: precision and recall of urgency on the hand-annotated appeals — the
rules alone, the learned model alone and their combination (the pipeline's verdict).

Reads the texts from ``../shared/data`` and the labels from ``data/annotations/*_urgency.csv``; prints
the development and held-out figures (``docs/annotation/urgency.md``, ``docs/benchmarks.md``). The
held-out part is for reporting: tune on ``--part development``. Development figures of the model are
out of fold (a model fitted without the row); held-out ones are the shipped model's.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding import urgency_annotations as ua
from otklik.understanding.annotations import shared_data
from otklik.understanding.urgency.learned import MODEL_FILE, load_model
from otklik.understanding.urgency_evaluation import evaluate, format_report
from otklik.understanding.urgency_training import summary, verdicts


class Command(BaseCommand):
    help = "Precision and recall of urgency on the hand-annotated real appeals (../shared/data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--part", choices=["development", "held-out", "both"], default="both")
        parser.add_argument("--details", action="store_true", help="list every row the combination got wrong")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists():
            raise CommandError(f"No shared data at {shared_data()}")
        started = time.perf_counter()
        appeals = ua.read_appeals()
        rows = ua.annotated_appeals(appeals=appeals)
        strata = ua.stratify(appeals)
        if not ua.files_match_draw(rows, strata):
            raise CommandError("The annotation files do not match the documented draw (urgency.md).")
        rows = ua.released(rows)  # a wave labelled after FRESH_WAVE waits for its round to be frozen
        parts = ("development", "held-out") if options["part"] == "both" else (options["part"],)
        model = load_model()
        if model is None:
            raise CommandError(f"No learned model at {MODEL_FILE}: run otklik train-urgency")
        found = verdicts(rows, model)
        self.stdout.write("the shipped model, as trained (development part only):")
        for line in summary(model):
            self.stdout.write(f"  {line}")
        ways = (
            ("rules alone", found.rules_alone),
            (f"model alone (p ≥ {model.alone:.2f})", found.model_alone),
            ("rules and model combined", found.combined),
        )
        for name, assess in ways:
            self.stdout.write(f"=== {name}; development figures out of fold (5-fold, grouped by text) ===")
            report = evaluate(rows, strata, assess=assess, parts=parts)
            for line in format_report(report, details=options["details"] and assess is found.combined):
                self.stdout.write(line)
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")
