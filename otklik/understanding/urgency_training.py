"""Fitting the learned urgency model (:mod:`.urgency.learned`) on the development part of the
hand-annotated appeals, and choosing its combination with the rules by cross-validation there.

Only development rows (:func:`.annotations.held_out` false) are read for training, for the choice of
the regularisation and for the operating point; folds group rows by distinct text and keep the share
of urgent rows (``StratifiedGroupKFold``, fixed seeds). The held-out rows and the latest wave are for
``otklik evaluate-urgency`` alone. Deterministic: the same annotations give the same file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .text import analyze
from .urgency import Urgency, read_rules
from .urgency.learned import BLOCKS, DIMENSION, UrgencyModel, combine, vectorize
from .urgency_annotations import AnnotatedAppeal, distinct_key

UNKNOWN_MONTH = 1  # Kursk rows carry no date: read as written in January, as they were annotated
C_GRID = (1.0, 4.0)
FOLDS = 5
SEEDS = (0, 1, 2)
# The target (issue 15): precision ≥ 0.85 at recall ≥ 0.70. The operating point keeps the widest
# margin over both at once (texts never seen have cost ≈ 0.08 of each against cross-validation every
# round, so a point at the precision's edge with recall just above 0.70 fails one of them).
TARGET_PRECISION = 0.85
TARGET_RECALL = 0.70
GRID = tuple(round(0.02 * i, 2) for i in range(51))
# The waves the shipped model was trained on: a later wave's rows are neither trained on nor used in
# the cross-validation until this is raised (after the wave has been measured at first sight on the
# model as shipped; docs/annotation/urgency.md), so adding a wave leaves the model file as it is.
TRAINED_THROUGH_WAVE = 8


@dataclass(frozen=True)
class Row:
    """An annotated appeal as the model sees it: the rules' verdict and the feature vector."""

    dataset: str
    id: str
    group: str
    urgent: bool
    rules: bool
    rule_urgency: Urgency
    vector: dict[int, float]


def featurize(rows: Sequence[AnnotatedAppeal], blocks: Mapping[str, float] = BLOCKS) -> list[Row]:
    out = []
    for r in rows:
        analyzed = analyze(r.text)
        reading = read_rules(analyzed, r.month or UNKNOWN_MONTH)
        out.append(
            Row(
                r.dataset,
                r.id,
                f"{r.dataset}:{distinct_key(r.text)}",
                r.urgent,
                reading.urgency.is_urgent,
                reading.urgency,
                vectorize(analyzed, reading.hits, blocks),
            )
        )
    return out


def matrix(rows: Sequence[Row]) -> sp.csr_matrix:
    indices: list[int] = []
    data: list[float] = []
    indptr = [0]
    for r in rows:
        columns = sorted(r.vector)
        indices.extend(columns)
        data.extend(r.vector[c] for c in columns)
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(rows), DIMENSION),
    )


def fit(x: sp.csr_matrix, y: np.ndarray, c: float) -> tuple[dict[int, float], float]:
    """Column → weight and the intercept of a class-balanced logistic regression."""
    from sklearn.linear_model import LogisticRegression

    used = np.unique(x.indices)  # the columns some row has: a far smaller problem than DIMENSION
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit(x[:, used], y)
    coef = model.coef_[0]
    return {int(used[i]): float(coef[i]) for i in np.flatnonzero(coef)}, float(model.intercept_[0])


def out_of_fold(rows: Sequence[Row], c: float, seed: int) -> np.ndarray:
    """Each row's probability from a model fitted on the other folds (grouped by distinct text)."""
    from sklearn.model_selection import StratifiedGroupKFold

    x = matrix(rows)
    y = np.array([r.urgent for r in rows])
    groups = [r.group for r in rows]
    p = np.zeros(len(rows))
    for train, test in StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed).split(x, y, groups):
        weights, intercept = fit(x[train], y[train], c)
        model = UrgencyModel(weights, intercept, 1.0, 1.0)
        p[test] = [model.probability(rows[i].vector) for i in test]
    return p


@dataclass(frozen=True)
class OperatingPoint:
    with_rules: float
    alone: float
    precision: float  # averaged over the cross-validation runs (seeds)
    recall: float
    precision_sd: float = 0.0  # their spread over the runs
    recall_sd: float = 0.0


def scores(flags: Sequence[bool], labels: Sequence[bool]) -> tuple[float, float]:
    tp = sum(f and y for f, y in zip(flags, labels, strict=True))
    flagged, urgent = sum(flags), sum(labels)
    return (tp / flagged if flagged else 0.0, tp / urgent if urgent else 0.0)


def choose_point(runs: Sequence[np.ndarray], rules: Sequence[bool], labels: Sequence[bool]) -> OperatingPoint:
    """The (with_rules, alone) pair whose combined verdict, averaged over the cross-validation runs,
    is furthest above both targets: the largest ``min(precision − TARGET_PRECISION, recall −
    TARGET_RECALL)`` (ties: the higher precision, then the higher ``alone``)."""
    best: tuple[tuple[float, float, float], OperatingPoint] | None = None
    for alone in GRID[10:]:
        for with_rules in (t for t in GRID if t <= alone):
            ps, rs = [], []
            for p in runs:
                flags = [
                    combine(r, float(q), with_rules, alone) is not None for r, q in zip(rules, p, strict=True)
                ]
                precision, recall = scores(flags, labels)
                ps.append(precision)
                rs.append(recall)
            precision, recall = float(np.mean(ps)), float(np.mean(rs))
            margin = min(precision - TARGET_PRECISION, recall - TARGET_RECALL)
            key = (round(margin, 6), round(precision, 6), alone)
            if best is None or key > best[0]:
                best = (
                    key,
                    OperatingPoint(
                        with_rules,
                        alone,
                        round(precision, 4),
                        round(recall, 4),
                        round(float(np.std(ps)), 4),
                        round(float(np.std(rs)), 4),
                    ),
                )
    assert best is not None
    return best[1]


def average_precision(p: np.ndarray, labels: Sequence[bool]) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(np.array(labels), p))


@dataclass(frozen=True)
class Trained:
    model: UrgencyModel
    out_of_fold: dict[tuple[str, str], float]  # (dataset, id) → probability, the first seed's run


def development(rows: Sequence[AnnotatedAppeal]) -> list[AnnotatedAppeal]:
    """The rows the model learns from: development rows of the waves it was trained through."""
    return [r for r in rows if not r.held_out and r.wave <= TRAINED_THROUGH_WAVE]


def train(rows: Sequence[AnnotatedAppeal], blocks: Mapping[str, float] = BLOCKS) -> Trained:
    """Fit on the development rows of ``rows`` through :data:`TRAINED_THROUGH_WAVE` (held-out rows
    and later waves are dropped here, whatever the caller passes): C by the mean cross-validated
    average precision, the operating point by :func:`choose_point` on that C's runs, then the final
    fit on every such row."""
    dev = featurize(development(rows), blocks)
    labels = [r.urgent for r in dev]
    rules = [r.rules for r in dev]
    trials: dict[float, list[np.ndarray]] = {c: [out_of_fold(dev, c, s) for s in SEEDS] for c in C_GRID}
    quality = {c: float(np.mean([average_precision(p, labels) for p in runs])) for c, runs in trials.items()}
    c = max(C_GRID, key=lambda k: (round(quality[k], 4), -k))
    point = choose_point(trials[c], rules, labels)
    weights, intercept = fit(matrix(dev), np.array(labels), c)
    trained: dict[str, Any] = {
        "rows": len(dev),
        "urgent": sum(labels),
        "c": c,
        "cv_average_precision": {str(k): round(v, 4) for k, v in quality.items()},
        "cv_precision": point.precision,
        "cv_recall": point.recall,
        "cv_precision_sd": point.precision_sd,
        "cv_recall_sd": point.recall_sd,
        "waves": TRAINED_THROUGH_WAVE,
        "folds": FOLDS,
        "seeds": list(SEEDS),
    }
    model = UrgencyModel(weights, intercept, point.with_rules, point.alone, dict(blocks), trained)
    oof = {(r.dataset, r.id): float(p) for r, p in zip(dev, trials[c][0], strict=True)}
    return Trained(model, oof)


@dataclass(frozen=True)
class Verdicts:
    """Per annotated row (dataset, id): the rules' verdict and the model's probability — out of fold
    for development rows (a model that never saw the row), the shipped model's for held-out rows."""

    rules: dict[tuple[str, str], Urgency]
    probability: dict[tuple[str, str], float]
    model: UrgencyModel

    def rules_alone(self, row: AnnotatedAppeal) -> Urgency:
        return self.rules[(row.dataset, row.id)]

    def model_alone(self, row: AnnotatedAppeal) -> Urgency:
        p = self.probability[(row.dataset, row.id)]
        urgent = p >= self.model.alone
        return Urgency(is_urgent=urgent, kinds=["learned"] if urgent else [], probability=p)

    def combined(self, row: AnnotatedAppeal) -> Urgency:
        found = self.rules[(row.dataset, row.id)]
        p = self.probability[(row.dataset, row.id)]
        source = combine(found.is_urgent, p, self.model.with_rules, self.model.alone)
        if source is None:
            return Urgency(is_urgent=False, probability=p)
        kinds = found.kinds if found.is_urgent else ["learned"]
        return Urgency(is_urgent=True, kinds=kinds, terms=found.terms, source=source, probability=p)


def verdicts(rows: Sequence[AnnotatedAppeal], model: UrgencyModel) -> Verdicts:
    """The rules' and the model's verdicts on every row (:class:`Verdicts`); the development rows'
    probabilities come from the first seed's cross-validation at the model's C; the held-out rows' and
    those of a wave after :data:`TRAINED_THROUGH_WAVE` from the shipped model, which never saw them."""
    featurized = featurize(rows, model.blocks)
    learned = {(r.dataset, r.id) for r in development(rows)}
    dev = [r for r in featurized if (r.dataset, r.id) in learned]
    oof = out_of_fold(dev, float(model.trained.get("c", C_GRID[0])), SEEDS[0])
    probability = {(r.dataset, r.id): float(p) for r, p in zip(dev, oof, strict=True)}
    for r in featurized:
        if (r.dataset, r.id) not in learned:
            probability[(r.dataset, r.id)] = model.probability(r.vector)
    return Verdicts({(r.dataset, r.id): r.rule_urgency for r in featurized}, probability, model)
