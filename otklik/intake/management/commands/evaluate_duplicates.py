"""``otklik evaluate-duplicates``: precision and recall of near-duplicate joins on hand-annotated pairs.

Loads Saint Petersburg's okrugs and runs every annotated pair through the pipeline inside a
transaction that is rolled back at the end, so the database is left as it was
(``otklik.intake.duplicate_evaluation``; ``docs/annotation/pairs.md``). ``--replay`` runs the whole
data set through the pipeline (three quarters of an hour on a loaded machine; ``--slice K/N`` shares it
between N processes) and lists the joins it makes, the population a join wave is drawn from.
"""

from __future__ import annotations

import csv
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from otklik.intake import duplicate_evaluation as ev
from otklik.understanding import pair_annotations as pa
from otklik.understanding.annotations import shared_data
from otklik.understanding.urgency_evaluation import wilson

PARTS = ("development", "held-out", *(name for name, _, _ in pa.JOIN_WAVES))


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Near-duplicate joins on hand-annotated pairs of real appeals (../shared/data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
        parser.add_argument("--details", action="store_true", help="list the wrong joins and the missed ones")
        parser.add_argument(
            "--check-draw", action="store_true", help="first check the strata are the documented draw (slow)"
        )
        parser.add_argument(
            "--replay",
            metavar="FILE",
            help="replay the whole data set; write its joins to FILE (CSV) and stop",
        )
        parser.add_argument(
            "--slice",
            metavar="K/N",
            help="with --replay: only the K-th of N time slices (from 1), after a six-day warm-up; "
            "N processes on N databases, their files concatenated, are the whole replay",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (shared_data() / "spb_our_city_dev").exists():
            raise CommandError(f"No shared data at {shared_data()}")
        started = time.perf_counter()
        if options["replay"]:
            self._replay(options["replay"], options["slice"])
            self.stdout.write(f"({time.perf_counter() - started:.0f} s)")
            return
        pairs = pa.annotated_pairs()
        if options["check_draw"]:
            drawn = set(pa.draw_pairs(pa.appeals(pa.read_spb().values())))
            if drawn != {(p.key, p.stratum) for p in pairs if ev.part_of(p) in ("development", "held-out")}:
                raise CommandError("The strata of the pairs file are not the documented draw (pairs.md).")
        parts = PARTS if options["part"] == "all" else (options["part"],)
        try:
            with transaction.atomic():
                ev.load_spb()
                report = ev.evaluate(pairs, parts=parts)
                raise _Rollback
        except _Rollback:
            pass
        for part, r in report.items():
            low, high = wilson(r.joined_duplicates, r.joined)
            self.stdout.write(
                f"{part}: {r.pairs} pairs, {r.duplicates} duplicates ({r.borderline_duplicates} borderline); "
                f"joined {r.joined}: precision {r.precision:.3f} (95 % Wilson {low:.2f}–{high:.2f}; "
                f"borderline counted wrong {r.strict_precision:.3f}), recall {r.recall:.3f} "
                f"[{r.joined_duplicates} right, {len(r.wrong)} wrong, {len(r.missed)} missed]"
            )
            if part.startswith("pipeline_join"):
                share = r.duplicates / r.pairs if r.pairs else 0.0
                low, high = wilson(r.duplicates, r.pairs)
                strict = (r.duplicates - r.borderline_duplicates) / r.pairs if r.pairs else 0.0
                self.stdout.write(
                    f"    every pair of {part} was a join of its round's logic: "
                    f"{share:.3f} of them duplicates (95 % Wilson {low:.2f}–{high:.2f}; "
                    f"borderline counted wrong {strict:.3f})"
                )
            if options["details"] and part != "held-out":
                for p in r.wrong:
                    self.stdout.write(f"    wrong join {p.key} [{p.label}, {p.stratum}] {p.note}")
                for p in r.missed:
                    self.stdout.write(f"    missed {p.key} [{p.stratum}] {p.note}")
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")

    def _replay(self, path: str, part: str | None) -> None:
        appeals = list(pa.appeals(pa.read_spb().values()).values())
        own: set[str] | None = None
        if part:
            try:
                k, n = (int(x) for x in part.split("/"))
            except ValueError:
                raise CommandError(f"--slice wants K/N, got {part!r}") from None
            if not 1 <= k <= n:
                raise CommandError(f"--slice {part}: K must be between 1 and N")
            appeals, own = ev.replay_slice(appeals, k - 1, n)
        try:
            with transaction.atomic():
                ev.load_spb()
                joins = ev.replay(appeals, progress=lambda n: self.stderr.write(f"{n} appeals"))
                raise _Rollback
        except _Rollback:
            pass
        if own is not None:
            joins = [(first, joined) for first, joined in joins if joined in own]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["first", "joined"])
            writer.writerows(joins)
        self.stdout.write(f"{len(appeals)} appeals, {len(joins)} joins → {path}")
