"""The public map's counters (open, closed, without a point) of a window, read from the daily public
counters (:mod:`otklik.analytics.public_counts`) instead of every case of the window.

The whole days after the window's first day come from the counters (as of the last rollup refresh,
so they may lag by its interval); the first, partial day is counted from its cases (a day's worth
at most). Until the counters were first built, every case of the window is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from otklik.analytics.models import PublicDay
from otklik.analytics.public_counts import built
from otklik.cases.models import Case
from otklik.cases.publicity import CLOSED
from otklik.directory.models import Category

from . import open311


@dataclass(frozen=True)
class Counts:
    total: int = 0
    closed: int = 0
    unplaced: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.total + other.total, self.closed + other.closed, self.unplaced + other.unplaced)


def counted(cases: QuerySet[Case]) -> Counts:
    """The counts of the given cases, each read."""
    row = cases.order_by().aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status__in=CLOSED)),
        unplaced=Count("pk", filter=Q(lat__isnull=True) | Q(lon__isnull=True)),
    )
    return Counts(row["total"], row["closed"], row["unplaced"])


def window(params: dict[str, str]) -> Counts:
    """What :func:`counted` gives for ``open311.matching_requests(params)`` (params: ``start_date``,
    optional ``service_code`` and ``status``; the window ends now), without reading every case."""
    if not built():
        return counted(open311.matching_requests(params))
    tz = timezone.get_current_timezone()
    start = datetime.fromisoformat(params["start_date"])
    first_day = timezone.localtime(start, tz).date()
    next_day = timezone.make_aware(datetime.combine(first_day + timedelta(days=1), time()), tz)
    head = counted(
        open311.matching_requests({**params, "end_date": (next_day - timedelta(microseconds=1)).isoformat()})
    )
    rows = PublicDay.objects.filter(day__gt=first_day).exclude(
        category__in=Category.objects.filter(is_public=False).values("pk")  # kept from residents
    )
    codes = [code for code in params.get("service_code", "").split(",") if code]
    if codes:
        ids = list(Category.objects.filter(code__in=codes).values_list("pk", flat=True))
        rows = rows.filter(Q(category__in=ids) | Q(category=0, suggested__in=ids))
    if params.get("status"):
        rows = rows.filter(closed=params["status"] == "closed")
    sums = rows.aggregate(
        total=Sum("cases"),
        closed=Sum("cases", filter=Q(closed=True)),
        unplaced=Sum("cases", filter=Q(placed=False)),
    )
    return head + Counts(sums["total"] or 0, sums["closed"] or 0, sums["unplaced"] or 0)
