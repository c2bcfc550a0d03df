"""Dynamics: series by category, territory or channel; the previous period; the fastest-growing problems."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import Channel
from otklik.directory.models import Category, Territory

from .filters import Scope
from .periods import next_month, parts
from .rollups import cube_for

DIMENSIONS: dict[str, Any] = {
    "category": _("Category"),
    "territory": _("Territory"),
    "channel": _("Channel"),
}
STEPS: dict[str, Any] = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
MEASURES: dict[str, Any] = {"messages": _("Messages"), "cases": _("Cases")}
TOP_SERIES = 6


def period_start(day: date, step: str) -> date:
    if step == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if step == "month" else day


def periods(scope: Scope, step: str) -> list[date]:
    out: list[date] = []
    cur = period_start(scope.date_from, step)
    while cur <= scope.date_to:
        out.append(cur)
        cur = next_month(cur) if step == "month" else cur + timedelta(days=7 if step == "week" else 1)
    return out


def series_rows(scope: Scope, dimension: str, step: str, measure: str) -> list[tuple[date, Any, int]]:
    """``(period start, key, sum)`` per step and key, summed in the database: daily rows for days,
    daily rows truncated to weeks, and for months the monthly rollup with the daily edges."""
    if step == "day":
        rows = scope.area(dimension).values("day", dimension).annotate(n=Sum(measure))
        return [(r["day"], r[dimension], r["n"] or 0) for r in rows]
    if step == "week":
        weeks = scope.area(dimension).annotate(start=TruncWeek("day")).values("start", dimension)
        return [(r["start"], r[dimension], r["n"] or 0) for r in weeks.annotate(n=Sum(measure))]
    dims = {dimension, *scope.filter_dimensions()}
    daily, monthly = cube_for(dims), cube_for(dims, monthly=True)
    out = []
    for qs in parts(daily, monthly, scope.date_from, scope.date_to, scope.filters()):
        if qs.model is monthly:
            rows = qs.values("month", dimension).annotate(n=Sum(measure))
            out += [(r["month"], r[dimension], r["n"] or 0) for r in rows]
        else:
            edges = qs.annotate(start=TruncMonth("day")).values("start", dimension)
            out += [(r["start"], r[dimension], r["n"] or 0) for r in edges.annotate(n=Sum(measure))]
    return out


def labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    if dimension == "channel":
        names = dict(Channel.choices)
        return {k: str(names.get(k, k)) for k in keys}
    model = Category if dimension == "category" else Territory
    found = dict(model.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    unknown = str(_("Not determined"))
    return {k: found.get(k, unknown) for k in keys}


@dataclass
class Series:
    key: Any
    label: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Dynamics:
    dimension: str
    step: str
    measure: str
    periods: list[date]
    series: list[Series]
    total: Series
    previous_total: int
    comparison: list[dict[str, Any]] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        return pct_change(self.total.total, self.previous_total)


def pct_change(current: int, previous: int) -> float | None:
    if not previous:
        return None
    return round((current - previous) * 100.0 / previous, 1)


def _totals_by(scope: Scope, dimension: str, measure: str) -> dict[Any, int]:
    return {key[0]: row[measure] for key, row in scope.sums([dimension], [measure]).items()}


def dynamics(
    scope: Scope, *, dimension: str = "category", step: str = "day", measure: str = "messages"
) -> Dynamics:
    dimension = dimension if dimension in DIMENSIONS else "category"
    step = step if step in STEPS else "day"
    measure = measure if measure in MEASURES else "messages"
    axis = periods(scope, step)
    index = {p: i for i, p in enumerate(axis)}
    by_key: dict[Any, list[int]] = defaultdict(lambda: [0] * len(axis))
    total = [0] * len(axis)
    for start, key, n in series_rows(scope, dimension, step, measure):
        i = index[period_start(start, step)]
        by_key[key][i] += n
        total[i] += n
    keys = sorted(by_key, key=lambda k: -sum(by_key[k]))
    names = labels(dimension, keys)
    previous = _totals_by(scope.previous(), dimension, measure)
    comparison = []
    for key in keys:
        now_n = sum(by_key[key])
        before = previous.get(key, 0)
        comparison.append(
            {
                "key": key,
                "label": names[key],
                "current": now_n,
                "previous": before,
                "change": pct_change(now_n, before),
            }
        )
    return Dynamics(
        dimension=dimension,
        step=step,
        measure=measure,
        periods=axis,
        series=[Series(k, names[k], by_key[k]) for k in keys[:TOP_SERIES]],
        total=Series("total", str(_("Total")), total),
        previous_total=sum(previous.values()),
        comparison=comparison,
    )


@dataclass
class Growth:
    category: int
    subcategory: int
    label: str
    current: int
    previous: int

    @property
    def increase(self) -> int:
        return self.current - self.previous

    @property
    def change(self) -> float | None:
        return pct_change(self.current, self.previous)


def problem_labels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    ids = {pk for pair in pairs for pk in pair if pk}
    names = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    unknown = str(_("Not determined"))
    out = {}
    for top, sub in pairs:
        top_name = names.get(top, unknown)
        out[(top, sub)] = f"{top_name} / {names[sub]}" if sub and sub in names else top_name
    return out


def problem_counts(scope: Scope, measure: str = "cases") -> dict[tuple[int, int], int]:
    return {
        (key[0], key[1]): row[measure]
        for key, row in scope.sums(["category", "subcategory"], [measure]).items()
    }


def fastest_growing(
    scope: Scope, *, limit: int = 10, min_count: int = 3, measure: str = "cases"
) -> list[Growth]:
    """Problems (category / subcategory) whose count grew most against the previous period."""
    now_counts = problem_counts(scope, measure)
    before = problem_counts(scope.previous(), measure)
    candidates = [
        (key, n)
        for key, n in now_counts.items()
        if key[0] and n >= min_count and n > before.get(key, 0)  # an undetermined category is no problem
    ]
    names = problem_labels([k for k, _n in candidates])
    out = [Growth(k[0], k[1], names[k], n, before.get(k, 0)) for k, n in candidates]
    out.sort(key=lambda g: (-g.increase, -g.current, g.label))
    return out[:limit]
