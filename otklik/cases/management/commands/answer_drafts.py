"""``otklik answer-drafts``: how executors use the answer-writing aid — answers written from a draft,
how much of the draft they kept, and how many of those pass the answer check."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Avg, Count, Q

from otklik.cases.models import Answer
from otklik.understanding.quality import PASSING_SCORE


class Command(BaseCommand):
    help = "Answers written from a draft: how many, how much of the draft kept, how many pass the check."

    def handle(self, *args: Any, **options: Any) -> None:
        drafted = Answer.objects.filter(draft_kept__isnull=False)
        figures = drafted.aggregate(
            n=Count("pk"),
            kept=Avg("draft_kept"),
            whole=Count("pk", filter=Q(draft_kept__gte=0.9)),
            passing=Count("pk", filter=Q(quality_score__gte=PASSING_SCORE)),
        )
        total = Answer.objects.count()
        n = figures["n"] or 0
        self.stdout.write(f"{n} of {total} answer(s) written from a draft")
        if n:
            self.stdout.write(
                f"draft kept: {figures['kept']:.2f} on average; {figures['whole']} kept 90 % or more; "
                f"{figures['passing']} pass the answer check ({100 * figures['passing'] / n:.0f} %)"
            )
