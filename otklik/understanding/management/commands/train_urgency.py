"""``otklik train-urgency``: refit the learned urgency model on the development part of the annotations.

Writes ``otklik/understanding/data/urgency_model.json`` (hashed-feature weights, the intercept and the
operating point of the combination with the rules; numbers only, no texts) from the development part
of the hand-annotated appeals (texts read from ``../shared/data``); the held-out part is never used
(``otklik evaluate-urgency`` reports it). The same annotations give the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding import urgency_annotations as ua
from otklik.understanding.annotations import shared_data
from otklik.understanding.urgency.learned import MODEL_FILE, load_model
from otklik.understanding.urgency_training import summary, train


class Command(BaseCommand):
    help = "Refit the learned urgency model on the annotated appeals' development part (../shared/data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default=str(MODEL_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        if not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists():
            raise CommandError(f"No shared data at {shared_data()}")
        rows = ua.annotated_appeals()
        trained = train(rows, strata=ua.stratify(ua.read_appeals()))
        Path(options["output"]).write_text(trained.model.to_json(), encoding="utf-8")
        load_model.cache_clear()
        m = trained.model
        self.stdout.write(f"wrote {options['output']}: {len(m.weights)} weights")
        for line in summary(m):
            self.stdout.write(line)
