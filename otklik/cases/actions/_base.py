"""What every action shares: permission guards, the history event, a checked status change under a
row lock, the deadline's start, assignment and reopening."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, answers_for_agency, can
from otklik.directory.models import Agency

from .. import deadlines, notifications
from ..choices import CaseStatus, EventKind
from ..counts import note_write
from ..lifecycle import check_transition
from ..models import Case, CaseEvent

log = logging.getLogger("otklik.cases")


# --- helpers -------------------------------------------------------------------------------------


# ``user`` None is the system itself (the pipeline, periodic jobs, commands): it may do anything.


def _require_center(user: User | None) -> None:
    if user is not None and not can(user, Capability.MODERATE):
        raise PermissionDenied(_("Only the center's moderators and supervisors may do this."))


def _require_agency_or_center(user: User | None, case: Case) -> None:
    if user is None or can(user, Capability.MODERATE) or answers_for_agency(user, case.agency_id):
        return
    raise PermissionDenied(_("Only the executor of the agency the case is routed to may do this."))


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def log_event(
    case: Case,
    kind: str,
    actor: User | None = None,
    *,
    from_status: str = "",
    to_status: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> CaseEvent:
    note_write(getattr(actor, "pk", None))  # the actor's next queue page counts anew (cases/counts.py)
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        before=before or {},
        after=after or {},
        comment=comment,
        created_at=at or timezone.now(),
    )


def _set_status(
    case: Case,
    target: str,
    actor: User | None,
    kind: str = EventKind.STATUS_CHANGED,
    *,
    comment: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    current = case.status
    check_transition(current, target)
    case.status = target
    case.save()
    log_event(
        case,
        kind,
        actor,
        from_status=current,
        to_status=target,
        before=before,
        after=after,
        comment=comment,
        at=at,
    )


def _locked(case: Case) -> Case:
    """Re-read the case under a row lock so two operators cannot race one transition."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _start_deadline(case: Case, now: datetime, *, restart: bool = False) -> None:
    """The deadline of a case routed now: counted from when its policy's clock starts (registration,
    the post, the assignment), or from now for a reopened case (``restart``)."""
    result, started = deadlines.deadline_for_case(case, now, restart=restart)
    case.clock_started_at = started
    case.reminded_at = None
    case.assigned_at = now
    case.deadline_at = result.deadline_at
    case.interim_deadline_at = result.interim_deadline_at
    case.deadline_policy = result.policy
    case.is_overdue = False


def _assign(case: Case, actor: User | None, agency: Agency, now: datetime, *, comment: str = "") -> None:
    before = {
        "agency": _ref(case.agency),
        "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
    }
    case.agency = agency
    _start_deadline(case, now)
    _set_status(
        case,
        CaseStatus.ASSIGNED,
        actor,
        EventKind.ASSIGNED,
        before=before,
        after={
            "agency": _ref(agency),
            "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
        },
        comment=comment,
        at=now,
    )
    notifications.case_assigned(case)


def _reopen(case: Case, actor: User | None, reason: str, now: datetime) -> None:
    _set_status(case, CaseStatus.REOPENED, actor, EventKind.REOPENED, comment=reason, at=now)
    case.reopen_count += 1
    case.closed_at = None
    case.answered_at = None
    if case.agency_id:
        _start_deadline(case, now, restart=True)
    case.save()
    notifications.case_reopened(case, reason)
