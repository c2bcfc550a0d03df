"""Cross-validation, its figures and per-label confidence thresholds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from .model import ModelFactory, TextModel
from .tokens import LabelDoc, Prepared

DEFAULT_TARGET_PRECISION = 0.9


@dataclass
class ClassMetrics:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    """Out-of-fold predictions of a cross-validation and the figures computed from them."""

    y_true: list[str]
    y_pred: list[str]
    confidence: list[float]
    folds: int
    dropped: dict[str, int] = field(default_factory=dict)  # classes under the minimum → rows

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.y_true) | set(self.y_pred), key=_natural)

    @property
    def macro_f1(self) -> float:
        return float(f1_score(self.y_true, self.y_pred, average="macro", zero_division=0))

    @property
    def weighted_f1(self) -> float:
        return float(f1_score(self.y_true, self.y_pred, average="weighted", zero_division=0))

    @property
    def accuracy(self) -> float:
        return float(accuracy_score(self.y_true, self.y_pred))

    def per_class(self) -> list[ClassMetrics]:
        labels = self.labels
        p, r, f, s = precision_recall_fscore_support(self.y_true, self.y_pred, labels=labels, zero_division=0)
        return [
            ClassMetrics(label, float(p[i]), float(r[i]), float(f[i]), int(s[i]))
            for i, label in enumerate(labels)
        ]

    def confusion(self) -> list[list[int]]:
        return confusion_matrix(self.y_true, self.y_pred, labels=self.labels).tolist()

    def summary(self) -> dict[str, Any]:
        return {
            "rows": len(self.y_true),
            "classes": len(set(self.y_true)),
            "folds": self.folds,
            "macro_f1": round(self.macro_f1, 4),
            "weighted_f1": round(self.weighted_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "dropped_classes": self.dropped,
        }

    def as_text(self, names: dict[str, str] | None = None) -> str:
        names = names or {}
        how = f"{self.folds}-fold stratified CV" if self.folds else "held-out test set"
        lines = [
            f"rows {len(self.y_true)}, classes {len(set(self.y_true))}, {how}"
            + (f"; left out (fewer rows than the minimum): {self.dropped}" if self.dropped else ""),
            f"macro-F1 {self.macro_f1:.3f}   weighted F1 {self.weighted_f1:.3f}   "
            f"accuracy {self.accuracy:.3f}",
            "",
            f"{'class':<44} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}",
        ]
        for m in self.per_class():
            shown = _shown(m.label, names)
            lines.append(f"{shown:<44} {m.precision:9.3f} {m.recall:7.3f} {m.f1:6.3f} {m.support:8d}")
        labels = self.labels
        width = max(4, *(len(label) for label in labels)) if len(labels) <= 30 else 0
        if width:
            lines += ["", "confusion matrix (rows: true, columns: predicted)"]
            lines.append(" " * (width + 1) + " ".join(f"{label[:width]:>{width}}" for label in labels))
            for label, row in zip(labels, self.confusion(), strict=True):
                lines.append(f"{label[:width]:>{width}} " + " ".join(f"{n:>{width}d}" for n in row))
        return "\n".join(lines)


def _natural(label: str) -> tuple[int, int | str]:
    return (0, int(label)) if label.isdigit() else (1, label)


def _shown(label: str, names: dict[str, str]) -> str:
    name = names.get(label)
    return (f"{label} {name}" if name else label)[:44]


def frequent_only(labels: Sequence[str], min_per_class: int) -> tuple[list[int], dict[str, int]]:
    """Indexes of the rows whose class has at least ``min_per_class`` rows; the dropped classes."""
    counts = Counter(labels)
    dropped = {label: n for label, n in counts.items() if n < min_per_class}
    return [i for i, label in enumerate(labels) if label not in dropped], dropped


def cross_validate(
    docs: Sequence[Prepared],
    labels: Sequence[str],
    *,
    folds: int = 5,
    min_per_class: int = 5,
    make_model: ModelFactory = TextModel,
    seed: int = 0,
    label_map: Callable[[str], str] | None = None,
    fine: Sequence[str] | None = None,
    label_docs: Sequence[LabelDoc] = (),
    times: Sequence[float] | None = None,
) -> Evaluation:
    """Stratified k-fold CV over the classes with at least ``min_per_class`` rows.

    ``fine`` and ``label_docs`` go to :meth:`TextModel.fit`; a label document takes part in a fold
    only when its label, and its finer label if it names one, occur among that fold's training rows.
    ``times`` (when each row was routed) go to the model too: a held-out row's routing practice
    is read from that fold's training rows nearest in time.
    ``label_map`` maps a predicted label before scoring (e.g. a predicted topic to its category);
    the true labels are then given already mapped."""
    keep, dropped = frequent_only(labels, max(min_per_class, folds))
    kept_docs = [docs[i] for i in keep]
    kept_labels = np.array([labels[i] for i in keep])
    kept_fine = [fine[i] for i in keep] if fine is not None else None
    kept_times = [times[i] for i in keep] if times is not None else None
    y_pred: list[str] = [""] * len(keep)
    confidence: list[float] = [0.0] * len(keep)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(keep)), kept_labels):
        train_labels = kept_labels[train_idx].tolist()
        train_fine = [kept_fine[i] for i in train_idx] if kept_fine is not None else None
        seen = set(train_labels)
        seen_fine = set(train_fine or ())
        fold_docs = [d for d in label_docs if d.label in seen and (not d.fine or d.fine in seen_fine)]
        # times only when given: a model of another design (or a test's spy) need not take them
        timed: dict[str, Any] = {}
        if kept_times is not None:
            timed["times"] = [kept_times[i] for i in train_idx]
        model = make_model().fit(
            [kept_docs[i] for i in train_idx], train_labels, fine=train_fine, label_docs=fold_docs, **timed
        )
        if kept_times is not None:
            timed["times"] = [kept_times[i] for i in test_idx]
        predictions = model.predict([kept_docs[i] for i in test_idx], **timed)
        for i, prediction in zip(test_idx, predictions, strict=True):
            y_pred[i] = label_map(prediction.label) if label_map else prediction.label
            confidence[i] = prediction.confidence
    return Evaluation(
        y_true=kept_labels.tolist(), y_pred=y_pred, confidence=confidence, folds=folds, dropped=dropped
    )


def cross_validate_table(
    keys: Sequence[tuple[str, ...]],
    labels: Sequence[str],
    *,
    folds: int = 5,
    min_per_class: int = 5,
    seed: int = 0,
) -> Evaluation:
    """A look-up router under the same protocol as :func:`cross_validate`: each held-out row gets
    the label most frequent among the training rows with the same key (e.g. (topic, place)),
    backing off to shorter prefixes of the key, then to the most frequent label. Given the true
    topic it measures what routing by category and place could reach at best."""
    keep, dropped = frequent_only(labels, max(min_per_class, folds))
    kept_keys = [keys[i] for i in keep]
    kept_labels = np.array([labels[i] for i in keep])
    y_pred: list[str] = [""] * len(keep)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(keep)), kept_labels):
        table: dict[tuple[str, ...], Counter[str]] = {}
        for i in train_idx:
            key = kept_keys[i]
            for n in range(len(key) + 1):
                table.setdefault(key[:n], Counter())[kept_labels[i]] += 1
        for i in test_idx:
            key = kept_keys[i]
            n = next(n for n in range(len(key), -1, -1) if key[:n] in table)
            y_pred[i] = table[key[:n]].most_common(1)[0][0]
    return Evaluation(
        y_true=kept_labels.tolist(), y_pred=y_pred, confidence=[1.0] * len(keep), folds=folds, dropped=dropped
    )


def learn_thresholds(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    confidence: Sequence[float],
    *,
    target: float = DEFAULT_TARGET_PRECISION,
    min_support: int = 3,
) -> dict[str, float | None]:
    """Per predicted label: the lowest confidence t such that the predictions of that label with
    confidence ≥ t are right at least ``target`` of the time (and there are ≥ ``min_support``);
    None when no such t exists (that label always goes to moderation)."""
    thresholds: dict[str, float | None] = {}
    for label in sorted(set(y_pred)):
        rows = sorted(
            ((c, t == label) for t, p, c in zip(y_true, y_pred, confidence, strict=True) if p == label),
            key=lambda row: -row[0],
        )
        best: float | None = None
        correct = 0
        for n, (conf, right) in enumerate(rows, start=1):
            correct += right
            # a threshold sits only where the confidence changes: ties go in together
            if n < len(rows) and rows[n][0] == conf:
                continue
            if n >= min_support and correct / n >= target:
                best = conf
        thresholds[label] = best
    return thresholds
