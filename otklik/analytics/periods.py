"""Reading a period from a daily rollup and its monthly twin.

A long period is read from the monthly table for the months that lie wholly inside it and from the
daily table for the partial months at its edges: a year is about twelve monthly rows per key plus at
most sixty daily ones instead of 365. Every measure is a count (histogram buckets included), so the
sums of the two parts are exactly the sums of the daily rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, Sum


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Split:
    """``months``: the first and last month (their first days) wholly inside the period, or None;
    ``days``: the inclusive day ranges left at the edges."""

    months: tuple[date, date] | None
    days: tuple[tuple[date, date], ...]


def split(date_from: date, date_to: date) -> Split:
    if date_to < date_from:
        return Split(None, ())
    first = date_from if date_from.day == 1 else next_month(date_from)
    after = (date_to + timedelta(days=1)).replace(day=1)  # the first month not wholly inside
    if first >= after:
        return Split(None, ((date_from, date_to),))
    last = (after - timedelta(days=1)).replace(day=1)
    days = []
    if date_from < first:
        days.append((date_from, first - timedelta(days=1)))
    if after <= date_to:
        days.append((after, date_to))
    return Split((first, last), tuple(days))


def parts(daily: Any, monthly: Any, date_from: date, date_to: date, condition: Q | None = None) -> list[Any]:
    """Querysets whose rows together cover the period once: ``monthly`` (keyed by ``month``) for the
    whole months, ``daily`` (keyed by ``day``) for the edges. ``condition`` applies to both."""
    cond = condition if condition is not None else Q()
    found = split(date_from, date_to)
    out = []
    if found.days:
        edges = Q()
        for start, end in found.days:
            edges |= Q(day__gte=start, day__lte=end)
        out.append(daily.objects.filter(edges & cond))
    if found.months:
        out.append(monthly.objects.filter(Q(month__gte=found.months[0], month__lte=found.months[1]) & cond))
    return out


def sum_parts(
    querysets: Iterable[Any], group: Sequence[str], measures: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """``{group values: {measure: sum}}`` over every queryset (rows of the same key add up)."""
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for qs in querysets:
        rows = (
            qs.values(*group).annotate(**{f"sum_{m}": Sum(m) for m in measures})
            if group
            else [qs.aggregate(**{f"sum_{m}": Sum(m) for m in measures})]
        )
        for row in rows:
            key = tuple(row[g] for g in group)
            acc = out.setdefault(key, dict.fromkeys(measures, 0))
            for m in measures:
                acc[m] += row[f"sum_{m}"] or 0
    return out
