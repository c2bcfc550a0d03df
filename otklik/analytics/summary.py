"""The summary of problems («свод проблем») for a period and a territory.

Counts, status and trend come from the rollups; the typical examples are the first messages of the
cases with the most messages behind each problem, with residents' personal data masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from otklik.cases.models import Case
from otklik.directory.models import Territory

from .dynamics import pct_change, problem_labels
from .filters import Scope
from .masking import mask_personal_data

TOP_PROBLEMS = 10
EXAMPLES = 2
EXAMPLE_LENGTH = 300


@dataclass
class Problem:
    category: int
    subcategory: int
    label: str
    cases: int
    messages: int
    open: int
    overdue: int
    resolved: int
    previous: int
    examples: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        return pct_change(self.cases, self.previous)

    @property
    def trend(self) -> str:
        """up / down / flat / new, against the previous period of the same length."""
        if not self.previous:
            return "new" if self.cases else "flat"
        change = self.change or 0.0
        if change >= 10:
            return "up"
        if change <= -10:
            return "down"
        return "flat"


@dataclass
class Summary:
    scope: Scope
    territory_name: str
    cases: int
    messages: int
    open: int
    overdue: int
    resolved: int
    previous_cases: int
    problems: list[Problem]

    @property
    def change(self) -> float | None:
        return pct_change(self.cases, self.previous_cases)


def _bounds(scope: Scope) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(scope.date_from, time.min, tzinfo=tz)
    end = datetime.combine(scope.date_to + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def territory_subtree(territory: int) -> list[int]:
    """A municipality with its settlements (and their parts)."""
    ids = [territory]
    frontier = [territory]
    for _depth in range(4):
        frontier = list(Territory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        if not frontier:
            break
        ids.extend(frontier)
    return ids


def examples(scope: Scope, category: int, subcategory: int, *, limit: int = EXAMPLES) -> list[str]:
    start, end = _bounds(scope)
    qs = Case.objects.filter(created_at__gte=start, created_at__lt=end, category_id=subcategory or category)
    if scope.territory:
        qs = qs.filter(territory_id__in=territory_subtree(scope.territory))
    if scope.channel:
        qs = qs.filter(channel=scope.channel)
    texts = qs.order_by("-message_count", "-created_at").values_list("text", flat=True)[:limit]
    out = []
    for text in texts:
        clean = " ".join((text or "").split())
        if len(clean) > EXAMPLE_LENGTH:
            clean = clean[: EXAMPLE_LENGTH - 1].rstrip() + "…"
        out.append(mask_personal_data(clean))
    return out


SUMS = {name: Sum(name) for name in ("cases", "messages", "open", "overdue", "resolved")}


def summary(scope: Scope, *, top: int = TOP_PROBLEMS, with_examples: bool = True) -> Summary:
    rows: list[Any] = list(
        scope.area("category", "subcategory").values("category", "subcategory").annotate(**SUMS)
    )
    previous = {
        (r["category"], r["subcategory"]): r["n"] or 0
        for r in scope.previous()
        .area("category", "subcategory")
        .values("category", "subcategory")
        .annotate(n=Sum("cases"))
    }
    rows.sort(key=lambda r: (-(r["cases"] or 0), -(r["messages"] or 0)))
    chosen = [r for r in rows if r["category"]][:top]  # cases of no category count in the totals only
    names = problem_labels([(r["category"], r["subcategory"]) for r in chosen])
    problems = []
    for r in chosen:
        key = (r["category"], r["subcategory"])
        problems.append(
            Problem(
                category=r["category"],
                subcategory=r["subcategory"],
                label=names[key],
                cases=r["cases"] or 0,
                messages=r["messages"] or 0,
                open=r["open"] or 0,
                overdue=r["overdue"] or 0,
                resolved=r["resolved"] or 0,
                previous=previous.get(key, 0),
                examples=examples(scope, *key) if with_examples else [],
            )
        )
    totals: dict[str, Any] = {name: sum((r[name] or 0) for r in rows) for name in SUMS}
    territory_name = ""
    if scope.territory:
        territory_name = (
            Territory.objects.filter(pk=scope.territory).values_list("name", flat=True).first() or ""
        )
    return Summary(
        scope=scope,
        territory_name=territory_name,
        previous_cases=sum(previous.values()),
        problems=problems,
        **totals,
    )
