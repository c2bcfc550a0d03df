"""«Мой депутат» as a service: the figures the center head reports for the whole service — calls
taken for deputies, visits of the deputies' pages, appeals by channel, answered and answered on time
— for whole weeks, by week and by district, on one page.

The appeals are the cases of the deputies' reception offices (an appeal to a deputy is a case routed
to their office, :mod:`otklik.deputies.models`), merged ones left out; "calls" are those taken by the
call center (channel ``phone``); "on time" is a final answer by the case's deadline. The district of
an appeal is the one its place lies in (the municipality right under the region), else the deputy's
constituency's first district. The deputies counted are those the user may see
(:func:`otklik.deputies.services.reach`): every one for the center, a coordinator's factions' (of
their regions) for a coordinator.

The figures are read from rollups by week, faction, region, district and channel, kept by
:mod:`otklik.deputies.service_counts` (the periodic job ``deputies-service-figures``, and the page
when they are older than two minutes): a page reads a few hundred rows whatever the number of
appeals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet, Sum

from otklik.analytics.figures import percent
from otklik.directory.choices import Channel
from otklik.directory.models import Territory

from . import service_counts
from .models import ServiceWeek, VisitWeek
from .service_counts import monday
from .services import Reach

__all__ = ["Figures", "ServiceStats", "monday", "service_stats"]


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
        return percent(self.answered, self.appeals)

    @property
    def on_time_pct(self) -> float | None:
        return percent(self.on_time, self.answered)


@dataclass
class ServiceStats:
    date_from: date
    date_to: date
    deputies: int
    total: Figures
    channels: list[tuple[str, str, int]]  # (code, label, appeals), most first
    weeks: list[Figures]
    districts: list[Figures]


def _scoped(rows: QuerySet, reach: Reach) -> QuerySet:
    if reach.factions is not None:
        rows = rows.filter(faction__in=reach.factions)
    if reach.regions is not None:
        rows = rows.filter(region__in=reach.regions)
    return rows


def service_stats(reach: Reach, date_from: date, date_to: date, *, fresh: bool = False) -> ServiceStats:
    """The service's figures of the weeks from the one of ``date_from`` to the one of ``date_to``
    (``fresh``: the caller has just brought the rollups up to date)."""
    if not fresh:
        service_counts.ensure_fresh()
    first, last = monday(date_from), monday(date_to)
    appeals = _scoped(ServiceWeek.objects.filter(week__gte=first, week__lte=last, appeals__gt=0), reach)
    sums = {"n": Sum("appeals"), "answered": Sum("answered"), "on_time": Sum("on_time")}
    total = Figures()
    weeks: dict[date, Figures] = {}
    by_district: dict[int, Figures] = {}
    for week, channel, n, answered, on_time in (
        appeals.values_list("week", "channel").annotate(**sums).order_by()
    ):
        week_figures = weeks.setdefault(week, Figures(label=week.strftime("%d.%m.%Y")))
        _add(week_figures, channel, n, answered, on_time)
        _add(total, channel, n, answered, on_time)
    for district, channel, n, answered, on_time in (
        appeals.values_list("district", "channel").annotate(**sums).order_by()
    ):
        _add(by_district.setdefault(district, Figures()), channel, n, answered, on_time)
    names = district_labels([d for d in by_district if d])
    for district, figures in by_district.items():
        figures.label = names.get(district, "")
    visits = _scoped(VisitWeek.objects.filter(week__gte=first, week__lte=last), reach)
    for week, n in visits.values_list("week").annotate(n=Sum("visits")).order_by():
        if n:
            total.visits += n
            weeks.setdefault(week, Figures(label=week.strftime("%d.%m.%Y"))).visits += n
    labels = dict(Channel.choices)
    channels = sorted(
        ((code, str(labels.get(code, code)), n) for code, n in total.channels.items()),
        key=lambda c: (-c[2], c[1]),
    )
    return ServiceStats(
        date_from=date_from,
        date_to=date_to,
        deputies=reach.deputies().count(),
        total=total,
        channels=channels,
        weeks=[weeks[k] for k in sorted(weeks)],
        districts=sorted(by_district.values(), key=lambda d: (not d.label, -d.appeals, d.label)),
    )


def district_labels(pks: list[int]) -> dict[int, str]:
    """Districts' names, with the region after a name that two of them share ("Южный район — …")."""
    rows = list(Territory.objects.filter(pk__in=pks).values_list("pk", "name", "parent__name"))
    shared = Counter(name for _pk, name, _parent in rows)
    return {pk: f"{name} — {parent}" if shared[name] > 1 and parent else name for pk, name, parent in rows}


def _add(figures: Figures, channel: str, n: int, answered: int, on_time: int) -> None:
    figures.appeals += n
    figures.answered += answered
    figures.on_time += on_time
    figures.calls += n if channel == Channel.PHONE else 0
    figures.channels[channel] = figures.channels.get(channel, 0) + n
