"""The agency's work on a case and the center's interventions: start, redirect, reject, merge, close,
reopen, escalate and the overdue job."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.directory.models import Agency

from .. import notifications
from ..choices import CaseStatus, EventKind
from ..models import Case
from ._base import (
    _assign,
    _locked,
    _ref,
    _reopen,
    _require_agency_or_center,
    _require_center,
    _set_status,
    log_event,
)


def start_work(case: Case, user: User | None, *, now: datetime | None = None) -> Case:
    with transaction.atomic():
        case = _locked(case)
        _require_agency_or_center(user, case)
        _set_status(case, CaseStatus.IN_PROGRESS, user, at=now)
    return case


def redirect_case(
    case: Case, user: User | None, *, reason: str, agency: Agency | None = None, now: datetime | None = None
) -> Case:
    """An executor hands a case back as not theirs; the center may redirect it straight to another agency."""
    if not reason.strip():
        raise ValidationError(_("Say why the case is redirected."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _require_agency_or_center(user, case)
        previous = case.agency
        _set_status(
            case,
            CaseStatus.REDIRECTED,
            user,
            EventKind.REDIRECTED,
            comment=reason,
            before={"agency": _ref(previous)},
            after={"agency": _ref(agency)},
            at=now,
        )
        if agency is not None:
            _require_center(user)
            _assign(case, user, agency, now, comment=reason)
        else:
            notifications.case_needs_center(case, reason)
    return case


def reject_case(case: Case, user: User | None, *, reason: str, now: datetime | None = None) -> Case:
    """Not a resident's problem (spam, advertising, off-topic)."""
    _require_center(user)
    if not reason.strip():
        raise ValidationError(_("Say why the case is rejected."))
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.REJECTED, user, comment=reason, at=now)
        case.closed_at = now or timezone.now()
        case.save(update_fields=["closed_at"])
    return case


def merge_cases(case: Case, target: Case, user: User | None, *, now: datetime | None = None) -> Case:
    """Attach a duplicate case to ``target``: its messages move there, it becomes ``merged``."""
    _require_center(user)
    if case.pk == target.pk:
        raise ValidationError(_("A case cannot be merged into itself."))
    with transaction.atomic():
        case = _locked(case)
        target = Case.objects.select_for_update().get(pk=target.pk)
        if case.addressed_to_id != target.addressed_to_id:
            raise ValidationError(
                _("Appeals written to different addressees (a deputy, the center) are never merged.")
            )
        if target.status == CaseStatus.MERGED:
            raise ValidationError(
                _("The target case is itself merged; merge into %(n)s instead.") % {"n": target.merged_into}
            )
        _set_status(case, CaseStatus.MERGED, user, EventKind.MERGED, after={"into": _ref(target)}, at=now)
        case.merged_into = target
        case.closed_at = now or timezone.now()
        case.save(update_fields=["merged_into", "closed_at"])
        moved = list(case.messages.values_list("pk", flat=True))
        case.messages.update(case=target)
        refresh_counters(target)
        refresh_counters(case)
        log_event(
            target,
            EventKind.MESSAGE_ATTACHED,
            user,
            after={"from_case": _ref(case), "messages": moved},
            at=now,
        )
    return case


def refresh_counters(case: Case) -> None:
    agg = case.messages.aggregate(n=Count("pk"), authors=Count("author_id", distinct=True))
    case.message_count = agg["n"]
    case.author_count = max(agg["authors"], 1 if agg["n"] else 0)
    case.save(update_fields=["message_count", "author_count"])


def close_case(case: Case, user: User | None, *, now: datetime | None = None) -> Case:
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.CLOSED, user, at=now)
        case.closed_at = now
        case.save(update_fields=["closed_at"])
    return case


def reopen_case(case: Case, user: User | None, *, reason: str, now: datetime | None = None) -> Case:
    _require_center(user)
    if not reason.strip():
        raise ValidationError(_("Say why the case is reopened."))
    with transaction.atomic():
        case = _locked(case)
        _reopen(case, user, reason, now or timezone.now())
    return case


def escalate_case(case: Case, actor: User | None = None, *, reason: str, now: datetime | None = None) -> Case:
    """Hand a case to the supervisor (overdue, sensitive, or on an operator's request)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.ESCALATED, actor, EventKind.ESCALATED, comment=reason, at=now)
        case.escalated_at = now
        case.save(update_fields=["escalated_at"])
        notifications.case_escalated(case, reason)
    return case


def mark_overdue(now: datetime | None = None) -> list[int]:
    """The periodic job: mark cases past their deadline and escalate them to the supervisor."""
    now = now or timezone.now()
    from ..choices import AWAITING_AGENCY

    ids = list(
        Case.objects.filter(status__in=AWAITING_AGENCY, deadline_at__lt=now, is_overdue=False).values_list(
            "pk", flat=True
        )
    )
    for case_id in ids:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.is_overdue or case.status not in AWAITING_AGENCY:
                continue
            case.is_overdue = True
            case.save(update_fields=["is_overdue"])
            log_event(
                case,
                EventKind.OVERDUE,
                None,
                after={"deadline_at": case.deadline_at.isoformat() if case.deadline_at else None},
                at=now,
            )
            if case.status != CaseStatus.ESCALATED:
                _set_status(
                    case,
                    CaseStatus.ESCALATED,
                    None,
                    EventKind.ESCALATED,
                    comment=_("Deadline missed"),
                    at=now,
                )
                case.escalated_at = now
                case.save(update_fields=["escalated_at"])
                notifications.case_escalated(case, _("Deadline missed"))
    return ids
