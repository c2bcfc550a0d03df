"""The election-day hotline: operators record voters' calls (questions, violations, requests to
vote at home); a violation at a named station becomes an incident for the lawyers, and requests to
vote at home are listed by station for the commissions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser

from . import violations
from .access import require_hotline
from .models import CallKind, Election, PollingStation, Report, ReportKind, ViolationType, VoterCall
from .reports import escalate

PHONE_RE = re.compile(r"^\+?[\d\s()-]{5,20}$")


def take_call(
    *,
    operator: AnyUser,
    election: Election,
    kind: str,
    phone: str,
    text: str,
    caller_name: str = "",
    station: PollingStation | None = None,
    now: datetime | None = None,
    violation_type: ViolationType | None = None,
) -> VoterCall:
    """A voter's call; a violation at a named station goes to the lawyers as an incident, of the type
    the operator chose (else the one the caller's words name)."""
    operator = require_hotline(operator)
    phone, text = phone.strip(), text.strip()
    if not PHONE_RE.match(phone):
        raise ValidationError(_("Enter the phone number the caller can be reached at."))
    if len(text) < 5:
        raise ValidationError(_("Write down what the caller says."))
    if kind not in CallKind.values:
        raise ValidationError(_("Unknown kind of call."))
    if kind in (CallKind.VIOLATION, CallKind.HOME_VOTING) and station is None:
        raise ValidationError(_("Name the polling station: the lawyers and the commission need it."))
    now = now or timezone.now()
    typed = (violation_type or violations.classify(text)) if kind == CallKind.VIOLATION else None
    with transaction.atomic():
        call = VoterCall.objects.create(
            election=election,
            kind=kind,
            station=station,
            phone=phone,
            caller_name=caller_name.strip(),
            text=text,
            operator=operator,
            created_at=now,
            violation_type=typed,
        )
        if kind == CallKind.VIOLATION and station is not None:
            report = Report.objects.create(
                election=election,
                station=station,
                author=operator,
                kind=ReportKind.VIOLATION,
                text=f"Звонок избирателя ({phone}): {text}",
                created_at=now,
                violation_type=typed,
            )
            call.report = report
            call.save(update_fields=["report"])
            escalate(report)
    return call


def home_voting_requests(election: Election | None) -> Any:
    """The hotline's requests to vote at home, by station (the commission sends its portable box)."""
    return (
        VoterCall.objects.filter(election=election, kind=CallKind.HOME_VOTING)
        .select_related("station__commission")
        .order_by("station__number", "created_at", "pk")
    )
