"""``otklik evaluate-answers``: the answer check's figures on the hand-annotated official answers.

Reads the texts from ``../shared/data`` and the labels from ``data/annotations/spb_answers.csv``; prints,
for the development and the held-out part, the non-answer flag's precision and recall and the share
of concrete completions flagged (``docs/benchmarks.md``). ``--retrain`` first refits the model on the
development part (as ``otklik train-answer-check`` does) without writing it, to compare settings.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding import answer_annotations as aa
from otklik.understanding.annotations import shared_data
from otklik.understanding.answer_evaluation import (
    annotated_rows,
    evaluate,
    format_report,
    train,
    weak_rows,
)
from otklik.understanding.answer_model import WEAK_SHARE, load_model


class Command(BaseCommand):
    help = "Precision and recall of the answer check (formal non-answers) on hand-annotated real answers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--part", choices=["development", "held-out", "both"], default="both")
        parser.add_argument("--details", action="store_true", help="list every answer the check got wrong")
        parser.add_argument("--retrain", action="store_true", help="refit on the development part first")
        parser.add_argument("--weak-share", type=float, default=WEAK_SHARE, help="with --retrain")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (shared_data() / aa.SPB).exists():
            raise CommandError(f"No shared data at {shared_data()}")
        started = time.perf_counter()
        spb = aa.read_spb()
        answers = [a for a in aa.annotated_answers() if a.dataset == aa.SPB]
        rows = annotated_rows(answers, spb)
        if options["retrain"]:
            weak = weak_rows(spb, {a.id for a in answers}) if options["weak_share"] > 0 else []
            model = train(rows + weak, weak_share=options["weak_share"])
        else:
            model = load_model()
        self.stdout.write(f"model: threshold {model.threshold:.2f}, trained on {model.trained}")
        parts = ("development", "held-out") if options["part"] == "both" else (options["part"],)
        for part in parts:
            for line in format_report(evaluate(model, rows, part=part), details=options["details"]):
                self.stdout.write(line)
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")
