"""The summary of problems («свод проблем») for a period and a territory.

Counts, status and trend come from the rollups; the typical examples are the texts of the cases with
the most messages behind each problem, with residents' personal data masked. They are chosen among the
rollups' case facts (an index by problem and message count: a year costs what a week does), and only
the chosen cases' texts are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otklik.cases.models import Case
from otklik.directory.models import Territory

from .dynamics import pct_change, problem_labels
from .filters import Scope
from .masking import mask_personal_data
from .models import CaseFact

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


def examples(scope: Scope, category: int, subcategory: int, *, limit: int = EXAMPLES) -> list[str]:
    """The cases of the problem in the scope with the most messages (the latest first among equals)."""
    facts = CaseFact.objects.filter(
        day__gte=scope.date_from, day__lte=scope.date_to, category=category, subcategory=subcategory
    )
    if scope.territory:  # a municipality: its settlements are counted into it, as in the rollups
        facts = facts.filter(territory=scope.territory)
    if scope.channel:
        facts = facts.filter(channel=scope.channel)
    ids = list(facts.order_by("-messages", "-day", "-case_id").values_list("case_id", flat=True)[:limit])
    by_id = dict(Case.objects.filter(pk__in=ids).values_list("pk", "text"))
    out = []
    for text in (by_id[pk] for pk in ids if pk in by_id):
        clean = " ".join((text or "").split())
        if len(clean) > EXAMPLE_LENGTH:
            clean = clean[: EXAMPLE_LENGTH - 1].rstrip() + "…"
        out.append(mask_personal_data(clean))
    return out


SUMS = ("cases", "messages", "open", "overdue", "resolved")


def summary(scope: Scope, *, top: int = TOP_PROBLEMS, with_examples: bool = True) -> Summary:
    group = ["category", "subcategory"]
    rows: list[Any] = [
        {"category": key[0], "subcategory": key[1], **row} for key, row in scope.sums(group, SUMS).items()
    ]
    previous = {key: row["cases"] for key, row in scope.previous().sums(group, ["cases"]).items()}
    rows.sort(key=lambda r: (-(r["cases"] or 0), -(r["messages"] or 0)))
    # Cases of no category count in the totals only; a key whose cases all moved away is no problem.
    chosen = [r for r in rows if r["category"] and r["cases"]][:top]
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
