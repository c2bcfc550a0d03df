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
    # sums of squared weights (tp, fp, fn): the effective sample sizes of weighted figures
    squares: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    def add(self, predicted: bool, actual: bool, weight: float = 1.0) -> None:
        if predicted and actual:
            self.tp += weight
            self.squares[0] += weight * weight
        elif predicted:
            self.fp += weight
            self.squares[1] += weight * weight
        elif actual:
            self.fn += weight
            self.squares[2] += weight * weight
        else:
            self.tn += weight

    def precision_interval(self) -> tuple[float, float]:
        """95 % Wilson interval of the precision on the (Kish) effective number of flagged rows."""
        return _weighted_wilson(self.tp, self.fp, self.squares[0] + self.squares[1])

    def recall_interval(self) -> tuple[float, float]:
        return _weighted_wilson(self.tp, self.fn, self.squares[0] + self.squares[2])

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


def _weighted_wilson(hits: float, misses: float, squares: float) -> tuple[float, float]:
    total = hits + misses
    if total <= 0 or squares <= 0:
        return (0.0, 0.0)
    effective = total * total / squares  # equals the row count when every weight is 1
    return wilson(hits / total * effective, effective)


@dataclass
class PartReport:
    rows: Scores = field(default_factory=Scores)
    weighted: Scores = field(default_factory=Scores)
    by_dataset: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    by_dataset_weighted: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    by_stratum: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
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
    """Figures per part; "held-out" also yields :data:`FRESH`: every row of the latest wave
    (:data:`FRESH_WAVE`, both parts), read before the rules were run on it and never tuned on, weighted
    back to the data sets by :func:`wave_weights`."""
    rows = list(rows)
    weights = population_weights(rows, strata)
    fresh_weights = wave_weights(rows, strata, FRESH_WAVE)
    wanted = set(parts)
    if "held-out" in wanted:
        wanted.add(FRESH)
    report = Report({p: PartReport() for p in ("development", "held-out", FRESH) if p in wanted})
    for row in rows:
        part = "held-out" if row.held_out else "development"
        fresh = FRESH in wanted and row.wave == FRESH_WAVE
        if part not in wanted and not fresh:
            continue
        found = assess(row)
        if part in wanted:
            _count(report.parts[part], row, found, weights[(row.dataset, row.id)])
        if fresh:
            _count(report.parts[FRESH], row, found, fresh_weights[(row.dataset, row.id)])
    return report


FRESH = f"first sight: wave {FRESH_WAVE}, both parts (read before the rules ran on it)"


def wave_weights(
    rows: Iterable[AnnotatedAppeal], strata: dict[tuple[str, str], list[Unit]], wave: int
) -> dict[tuple[str, str], float]:
    """(dataset, id) → how many distinct texts of its data set and stratum a row of ``wave`` stands
    for. A wave drawn at random within each stratum from the rows not read before is a random
    sample of the whole stratum (the earlier draws were random too), whatever the part."""
    wave_rows = [r for r in rows if r.wave == wave]
    sampled = Counter((r.dataset, r.stratum) for r in wave_rows)
    return {
        (r.dataset, r.id): len(strata[(r.dataset, r.stratum)]) / sampled[(r.dataset, r.stratum)]
        for r in wave_rows
    }


def _count(r: PartReport, row: AnnotatedAppeal, found: urgency.Urgency, weight: float) -> None:
    r.rows.add(found.is_urgent, row.urgent)
    r.weighted.add(found.is_urgent, row.urgent, weight)
    r.by_dataset[row.dataset].add(found.is_urgent, row.urgent)
    r.by_dataset_weighted[row.dataset].add(found.is_urgent, row.urgent, weight)
    r.by_stratum[row.stratum].add(found.is_urgent, row.urgent)
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
        if w.total:
            (wp_lo, wp_hi), (wr_lo, wr_hi) = w.precision_interval(), w.recall_interval()
            lines.append(
                f"  whole data sets (weighted by stratum): urgent {w.prevalence:.1%} of distinct texts, "
                f"precision {w.precision:.3f} ({wp_lo:.2f}–{wp_hi:.2f}), "
                f"recall {w.recall:.3f} ({wr_lo:.2f}–{wr_hi:.2f}; effective-size Wilson)"
            )
            for dataset, d in sorted(r.by_dataset_weighted.items()):
                lines.append(
                    f"    {names.get(dataset, dataset)} weighted: urgent {d.prevalence:.1%}, "
                    f"precision {d.precision:.3f}, recall {d.recall:.3f}"
                )
        lines.append(
            "  by stratum [tp, fp, fn]: "
            + "; ".join(f"{k} {int(v.tp)}, {int(v.fp)}, {int(v.fn)}" for k, v in sorted(r.by_stratum.items()))
        )
        kinds = sorted({a for a, _ in r.labels} | {b for _, b in r.labels})
        lines.append(
            "  labels (rows annotated → found): "
            + "; ".join(f"{a}→{b} {r.labels[(a, b)]}" for a in kinds for b in kinds if r.labels[(a, b)])
        )
        if details:
            # Held-out errors of every wave are counted, not listed: one looks at the system's output on
            # development rows only (docs/annotation/README.md, rule 1), the waves before the fresh one too.
            shown = [(row, found) for row, found in r.errors if not row.held_out]
            if len(shown) < len(r.errors):
                lines.append(f"    ({len(r.errors) - len(shown)} errors on held-out rows not listed)")
            for row, found in shown:
                what = (
                    "missed"
                    if row.urgent
                    else f"false alarm {','.join(found.kinds)} ({'; '.join(found.terms)})"
                )
                lines.append(f"    {row.dataset} {row.id} [{row.label}] {what}: {row.note}")
    return lines
