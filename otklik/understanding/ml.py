"""The learned classifier: featurizer, linear model, cross-validation, per-category thresholds.

* **Features.** TF-IDF over lemma unigrams and bigrams (``text.lemmas``, cached per word) and over
  character n-grams inside word boundaries (``char_wb`` 2–5 on the folded words), plus optional
  *extra tokens* per text (the rule classifier's matched category codes, the place found in the
  text), weighted down so they inform rather than decide. HTML tags and entities are stripped first.
* **Model.** ``LinearSVC`` with balanced class weights and ``C=0.3`` (measured best on the Kursk
  appeals among LinearSVC C∈{0.05…3}, logistic regression, ridge, complement NB; see
  docs/benchmarks.md). Confidence is the softmax of the decision values (scale 5): a number in
  0…1 ordered like the margins; what it means for routing is learned per category (below).
* **Thresholds.** From out-of-fold predictions on the training set, each category gets the lowest
  confidence at which the predictions of that category reach the target precision (0.9 by default)
  with at least ``min_support`` of them; a category that never reaches it has no threshold and
  always goes to moderation.

Everything here except the last section is pure (no ORM): lists of texts and labels in, numbers out.
The last section stores and loads versioned models (:class:`~otklik.understanding.models.ClassifierModel`)
and collects moderators' decisions as training examples.
"""

from __future__ import annotations

import csv
import html
import pickle
import re
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from .text import AnalyzedText, word_readings, words

TAG_RE = re.compile(r"<[^>]{0,400}>")
CONFIDENCE_SCALE = 5.0
DEFAULT_TARGET_PRECISION = 0.9


def clean_html(text: str) -> str:
    """Text without HTML tags and entities ("<p>Яма&nbsp;на дороге</p>" → " Яма на дороге ")."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(TAG_RE.sub(" ", text))


@dataclass(frozen=True)
class Prepared:
    """One text as the featurizer reads it: lemmas and folded words, space-joined; extra tokens."""

    lemmas: str
    folded: str
    extra: str = ""


def prepare(text: str, extra: Iterable[str] = ()) -> Prepared:
    folded = words(clean_html(text))
    return Prepared(
        lemmas=" ".join(word_readings(w)[0] for w in folded),
        folded=" ".join(folded),
        extra=" ".join(extra),
    )


def prepare_analyzed(analyzed: AnalyzedText, extra: Iterable[str] = ()) -> Prepared:
    """The same as :func:`prepare` for a text the pipeline has already tokenized."""
    if "<" in analyzed.text or "&" in analyzed.text:
        return prepare(analyzed.text, extra)
    return Prepared(
        lemmas=" ".join(analyzed.lemmas),
        folded=" ".join(t.folded for t in analyzed.tokens),
        extra=" ".join(extra),
    )


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    scores: dict[str, float]  # the three best labels → confidence


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = (values - values.max(axis=1, keepdims=True)) * CONFIDENCE_SCALE
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


class TextModel:
    """Lemma and character n-gram TF-IDF (+ weighted extra tokens) → LinearSVC."""

    def __init__(
        self,
        *,
        c: float = 0.3,
        extra_weight: float = 0.5,
        class_weight: str | None = "balanced",
        char_ngrams: tuple[int, int] | None = (2, 5),
    ):
        self.c = c
        self.char_ngrams = char_ngrams
        self.extra_weight = extra_weight
        self.class_weight = class_weight
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=r"\S+", dtype=np.float32
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=char_ngrams or (2, 5),
            sublinear_tf=True,
            min_df=2,
            dtype=np.float32,
        )
        self.extra = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, dtype=np.float32)
        self.has_extra = False
        self.classifier = LinearSVC(C=c, class_weight=class_weight)
        self.labels: list[str] = []

    def _matrix(self, docs: Sequence[Prepared], *, fit: bool) -> sp.csr_matrix:
        lemma_docs = [d.lemmas for d in docs]
        folded_docs = [d.folded for d in docs]
        if fit:
            self.has_extra = any(d.extra for d in docs)
            blocks = [self.words.fit_transform(lemma_docs)]
            if self.char_ngrams:
                blocks.append(self.chars.fit_transform(folded_docs))
            if self.has_extra:
                blocks.append(self.extra.fit_transform([d.extra or "-" for d in docs]) * self.extra_weight)
        else:
            blocks = [self.words.transform(lemma_docs)]
            if self.char_ngrams:
                blocks.append(self.chars.transform(folded_docs))
            if self.has_extra:
                blocks.append(self.extra.transform([d.extra or "-" for d in docs]) * self.extra_weight)
        return sp.hstack(blocks, format="csr")

    def fit(self, docs: Sequence[Prepared], labels: Sequence[str]) -> TextModel:
        if len(set(labels)) < 2:
            raise ValueError("Training needs at least two different labels.")
        self.classifier.fit(self._matrix(docs, fit=True), list(labels))
        self.labels = [str(label) for label in self.classifier.classes_]
        return self

    def decision(self, docs: Sequence[Prepared]) -> np.ndarray:
        values = self.classifier.decision_function(self._matrix(docs, fit=False))
        if values.ndim == 1:  # two classes: one column for the second label
            values = np.column_stack([-values, values])
        return np.asarray(values)

    def predict(self, docs: Sequence[Prepared]) -> list[Prediction]:
        if not docs:
            return []
        probabilities = _softmax(self.decision(docs))
        out = []
        for row in probabilities:
            order = np.argsort(-row)[:3]
            out.append(
                Prediction(
                    label=self.labels[order[0]],
                    confidence=round(float(row[order[0]]), 4),
                    scores={self.labels[i]: round(float(row[i]), 4) for i in order},
                )
            )
        return out


ModelFactory = Callable[[], TextModel]


# --- evaluation ---------------------------------------------------------------------------------


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
) -> Evaluation:
    """Stratified k-fold CV over the classes with at least ``min_per_class`` rows.

    ``label_map`` maps a predicted label before scoring (e.g. a predicted topic to its category);
    the true labels are then given already mapped."""
    keep, dropped = frequent_only(labels, max(min_per_class, folds))
    kept_docs = [docs[i] for i in keep]
    kept_labels = np.array([labels[i] for i in keep])
    y_pred: list[str] = [""] * len(keep)
    confidence: list[float] = [0.0] * len(keep)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(keep)), kept_labels):
        model = make_model().fit([kept_docs[i] for i in train_idx], kept_labels[train_idx].tolist())
        for i, prediction in zip(test_idx, model.predict([kept_docs[i] for i in test_idx]), strict=True):
            y_pred[i] = label_map(prediction.label) if label_map else prediction.label
            confidence[i] = prediction.confidence
    return Evaluation(
        y_true=kept_labels.tolist(), y_pred=y_pred, confidence=confidence, folds=folds, dropped=dropped
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


# --- training ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    extra: tuple[str, ...] = ()


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
) -> TrainedModel:
    """Fit on every example; thresholds and the reported metrics come from an out-of-fold run over
    the classes with enough rows (a class with fewer rows than folds is still learned, but gets
    no threshold: its predictions go to moderation)."""
    docs = [prepare(e.text, e.extra) for e in examples]
    labels = [e.label for e in examples]
    model = make_model().fit(docs, labels)
    metrics: dict[str, Any] = {"examples": len(examples), "classes": len(set(labels))}
    thresholds: dict[str, float | None] = dict.fromkeys(model.labels)
    keep, _ = frequent_only(labels, validation_folds)
    if len({labels[i] for i in keep}) >= 2:
        evaluation = cross_validate(
            docs, labels, folds=validation_folds, min_per_class=validation_folds, make_model=make_model
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


def read_labeled_csv(path: str | Path, *, text_col: str, label_col: str) -> list[Example]:
    """Rows with a non-empty text and label from a CSV (UTF-8, header row)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {text_col, label_col} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: no column(s) {', '.join(sorted(missing))}; found {reader.fieldnames}")
        return [
            Example(text=row[text_col], label=_label(row[label_col]))
            for row in reader
            if (row[text_col] or "").strip() and (row[label_col] or "").strip()
        ]


# --- storage: versioned models, moderators' decisions -------------------------------------------


def dump_model(model: TextModel) -> bytes:
    return zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 6)


def load_model(blob: bytes) -> TextModel:
    # Only blobs this module wrote into the project's own database are ever loaded.
    model = pickle.loads(zlib.decompress(blob))
    if not isinstance(model, TextModel):
        raise TypeError("Not a text model")
    return model


def moderated_examples() -> list[Example]:
    """Training examples from moderators' decisions: the category of every case's latest
    "moderated" event (a correction wins over the pipeline's suggestion, a later decision over an
    earlier one), labelled by the category code.

    The case history is read through the app registry by its label: understanding sits below
    cases and never imports it."""
    from django.apps import apps

    from otklik.directory.models import Category

    case_event = apps.get_model("cases", "CaseEvent")
    latest: dict[int, int | None] = {}
    for case_id, after in (
        case_event.objects.filter(kind="moderated")
        .order_by("created_at", "id")
        .values_list("case_id", "after")
    ):
        ref = (after or {}).get("category")
        latest[case_id] = ref.get("id") if isinstance(ref, dict) else None
    codes = dict(Category.objects.values_list("pk", "code"))
    case_model = apps.get_model("cases", "Case")
    texts = dict(case_model.objects.filter(pk__in=list(latest)).values_list("pk", "text"))
    return [
        Example(text=texts[case_id], label=codes[category_id])
        for case_id, category_id in sorted(latest.items())
        if category_id in codes and texts.get(case_id, "").strip()
    ]


_lock = threading.Lock()
_loaded: dict[str, TextModel] = {}


def active_model_version() -> str | None:
    from .models import ClassifierModel

    return (
        ClassifierModel.objects.filter(kind=ClassifierModel.Kind.CATEGORY, is_active=True)
        .order_by("-created_at", "-pk")
        .values_list("version", flat=True)
        .first()
    )


def loaded_model(version: str) -> TextModel:
    """The model of that version, unpickled once per process."""
    model = _loaded.get(version)
    if model is not None:
        return model
    from .models import ClassifierModel

    with _lock:
        if version not in _loaded:
            row = ClassifierModel.objects.get(version=version)
            _loaded.clear()  # keep one model in memory
            _loaded[version] = load_model(bytes(row.blob))
        return _loaded[version]
