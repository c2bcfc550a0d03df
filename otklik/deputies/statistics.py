"""«Мой депутат» as a service: the figures the center head reports for the whole service — calls
taken for deputies, visits of the deputies' pages, appeals by channel, answered and answered on time
— for a period, by week and by district, on one page.

The appeals are the cases of the deputies' reception offices (an appeal to a deputy is a case routed
to their office, :mod:`otklik.deputies.models`), merged ones left out; "calls" are those taken by the
call center (channel ``phone``); "on time" is a final answer by the case's deadline. The district of
an appeal is the one its place lies in (the municipality right under the region), else the deputy's
constituency's first district. The deputies counted are those the user may see
(:func:`otklik.deputies.services.visible_deputies`): every one for the center, a coordinator's
factions' for a coordinator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.directory.models import Territory

from .models import Deputy, PageVisit


@dataclass
class Figures:
    label: str = ""
    visits: int = 0
    appeals: int = 0
    calls: int = 0
    answered: int = 0
    on_time: int = 0
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def answered_pct(self) -> float | None:
        return round(100 * self.answered / self.appeals, 1) if self.appeals else None

    @property
    def on_time_pct(self) -> float | None:
        return round(100 * self.on_time / self.answered, 1) if self.answered else None


@dataclass
class ServiceStats:
    date_from: date
    date_to: date
    deputies: int
    total: Figures
    channels: list[tuple[str, str, int]]  # (code, label, appeals), most first
    weeks: list[Figures]
    districts: list[Figures]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _districts() -> dict[int, tuple[int, str]]:
    """Each territory's district (its ancestor right under the region; a region itself stays)."""
    nodes = {pk: (parent, name) for pk, parent, name in Territory.objects.values_list("pk", "parent", "name")}
    out: dict[int, tuple[int, str]] = {}
    for pk in nodes:
        chain = [pk]
        parent = nodes[pk][0]
        while parent is not None and len(chain) < 10:
            chain.append(parent)
            parent = nodes.get(parent, (None, ""))[0]
        district = chain[-2] if len(chain) >= 2 else chain[-1]
        out[pk] = (district, nodes[district][1] if district in nodes else "")
    return out


def service_stats(deputies: QuerySet[Deputy], date_from: date, date_to: date) -> ServiceStats:
    """The service's figures for appeals made from ``date_from`` to ``date_to`` (inclusive)."""
    chosen = list(deputies.values_list("pk", "office_id"))
    offices = [office for _pk, office in chosen]
    constituency: dict[int, int] = {}
    for office, territory in (
        Deputy.territories.through.objects.filter(deputy__in=[pk for pk, _o in chosen])
        .order_by("territory__name")
        .values_list("deputy__office_id", "territory_id")
    ):
        constituency.setdefault(office, territory)
    cases = Case.objects.filter(
        agency__in=offices,
        created_at__gte=_midnight(date_from),
        created_at__lt=_midnight(date_to + timedelta(days=1)),
    ).exclude(status=CaseStatus.MERGED)
    rows = (
        # By week in the database: a seventh of the rows a day each would give Python to sum.
        cases.annotate(week=TruncWeek("created_at", output_field=DateField()))
        .values_list("agency", "territory", "channel", "week")
        .annotate(
            n=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            on_time=Count(
                "pk",
                filter=Q(
                    answered_at__isnull=False, deadline_at__isnull=False, answered_at__lte=F("deadline_at")
                )
                | Q(answered_at__isnull=False, deadline_at__isnull=True),
            ),
        )
        .order_by()
    )
    districts = _districts()
    total = Figures()
    weeks: dict[date, Figures] = {}
    by_district: dict[int | None, Figures] = {}
    by_channel: dict[str, int] = defaultdict(int)
    for agency, territory, channel, week_start, n, answered, on_time in rows:
        day = week_start.date() if isinstance(week_start, datetime) else week_start
        place = territory or constituency.get(agency)
        district_id, district_name = districts.get(place, (None, "")) if place else (None, "")
        week = weeks.setdefault(monday(day), Figures(label=monday(day).strftime("%d.%m.%Y")))
        district = by_district.setdefault(district_id, Figures(label=district_name))
        for figures in (total, week, district):
            figures.appeals += n
            figures.answered += answered
            figures.on_time += on_time
            figures.calls += n if channel == Channel.PHONE else 0
            figures.channels[channel] = figures.channels.get(channel, 0) + n
        by_channel[channel] += n
    visits = (
        PageVisit.objects.filter(deputy__in=[pk for pk, _o in chosen], day__gte=date_from, day__lte=date_to)
        .values_list("day")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for day, n in visits:
        total.visits += n
        weeks.setdefault(monday(day), Figures(label=monday(day).strftime("%d.%m.%Y"))).visits += n
    labels = dict(Channel.choices)
    channels = sorted(
        ((code, str(labels.get(code, code)), n) for code, n in by_channel.items()),
        key=lambda c: (-c[2], c[1]),
    )
    return ServiceStats(
        date_from=date_from,
        date_to=date_to,
        deputies=len(chosen),
        total=total,
        channels=channels,
        weeks=[weeks[k] for k in sorted(weeks)],
        districts=sorted(by_district.values(), key=lambda d: (not d.label, -d.appeals, d.label)),
    )
