"""The learned half of urgency: a logistic regression over hashed words and the rules' own findings,
fitted on the development part of the hand-annotated appeals, and its combination with the rules.

Features of a text (each a name hashed by CRC-32 into :data:`DIMENSION` columns, so the model keeps
no vocabulary and no text — only one weight per column it saw):

* ``w:`` lemmas (the first reading of each word, :mod:`..text`), a lemma right after a negation
  marked ``не_`` ("не горит" → ``w:не_гореть``), and ``b:`` pairs of neighbouring lemmas;
* ``c:`` character 3–5-grams of the words (misspellings, unknown words, word parts);
* ``h:`` the rules' **cue hits** (:attr:`..urgency.RuleReading.hits`): the kind of every cue whose
  words were found, kept or dropped (``m:flood``), and every guard that dropped one (``g:past``,
  ``g:negation``, ``g:hypothesis``, ``g:common_area``, …) — what the rules read, not their verdict;
* ``e`` (round 12): the mean navec word vector of the text (natasha's bundled file, read by
  :mod:`..ml.embeddings` as the category classifier reads it), 300 dense columns after the hashed ones.

Each block is scaled to unit length and weighted (:data:`BLOCKS`). The weights (the dense block's 300
among them), the intercept and the operating point live in ``data/urgency_model.json`` (numbers only),
rebuilt by ``otklik train-urgency`` from ``../shared/data`` (:mod:`..urgency_training`).

The combined verdict (:func:`combine`): urgent when the rules flag the text and the model gives it at
least ``with_rules``, when the model alone gives it at least ``alone``, or (round 9) when the rules do
not flag it but a guard dropped a cue's words and the model gives it at least ``with_guard`` (the three
thresholds chosen on the forward folds of the development part only).
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise, starmap
from pathlib import Path
from typing import Any

import numpy as np

from ..text import AnalyzedText, fold
from .vocabulary import NEGATIONS

MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "urgency_model.json"
DIMENSION = 1 << 18
# Block → its weight after scaling the block to unit length (the cue hits' weight chosen by
# cross-validation on the development rows, docs/benchmarks.md "Round 7"; the dense block's, 0.5, by
# the mean forward average precision of folds 6–13, "Urgency round 12"). The rules' verdict is
# never a feature: the rules were written on the development rows' errors, so there it is right far
# more often than on texts never seen, and a model given it learns to copy it (round 6).
BLOCKS: dict[str, float] = {"w": 1.0, "b": 0.6, "c": 1.0, "h": 0.5, "e": 0.5}
ORDER = ("w", "b", "c", "h", "e")
# The dense block ``e`` (round 12): the mean navec vector of the text's words (natasha's bundled file,
# :mod:`..ml.embeddings`), unit length, in the columns after the hashed ones — 300 weights, numbers only.
DENSE = "e"
DENSE_SIZE = 300
WIDTH = DIMENSION + DENSE_SIZE  # every column a weight may have
CHAR_GRAMS = (3, 5)
UNIT = 1e-4  # the weights are kept to this precision


class Source:
    """Who flagged a text as urgent (the reason shown to the moderator)."""

    RULES = "rules"
    MODEL = "model"
    BOTH = "both"


@lru_cache(maxsize=200_000)
def _column(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) % DIMENSION


@lru_cache(maxsize=200_000)
def _lemma_column(lemma: str) -> int:
    """The ``w`` block's column of a lemma (cached by the lemma: no name built)."""
    return _column(f"w:{lemma}")


@lru_cache(maxsize=200_000)
def _pair_column(first: str, second: str) -> int:
    """The ``b`` block's column of a pair of neighbouring lemmas."""
    return _column(f"b:{first} {second}")


def _lemmas(analyzed: AnalyzedText, words: Sequence[str]) -> list[str]:
    """Each word's first lemma; a word right after a negation as "не_<lemma>"."""
    lemmas: list[str] = []
    negated = False
    for word, readings in zip(words, analyzed.readings, strict=True):
        if word in NEGATIONS:
            negated = True
            lemmas.append(word)
            continue
        lemma = readings[0] if readings else word
        lemmas.append(f"не_{lemma}" if negated else lemma)
        negated = False
    return lemmas


@lru_cache(maxsize=100_000)
def _grams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    size = len(padded)
    low, high = CHAR_GRAMS
    return tuple(
        f"c:{padded[i : i + n]}" for n in range(low, min(high, size) + 1) for i in range(size - n + 1)
    )


@lru_cache(maxsize=100_000)
def _gram_columns(word: str) -> tuple[int, ...]:
    return tuple(_column(g) for g in _grams(word))


@lru_cache(maxsize=100_000)
def _gram_array(word: str) -> np.ndarray:
    """:func:`_gram_columns` as an int64 array (read only: shared by every text with the word)."""
    array = np.array(_gram_columns(word), dtype=np.int64)
    array.flags.writeable = False
    return array


def feature_names(analyzed: AnalyzedText, hits: Iterable[str]) -> dict[str, list[str]]:
    """The named features of a text by block (names repeat: counts matter in the character block)."""
    words = [fold(t.text) for t in analyzed.tokens]
    lemmas = _lemmas(analyzed, words)
    return {
        "w": [f"w:{x}" for x in lemmas],
        "b": [f"b:{x} {y}" for x, y in pairwise(lemmas)],
        "c": [g for w in words for g in _grams(w)],
        "h": [f"h:{x}" for x in hits],
    }


def _block_columns(block: str, analyzed: AnalyzedText, words: list[str], hits: Iterable[str]) -> list[int]:
    """The columns of one block's features, as :func:`feature_names` names them (cached per word)."""
    if block == "c":
        return list(chain.from_iterable(_gram_columns(w) for w in words))
    if block == "h":
        return [_column(f"h:{x}") for x in hits]
    lemmas = _lemmas(analyzed, words)
    if block == "w":
        return [_column(f"w:{x}") for x in lemmas]
    return [_column(f"b:{x} {y}") for x, y in pairwise(lemmas)]


def mean_vector(words: Sequence[str]) -> np.ndarray | None:
    """The mean navec vector of the words it knows (lower case, ё folded, as the category classifier
    reads them), unit length; None when it knows none. Each word's vector is decoded once a process
    (:meth:`..ml.embeddings.Embeddings.word_vector`); the sum is the one numpy reduction over the
    words' rows in text order that decoding them together gave (the same float64 bits)."""
    from ..ml.embeddings import get_embeddings

    embeddings = get_embeddings()
    if embeddings.dim != DENSE_SIZE:
        raise ValueError(f"word vectors of {embeddings.dim} dimensions, expected {DENSE_SIZE}")
    vector = embeddings.word_vector
    rows = [v for v in map(vector, words) if v is not None]
    if not rows:
        return None
    total = np.array(rows).sum(axis=0, dtype=np.float64)
    norm = float(np.sqrt(total @ total))
    return total / norm if norm else None


def vectorize(
    analyzed: AnalyzedText, hits: Iterable[str], blocks: Mapping[str, float] = BLOCKS
) -> dict[int, float]:
    """The text's feature vector: column → value (blocks binary or 1 + log of the count, each scaled
    to unit length times its weight; the dense block's 300 values in columns :data:`DIMENSION` on)."""
    out: dict[int, float] = {}
    words = [fold(t.text) for t in analyzed.tokens]
    hits = list(hits)
    for block in ORDER:
        weight = blocks.get(block, 0.0)
        if not weight:
            continue
        if block == DENSE:
            vector = mean_vector(words)
            if vector is not None:
                out.update((DIMENSION + i, weight * float(v)) for i, v in enumerate(vector))
            continue
        counts = Counter(_block_columns(block, analyzed, words, hits))
        if not counts:
            continue
        values = {c: (1.0 + math.log(n)) if block == "c" else 1.0 for c, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        for c, v in values.items():
            out[c] = out.get(c, 0.0) + weight * v / norm
    return out


@dataclass(frozen=True)
class UrgencyModel:
    weights: dict[int, float]
    intercept: float
    with_rules: float  # urgent when the rules flag it and the model gives at least this
    alone: float  # urgent when the model alone gives at least this
    blocks: dict[str, float] = field(default_factory=lambda: dict(BLOCKS))
    trained: dict[str, Any] = field(default_factory=dict)
    # urgent when a guard dropped a cue's words (the rules do not flag it) and the model gives at least
    # this; 1.0: no such arm (round 8 and before)
    with_guard: float = 1.0

    def __post_init__(self) -> None:
        dense = np.zeros(WIDTH)
        if self.weights:
            dense[np.fromiter(self.weights, dtype=np.int64)] = np.fromiter(self.weights.values(), dtype=float)
        object.__setattr__(self, "_dense", dense)

    def may_flag_without_rules(self, guarded: bool) -> bool:
        """Whether :func:`combine` may flag a text the rules do not flag (``guarded``: a guard dropped
        a cue): only then is the model asked about such a text."""
        return self.alone < NO_ARM or (guarded and self.with_guard < NO_ARM)

    def probability(self, vector: Mapping[int, float]) -> float:
        z = self.intercept + sum(self.weights.get(c, 0.0) * v for c, v in vector.items())
        return _sigmoid(z)

    def score(self, analyzed: AnalyzedText, hits: Iterable[str]) -> float:
        """``probability(vectorize(...))`` computed in numpy at run time (the same value to rounding).
        Round 14 (cost): the same float operations on the same numbers as round 13's path, so the same
        probability to the bit (test_urgency_model keeps that path as its reference), at less than half
        its cost — the lemmas read once; the distinct columns of the word and pair blocks a sorted set
        (their values are all 1); the character block's columns kept per word as an array and counted
        in one sort (the columns and counts ``np.unique`` gave); the words' vectors decoded once a
        process (:func:`mean_vector`)."""
        dense: np.ndarray = self._dense  # type: ignore[attr-defined]
        words = [fold(t.text) for t in analyzed.tokens]
        z = self.intercept
        lemmas: list[str] | None = None
        for block in ORDER:
            weight = self.blocks.get(block, 0.0)
            if not weight:
                continue
            if block == DENSE:
                vector = mean_vector(words)
                if vector is not None:
                    z += weight * float(dense[DIMENSION:] @ vector)
                continue
            if block == "c":
                if words:
                    unique, counts = _counted(np.concatenate([_gram_array(w) for w in words]))
                    values = 1.0 + np.log(counts)
                    z += weight * float(dense[unique] @ values) / math.sqrt(float(values @ values))
                continue
            if block == "h":
                columns = {_column(f"h:{x}") for x in hits}
            else:
                lemmas = lemmas if lemmas is not None else _lemmas(analyzed, words)
                columns = (
                    set(map(_lemma_column, lemmas))
                    if block == "w"
                    else set(starmap(_pair_column, pairwise(lemmas)))
                )
            if columns:  # values all 1: their length the square root of their number, exactly
                gathered = dense[np.array(sorted(columns), dtype=np.int64)]
                z += weight * float(gathered @ np.ones(len(columns))) / math.sqrt(len(columns))
        return _sigmoid(z)

    def to_json(self) -> str:
        """The model as JSON: the settings readable, the weights on two lines — the columns as
        differences from the previous one and the weights in units of :data:`UNIT` (the same
        training gives the same file; a third of the size of a column → weight mapping)."""
        kept = [(c, round(w / UNIT)) for c, w in sorted(self.weights.items()) if round(w / UNIT)]
        head = {
            "dimension": DIMENSION,
            "blocks": self.blocks,
            "intercept": round(self.intercept, 5),
            "with_rules": self.with_rules,
            "alone": self.alone,
            "with_guard": self.with_guard,
            "trained": self.trained,
            "unit": UNIT,
        }
        lines = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
        steps = [c - p for (c, _), p in zip(kept, [0, *(c for c, _ in kept)], strict=False)]
        compact = {"columns": steps, "weights": [w for _, w in kept]}
        tail = ",\n".join(f' "{k}": {json.dumps(v, separators=(",", ":"))}' for k, v in compact.items())
        return f"{lines},\n{tail}\n}}\n"

    @classmethod
    def from_json(cls, text: str) -> UrgencyModel:
        data = json.loads(text)
        if data.get("dimension") != DIMENSION:
            raise ValueError(f"urgency model of {data.get('dimension')} columns, expected {DIMENSION}")
        unit = float(data["unit"])
        columns, column = [], 0
        for step in data["columns"]:
            column += step
            columns.append(column)
        return cls(
            {c: w * unit for c, w in zip(columns, data["weights"], strict=True)},
            float(data["intercept"]),
            float(data["with_rules"]),
            float(data["alone"]),
            dict(data["blocks"]),
            dict(data.get("trained") or {}),
            float(data.get("with_guard", 1.0)),
        )


def _counted(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(columns, return_counts=True)`` (the same arrays) in fewer numpy calls."""
    ordered = np.sort(columns)
    size = len(ordered)
    first = np.empty(size + 1, dtype=bool)
    first[0] = first[size] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:size])
    edges = first.nonzero()[0]
    return ordered[first[:size]], edges[1:] - edges[:-1]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> UrgencyModel | None:
    """The shipped model, read once per process; None when the file is missing (rules alone)."""
    if not path.exists():
        return None
    return UrgencyModel.from_json(path.read_text(encoding="utf-8"))


# A threshold of the model's own arm or of the guard arm at 1.0: no such arm (the forward folds' "no arm"
# choice) — the model never flags a text the rules do not flag, so it need not be asked about one.
NO_ARM = 1.0


def combine(
    rules: bool,
    probability: float,
    with_rules: float,
    alone: float,
    *,
    guarded: bool = False,
    with_guard: float = 1.0,
) -> str | None:
    """Who flags the text as urgent: :class:`Source` or None (not urgent). ``guarded``: a guard dropped
    a cue's words (:attr:`..urgency.RuleReading.guards`); when the rules do not flag the text, the model
    flags it from ``with_guard`` on (the guard may have misread the sentence: "до сих пор нет воды")."""
    by_model = alone < NO_ARM and probability >= alone
    if rules and (by_model or probability >= with_rules):
        return Source.BOTH if by_model else Source.RULES
    if by_model or (guarded and not rules and with_guard < NO_ARM and probability >= with_guard):
        return Source.MODEL
    return None
