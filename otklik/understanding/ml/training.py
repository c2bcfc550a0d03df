"""Training on labelled examples: a fitted model with thresholds and validation figures."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .evaluation import DEFAULT_TARGET_PRECISION, cross_validate, frequent_only, learn_thresholds
from .model import ModelFactory, TextModel
from .tokens import LabelDoc, label_docs_from_fine, prepare


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    extra: tuple[str, ...] = ()
    fine: str = ""  # a finer label (e.g. the topic under the category), "" for none
    time: float | None = None  # when it was routed (any increasing scale), None if unknown


@dataclass
class TrainedModel:
    model: TextModel
    thresholds: dict[str, float | None]
    metrics: dict[str, Any]


def train(
    examples: Sequence[Example],
    *,
    make_model: ModelFactory = TextModel,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    validation_folds: int = 3,
    label_docs: Sequence[LabelDoc] = (),
    times: Sequence[float] | None = None,
) -> TrainedModel:
    """Fit on every example; thresholds and the reported metrics come from an out-of-fold run over
    the classes with enough rows (a class with fewer rows than folds is still learned, but gets
    no threshold: its predictions go to moderation). ``times`` (one per example, when it was
    routed) go to the model and to the validation (:func:`cross_validate`)."""
    docs = [prepare(e.text, e.extra) for e in examples]
    labels = [e.label for e in examples]
    fine = [e.fine for e in examples] if any(e.fine for e in examples) else None
    # times only when given: a model of another design need not take them
    timed: dict[str, Any] = {} if times is None else {"times": list(times)}
    model = make_model().fit(docs, labels, fine=fine, label_docs=label_docs, **timed)
    metrics: dict[str, Any] = {"examples": len(examples), "classes": len(set(labels))}
    thresholds: dict[str, float | None] = dict.fromkeys(model.labels)
    keep, _ = frequent_only(labels, validation_folds)
    if len({labels[i] for i in keep}) >= 2:
        evaluation = cross_validate(
            docs,
            labels,
            folds=validation_folds,
            min_per_class=validation_folds,
            make_model=make_model,
            fine=fine,
            label_docs=label_docs,
            **timed,
        )
        thresholds.update(
            learn_thresholds(
                evaluation.y_true, evaluation.y_pred, evaluation.confidence, target=target_precision
            )
        )
        metrics.update({"validation": evaluation.summary(), "target_precision": target_precision})
    return TrainedModel(model=model, thresholds=thresholds, metrics=metrics)


def _label(value: str) -> str:
    """A label as written, with a whole number written as a float ("3.0") read as "3"."""
    value = value.strip()
    return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value


def _time(value: str | None, path: str | Path) -> float:
    try:
        return float((value or "").strip())
    except ValueError:
        raise ValueError(f"{path}: the time column holds {value!r}, not a number") from None


def read_labeled_csv(
    path: str | Path,
    *,
    text_col: str,
    label_col: str,
    fine_col: str | None = None,
    time_col: str | None = None,
) -> list[Example]:
    """Rows with a non-empty text and label from a CSV (UTF-8, header row); ``fine_col`` names a
    column of finer labels (e.g. the topic under the category), ``time_col`` a number that orders
    the rows in time (a timestamp, or a sequential id: arrival order)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        wanted = {text_col, label_col, *([fine_col] if fine_col else []), *([time_col] if time_col else [])}
        missing = wanted - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: no column(s) {', '.join(sorted(missing))}; found {reader.fieldnames}")
        return [
            Example(
                text=row[text_col],
                label=_label(row[label_col]),
                fine=(row[fine_col] or "").strip() if fine_col else "",
                time=_time(row[time_col], path) if time_col else None,
            )
            for row in reader
            if (row[text_col] or "").strip() and (row[label_col] or "").strip()
        ]


def fine_label_docs(examples: Sequence[Example], *, weight: float = 1.0) -> list[LabelDoc]:
    """The finer labels' own texts (a topic's name) as descriptions of the label most of their
    rows have, each counted as ``weight`` examples."""
    votes: dict[str, Counter[str]] = {}
    for e in examples:
        if e.fine:
            votes.setdefault(e.fine, Counter())[e.label] += 1
    majority = {f: counts.most_common(1)[0][0] for f, counts in votes.items()}
    return label_docs_from_fine(majority, weight=weight)
