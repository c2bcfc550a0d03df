"""``otklik train-answer-check``: refit the answer check on the development part of the annotations.

Writes ``otklik/understanding/data/answer_check.json`` (weights and threshold, no texts) from the
hand-annotated answers' development part and, weakly, the residents' verdicts on other answers of
the same portal; the held-out part is never used (``otklik evaluate-answers`` reports it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding import answer_annotations as aa
from otklik.understanding.annotations import shared_data
from otklik.understanding.answer_evaluation import annotated_rows, train, weak_rows
from otklik.understanding.answer_model import MODEL_FILE, WEAK_SHARE, load_model


class Command(BaseCommand):
    help = "Refit the answer check (formal non-answers) on the development part of the annotated answers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--weak-share", type=float, default=WEAK_SHARE)
        parser.add_argument("--output", default=str(MODEL_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        if not (shared_data() / aa.SPB).exists():
            raise CommandError(f"No shared data at {shared_data()}")
        spb = aa.read_spb()
        answers = [a for a in aa.annotated_answers() if a.dataset == aa.SPB]
        rows = annotated_rows(answers, spb)
        weak = weak_rows(spb, {a.id for a in answers}) if options["weak_share"] > 0 else []
        model = train(rows + weak, weak_share=options["weak_share"])
        Path(options["output"]).write_text(model.to_json(), encoding="utf-8")
        load_model.cache_clear()
        self.stdout.write(f"wrote {options['output']}: threshold {model.threshold:.2f}, {model.trained}")
