"""The answer-quality check kept on answers (:mod:`otklik.understanding.quality` decides).

:func:`otklik.cases.actions.write_answer` stores the score and flags of every new answer;
:func:`published_quality` is what the agencies' and deputies' figures count — for each case, whether
its latest published final answer passes — and assesses, once, answers written before the check was
kept (at about 0.1 ms an answer).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from otklik.understanding.quality import PASSING_SCORE, assess_answer

from .choices import AnswerKind, AnswerStatus
from .models import Answer


def published_quality(case_filter: Q) -> dict[int, bool]:
    """Case id → whether its latest published final answer passes the check, for the cases
    ``case_filter`` (a ``Q`` on the answer, e.g. ``Q(case_id__in=ids)``) selects that have one."""
    answers = Answer.objects.filter(case_filter, kind=AnswerKind.FINAL, status=AnswerStatus.PUBLISHED)
    missing = list(answers.filter(quality_score__isnull=True).select_related("case"))
    for answer in missing:
        quality = assess_answer(
            answer.case.text or answer.case.title, answer.text, answered_on=answer.created_at.date()
        )
        answer.quality_score, answer.quality_flags = quality.score, quality.flags
    if missing:
        Answer.objects.bulk_update(missing, ["quality_score", "quality_flags"], batch_size=500)
    out: dict[int, bool] = {}
    rows: Any = answers.order_by("case_id", "published_at", "pk").values_list("case_id", "quality_score")
    for case_id, score in rows:
        out[case_id] = score is not None and score >= PASSING_SCORE  # the latest wins
    return out
