"""Observers' reports from their station (opening with its checklist, turnout, violations with a
photo, closing) and the incidents a violation opens for the lawyers.

**Turnout.** A station's turnout at an hour is the last turnout figure its observers reported up to
that hour; it never goes down and never exceeds the registered voters.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser, Capability, signed_in
from otklik.cases import notifications
from otklik.security.uploads import clean_image

from . import violations
from .access import observer_station, require_headquarters, require_lawyer
from .models import (
    OPEN_INCIDENTS,
    ChecklistQuestion,
    Commission,
    Election,
    Incident,
    IncidentStatus,
    PollingStation,
    Report,
    ReportKind,
    ViolationType,
)


def file_report(
    *,
    observer: AnyUser,
    election: Election,
    kind: str,
    turnout: int | None = None,
    text: str = "",
    photo: UploadedFile | None = None,
    now: datetime | None = None,
    client_id: str = "",
    checklist: dict[int, bool] | None = None,
    violation_type: ViolationType | None = None,
) -> Report:
    """An observer's report from their own station; a violation opens an incident for the lawyers.
    A violation's type is the one chosen, else the one its text names (:func:`violations.classify`).

    ``client_id`` is the sender's id of the report: the same id from the same observer again (a
    form sent twice, an app retrying over a bad connection) returns the first report, unchanged."""
    station = observer_station(observer)
    observer = signed_in(observer)
    now = now or timezone.now()
    client_id = client_id.strip()[:64]
    if client_id:
        earlier = Report.objects.filter(author=observer, client_id=client_id).first()
        if earlier is not None:
            return earlier
    text = text.strip()
    if kind not in ReportKind.values:
        raise ValidationError(_("Unknown kind of report."))
    if kind == ReportKind.TURNOUT:
        if turnout is None:
            raise ValidationError(_("Give the number of voters who have voted so far."))
        if station.registered_voters and turnout > station.registered_voters:
            raise ValidationError(
                _("The turnout %(turnout)s is more than the %(voters)s registered voters.")
                % {"turnout": turnout, "voters": station.registered_voters}
            )
        last = latest_turnout(station, election)
        if last is not None and turnout < last:
            raise ValidationError(
                _("The turnout cannot go down: %(last)s was reported before.") % {"last": last}
            )
    if kind == ReportKind.VIOLATION and len(text) < 10:
        raise ValidationError(_("Describe the violation: what, where, who."))
    # Re-encoded under a server-chosen name: no polyglot, bomb or GPS gets through (security.uploads).
    clean_photo = clean_image(photo) if photo is not None else None
    questions = {q.pk: q for q in ChecklistQuestion.objects.filter(election=election)}
    answers = {int(k): bool(v) for k, v in (checklist or {}).items()} if kind == ReportKind.OPENED else {}
    if set(answers) - set(questions):
        raise ValidationError(_("The checklist has no such question."))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                election=election,
                station=station,
                author=observer,
                kind=kind,
                turnout=turnout if kind == ReportKind.TURNOUT else None,
                text=text,
                created_at=now,
                client_id=client_id,
                checklist={str(k): v for k, v in answers.items()},
                violation_type=(violation_type or violations.classify(text))
                if kind == ReportKind.VIOLATION
                else None,
            )
            if clean_photo is not None:
                report.photo.save(str(clean_photo.name), clean_photo, save=True)
            if kind == ReportKind.VIOLATION:
                escalate(report)
            failed = [questions[pk] for pk, yes in answers.items() if not yes and questions[pk].critical]
            if failed:  # a "no" to a critical question of the opening is a violation in its own right
                text = _("Opening checklist: “no” to — %(questions)s") % {
                    "questions": "; ".join(q.text for q in failed)
                }
                typed = [q.violation_type for q in failed if q.violation_type is not None]
                escalate(
                    Report.objects.create(
                        election=election,
                        station=station,
                        author=observer,
                        kind=ReportKind.VIOLATION,
                        text=text,
                        created_at=now,
                        violation_type=typed[0] if typed else violations.other(),
                    )
                )
    except IntegrityError:  # the same client id sent twice at once: the other request made it
        earlier = Report.objects.filter(author=observer, client_id=client_id).first() if client_id else None
        if earlier is None:
            raise
        return earlier
    return report


def escalate(report: Report) -> Incident:
    """A violation report becomes an incident; the lawyers and supervisors hear of it after commit."""
    incident = Incident.objects.create(report=report)
    station = report.station
    kind = f" — {report.violation_type.name}" if report.violation_type is not None else ""
    notifications.notify_holders(
        (Capability.HANDLE_INCIDENTS, Capability.SUPERVISE),
        f"Нарушение{kind}: {station} ({station.commission})",
        report.text,
    )
    return incident


def latest_turnout(station: PollingStation, election: Election) -> int | None:
    last = (
        Report.objects.filter(station=station, election=election, kind=ReportKind.TURNOUT)
        .order_by("-created_at", "-pk")
        .values_list("turnout", flat=True)
        .first()
    )
    return last


def take_incident(incident: Incident, lawyer: AnyUser) -> Incident:
    lawyer = require_lawyer(lawyer)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in OPEN_INCIDENTS:
            raise ValidationError(_("The incident is closed already."))
        incident.status, incident.lawyer = IncidentStatus.IN_WORK, lawyer
        incident.save(update_fields=["status", "lawyer", "updated_at"])
    return incident


def close_incident(incident: Incident, lawyer: AnyUser, *, status: str, resolution: str) -> Incident:
    lawyer = require_lawyer(lawyer)
    if status not in (IncidentStatus.RESOLVED, IncidentStatus.UNFOUNDED):
        raise ValidationError(_("An incident closes as resolved or not confirmed."))
    if len(resolution.strip()) < 10:
        raise ValidationError(_("Say what was done or found."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in OPEN_INCIDENTS:
            raise ValidationError(_("The incident is closed already."))
        incident.status, incident.resolution = status, resolution.strip()
        incident.lawyer = incident.lawyer or lawyer
        incident.save(update_fields=["status", "resolution", "lawyer", "updated_at"])
    return incident


def retype_incident(incident: Incident, user: AnyUser, violation_type: ViolationType) -> Incident:
    """A lawyer (or the center) corrects the type of an incident's violation."""
    require_headquarters(user)
    report = incident.report
    report.violation_type = violation_type
    report.save(update_fields=["violation_type"])
    return incident


def incident_list(
    election: Election,
    *,
    violation_type: ViolationType | None = None,
    status: str = "",
    commission: Commission | None = None,
) -> QuerySet[Incident]:
    """The election's incidents for the lawyers, filtered by type, status ("open" for new and in work)
    and territorial commission; new ones first, then in work, then closed, the latest first."""
    found = Incident.objects.filter(report__election=election)
    if violation_type is not None:
        found = found.filter(report__violation_type=violation_type)
    if status == "open":
        found = found.filter(status__in=OPEN_INCIDENTS)
    elif status in IncidentStatus.values:
        found = found.filter(status=status)
    if commission is not None:
        found = found.filter(report__station__commission=commission)
    rank = Case(
        When(status=IncidentStatus.NEW, then=Value(0)),
        When(status=IncidentStatus.IN_WORK, then=Value(1)),
        default=Value(2),
    )
    return found.select_related(
        "report__station__commission", "report__violation_type", "report__author", "lawyer"
    ).order_by(rank, "-report__created_at", "-pk")
