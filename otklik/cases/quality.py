"""The answer-quality check kept on answers (:mod:`otklik.understanding.quality` decides).

:func:`otklik.cases.actions.write_answer` stores the score and flags of every new answer;
:func:`published_quality` is what the agencies' and deputies' figures count — for each case, whether
its latest published final answer passes — and assesses, once, answers written before the check was
kept. :func:`reassess_answers` assesses every stored answer again after the check changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Reassessment:
    """What a re-assessment of stored answers changed."""

    answers: int = 0
    newly_failing: int = 0  # answers that passed the old check and fail the current one
    newly_passing: int = 0
    cases: list[int] = field(default_factory=list)  # cases whose counted verdict changed
    before: dict[int, bool] = field(default_factory=dict)  # case → verdict counted before
    after: dict[int, bool] = field(default_factory=dict)


def reassess_answers(*, batch: int = 500, save: bool = True) -> Reassessment:
    """Assess every stored answer again with the current check (a one-off after the check changes):
    the new score and flags are stored, and the cases whose latest published final answer changed
    verdict are listed (their analytics facts must be recounted: ``otklik reassess-answers``)."""
    result = Reassessment(before=published_quality(Q()))
    last = 0
    while True:
        chunk = list(Answer.objects.filter(pk__gt=last).select_related("case").order_by("pk")[:batch])
        if not chunk:
            break
        last = chunk[-1].pk
        for answer in chunk:
            quality = assess_answer(
                answer.case.text or answer.case.title, answer.text, answered_on=answer.created_at.date()
            )
            old = answer.quality_score is not None and answer.quality_score >= PASSING_SCORE
            result.newly_failing += old and not quality.passes
            result.newly_passing += quality.passes and not old and answer.quality_score is not None
            answer.quality_score, answer.quality_flags = quality.score, quality.flags
        result.answers += len(chunk)
        if save:
            Answer.objects.bulk_update(chunk, ["quality_score", "quality_flags"], batch_size=batch)
    if save:
        result.after = published_quality(Q())
        result.cases = sorted(c for c, ok in result.after.items() if result.before.get(c) != ok)
    return result
