"""The model: linear heads over the feature blocks, confidence, and its stored form."""

from __future__ import annotations

import pickle
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.svm import LinearSVC

from .features import Features, Featurizer
from .practice import recent_practice
from .tokens import LabelDoc, Prepared

CONFIDENCE_SCALE = 5.0
MODEL_FORMAT = 2  # bumped whenever a stored model of an older layout can no longer be read


class IncompatibleModel(ValueError):
    """A stored model written by an older version of this module: train a new one."""


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    scores: dict[str, float]  # the three best labels → confidence


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = (values - values.max(axis=1, keepdims=True)) * CONFIDENCE_SCALE
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


@dataclass
class LinearHead:
    """A linear model over some feature blocks, kept as one float32 weight matrix per block
    (features × labels): scoring a batch is one sparse × dense product per block."""

    labels: list[str]
    weights: dict[str, np.ndarray]
    intercept: np.ndarray

    @classmethod
    def fit(
        cls,
        features: Features,
        labels: Sequence[str],
        *,
        blocks: Sequence[str],
        c: float,
        class_weight: str | None,
        sample_weight: np.ndarray | None = None,
    ) -> LinearHead:
        used = [b for b in blocks if b in features.blocks]
        svc = LinearSVC(C=c, class_weight=class_weight, random_state=0).fit(
            features.matrix(used), list(labels), sample_weight=sample_weight
        )
        coef, intercept = np.asarray(svc.coef_), np.asarray(svc.intercept_)
        if len(svc.classes_) == 2:  # one column for the second label
            coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
        weights, start = {}, 0
        for name in used:
            width = features.blocks[name].shape[1]
            weights[name] = np.ascontiguousarray(coef[:, start : start + width].T, dtype=np.float32)
            start += width
        return cls([str(label) for label in svc.classes_], weights, intercept.astype(np.float32))

    def scores(self, features: Features) -> np.ndarray:
        out = np.tile(self.intercept, (features.rows, 1))
        for name, weights in self.weights.items():
            out += features.blocks[name] @ weights
        return out


class TextModel:
    """Lemma and character n-gram TF-IDF, word vectors, weighted extra tokens → LinearSVC; and,
    when finer labels are given, a second LinearSVC over them whose best score per label is added
    (the hierarchy: a category is the union of its topics)."""

    def __init__(
        self,
        *,
        c: float = 0.3,
        class_weight: str | None = "balanced",
        char_ngrams: tuple[int, int] | None = (3, 5),
        embeddings: bool = True,
        embedding_weight: float = 1.0,
        extra_weight: float = 0.5,
        fine_weight: float = 1.0,
        label_doc_weight: float = 1.0,
        min_df: int = 2,
        practice_k: int = 0,
        practice_weight: float = 3.0,
        practice_past_only: bool = False,
    ) -> None:
        self.format = MODEL_FORMAT
        self.c = c
        self.class_weight = class_weight
        self.fine_weight = fine_weight
        # multiplies each label document's own weight (LabelDoc.weight) in both heads' fits
        self.label_doc_weight = label_doc_weight
        # the current routing practice (:func:`recent_practice`) as features: off when 0
        self.practice_k = practice_k
        self.practice_weight = practice_weight
        self.practice_past_only = practice_past_only
        self.practice_times = np.zeros(0)  # the training decisions' times and labels
        self.practice_labels: list[str] = []
        self.featurizer = Featurizer(
            char_ngrams=char_ngrams,
            min_df=min_df,
            embeddings=embeddings,
            embedding_weight=embedding_weight,
            extra_weight=extra_weight,
        )
        self.head: LinearHead | None = None
        self.fine_head: LinearHead | None = None
        self.fine_columns: list[np.ndarray] = []  # per label: the fine head's columns under it
        self.labels: list[str] = []

    def __setstate__(self, state: dict[str, Any]) -> None:
        found = state.get("format", 1)
        if found != MODEL_FORMAT:
            raise IncompatibleModel(
                f"The stored model has format {found}; this version reads format {MODEL_FORMAT}. "
                "Train a new one with `otklik train`."
            )
        for name, default in _PRACTICE_DEFAULTS.items():  # written before the practice features
            state.setdefault(name, default() if callable(default) else default)
        self.__dict__.update(state)

    @property
    def has_extra(self) -> bool:
        return self.featurizer.has_extra

    def fit(
        self,
        docs: Sequence[Prepared],
        labels: Sequence[str],
        *,
        fine: Sequence[str] | None = None,
        label_docs: Sequence[LabelDoc] = (),
        times: Sequence[float] | None = None,
    ) -> TextModel:
        """Fit on the texts; ``label_docs`` of the labels present are added as examples;
        ``fine`` (one finer label per text, "" for none) trains the fine head; ``times`` (when each
        text was routed, any increasing scale: arrival order will do) with ``practice_k`` adds the
        current routing practice around each text as features (:func:`recent_practice`)."""
        if len(set(labels)) < 2:
            raise ValueError("Training needs at least two different labels.")
        present = set(labels)
        extra = [d for d in label_docs if d.label in present]
        all_docs = [*docs, *(d.doc for d in extra)]
        all_labels = [*labels, *(d.label for d in extra)]
        self.featurizer.fit(
            [*docs, *(d.doc for d in extra if not d.keep_terms)],
            keep_all=[d.doc for d in extra if d.keep_terms],
        )
        features = self.featurizer.transform(all_docs)
        weights = np.ones(len(all_docs))
        weights[len(docs) :] = [self.label_doc_weight * d.weight for d in extra]
        self.practice_times, self.practice_labels = np.zeros(0), []
        if self.practice_k > 0 and times is not None:
            if len(times) != len(docs):
                raise ValueError("One time per training text is needed.")
            self.practice_times = np.asarray(times, dtype=float)
            self.practice_labels = [str(label) for label in labels]
            columns = sorted(present)
            practice = recent_practice(
                times,
                times,
                labels,
                columns,
                k=self.practice_k,
                exclude_self=True,
                past_only=self.practice_past_only,
            )
            # a label document has no time: the overall shares
            overall = recent_practice([0.0], [0.0] * len(labels), labels, columns, k=len(labels))
            practice = np.vstack([practice, np.repeat(overall, len(extra), axis=0)])
            features.blocks["practice"] = practice * np.float32(self.practice_weight)
        self.head = LinearHead.fit(
            features,
            all_labels,
            blocks=("lemmas", "chars", "extra", "embedding", "practice"),
            c=self.c,
            class_weight=self.class_weight,
            sample_weight=weights,
        )
        self.labels = self.head.labels
        if "practice" in features.blocks and self.labels != sorted(present):
            raise AssertionError("the practice columns must follow the head's labels")
        self.fine_head, self.fine_columns = None, []
        if fine is not None and self.fine_weight > 0:
            all_fine = [*fine, *(d.fine for d in extra)]
            rows = np.array([i for i, f in enumerate(all_fine) if f])
            if len({all_fine[i] for i in rows}) >= 2:
                self._fit_fine(
                    features.take(rows),
                    [all_fine[i] for i in rows],
                    [all_labels[i] for i in rows],
                    weights[rows],
                )
        return self

    def _fit_fine(
        self, features: Features, fine: list[str], labels: list[str], weights: np.ndarray | None = None
    ) -> None:
        votes: dict[str, Counter[str]] = {}
        for f, label in zip(fine, labels, strict=True):
            votes.setdefault(f, Counter())[label] += 1
        label_of = {f: counts.most_common(1)[0][0] for f, counts in votes.items()}
        self.fine_head = LinearHead.fit(
            features,
            fine,
            blocks=("lemmas", "extra", "embedding"),
            c=self.c,
            class_weight=self.class_weight,
            sample_weight=weights,
        )
        under = np.array([label_of[f] for f in self.fine_head.labels])
        self.fine_columns = [np.flatnonzero(under == label) for label in self.labels]

    @property
    def uses_practice(self) -> bool:
        return self.head is not None and "practice" in self.head.weights

    def practice(self, n: int, times: Sequence[float] | None = None) -> np.ndarray:
        """The routing practice (rows × labels) for ``n`` texts routed at ``times``: the training
        decisions nearest in time; without times, the latest ``practice_k`` decisions (a new
        appeal arriving now)."""
        if times is None:
            now = float(self.practice_times.max()) + 1.0 if len(self.practice_times) else 0.0
            latest = recent_practice(
                [now],
                self.practice_times,
                self.practice_labels,
                self.labels,
                k=self.practice_k,
                past_only=True,
            )
            return np.repeat(latest, n, axis=0)
        if len(times) != n:
            raise ValueError("One time per text is needed.")
        return recent_practice(
            times,
            self.practice_times,
            self.practice_labels,
            self.labels,
            k=self.practice_k,
            past_only=self.practice_past_only,
        )

    def decision(self, docs: Sequence[Prepared], *, times: Sequence[float] | None = None) -> np.ndarray:
        """Scores (texts × labels): the label head's, averaged with the best fine score per label.
        A model fitted with times reads the routing practice at ``times`` (default: now)."""
        assert self.head is not None, "fit the model first"
        features = self.featurizer.transform(docs)
        if self.uses_practice:
            features.blocks["practice"] = self.practice(len(docs), times) * np.float32(self.practice_weight)
        scores = self.head.scores(features)
        if self.fine_head is not None:
            fine = self.fine_head.scores(features)
            best = scores.copy()
            for k, columns in enumerate(self.fine_columns):
                if len(columns):
                    best[:, k] = fine[:, columns].max(axis=1)
            scores = (scores + self.fine_weight * best) / (1.0 + self.fine_weight)
        return scores

    def predict(self, docs: Sequence[Prepared], *, times: Sequence[float] | None = None) -> list[Prediction]:
        if not docs:
            return []
        probabilities = _softmax(self.decision(docs, times=times))
        top = np.argsort(-probabilities, axis=1)[:, :3]
        labels = self.labels
        out = []
        for row, order in zip(probabilities, top, strict=True):
            out.append(
                Prediction(
                    label=labels[order[0]],
                    confidence=round(float(row[order[0]]), 4),
                    scores={labels[i]: round(float(row[i]), 4) for i in order},
                )
            )
        return out


ModelFactory = Callable[[], TextModel]
_PRACTICE_DEFAULTS: dict[str, Any] = {
    "practice_k": 0,
    "practice_weight": 3.0,
    "practice_past_only": False,
    "practice_times": lambda: np.zeros(0),
    "practice_labels": list,
}


def dump_model(model: TextModel) -> bytes:
    return zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 6)


def load_model(blob: bytes) -> TextModel:
    """A stored model; :class:`IncompatibleModel` when an older version of this module wrote it."""
    # Only blobs this module wrote into the project's own database are ever loaded.
    model = pickle.loads(zlib.decompress(blob))
    if not isinstance(model, TextModel):
        raise TypeError("Not a text model")
    return model
