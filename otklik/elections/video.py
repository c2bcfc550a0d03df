"""Video links with the municipal districts: each district's standing video-conference link (any
existing service's URL, set in the admin — no video software of our own) and the center's sessions
with the districts, each with an agenda made from the district's current figures.

The agenda of a district (:func:`agenda`) is read when the page is opened, never stored: the turnout
at its reporting stations and how many opened, its open incidents by type, its silent stations
(:mod:`otklik.elections.dashboard`), and the campaign meetings coming in its territory in the next
week (:mod:`otklik.elections.campaign`). A district is the territory its commissions serve.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.analytics.figures import percent
from otklik.directory.models import Territory

from . import dashboard
from .campaign import within
from .models import OPEN_INCIDENTS, CampaignEvent, DistrictVideoLink, Election, Incident, VideoSession

MEETINGS_AHEAD_DAYS = 7


@dataclass
class DistrictAgenda:
    district: Territory
    link: DistrictVideoLink | None
    stations: int = 0
    opened: int = 0
    turnout: float | None = None
    open_incidents: int = 0
    incident_types: list[tuple[str, int]] = field(default_factory=list)
    silent: list[int] = field(default_factory=list)  # station numbers
    meetings: list[CampaignEvent] = field(default_factory=list)


def upcoming_sessions(now: datetime | None = None) -> QuerySet[VideoSession]:
    """Sessions from the start of today on, in time order."""
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        VideoSession.objects.filter(starts_at__gte=today).prefetch_related("districts").order_by("starts_at")
    )


def session_districts(session: VideoSession) -> list[Territory]:
    """The session's districts, or every district with a standing link when none is chosen."""
    chosen = list(session.districts.order_by("name"))
    if chosen:
        return chosen
    return [
        link.territory
        for link in DistrictVideoLink.objects.select_related("territory").order_by("territory__name")
    ]


def agenda(
    districts: list[Territory], election: Election | None, *, now: datetime | None = None
) -> list[DistrictAgenda]:
    """Each district's figures for the agenda, from one build of the dashboard."""
    now = now or timezone.now()
    links = {link.territory_id: link for link in DistrictVideoLink.objects.filter(territory__in=districts)}
    out = {d.pk: DistrictAgenda(district=d, link=links.get(d.pk)) for d in districts}
    inside = {d.pk: set(within(d)) for d in districts}

    def owner(territory_id: int | None) -> int | None:
        for pk, ids in inside.items():
            if territory_id in ids:
                return pk
        return None

    if election is not None:
        board = dashboard.build(election, now=now)
        voted: Counter[int] = Counter()
        registered: Counter[int] = Counter()
        for row in board.rows:
            pk = owner(row.commission.territory_id)
            if pk is None:
                continue
            item = out[pk]
            item.stations += row.stations
            item.opened += row.opened
            item.open_incidents += row.open_incidents
            voted[pk] += row.voted
            registered[pk] += row.registered_reporting
        for pk, item in out.items():
            item.turnout = percent(voted[pk], registered[pk])
        types: dict[int, Counter[str]] = {pk: Counter() for pk in out}
        open_ones = (
            Incident.objects.filter(report__election=election, status__in=OPEN_INCIDENTS)
            .values_list("report__station__commission__territory", "report__violation_type__name")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for territory, name, n in open_ones:
            pk = owner(territory)
            if pk is not None:
                types[pk][name or _("type not given")] += n
        for pk, counter in types.items():
            out[pk].incident_types = counter.most_common(3)
        for silence in board.silent:
            pk = owner(silence.station.commission.territory_id)
            if pk is not None:
                out[pk].silent.append(silence.station.number)
    soon = (
        CampaignEvent.objects.filter(
            starts_at__gte=now, starts_at__lt=now + timedelta(days=MEETINGS_AHEAD_DAYS)
        )
        .select_related("territory")
        .order_by("starts_at")
    )
    for event in soon:
        pk = owner(event.territory_id)
        if pk is not None:
            out[pk].meetings.append(event)
    return [out[d.pk] for d in districts]
