"""``otklik reassess-answers``: assess every stored answer again with the current answer check (a
one-off after the check changes) and re-derive what counts its verdicts.

Stores each answer's new score and flags, recounts the analytics facts of the cases whose latest
published final answer changed verdict — the agencies' "concrete answers" share and the deputies'
rating read those rollups — and prints each agency's share before and after. ``--dry-run`` reports
what would change and stores nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from otklik.analytics.rollups import recount_cases
from otklik.cases.models import Case
from otklik.cases.quality import Reassessment, reassess_answers
from otklik.directory.models import Agency


class Command(BaseCommand):
    help = "Assess every stored answer again with the current check; recount the figures that count them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report what would change, store nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        with transaction.atomic():
            result = reassess_answers()
            if options["dry_run"]:
                self._report(result)
                transaction.set_rollback(True)
                self.stdout.write("dry run: nothing stored")
                return
            recounted = recount_cases(result.cases)
        self._report(result)
        self.stdout.write(
            f"rollups: {recounted.cases} case(s) recounted, {recounted.rows} row(s) changed; "
            f"{time.perf_counter() - started:.1f} s"
        )

    def _report(self, result: Reassessment) -> None:
        self.stdout.write(
            f"{result.answers} answer(s) assessed: {result.newly_failing} now read as formal non-answers, "
            f"{result.newly_passing} now pass; {len(result.cases)} case(s) change their counted verdict"
        )
        agency_of = dict(
            Case.objects.filter(pk__in=list(result.after) or list(result.before)).values_list(
                "pk", "agency_id"
            )
        )
        shares: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])  # published, before, after
        for case_id, ok in result.after.items():
            row = shares[agency_of.get(case_id)]
            row[0] += 1
            row[1] += bool(result.before.get(case_id))
            row[2] += ok
        names = dict(Agency.objects.filter(pk__in=[a for a in shares if a]).values_list("pk", "name"))
        self.stdout.write("agency: published final answers, concrete share before → after")
        for agency, (published, before, after) in sorted(shares.items(), key=lambda kv: -kv[1][0]):
            self.stdout.write(
                f"  {names.get(agency, '—') if agency else '—'}: {published}, "
                f"{100 * before / published:.0f} % → {100 * after / published:.0f} %"
            )
