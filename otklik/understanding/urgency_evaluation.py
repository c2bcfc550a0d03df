"""Precision and recall of the urgency rules on the hand-annotated appeals (``otklik evaluate-urgency``).

A row is urgent when its label is not ``none``; the rules call it urgent when :func:`urgency.assess`
finds any kind. Figures are given per part (development, held-out; ``docs/annotation/README.md``):

* on the **annotated rows** — the sample over-represents likely emergencies, so these figures are
  about the hard cases, with a 95 % Wilson interval;
* for the **data set** — each row weighted by how many distinct texts of its stratum and part it
  stands for (:func:`urgency_annotations.population_weights`), which estimates what a moderator would
  see on the whole stream (precision is lower there: emergencies are rare).

St Petersburg rows are assessed in the month they were written; Kursk rows carry no date and are
assessed as written in January (the heating season), as they were annotated.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import urgency
from .urgency_annotations import FRESH_WAVE, KURSK, SPB, AnnotatedAppeal, Unit, population_weights

UNKNOWN_MONTH = 1


@dataclass
class Scores:
    tp: float = 0.0
    fp: float = 0.0
    fn: float = 0.0
    tn: float = 0.0

    def add(self, predicted: bool, actual: bool, weight: float = 1.0) -> None:
        if predicted and actual:
            self.tp += weight
        elif predicted:
            self.fp += weight
        elif actual:
            self.fn += weight
        else:
            self.tn += weight

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def total(self) -> float:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def prevalence(self) -> float:
        return (self.tp + self.fn) / self.total if self.total else 0.0


def wilson(successes: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion."""
    if n <= 0:
        return (0.0, 0.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class PartReport:
    rows: Scores = field(default_factory=Scores)
    weighted: Scores = field(default_factory=Scores)
    by_dataset: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    clear_rows: Scores = field(default_factory=Scores)  # borderline rows left out
    labels: Counter[tuple[str, str]] = field(default_factory=Counter)  # (annotated, predicted)
    errors: list[tuple[AnnotatedAppeal, urgency.Urgency]] = field(default_factory=list)


@dataclass
class Report:
    parts: dict[str, PartReport]


Assess = Callable[[AnnotatedAppeal], urgency.Urgency]


def assess_row(row: AnnotatedAppeal) -> urgency.Urgency:
    return urgency.assess(row.text, month=row.month or UNKNOWN_MONTH)


def evaluate(
    rows: Iterable[AnnotatedAppeal],
    strata: dict[tuple[str, str], list[Unit]],
    *,
    assess: Assess = assess_row,
    parts: Iterable[str] = ("development", "held-out"),
) -> Report:
    """Figures per part; "held-out" also yields "held-out, fresh": the rows drawn for the latest round
    (:data:`FRESH_WAVE`), which no rule was written or changed after seeing."""
    rows = list(rows)
    weights = population_weights(rows, strata)
    wanted = set(parts)
    if "held-out" in wanted:
        wanted.add(FRESH)
    report = Report({p: PartReport() for p in ("development", "held-out", FRESH) if p in wanted})
    for row in rows:
        part = "held-out" if row.held_out else "development"
        if part not in wanted:
            continue
        found = assess(row)
        targets = [report.parts[part]]
        if row.held_out and row.wave == FRESH_WAVE:
            targets.append(report.parts[FRESH])
        for r in targets:
            _count(r, row, found, weights[(row.dataset, row.id)])
    return report


FRESH = "held-out, fresh (the latest round's rows)"


def _count(r: PartReport, row: AnnotatedAppeal, found: urgency.Urgency, weight: float) -> None:
    r.rows.add(found.is_urgent, row.urgent)
    r.weighted.add(found.is_urgent, row.urgent, weight)
    r.by_dataset[row.dataset].add(found.is_urgent, row.urgent)
    if not row.borderline:
        r.clear_rows.add(found.is_urgent, row.urgent)
    r.labels[(row.label, found.label)] += 1
    if found.is_urgent != row.urgent:
        r.errors.append((row, found))


def format_report(report: Report, *, details: bool = False) -> list[str]:
    lines: list[str] = []
    names = {SPB: "St Petersburg", KURSK: "Kursk"}
    for part, r in report.parts.items():
        s = r.rows
        n = round(s.total)
        p_lo, p_hi = wilson(s.tp, s.tp + s.fp)
        r_lo, r_hi = wilson(s.tp, s.tp + s.fn)
        lines.append(f"{part}: {n} annotated appeals, {int(s.tp + s.fn)} urgent")
        lines.append(
            f"  urgent precision {s.precision:.3f} (95% {p_lo:.2f}–{p_hi:.2f}), "
            f"recall {s.recall:.3f} ({r_lo:.2f}–{r_hi:.2f}), F1 {s.f1:.3f} "
            f"[tp {int(s.tp)}, fp {int(s.fp)}, fn {int(s.fn)}]"
        )
        c = r.clear_rows
        lines.append(f"  without borderline rows: precision {c.precision:.3f}, recall {c.recall:.3f}")
        for dataset, d in sorted(r.by_dataset.items()):
            lines.append(
                f"  {names.get(dataset, dataset)}: precision {d.precision:.3f}, recall {d.recall:.3f} "
                f"[tp {int(d.tp)}, fp {int(d.fp)}, fn {int(d.fn)}]"
            )
        w = r.weighted
        if part == FRESH:
            w = Scores()  # drawn from two strata only: no estimate for the whole data sets
        if w.total:
            lines.append(
                f"  whole data sets (weighted by stratum): urgent {w.prevalence:.1%} of distinct texts, "
                f"precision {w.precision:.3f}, recall {w.recall:.3f}"
            )
        kinds = sorted({a for a, _ in r.labels} | {b for _, b in r.labels})
        lines.append(
            "  labels (rows annotated → found): "
            + "; ".join(f"{a}→{b} {r.labels[(a, b)]}" for a in kinds for b in kinds if r.labels[(a, b)])
        )
        if details and part != FRESH:
            for row, found in r.errors:
                what = (
                    "missed"
                    if row.urgent
                    else f"false alarm {','.join(found.kinds)} ({'; '.join(found.terms)})"
                )
                lines.append(f"    {row.dataset} {row.id} [{row.label}] {what}: {row.note}")
    return lines
