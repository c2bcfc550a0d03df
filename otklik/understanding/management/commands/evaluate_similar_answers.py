"""``otklik evaluate-similar-answers``: how often the past answers suggested to the executor come from
appeals of the same reason, against a plain TF-IDF nearest neighbour in the same run
(:mod:`otklik.understanding.similar_evaluation`, ``docs/benchmarks.md``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding import answer_annotations as aa
from otklik.understanding.annotations import shared_data
from otklik.understanding.similar_evaluation import evaluate, format_report


class Command(BaseCommand):
    help = "Same-reason share of the top-3 similar past answers on held-out real appeals."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sample", type=int, default=None, help="a seeded sample of held-out appeals")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (shared_data() / aa.SPB).exists():
            raise CommandError(f"No shared data at {shared_data()}")
        started = time.perf_counter()
        report = evaluate(list(aa.read_spb().values()), sample=options["sample"])
        for line in format_report(report):
            self.stdout.write(line)
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")
