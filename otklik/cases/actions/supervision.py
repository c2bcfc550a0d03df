"""The supervisor's hold on deadlines: extending one with a reason (59-FZ art. 12: by up to 30 days,
the applicant told), asking the agency for an interim answer, internal notes (never shown to
residents), and the reminder before a deadline (the periodic job; escalation after it is
:func:`~otklik.cases.actions.work.mark_overdue`)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, can
from otklik.directory.choices import DeadlineUnit

from .. import deadlines, delivery, notifications
from ..choices import AWAITING_AGENCY, AnswerKind, AnswerStatus, EventKind
from ..models import Answer, Case
from ._base import _locked, _require_agency_or_center, _require_center, log_event

DEFAULT_INTERIM_HOURS = 4  # working hours an agency has for an interim answer when the policy names none


def max_extension_days() -> int:
    return int(getattr(settings, "OTKLIK_DEADLINE_EXTENSION_MAX_DAYS", 30))


def _local(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def extend_deadline(
    case: Case, user: User | None, *, days: int, reason: str, now: datetime | None = None
) -> Case:
    """A supervisor moves the deadline by ``days`` calendar days (at most 30 in all, as 59-FZ allows),
    saying why; the applicant is told where they wrote, through the outbox, and the agency by email."""
    if user is not None and not can(user, Capability.SUPERVISE):
        raise PermissionDenied(_("Only a supervisor may extend a deadline."))
    if not reason.strip():
        raise ValidationError(_("Say why the deadline is extended."))
    days = int(days)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status not in AWAITING_AGENCY or case.deadline_at is None:
            raise ValidationError(_("Only the deadline of a case an agency is working on can be extended."))
        left = max_extension_days() - case.extended_days
        if days < 1 or days > left:
            raise ValidationError(
                _("A deadline can be extended by 1 to %(left)d more days (%(max)d in all).")
                % {"left": max(left, 0), "max": max_extension_days()}
            )
        before = case.deadline_at
        case.deadline_at = deadlines.add_term(before, days, DeadlineUnit.DAYS)
        case.extended_days += days
        case.reminded_at = None  # a reminder before the new deadline
        if case.deadline_at > now:
            case.is_overdue = False
        case.save(update_fields=["deadline_at", "extended_days", "reminded_at", "is_overdue", "updated_at"])
        log_event(
            case,
            EventKind.DEADLINE_EXTENDED,
            user,
            before={"deadline_at": before.isoformat()},
            after={"deadline_at": case.deadline_at.isoformat(), "days": days},
            comment=reason,
            at=now,
        )
        # The applicant's notice: an interim answer published on their page and sent where they wrote.
        with override(settings.LANGUAGE_CODE):
            text = _("The time to consider your appeal is extended to %(date)s. Reason: %(reason)s") % {
                "date": timezone.localtime(case.deadline_at).strftime("%d.%m.%Y"),
                "reason": reason.strip(),
            }
        notice = Answer.objects.create(
            case=case,
            kind=AnswerKind.INTERIM,
            status=AnswerStatus.PUBLISHED,
            text=text,
            author=user if getattr(user, "pk", None) else None,
            agency=case.agency,
            created_at=now,
            reviewed_by=user if getattr(user, "pk", None) else None,
            reviewed_at=now,
            published_at=now,
        )
        delivery.queue_reply(case, notice, now=now)
        notice.save(update_fields=["publish_result"])
        notifications.notify_agency(
            case.agency_id,
            f"Срок по обращению {case.number} продлён до {_local(case.deadline_at)}",
            reason,
        )
    return case


def request_interim_answer(
    case: Case, user: User | None, *, hours: int | None = None, comment: str = "", now: datetime | None = None
) -> Case:
    """The center asks the agency for an interim answer within ``hours`` working hours (the policy's
    interim term, else four)."""
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status not in AWAITING_AGENCY:
            raise ValidationError(_("An interim answer can be asked of an agency working on the case."))
        policy = case.deadline_policy
        if hours:
            due = deadlines.add_term(now, int(hours), DeadlineUnit.WORKING_HOURS)
        elif policy is not None and policy.interim_amount and policy.interim_unit:
            due = deadlines.add_term(now, policy.interim_amount, policy.interim_unit)
        else:
            due = deadlines.add_term(now, DEFAULT_INTERIM_HOURS, DeadlineUnit.WORKING_HOURS)
        before = case.interim_deadline_at
        case.interim_deadline_at = due
        case.save(update_fields=["interim_deadline_at", "updated_at"])
        log_event(
            case,
            EventKind.INTERIM_REQUESTED,
            user,
            before={"interim_deadline_at": before.isoformat() if before else None},
            after={"interim_deadline_at": due.isoformat()},
            comment=comment,
            at=now,
        )
        notifications.notify_agency(
            case.agency_id,
            f"Нужен промежуточный ответ по обращению {case.number} до {_local(due)}",
            comment or case.title,
        )
    return case


def add_note(case: Case, user: User | None, *, text: str, now: datetime | None = None) -> Case:
    """An internal note in the case's history: for the center and the agency, never for residents."""
    _require_agency_or_center(user, case)
    if not text.strip():
        raise ValidationError(_("Write the note."))
    log_event(case, EventKind.COMMENT, user, comment=text.strip(), at=now or timezone.now())
    return case


def remind_fraction() -> float:
    return float(getattr(settings, "OTKLIK_DEADLINE_REMIND_AT", 0.75))


def remind_before_deadlines(now: datetime | None = None) -> list[int]:
    """The periodic job: remind the agency of each case whose time is ``OTKLIK_DEADLINE_REMIND_AT``
    (0.75) used up — or, with ``OTKLIK_DEADLINE_REMIND_WORKING_HOURS``, that many working hours
    before the deadline, whichever comes first — once per deadline."""
    now = now or timezone.now()
    fraction = remind_fraction()
    hours_before = float(getattr(settings, "OTKLIK_DEADLINE_REMIND_WORKING_HOURS", 0) or 0)
    rows = Case.objects.filter(
        status__in=AWAITING_AGENCY, deadline_at__gt=now, reminded_at__isnull=True, agency__isnull=False
    ).values_list("pk", "clock_started_at", "assigned_at", "deadline_at")
    due: list[int] = []
    for pk, started, assigned, deadline in rows.iterator(chunk_size=2000):
        start = started or assigned
        if start is None or deadline is None:
            continue
        used_up = now >= start + (deadline - start) * fraction
        if used_up or (hours_before and deadlines.working_minutes(now, deadline) <= hours_before * 60):
            due.append(pk)
    reminded: list[int] = []
    for pk in due:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.reminded_at is not None or case.status not in AWAITING_AGENCY or not case.deadline_at:
                continue
            case.reminded_at = now
            case.save(update_fields=["reminded_at"])
            log_event(
                case, EventKind.REMINDED, None, after={"deadline_at": case.deadline_at.isoformat()}, at=now
            )
            notifications.notify_agency(
                case.agency_id,
                f"Срок ответа по обращению {case.number} истекает {_local(case.deadline_at)}",
                case.title,
            )
            reminded.append(pk)
    return reminded
