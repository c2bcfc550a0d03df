"""Answers (write, approve, return, publish) and the resident's rating."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.understanding.answer_draft import REFUSALS, kept_share, unedited
from otklik.understanding.quality import assess_answer

from .. import deadlines, delivery, notifications
from ..choices import AnswerKind, AnswerStatus, CaseStatus, EventKind
from ..lifecycle import check_answer_transition
from ..models import Answer, Case, Rating
from ._base import (
    _locked,
    _reopen,
    _require_agency_or_center,
    _require_center,
    _set_status,
    log_event,
)

# --- answers ------------------------------------------------------------------------------------


def write_answer(
    case: Case,
    user: User | None,
    *,
    text: str,
    kind: str = AnswerKind.FINAL,
    now: datetime | None = None,
    draft: str = "",
    draft_source: int | None = None,
) -> Answer:
    """An executor (or the center) writes an interim or final answer; a final one awaits approval.
    ``draft``: the text offered as a draft, which may not be sent unchanged or with a blank left."""
    text = text.strip()
    if len(text) < 10:
        raise ValidationError(_("The answer is too short."))
    why = unedited(text, draft)
    if why is not None:
        raise ValidationError(str(REFUSALS[why]))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _require_agency_or_center(user, case)
        quality = assess_answer(case.text or case.title, text, answered_on=now.date())
        answer = Answer.objects.create(
            case=case,
            kind=kind,
            text=text,
            author=user if getattr(user, "pk", None) else None,
            agency=case.agency,
            created_at=now,
            quality_score=quality.score,
            quality_flags=quality.flags,
            draft_source=draft_source if draft.strip() else None,
            draft_kept=kept_share(text, draft) if draft.strip() else None,
        )
        if case.first_answer_at is None:
            case.first_answer_at = now
            case.save(update_fields=["first_answer_at"])
        log_event(case, EventKind.ANSWER_WRITTEN, user, after={"answer": answer.pk, "kind": kind}, at=now)
        if kind == AnswerKind.FINAL:
            case.answered_at = now
            if case.assigned_at:
                case.answer_working_minutes = deadlines.working_minutes(case.assigned_at, now)
            case.is_overdue = bool(case.deadline_at and now > case.deadline_at)
            _set_status(case, CaseStatus.ANSWERED, user, at=now)
            notifications.answer_awaits_approval(case)
        elif case.status in (CaseStatus.ASSIGNED, CaseStatus.REOPENED):
            _set_status(case, CaseStatus.IN_PROGRESS, user, at=now)
    return answer


def _move_answer(
    answer: Answer, status: str, *, reviewed_by: User | None = None, reviewed_at: datetime | None = None
) -> tuple[Answer, Case]:
    """The answer and its case locked (the case first, as every action locks) and the answer moved to
    ``status``, not saved yet (a move the lifecycle refuses raises); given ``reviewed_at``, a review:
    stamped with it and ``reviewed_by`` (None: the system)."""
    case = _locked(answer.case)
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    check_answer_transition(answer.status, status)
    answer.status = status
    if reviewed_at is not None:
        answer.reviewed_by = reviewed_by
        answer.reviewed_at = reviewed_at
    return answer, case


def approve_answer(answer: Answer, user: User | None, *, now: datetime | None = None) -> Answer:
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        answer, case = _move_answer(answer, AnswerStatus.APPROVED, reviewed_by=user, reviewed_at=now)
        answer.save()
        log_event(case, EventKind.ANSWER_APPROVED, user, after={"answer": answer.pk}, at=now)
        if answer.kind == AnswerKind.FINAL:
            _set_status(case, CaseStatus.APPROVED, user, at=now)
    return answer


def return_answer(answer: Answer, user: User | None, *, comment: str, now: datetime | None = None) -> Answer:
    """Send an answer back to the executor for rework."""
    _require_center(user)
    if not comment.strip():
        raise ValidationError(_("Say what must be reworked."))
    now = now or timezone.now()
    with transaction.atomic():
        answer, case = _move_answer(answer, AnswerStatus.RETURNED, reviewed_by=user, reviewed_at=now)
        answer.review_comment = comment
        answer.save()
        log_event(case, EventKind.ANSWER_RETURNED, user, after={"answer": answer.pk}, comment=comment, at=now)
        if answer.kind == AnswerKind.FINAL:
            case.answered_at = None
            _set_status(case, CaseStatus.IN_PROGRESS, user, comment=comment, at=now)
            notifications.answer_returned(case, comment)
    return answer


def publish_answer(answer: Answer, user: User | None, *, now: datetime | None = None) -> Answer:
    """Publish an approved answer: the resident's status page shows it at once, and the reply to where
    they wrote goes into the outbox, sent by a worker after the commit (:mod:`otklik.cases.delivery`)."""
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        answer, case = _move_answer(answer, AnswerStatus.PUBLISHED)
        answer.published_at = now
        reply = delivery.queue_reply(case, answer, now=now)
        answer.save()
        log_event(
            case,
            EventKind.ANSWER_PUBLISHED,
            user,
            after={"answer": answer.pk, "delivery": reply.status},
            at=now,
        )
        if answer.kind == AnswerKind.FINAL:
            case.published_at = now
            _set_status(case, CaseStatus.PUBLISHED, user, at=now)
    return answer


# --- the resident's word, closing and reopening ---------------------------------------------------


def rate_case(
    case: Case,
    *,
    score: int,
    comment: str = "",
    reopen: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
) -> Rating:
    """The resident rates the published answer; the case closes, or reopens if they say it is not solved."""
    if not 1 <= int(score) <= 5:
        raise ValidationError(_("A rating is from 1 to 5."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status not in (CaseStatus.PUBLISHED, CaseStatus.CLOSED):
            raise ValidationError(_("Only a case with a published answer can be rated."))
        rating = Rating.objects.create(case=case, score=int(score), comment=comment, created_at=now)
        log_event(case, EventKind.RATED, actor, after={"score": rating.score}, comment=comment, at=now)
        if reopen:
            _reopen(case, actor, comment or _("The resident says the problem is not solved."), now)
        elif case.status == CaseStatus.PUBLISHED:
            _set_status(case, CaseStatus.CLOSED, actor, at=now)
            case.closed_at = now
            case.save(update_fields=["closed_at"])
    return rating
