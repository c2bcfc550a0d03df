"""The campaign calendar: candidates' and deputies' meetings with voters and the questions asked
there. A question to a deputy becomes an appeal to the deputy's reception office through the
pipeline (source ``campaign-meetings``), so it is answered, approved, published and rated like any
appeal; the question keeps the link to its case.

The calendar is for the situational center (the center's roles, lawyers), which sees every meeting,
and party coordinators, who see only their factions' meetings (a meeting's faction is its deputy's,
or the one chosen when it was entered): :func:`visible_events` is the only way to list meetings and
:func:`access_event` to open one — anything out of scope is a 404, as for cases.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser, Capability, can
from otklik.deputies.models import Faction
from otklik.directory.choices import Channel
from otklik.intake.direct import SubmissionError, direct_source, submit

from .access import is_headquarters
from .models import CampaignEvent, EventQuestion

SOURCE_CODE = "campaign-meetings"


def may_see_calendar(user: AnyUser) -> bool:
    return is_headquarters(user) or can(user, Capability.COORDINATE_FACTION)


def require_calendar(user: AnyUser) -> None:
    if not may_see_calendar(user):
        raise PermissionDenied(_("The campaign calendar is for the situational center and coordinators."))


def coordinated_factions(user: AnyUser) -> QuerySet[Faction]:
    """The factions whose meetings ``user`` may enter: all for the center, their own for a coordinator."""
    if is_headquarters(user):
        return Faction.objects.all()
    if can(user, Capability.COORDINATE_FACTION):
        return Faction.objects.filter(coordinators=user)
    return Faction.objects.none()


def visible_events(user: AnyUser) -> QuerySet[CampaignEvent]:
    """Meetings ``user`` may see: every one for the center, their factions' for a coordinator."""
    if is_headquarters(user):
        return CampaignEvent.objects.all()  # meetings of no faction too
    return CampaignEvent.objects.filter(faction__in=coordinated_factions(user))


def access_event(user: AnyUser, pk: Any) -> CampaignEvent:
    """One meeting for ``user``: a 403 for those without the calendar, a 404 for a meeting out of scope."""
    require_calendar(user)
    return get_object_or_404(visible_events(user).select_related("deputy", "territory", "faction"), pk=pk)


def calendar(user: AnyUser, *, start: date, days: int = 14) -> QuerySet[CampaignEvent]:
    """The meetings ``user`` may see from ``start`` for ``days`` days, with their question counts."""
    tz = timezone.get_current_timezone()
    begin = datetime(start.year, start.month, start.day, tzinfo=tz)
    return (
        visible_events(user)
        .filter(starts_at__gte=begin, starts_at__lt=begin + timedelta(days=days))
        .select_related("deputy", "territory")
        .annotate(question_count=Count("questions"))
        .order_by("starts_at")
    )


def record_question(
    event: CampaignEvent, *, text: str, asked_by: str = "", contact: str = ""
) -> EventQuestion:
    text = text.strip()
    if len(text) < 10:
        raise ValidationError(_("Write the question down in a few words."))
    return EventQuestion.objects.create(
        event=event, text=text, asked_by=asked_by.strip(), contact=contact.strip()
    )


def to_appeal(question: EventQuestion) -> EventQuestion:
    """The question as an appeal to the meeting's deputy (once; a second call returns it as it is)."""
    event = question.event
    deputy = event.deputy
    if deputy is None:
        raise ValidationError(_("Only a question to a deputy becomes an appeal."))
    if question.case_id is not None:
        return question
    source = direct_source(
        SOURCE_CODE, name="Встречи с избирателями", channel=Channel.DEPUTY, connector="file"
    )
    asked = timezone.localtime(event.starts_at)
    item = {
        "external_id": f"question-{question.pk}",
        "channel": Channel.DEPUTY,
        "text": f"{question.text}\n\n(Вопрос на встрече с избирателями {asked:%d.%m.%Y}, {event.place})",
        "posted_at": question.created_at.isoformat(),  # when it was written down
        "author_name": question.asked_by,
        "author_id": question.contact.lower() or f"meeting-{event.pk}-{question.pk}",
        "author_contact": question.contact,
        "addressed_to": deputy.office_id,
        "meeting": {"event": event.pk, "place": event.place},
    }
    try:
        submitted = submit(item, source=source)
    except SubmissionError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        question.case = submitted.case
        question.save(update_fields=["case"])
    return question
