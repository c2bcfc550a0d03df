"""Training and measuring the answer check on the hand-annotated answers (``docs/annotation/answers.md``).

:func:`training_rows` turns the annotated answers (and, weakly, the residents' verdicts on the other
answers of the same portal) into feature rows; :func:`train` fits :class:`.answer_model.AnswerCheckModel`
on the **development** part only, choosing the threshold by cross-validation there;
:func:`evaluate` reports, per part, the non-answer flag's precision and recall and the share of
concrete completions (``done``) flagged — the issue's targets are measured on the held-out part.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import answer_annotations as aa
from .answer_model import (
    TARGET_PRECISION,
    WEAK_SHARE,
    AnswerCheckModel,
    choose_threshold,
    cross_validated,
    fit,
    sufficient_statements,
)
from .quality import answer_features

SATISFIED = "Завершено: Пользователь удовлетворен решением проблемы"
CLOSED_UNCONFIRMED = "Завершено: Автоматически"
WEAK_SAMPLE = 3000
WEAK_SEED = 15


@dataclass(frozen=True)
class Row:
    id: str
    label: str  # an annotation label, or "weak:answer" / "weak:non_answer"
    non_answer: bool
    held_out: bool
    features: dict[str, float]
    weight: float = 1.0

    @property
    def annotated(self) -> bool:
        return not self.label.startswith("weak:")


def answered_on(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.strip()[:10]).date() if value.strip() else None
    except ValueError:
        return None


def annotated_rows(answers: Iterable[aa.AnnotatedAnswer], spb: dict[str, dict[str, str]]) -> list[Row]:
    out = []
    for a in answers:
        on = answered_on(spb[a.id]["answer_dt"]) if a.dataset == aa.SPB and a.id in spb else None
        features = answer_features(a.question, a.answer, answered_on=on)[0]
        out.append(Row(a.id, a.label, a.non_answer, a.held_out, features))
    return out


def weak_rows(spb: dict[str, dict[str, str]], exclude: set[str], *, size: int = WEAK_SAMPLE) -> list[Row]:
    """A seeded sample of the other closed answers labelled by the resident's verdict (satisfied → an
    answer, closed without confirmation → a non-answer): noisy, so each weighs little (see :func:`train`)."""
    pool = sorted(
        (r for r in spb.values() if r["id"] not in exclude and r["answer_text"].strip()
         and r["last_status"] in (SATISFIED, CLOSED_UNCONFIRMED)),
        key=lambda r: int(r["id"]),
    )  # fmt: skip
    sample = random.Random(WEAK_SEED).sample(pool, min(size, len(pool)))
    out = []
    for r in sample:
        unconfirmed = r["last_status"] == CLOSED_UNCONFIRMED
        features = answer_features(r["text"], r["answer_text"], answered_on=answered_on(r["answer_dt"]))[0]
        label = "weak:non_answer" if unconfirmed else "weak:answer"
        out.append(Row(r["id"], label, unconfirmed, aa.held_out(aa.SPB, r["id"]), features))
    return out


def train(
    rows: Sequence[Row], *, weak_share: float = WEAK_SHARE, precision: float = TARGET_PRECISION
) -> AnswerCheckModel:
    """Fit on the development annotations plus the weak rows (together ``weak_share`` of their weight);
    the threshold keeps ``precision`` on out-of-fold predictions of the development annotations."""
    dev = [r for r in rows if r.annotated and not r.held_out]
    weak = [r for r in rows if not r.annotated and not r.held_out] if weak_share > 0 else []
    weak_weight = weak_share * len(dev) / len(weak) if weak else 0.0
    train_rows = dev + weak
    features = [r.features for r in train_rows]
    labels = [r.non_answer for r in train_rows]
    weights = [1.0] * len(dev) + [weak_weight] * len(weak)
    annotated = [True] * len(dev) + [False] * len(weak)
    dev_labels = [r.non_answer for r in dev]
    sufficient = sufficient_statements([r.features for r in dev], dev_labels, precision=precision)
    out_of_fold = cross_validated(features, labels, weights, annotated)
    forced = [any(r.features.get(n, 0.0) > 0 for n in sufficient) for r in dev]
    threshold = choose_threshold(out_of_fold, [r.non_answer for r in dev], precision=precision, forced=forced)
    names, coefficients, intercept = fit(features, labels, weights)
    trained = {
        "development_rows": len(dev),
        "development_non_answers": sum(r.non_answer for r in dev),
        "weak_rows": len(weak),
        "weak_share": weak_share,
        "target_precision": precision,
        "labels": dict(sorted(Counter(r.label for r in dev).items())),
    }
    return AnswerCheckModel(names, coefficients, intercept, threshold, trained, sufficient)


@dataclass
class PartReport:
    part: str
    rows: int = 0
    non_answers: int = 0
    flagged: int = 0
    true_flags: int = 0
    by_label: dict[str, tuple[int, int]] = field(default_factory=dict)  # label → (flagged, rows)
    errors: list[tuple[str, str, float]] = field(default_factory=list)  # (id, label, probability)
    # non-answers that are not a "plan to consider" (the one agency's template most of them are)
    other_non_answers: int = 0
    other_found: int = 0

    @property
    def precision(self) -> float:
        return self.true_flags / self.flagged if self.flagged else 0.0

    @property
    def recall(self) -> float:
        return self.true_flags / self.non_answers if self.non_answers else 0.0

    @property
    def done_flagged(self) -> float:
        flagged, total = self.by_label.get(aa.AnswerLabel.DONE, (0, 0))
        return flagged / total if total else 0.0


def evaluate(model: AnswerCheckModel, rows: Sequence[Row], *, part: str) -> PartReport:
    """The flag's figures on the annotated rows of ``part`` ("development" or "held-out")."""
    report = PartReport(part)
    counts: dict[str, list[int]] = {}
    for r in rows:
        if not r.annotated or r.held_out != (part == "held-out"):
            continue
        p = model.probability(r.features)
        flagged = model.flags(r.features)
        report.rows += 1
        report.non_answers += r.non_answer
        report.flagged += flagged
        report.true_flags += flagged and r.non_answer
        if r.non_answer and not r.features.get("monitoring"):
            report.other_non_answers += 1
            report.other_found += flagged
        bucket = counts.setdefault(r.label, [0, 0])
        bucket[0] += flagged
        bucket[1] += 1
        if flagged != r.non_answer:
            report.errors.append((r.id, r.label, round(p, 3)))
    report.by_label = {label: (c[0], c[1]) for label, c in sorted(counts.items())}
    return report


def format_report(report: PartReport, *, details: bool = False) -> list[str]:
    lines = [
        f"{report.part}: {report.rows} answers, {report.non_answers} non-answers (formal + off_question)",
        f"  non-answer flag: precision {report.precision:.3f}, recall {report.recall:.3f} "
        f"({report.true_flags} of {report.flagged} flags right)",
        f"  concrete completions (done) flagged: {report.done_flagged:.3f}",
        f"  non-answers other than a plan to consider: {report.other_found} of "
        f"{report.other_non_answers} flagged",
        "  flagged by label: " + ", ".join(f"{k} {f}/{n}" for k, (f, n) in report.by_label.items()),
    ]
    if details:
        lines += [f"    wrong: {i} {label} p={p}" for i, label, p in report.errors]
    return lines


def model_path_default() -> Path:
    from .answer_model import MODEL_FILE

    return MODEL_FILE
