"""The campaign calendar: candidates' and deputies' meetings with voters and the questions asked
there. A question to a deputy becomes an appeal to the deputy's reception office through the
pipeline (source ``campaign-meetings``), so it is answered, approved, published and rated like any
appeal; the question keeps the link to its case.

The calendar is for the situational center (the center's roles, lawyers), which sees every meeting,
and party coordinators, who see only their factions' meetings (a meeting's faction is its deputy's,
or the one chosen when it was entered) — and a regional coordinator (bound to regions,
:class:`otklik.deputies.models.RegionalCoordinator`) only those of their regions, while the party's
headquarters (a coordinator bound to no region) sees every region's. A meeting is in the region its
territory lies in; one entered without a territory, in its deputy's region; one with neither is the
center's only. :func:`visible_events` is the only way to list meetings (the calendar, the analysis of
the questions and its spreadsheet read it) and :func:`access_event` to open one — anything out of
scope is a 404, as for cases.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser, Capability, can
from otklik.deputies.models import Deputy, Faction
from otklik.deputies.services import coordinated_regions
from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.models import Territory
from otklik.intake.direct import SubmissionError, direct_source, submit

from . import questions
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


# Region → municipal district or urban okrug → settlement: a territory lies at most this deep.
LEVELS = 3


def territory_in(regions: list[int], field: str = "") -> Q:
    """A condition on territories (or, with ``field``, on the territory a row names) lying in one of
    ``regions``: the region itself or a territory under it."""
    condition = Q()
    for depth in range(LEVELS):
        path = "__".join([*([field] if field else []), *(["parent"] * depth)]) or "pk"
        condition |= Q(**{f"{path}__in": regions})
    return condition


def in_regions(regions: list[int]) -> Q:
    """Meetings held in one of ``regions``: by their territory, else by their deputy's region."""
    return territory_in(regions, "territory") | Q(territory__isnull=True, deputy__region__in=regions)


def meeting_regions(user: AnyUser) -> list[int] | None:
    """The regions whose meetings ``user`` may see; None for every region (the center, the party's
    headquarters)."""
    if is_headquarters(user):
        return None
    return coordinated_regions(user)


def visible_events(user: AnyUser) -> QuerySet[CampaignEvent]:
    """Meetings ``user`` may see: every one for the center, their factions' for a coordinator, of
    their regions only for a regional coordinator."""
    if is_headquarters(user):
        return CampaignEvent.objects.all()  # meetings of no faction too
    events = CampaignEvent.objects.filter(faction__in=coordinated_factions(user))
    regions = meeting_regions(user)
    return events if regions is None else events.filter(in_regions(regions))


def regions_for(user: AnyUser) -> QuerySet[Territory]:
    """The regions ``user`` may choose in the calendar's filter (those of their scope)."""
    regions = Territory.objects.filter(kind=TerritoryKind.REGION).only("pk", "name").order_by("name")
    scope = meeting_regions(user)
    return regions if scope is None else regions.filter(pk__in=scope)


def territories_for(user: AnyUser) -> QuerySet[Territory]:
    """The territories ``user`` may hold a meeting in (their regions' for a regional coordinator)."""
    scope = meeting_regions(user)
    territories = Territory.objects.defer("geometry", "bbox", "aliases")
    return territories if scope is None else territories.filter(territory_in(scope))


def access_event(user: AnyUser, pk: Any) -> CampaignEvent:
    """One meeting for ``user``: a 403 for those without the calendar, a 404 for a meeting out of scope."""
    require_calendar(user)
    return get_object_or_404(visible_events(user).select_related("deputy", "territory", "faction"), pk=pk)


WHEN = ("upcoming", "past", "all")


def within(district: Territory) -> list[int]:
    """The territory and every territory under it."""
    found, level = [district.pk], [district.pk]
    while level and len(found) < 100_000:
        level = list(Territory.objects.filter(parent__in=level).values_list("pk", flat=True))
        found.extend(level)
    return found


def filter_events(
    events: QuerySet[CampaignEvent],
    *,
    when: str = "all",
    date_from: date | None = None,
    date_to: date | None = None,
    district: Territory | None = None,
    region: Territory | None = None,
    candidate: str = "",
    deputy: Deputy | None = None,
    faction: Faction | None = None,
    now: datetime | None = None,
) -> QuerySet[CampaignEvent]:
    """Meetings by time (upcoming from today on, past before today, or all; and dates), by the
    district and the region they are held in, by candidate, deputy and faction; upcoming in time
    order, the rest newest first."""
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now).date() if now else timezone.localdate()
    midnight = datetime(today.year, today.month, today.day, tzinfo=tz)
    if when == "upcoming":
        events = events.filter(starts_at__gte=midnight)
    elif when == "past":
        events = events.filter(starts_at__lt=midnight)
    if date_from is not None:
        events = events.filter(
            starts_at__gte=datetime(date_from.year, date_from.month, date_from.day, tzinfo=tz)
        )
    if date_to is not None:
        after = date_to + timedelta(days=1)
        events = events.filter(starts_at__lt=datetime(after.year, after.month, after.day, tzinfo=tz))
    if district is not None:
        events = events.filter(territory__in=within(district))
    if region is not None:
        events = events.filter(in_regions([region.pk]))
    if candidate:
        events = events.filter(candidate=candidate)
    if deputy is not None:
        events = events.filter(deputy=deputy)
    if faction is not None:
        events = events.filter(faction=faction)
    return events.order_by("starts_at" if when == "upcoming" else "-starts_at")


def calendar(user: AnyUser, **filters: Any) -> QuerySet[CampaignEvent]:
    """The meetings ``user`` may see under ``filters`` (:func:`filter_events`), with their question
    counts: asked, answered (at the meeting or later) and turned into appeals."""
    return (
        filter_events(visible_events(user), **filters)
        .select_related("deputy", "territory", "faction")
        .annotate(
            question_count=Count("questions"),
            answered_count=Count(
                "questions",
                filter=Q(questions__answered_at__isnull=False)
                | Q(questions__case__answered_at__isnull=False),
            ),
            appeal_count=Count("questions", filter=Q(questions__case__isnull=False)),
        )
    )


def record_question(
    event: CampaignEvent, *, text: str, asked_by: str = "", contact: str = ""
) -> EventQuestion:
    text = text.strip()
    if len(text) < 10:
        raise ValidationError(_("Write the question down in a few words."))
    question = EventQuestion.objects.create(
        event=event, text=text, asked_by=asked_by.strip(), contact=contact.strip()
    )
    return questions.understand(question)


def to_appeal(question: EventQuestion, *, now: datetime | None = None) -> EventQuestion:
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
        submitted = submit(item, source=source, now=now)
    except SubmissionError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        question.case = submitted.case
        question.save(update_fields=["case"])
    return question
