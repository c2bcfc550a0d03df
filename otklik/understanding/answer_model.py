"""The learned part of the answer check: how much each statement of :mod:`.answer_reading` counts
towards "a formal non-answer", learned from the hand-annotated answers.

A logistic regression over the reading's features (a dozen statements, not words: it carries to
another region's answers), fitted on the **development** part of ``spb_answers.csv`` and, weakly, on
the residents' verdicts of the other answers of the same portal (satisfied → an answer; closed
without the resident's confirmation or still open → a non-answer, each weighing a small fraction of an
annotated row). The fitted weights and the threshold live in ``data/answer_check.json`` (numbers only,
no texts); ``otklik train-answer-check`` rebuilds it and ``otklik evaluate-answers`` reports the
held-out figures (``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).resolve().parent / "data" / "answer_check.json"
# The threshold is the lowest probability at which the flag keeps this precision in cross-validation
# on the development part (never chosen on the held-out part).
TARGET_PRECISION = 0.9
WEAK_SHARE = 0.2  # all weak rows together weigh this share of the annotated development rows


@dataclass(frozen=True)
class AnswerCheckModel:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float
    trained: dict[str, Any] = field(default_factory=dict)
    # Statements that settle the verdict alone: on the development part, answers stating them were
    # non-answers at least TARGET_PRECISION of the time (feature → that share).
    sufficient: dict[str, float] = field(default_factory=dict)

    def logit(self, features: dict[str, float]) -> float:
        pairs = zip(self.names, self.weights, strict=True)
        return self.intercept + sum(w * features.get(n, 0.0) for n, w in pairs)

    def regression(self, features: dict[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0

    def settled(self, features: dict[str, float]) -> list[str]:
        """The sufficient statements the answer makes."""
        return [name for name in self.sufficient if features.get(name, 0.0) > 0]

    def probability(self, features: dict[str, float]) -> float:
        """Probability that the answer is a formal non-answer: the regression's, or at least the share
        of non-answers among development answers making a sufficient statement it makes."""
        p = self.regression(features)
        return max([p, *(self.sufficient[n] for n in self.settled(features))])

    def flags(self, features: dict[str, float]) -> bool:
        return bool(self.settled(features)) or self.regression(features) >= self.threshold

    def contributions(self, features: dict[str, float]) -> dict[str, float]:
        """Each feature's push towards (positive) or away from (negative) the flag."""
        return {n: w * features.get(n, 0.0) for n, w in zip(self.names, self.weights, strict=True)}

    def to_json(self) -> str:
        data = {
            "names": list(self.names),
            "weights": [round(w, 4) for w in self.weights],
            "intercept": round(self.intercept, 4),
            "threshold": round(self.threshold, 4),
            "sufficient": {k: round(v, 4) for k, v in self.sufficient.items()},
            "trained": self.trained,
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AnswerCheckModel:
        data = json.loads(text)
        return cls(
            tuple(data["names"]),
            tuple(data["weights"]),
            data["intercept"],
            data["threshold"],
            data.get("trained", {}),
            data.get("sufficient", {}),
        )


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> AnswerCheckModel:
    return AnswerCheckModel.from_json(path.read_text(encoding="utf-8"))


def fit(
    rows: Sequence[dict[str, float]],
    labels: Sequence[bool],
    weights: Sequence[float] | None = None,
    *,
    names: Sequence[str] | None = None,
    c: float = 1.0,
) -> tuple[tuple[str, ...], tuple[float, ...], float]:
    """(names, weights, intercept) of a logistic regression on feature dicts."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    names = tuple(names or rows[0])
    x = np.array([[row.get(n, 0.0) for n in names] for row in rows])
    y = np.array(labels, dtype=int)
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, y, sample_weight=None if weights is None else np.array(weights))
    return names, tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0])


def sufficient_statements(
    rows: Sequence[dict[str, float]], labels: Sequence[bool], *, precision: float, support: int = 10
) -> dict[str, float]:
    """Binary features that alone mark a non-answer with at least ``precision`` on ``support``+ rows."""
    out: dict[str, float] = {}
    for name in rows[0] if rows else ():
        values = [row.get(name, 0.0) for row in rows]
        if any(v not in (0.0, 1.0) for v in values):
            continue
        hits = [y for v, y in zip(values, labels, strict=True) if v]
        if len(hits) >= support and sum(hits) / len(hits) >= precision:
            out[name] = sum(hits) / len(hits)
    return out


def choose_threshold(
    probabilities: Sequence[float],
    labels: Sequence[bool],
    *,
    precision: float = TARGET_PRECISION,
    forced: Sequence[bool] | None = None,
) -> float:
    """The lowest threshold whose flag (with the ``forced`` rows always flagged) keeps ``precision``
    (the highest recall that does), else 0.5."""
    best: tuple[float, float] | None = None
    forced = forced or [False] * len(labels)
    for step in range(5, 96):
        t = step / 100
        flagged = [y for p, y, f in zip(probabilities, labels, forced, strict=True) if f or p >= t]
        if not flagged:
            continue
        hits = sum(flagged)
        if hits / len(flagged) >= precision:
            recall = hits / max(sum(labels), 1)
            if best is None or recall > best[1]:
                best = (t, recall)
    return best[0] if best else 0.5


def cross_validated(
    rows: Sequence[dict[str, float]],
    labels: Sequence[bool],
    weights: Sequence[float],
    annotated: Sequence[bool],
    *,
    folds: int = 5,
    seed: int = 0,
) -> list[float]:
    """Out-of-fold regression probabilities for the annotated rows (weak rows are always in training)."""
    import random

    index = [i for i, a in enumerate(annotated) if a]
    rng = random.Random(seed)
    positives = [i for i in index if labels[i]]
    negatives = [i for i in index if not labels[i]]
    rng.shuffle(positives)
    rng.shuffle(negatives)
    fold_of = {i: k % folds for k, i in enumerate(positives)}
    fold_of |= {i: k % folds for k, i in enumerate(negatives)}
    out: dict[int, float] = {}
    for k in range(folds):
        train = [i for i in range(len(rows)) if fold_of.get(i, -1) != k]
        names, ws, b = fit([rows[i] for i in train], [labels[i] for i in train], [weights[i] for i in train])
        model = AnswerCheckModel(names, ws, b, 0.5)
        for i in index:
            if fold_of[i] == k:
                out[i] = model.regression(rows[i])
    return [out[i] for i in index]
