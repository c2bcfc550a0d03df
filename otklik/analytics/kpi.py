"""Agency KPIs from the rollups: received, on time, answer times (median, 90th percentile), overdue,
reopen rate and satisfaction; a ranking of agencies and the figures of one agency.

Answer times are working minutes of the production calendar. Percentiles come from the histogram in
``AgencyDuration`` and are interpolated inside a bucket (buckets grow by about a quarter to a third:
10 minutes at first, an hour within the first working day, days beyond; see ``rollups.EDGES``).

A period is read from the monthly tables (``AgencyMonth``, ``AgencyDurationMonth``) for its whole
months and from the daily ones for the edges (:mod:`otklik.analytics.periods`). Histograms add up
bucket by bucket, so a year's median and 90th percentile are the same as from the daily rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from otklik.directory.choices import AgencyKind
from otklik.directory.models import Agency

from .figures import percent
from .filters import Scope
from .models import AgencyDay, AgencyDuration, AgencyDurationMonth, AgencyMonth
from .periods import parts, sum_parts
from .rollups import FINAL, FIRST, bucket_bounds


def percentile(histogram: dict[int, int], q: float) -> float | None:
    """The ``q``-quantile (0..1) of a bucket histogram, linearly interpolated inside the bucket."""
    total = sum(histogram.values())
    if total == 0:
        return None
    target = q * total
    seen = 0
    for bucket in sorted(histogram):
        n = histogram[bucket]
        if n and seen + n >= target:
            lo, hi = bucket_bounds(bucket)
            inside = (target - seen) / n
            return round(lo + (hi - lo) * inside, 1)
        seen += n
    lo, hi = bucket_bounds(max(histogram))
    return float(hi)


@dataclass
class AgencyKpi:
    agency: int
    name: str = ""
    kind: str = ""  # the agency's kind (AgencyKind): deputies' reception offices are ranked apart
    received: int = 0
    answered: int = 0
    on_time: int = 0
    open: int = 0
    overdue: int = 0
    reopened: int = 0
    ratings: int = 0
    ratings_good: int = 0
    published: int = 0  # cases with a published final answer
    concrete: int = 0  # … whose answer passes the answer-quality check (not an "отписка")
    first: dict[int, int] = field(default_factory=dict)
    final: dict[int, int] = field(default_factory=dict)

    @property
    def on_time_pct(self) -> float | None:
        return percent(self.on_time, self.answered)

    @property
    def reopen_pct(self) -> float | None:
        return percent(self.reopened, self.answered)

    @property
    def satisfaction_pct(self) -> float | None:
        return percent(self.ratings_good, self.ratings)

    @property
    def concrete_pct(self) -> float | None:
        return percent(self.concrete, self.published)

    @property
    def first_median(self) -> float | None:
        return percentile(self.first, 0.5)

    @property
    def first_p90(self) -> float | None:
        return percentile(self.first, 0.9)

    @property
    def final_median(self) -> float | None:
        return percentile(self.final, 0.5)

    @property
    def final_p90(self) -> float | None:
        return percentile(self.final, 0.9)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "name": self.name,
            "received": self.received,
            "answered": self.answered,
            "on_time_pct": self.on_time_pct,
            "first_median": self.first_median,
            "first_p90": self.first_p90,
            "final_median": self.final_median,
            "final_p90": self.final_p90,
            "open": self.open,
            "overdue": self.overdue,
            "reopen_pct": self.reopen_pct,
            "satisfaction_pct": self.satisfaction_pct,
            "ratings": self.ratings,
            "concrete_pct": self.concrete_pct,
        }


COUNTS = (
    "received",
    "answered",
    "on_time",
    "open",
    "reopened",
    "ratings",
    "ratings_good",
    "published",
    "concrete",
)


def agency_kpis(scope: Scope, *, agency: int | None = None) -> dict[int, AgencyKpi]:
    """KPIs of every agency (or one) for cases created in the scope's period.

    ``overdue`` is "overdue now": every case of the agency overdue today, whenever it came in.
    """
    one = Q(agency=agency) if agency else Q()
    out: dict[int, AgencyKpi] = {}
    counts = parts(AgencyDay, AgencyMonth, scope.date_from, scope.date_to, one)
    for (pk,), row in sum_parts(counts, ["agency"], COUNTS).items():
        kpi = out.setdefault(pk, AgencyKpi(pk))
        for c in COUNTS:
            setattr(kpi, c, row[c])
    # Monthly rows: every month of the agency's history, a few dozen rows instead of a day each.
    overdue = AgencyMonth.objects.filter(one, overdue__gt=0).values("agency").annotate(n=Sum("overdue"))
    for item in overdue:
        out.setdefault(item["agency"], AgencyKpi(item["agency"])).overdue = item["n"] or 0
    durations = parts(AgencyDuration, AgencyDurationMonth, scope.date_from, scope.date_to, one)
    for (pk, kind, bucket), row in sum_parts(durations, ["agency", "kind", "bucket"], ["count"]).items():
        kpi = out.setdefault(pk, AgencyKpi(pk))
        target = kpi.first if kind == FIRST else kpi.final if kind == FINAL else None
        if target is not None and row["count"]:
            target[bucket] = row["count"]
    names = {
        pk: (short or name, kind)
        for pk, short, name, kind in Agency.objects.filter(pk__in=list(out)).values_list(
            "pk", "short_name", "name", "kind"
        )
    }
    for pk, kpi in out.items():
        kpi.name, kpi.kind = names.get(pk) or (f"#{pk}", "")
    return out


RANKINGS: dict[str, tuple[str, bool]] = {
    # key: (attribute, higher is better)
    "on_time": ("on_time_pct", True),
    "received": ("received", True),
    "overdue": ("overdue", False),
    "satisfaction": ("satisfaction_pct", True),
    "concrete": ("concrete_pct", True),
    "final_median": ("final_median", False),
}


# The count each ranking's share is taken over: too few of them and the share is noise.
BASES: dict[str, str | None] = {
    "on_time": "answered",
    "received": None,
    "overdue": None,
    "satisfaction": "ratings",
    "concrete": "published",
    "final_median": "answered",
}


def min_cases() -> int:
    """Below this many cases a share is not ranked (OTKLIK_KPI_MIN_CASES, 20: at 20 the 95 %
    interval of a share near one half is still ±22 points — two agencies' shares closer than that
    are not told apart; with 2 cases one answer late is 50 %)."""
    return int(getattr(settings, "OTKLIK_KPI_MIN_CASES", 20))


def too_few(k: AgencyKpi, base: str | None, least: int) -> bool:
    return base is not None and getattr(k, base) < least


def ranking(scope: Scope, *, order: str = "on_time", kinds: Iterable[str] | None = None) -> list[AgencyKpi]:
    """The agencies (of ``kinds``, or all) by the ranking ``order``: those with enough cases for the
    share first, ranked; those with too few after them, in the same order (marked by the page)."""
    attr, higher = RANKINGS.get(order, RANKINGS["on_time"])
    base, least = BASES.get(order, "answered"), min_cases()
    chosen = set(kinds) if kinds is not None else None
    kpis = [
        k
        for k in agency_kpis(scope).values()
        if (k.received or k.overdue) and (chosen is None or k.kind in chosen)
    ]

    def key(k: AgencyKpi) -> tuple[int, int, float, int, str]:
        value = getattr(k, attr)
        thin = int(too_few(k, base, least))
        if value is None:
            return (thin, 1, 0.0, -k.received, k.name)
        return (thin, 0, -value if higher else value, -k.received, k.name)

    return sorted(kpis, key=key)


@dataclass
class RankingGroup:
    """One table of the agency ranking: agencies compared with their like."""

    key: str
    title: str
    ranked: list[AgencyKpi]
    too_few: list[AgencyKpi]


def ranking_groups(scope: Scope, *, order: str = "on_time") -> list[RankingGroup]:
    """The ranking in two tables — the executive's agencies (ministries, municipal administrations,
    utilities, federal bodies) and the deputies' reception offices, which are ranked among
    themselves — each with the agencies with too few cases for the share set apart."""
    base, least = BASES.get(order, "answered"), min_cases()
    offices = {AgencyKind.DEPUTY.value}
    others = {k.value for k in AgencyKind} - offices
    groups = []
    for key, title, kinds in (
        ("agencies", _("Agencies"), others | {""}),
        ("offices", _("Deputies' reception offices"), offices),
    ):
        rows = ranking(scope, order=order, kinds=kinds)
        thin = [k for k in rows if too_few(k, base, least)]
        groups.append(RankingGroup(key, str(title), [k for k in rows if not too_few(k, base, least)], thin))
    return [g for g in groups if g.ranked or g.too_few]


def agency_weekly(scope: Scope, agency: int) -> tuple[list[date], dict[str, list[int]]]:
    """Received, answered and answered on time per week of the period, for one agency's chart."""
    start = scope.date_from - timedelta(days=scope.date_from.weekday())
    weeks: list[date] = []
    cur = start
    while cur <= scope.date_to:
        weeks.append(cur)
        cur += timedelta(days=7)
    index = {w: i for i, w in enumerate(weeks)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    rows = AgencyDay.objects.filter(agency=agency, day__gte=scope.date_from, day__lte=scope.date_to).values(
        "day", "received", "answered", "on_time"
    )
    for row in rows:
        i = index[row["day"] - timedelta(days=row["day"].weekday())]
        for name in ("received", "answered", "on_time"):
            series[name][i] += row[name]
    return weeks, {name: series[name] for name in ("received", "answered", "on_time")}
