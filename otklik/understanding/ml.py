"""The learned classifier: featurizer, linear model, cross-validation, per-category thresholds.

* **Words.** :func:`tokens`: HTML, links and mentions removed, lower case, ``ё`` → ``е``, runs of
  Cyrillic/Latin letters and digits (hyphenated parts kept together) by one regex — not razdel, so
  the classifier reads the same words whatever tokenizer the pipeline uses.
* **Features** (:class:`Featurizer`, no scikit-learn vectorizers): TF-IDF of lemma unigrams and
  bigrams (pymorphy3, cached per word), TF-IDF of character 3–5-grams of each word, the mean
  navec word vector (natasha's bundled ``navec_news_v1_1B_250K_300d_100q``: offline, no download,
  no PyTorch; ≈ 73 MB once per process), and optional weighted *extra tokens* (the rules'
  verdicts, the place found in the text). What a word contributes is worked out once per process;
  a warm batch is a regex, one dictionary look-up per word and numpy (≈ 5,700 texts/s on one core
  in batches of 100, see docs/benchmarks.md).
* **Label documents** (:class:`LabelDoc`): descriptions of a label learned as more examples of
  it — the names of the finer labels under it (a category's topics), or a category's name and
  curated keywords (whose words are kept as features even when no example has them yet).
* **Model** (:class:`TextModel`): ``LinearSVC`` (``C=0.3``, balanced class weights) over all
  blocks; with finer labels (topics) a second ``LinearSVC`` over them (lemmas and vectors), whose
  best score among a label's fine labels is averaged with that label's score. Both are stored as
  float32 weight matrices per block and scored with one sparse × dense product each. Confidence
  is the softmax of the scores (scale 5): ordered like the margins; what it means for routing is
  learned per category (below). Measured on the Kursk appeals (5-fold CV, docs/benchmarks.md):
  the topic names and the topic head raise category macro-F1 from 0.57 to 0.66; the rules'
  verdicts as features lower it, so they are off unless asked for.
* **Routing practice** (``practice_k``, :func:`recent_practice`): for routing labels, the shares of
  the labels among the ``k`` training decisions nearest in time (arrival order will do) as one
  more block of features. Routing practice drifts (on the Kursk appeals the city administration
  took the city's appeals at some periods, its committees at others); with it executor accuracy
  goes from 0.49 to 0.62 (docs/benchmarks.md). A new appeal reads the latest ``k`` decisions.
* **Thresholds.** From out-of-fold predictions on the training set, each category gets the lowest
  confidence at which the predictions of that category reach the target precision (0.9 by default)
  with at least ``min_support`` of them; a category that never reaches it has no threshold and
  always goes to moderation.
* **Storage.** A model pickles to a zlib blob (≈ 8 MB for the Kursk categories and topics);
  ``MODEL_FORMAT`` is checked on load, and a model written by an older layout raises
  :class:`IncompatibleModel` (the classifier then falls back to the rules until ``otklik train``).

Everything here except the last section is pure (no ORM): lists of texts and labels in, numbers out.
The last section stores and loads versioned models (:class:`~otklik.understanding.models.ClassifierModel`)
and collects moderators' decisions as training examples.
"""

from __future__ import annotations

import csv
import hashlib
import html
import importlib.util
import pickle
import re
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from .text import AnalyzedText, strip_links, word_readings

TAG_RE = re.compile(r"<[^>]{0,400}>")
# Words for the featurizer: runs of Cyrillic or Latin letters and digits, hyphenated parts kept
# together ("северо-запад"), on lower-cased text with ё folded to е.
TOKEN_RE = re.compile(r"[0-9a-zа-яё]+(?:-[0-9a-zа-яё]+)*")
CONFIDENCE_SCALE = 5.0
DEFAULT_TARGET_PRECISION = 0.9
MODEL_FORMAT = 2  # bumped whenever a stored model of an older layout can no longer be read
NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"
_WORD_CACHE_LIMIT = 300_000


class IncompatibleModel(ValueError):
    """A stored model written by an older version of this module: train a new one."""


def clean_html(text: str) -> str:
    """Text without HTML tags and entities ("<p>Яма&nbsp;на дороге</p>" → " Яма на дороге ")."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(TAG_RE.sub(" ", text))


def tokens(text: str) -> tuple[str, ...]:
    """The featurizer's words: HTML, links and mentions removed, lower case, ё → е."""
    return tuple(TOKEN_RE.findall(strip_links(clean_html(text)).lower().replace("ё", "е")))


@dataclass(frozen=True)
class Prepared:
    """One text as the featurizer reads it: its words and extra tokens (rules' verdicts, places)."""

    words: tuple[str, ...]
    extra: tuple[str, ...] = ()

    @property
    def folded(self) -> str:
        return " ".join(self.words)

    @property
    def lemmas(self) -> str:
        return " ".join(word_readings(w)[0] for w in self.words)


def prepare(text: str, extra: Iterable[str] = ()) -> Prepared:
    return Prepared(words=tokens(text), extra=tuple(extra))


def prepare_analyzed(analyzed: AnalyzedText, extra: Iterable[str] = ()) -> Prepared:
    """The same as :func:`prepare` for a text the pipeline has already analyzed. The featurizer
    tokenizes the text again with its own regex (≈ 30 µs): the model sees exactly the words it
    was trained on, whatever tokenizer the pipeline uses."""
    return prepare(analyzed.text, extra)


@dataclass(frozen=True)
class LabelDoc:
    """A description of a label learned as one more example of it: the name of a finer label under
    it (a topic of a category), or a category's name and keywords."""

    doc: Prepared
    label: str
    fine: str = ""  # the finer label this text names, for the fine head ("" for none)
    keep_terms: bool = False  # keep its words even when no example has them (curated keywords)
    weight: float = 1.0  # how many examples it counts as (times the model's label_doc_weight)


# What `otklik train` counts a topic's name as: measured on the Kursk appeals (docs/benchmarks.md,
# category [2b]: accuracy better at five seeds of five, 0.844 → 0.850 on the held-out file).
# `otklik evaluate` keeps 1 unless --label-doc-weight says otherwise, as its recorded rows were.
FINE_DOC_WEIGHT = 3.0


def label_docs_from_fine(fine_to_label: dict[str, str], *, weight: float = 1.0) -> list[LabelDoc]:
    """Every finer label's own text (e.g. a topic's name) as a description of its label, counted
    as ``weight`` examples."""
    return [
        LabelDoc(prepare(fine), label, fine, weight=weight) for fine, label in sorted(fine_to_label.items())
    ]


# --- word vectors ------------------------------------------------------------------------------


def navec_path() -> Path | None:
    """natasha's bundled navec file (a dependency of the project: no download), if installed."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "emb" / NAVEC_FILE
    return path if path.exists() else None


class Embeddings:
    """navec word vectors (250k word forms × 300 dimensions, product-quantized, ≈ 26 MB).

    A text's vector is the normalized sum of its words' vectors; the vectors of a whole batch are
    decoded from the quantized codes with one numpy gather."""

    def __init__(self, path: Path) -> None:
        from navec import Navec

        navec = Navec.load(str(path))
        self.name = path.name
        self.ids: dict[str, int] = navec.vocab.word_ids
        self.indexes: np.ndarray = navec.pq.indexes  # (words, subvectors) uint8
        self.codes: np.ndarray = navec.pq.codes  # (subvectors, centroids, subdimension) float32
        self.dim = int(navec.pq.dim)
        self._subvectors = np.arange(self.indexes.shape[1])[None, :]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.codes[self._subvectors, self.indexes[ids]].reshape(len(ids), self.dim))

    def text_vectors(self, ids: np.ndarray, doc_of: np.ndarray, n_docs: int) -> np.ndarray:
        """One unit vector per text: the sum of its words' vectors (``ids``, one per word; ``doc_of``
        the text of each), normalized. Each distinct word of the batch is decoded once."""
        if not len(ids):
            return np.zeros((n_docs, self.dim), np.float32)
        distinct, inverse = np.unique(ids, return_inverse=True)
        counts = sp.csr_matrix(
            (np.ones(len(ids), np.float32), (doc_of, inverse)), shape=(n_docs, len(distinct))
        )
        return np.asarray(normalize(np.asarray(counts @ self.vectors(distinct)), copy=False))


_embeddings_lock = threading.Lock()
_embeddings: Embeddings | None = None


def get_embeddings() -> Embeddings:
    """The process-wide word vectors (loaded once, ≈ 1 s)."""
    global _embeddings
    if _embeddings is None:
        with _embeddings_lock:
            if _embeddings is None:
                path = navec_path()
                if path is None:
                    raise RuntimeError(f"No word vectors: natasha's {NAVEC_FILE} is not installed.")
                _embeddings = Embeddings(path)
    return _embeddings


# --- the featurizer ----------------------------------------------------------------------------


def char_grams(word: str, low: int, high: int) -> list[str]:
    """Character n-grams of one word padded with spaces (" яма " → " я", "ям", …, "яма ", …)."""
    padded = f" {word} "
    size = len(padded)
    return [padded[i : i + n] for n in range(low, min(high, size) + 1) for i in range(size - n + 1)]


@dataclass
class Features:
    """A batch of texts as feature blocks (rows = texts), each already weighted:
    "lemmas" and "chars" and "extra" sparse TF-IDF, "embedding" dense."""

    blocks: dict[str, Any]
    rows: int

    def matrix(self, names: Sequence[str]) -> sp.csr_matrix:
        parts = [sp.csr_matrix(self.blocks[n]) for n in names if n in self.blocks]
        return sp.hstack(parts, format="csr")

    def take(self, index: np.ndarray) -> Features:
        return Features({n: b[index] for n, b in self.blocks.items()}, len(index))


def _tfidf(
    rows: np.ndarray, cols: np.ndarray, n_rows: int, idf: np.ndarray, sublinear: bool
) -> sp.csr_matrix:
    """Counts of (row, column) pairs → TF-IDF rows of unit length (as scikit-learn's TfidfVectorizer
    with ``sublinear_tf``: 1 + log(count), times the idf, L2-normalized)."""
    counts = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(n_rows, len(idf)), dtype=np.float32
    )
    counts.sum_duplicates()
    if sublinear:
        np.log(counts.data, out=counts.data)
        counts.data += 1.0
    counts.data *= idf[counts.indices]
    return normalize(counts, copy=False)


def _idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


class _Words:
    """The words a featurizer has seen, with what each contributes, in flat arrays: a batch of texts
    becomes one dictionary look-up per word and a few numpy gathers."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self._lemma: list[int] = []  # the lemma's column, -1 for none
        self._vector: list[int] = []  # the row in the word vectors, -1 for none
        self._gram_start: list[int] = []
        self._gram_count: list[int] = []
        self._grams: list[int] = []  # the n-grams' columns of every word, one after another
        self.arrays: tuple[np.ndarray, ...] = ()

    def add(self, word: str, lemma: int, vector: int, grams: list[int]) -> None:
        self.index[word] = len(self._lemma)
        self._lemma.append(lemma)
        self._vector.append(vector)
        self._gram_start.append(len(self._grams))
        self._gram_count.append(len(grams))
        self._grams.extend(grams)
        self.arrays = ()

    def snapshot(self) -> tuple[np.ndarray, ...]:
        """(lemma, vector, n-gram start, n-gram count, n-grams) as arrays, rebuilt after additions."""
        if not self.arrays:
            self.arrays = (
                np.array(self._lemma, np.int64),
                np.array(self._vector, np.int64),
                np.array(self._gram_start, np.int64),
                np.array(self._gram_count, np.int64),
                np.array(self._grams, np.int64),
            )
        return self.arrays


class Featurizer:
    """Text → feature blocks, without scikit-learn's vectorizers or razdel.

    * "lemmas": TF-IDF of lemma unigrams and bigrams seen in at least ``min_df`` training texts;
    * "chars": TF-IDF of the character n-grams (``char_ngrams``) of each word padded with spaces;
    * "extra": TF-IDF of extra tokens (rule verdicts, places) times ``extra_weight``;
    * "embedding": the mean navec vector of the words (unit length) times ``embedding_weight``.

    TF is sublinear (1 + log count), IDF smooth (ln((1 + n) / (1 + df)) + 1), every block L2-
    normalized, as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` does. What a word
    contributes (its lemma's column, its n-grams' columns, its vector's row) is worked out once per
    process and word (:class:`_Words`), so a warm batch costs a regex, a dictionary look-up per
    word and numpy; the first sight of a word costs its pymorphy3 parse.
    """

    def __init__(
        self,
        *,
        char_ngrams: tuple[int, int] | None = (3, 5),
        min_df: int = 2,
        embeddings: bool = True,
        embedding_weight: float = 1.0,
        extra_weight: float = 0.5,
    ) -> None:
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.extra_weight = extra_weight
        self.lemma_ids: dict[str, int] = {}
        self.bigram_codes = np.zeros(0, np.int64)  # first id × len(lemma_ids) + second id, sorted
        self.lemma_idf = np.zeros(0, np.float32)
        self.char_ids: dict[str, int] = {}
        self.char_idf = np.zeros(0, np.float32)
        self.extra_ids: dict[str, int] = {}
        self.extra_idf = np.zeros(0, np.float32)
        self._words = _Words()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_words"], state["_lock"]  # a cache, rebuilt as texts come
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._words = _Words()
        self._lock = threading.Lock()

    @property
    def has_extra(self) -> bool:
        return bool(self.extra_ids)

    def fit(self, docs: Sequence[Prepared], *, keep_all: Sequence[Prepared] = ()) -> Featurizer:
        """Vocabularies and IDF from ``docs`` and ``keep_all``; the terms of ``keep_all`` (label
        documents: a keyword is usually written once) are kept whatever their document frequency."""
        docs = [*docs, *keep_all]
        n = len(docs)
        lemma_of = {w: word_readings(w)[0] for d in docs for w in d.words}
        lemma_df: Counter[str] = Counter()
        bigram_df: Counter[tuple[str, str]] = Counter()
        wanted: set[Any] = set()
        for i, d in enumerate(docs):
            lemmas = [lemma_of[w] for w in d.words]
            pairs = set(pairwise(lemmas))
            lemma_df.update(set(lemmas))
            bigram_df.update(pairs)
            if i >= n - len(keep_all):
                wanted.update(lemmas, pairs)
        kept = sorted(lemma for lemma, df in lemma_df.items() if df >= self.min_df or lemma in wanted)
        self.lemma_ids = {lemma: i for i, lemma in enumerate(kept)}
        size = len(kept)
        bigrams = sorted(
            (self.lemma_ids[a] * size + self.lemma_ids[b], df)
            for (a, b), df in bigram_df.items()
            if df >= self.min_df or (a, b) in wanted
        )
        self.bigram_codes = np.array([code for code, _ in bigrams], np.int64)
        self.lemma_idf = _idf(np.array([lemma_df[k] for k in kept] + [df for _, df in bigrams], float), n)
        self.char_ids, self.char_idf = {}, np.zeros(0, np.float32)
        if self.char_ngrams:
            low, high = self.char_ngrams
            grams_of = {w: set(char_grams(w, low, high)) for w in lemma_of}
            char_df: Counter[str] = Counter()
            for d in docs:
                char_df.update(set().union(*(grams_of[w] for w in set(d.words))))
            wanted_grams = set().union(*(grams_of[w] for d in keep_all for w in d.words))
            grams = sorted(g for g, df in char_df.items() if df >= self.min_df or g in wanted_grams)
            self.char_ids = {g: i for i, g in enumerate(grams)}
            self.char_idf = _idf(np.array([char_df[g] for g in grams], float), n)
        extra_df = Counter(t for d in docs for t in set(d.extra))
        extras = sorted(extra_df)
        self.extra_ids = {t: i for i, t in enumerate(extras)}
        self.extra_idf = _idf(np.array([extra_df[t] for t in extras], float), n)
        self._words = _Words()
        return self

    def _register(self, words: Iterable[str]) -> _Words:
        """Work out what the words contribute, under a lock (threads may share the featurizer); a
        registry grown past the limit is replaced by a new one. Returns the registry holding them."""
        vectors = get_embeddings().ids if self.embeddings else {}
        with self._lock:
            if len(self._words.index) >= _WORD_CACHE_LIMIT:
                self._words = _Words()
            known = self._words
            for word in words:
                if word in known.index:
                    continue
                grams: list[int] = []
                if self.char_ngrams:
                    ids = self.char_ids
                    grams = [ids[g] for g in char_grams(word, *self.char_ngrams) if g in ids]
                lemma = self.lemma_ids.get(word_readings(word)[0], -1)
                known.add(word, lemma, vectors.get(word, -1), grams)
            return known

    def transform(self, docs: Sequence[Prepared]) -> Features:
        n = len(docs)
        flat = [w for d in docs for w in d.words]
        lengths = [len(d.words) for d in docs]
        known = self._words
        index = known.index
        positions = [index.get(w, -1) for w in flat]
        if -1 in positions:
            known = self._register(set(flat))
            index = known.index
            positions = [index[w] for w in flat]
        with self._lock:
            lemma_of, vector_of, gram_start, gram_count, all_grams = known.snapshot()
        at = np.array(positions, np.int64)
        doc_of = np.repeat(np.arange(n), lengths)
        blocks: dict[str, Any] = {"lemmas": self._lemma_block(lemma_of[at], doc_of, n)}
        if self.char_ngrams:
            counts = gram_count[at]
            total = int(counts.sum())
            # the n-grams of every word in a row: each word's run [start, start + count)
            offsets = np.repeat(gram_start[at] - (np.cumsum(counts) - counts), counts)
            grams = all_grams[offsets + np.arange(total)]
            blocks["chars"] = _tfidf(np.repeat(doc_of, counts), grams, n, self.char_idf, True)
        if self.extra_ids:
            pairs = [
                (i, self.extra_ids[t]) for i, d in enumerate(docs) for t in d.extra if t in self.extra_ids
            ]
            rows = np.array([p[0] for p in pairs], np.int64)
            cols = np.array([p[1] for p in pairs], np.int64)
            blocks["extra"] = _tfidf(rows, cols, n, self.extra_idf, False) * self.extra_weight
        if self.embeddings:
            vectors = vector_of[at]
            found = vectors >= 0
            blocks["embedding"] = get_embeddings().text_vectors(
                vectors[found], doc_of[found], n
            ) * np.float32(self.embedding_weight)
        return Features(blocks, n)

    def _lemma_block(self, ids: np.ndarray, doc_of: np.ndarray, n: int) -> sp.csr_matrix:
        known = ids >= 0
        rows, cols = [doc_of[known]], [ids[known]]
        size, codes = len(self.lemma_ids), self.bigram_codes
        if len(ids) > 1 and len(codes):
            first, second = ids[:-1], ids[1:]
            pair = (first >= 0) & (second >= 0) & (doc_of[:-1] == doc_of[1:])
            wanted = first[pair] * size + second[pair]
            at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
            hit = codes[at] == wanted
            rows.append(doc_of[:-1][pair][hit])
            cols.append(size + at[hit])
        return _tfidf(np.concatenate(rows), np.concatenate(cols), n, self.lemma_idf, True)


# --- current routing practice -------------------------------------------------------------------


def recent_practice(
    times: Sequence[float] | np.ndarray,
    ref_times: Sequence[float] | np.ndarray,
    ref_labels: Sequence[str],
    labels: Sequence[str],
    *,
    k: int,
    exclude_self: bool = False,
    past_only: bool = False,
    smoothing: float = 0.5,
) -> np.ndarray:
    """The current routing practice around each of ``times``: the share of each of ``labels``
    (columns) among the ``k`` reference decisions (``ref_times``, ``ref_labels``) nearest in
    time, smoothed by ``smoothing`` per label. With ``past_only`` only the decisions made before
    it count (a new appeal: the latest ``k`` decisions); ``exclude_self`` leaves out references
    at the same time (a training row does not vote for itself). No reference: the uniform share.

    Routing practice drifts — on the Kursk appeals the city administration took the city's
    appeals at some periods and its committees at others — so the decisions nearest in arrival
    order tell which of them routes a topic now."""
    column = {label: i for i, label in enumerate(labels)}
    reference = np.asarray(ref_times, dtype=float)
    ref_columns = np.array([column.get(label, -1) for label in ref_labels], np.int64)
    known = np.flatnonzero(ref_columns >= 0)
    # the references sorted by time once: each query looks at k on either side of its place
    order = known[np.argsort(reference[known], kind="stable")]
    sorted_times, sorted_columns = reference[order], ref_columns[order]
    size = len(order)
    out = np.zeros((len(times), len(labels)), np.float32)
    for row, t in enumerate(np.asarray(times, dtype=float)):
        low = int(np.searchsorted(sorted_times, t, side="left"))
        high = int(np.searchsorted(sorted_times, t, side="right"))
        # k on either side, widened to whole runs of equal times so that ties are all in
        start, end = max(0, low - k), high if past_only else min(size, high + k)
        if start < low:
            start = int(np.searchsorted(sorted_times, sorted_times[start], side="left"))
        if end > high:
            end = int(np.searchsorted(sorted_times, sorted_times[end - 1], side="right"))
        if past_only:
            window = np.arange(start, low)
        elif exclude_self:
            window = np.r_[start:low, high:end]
        else:
            window = np.arange(start, end)
        # the k nearest, ties by the references' order as given
        nearest = window[np.lexsort((order[window], np.abs(sorted_times[window] - t)))[:k]]
        counts = np.bincount(sorted_columns[nearest], minlength=len(labels)).astype(np.float32)
        out[row] = (counts + smoothing) / (counts.sum() + smoothing * len(labels))
    return out


# --- the model ---------------------------------------------------------------------------------


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


# --- training ----------------------------------------------------------------------------------


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


def store_model(
    trained: TrainedModel, *, kind: str, prefix: str, source: str, examples: int, now: datetime
) -> Any:
    """Store a trained model as the newest active version of its kind (a ``ClassifierModel`` row).

    The version is ``<prefix>-<number among its kind>-<moment>-<digest of the model>``: the digest
    keeps a version naming one model even when a number is reused after a rolled-back transaction
    (the processes cache loaded models by version)."""
    from django.db import transaction

    from .models import ClassifierModel

    blob = dump_model(trained.model)
    digest = hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:6]
    with transaction.atomic():
        number = ClassifierModel.objects.filter(kind=kind).count() + 1
        return ClassifierModel.objects.create(
            version=f"{prefix}-{number:04d}-{now:%Y%m%d%H%M%S}-{digest}",
            kind=kind,
            created_at=now,
            source=source[:300],
            examples=examples,
            labels=trained.model.labels,
            metrics=trained.metrics,
            thresholds=trained.thresholds,
            blob=blob,
            size=len(blob),
        )


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


# --- storage: versioned models, moderators' decisions -------------------------------------------


def dump_model(model: TextModel) -> bytes:
    return zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 6)


def load_model(blob: bytes) -> TextModel:
    """A stored model; :class:`IncompatibleModel` when an older version of this module wrote it."""
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
_loaded: dict[str, tuple[str, TextModel]] = {}  # kind → (version, model)


def active_model_version(kind: str = "category") -> str | None:
    """The version of the newest active model of ``kind`` (a ``ClassifierModel.Kind``: the category
    classifier by default), None when there is none."""
    from .models import ClassifierModel

    return (
        ClassifierModel.objects.filter(kind=kind, is_active=True)
        .order_by("-created_at", "-pk")
        .values_list("version", flat=True)
        .first()
    )


def loaded_model(version: str) -> TextModel:
    """The model of that version, unpickled once per process; one model of each kind is kept."""
    for held, model in _loaded.values():
        if held == version:
            return model
    from .models import ClassifierModel

    with _lock:
        for held, model in _loaded.values():
            if held == version:
                return model
        kind, blob = ClassifierModel.objects.values_list("kind", "blob").get(version=version)
        model = load_model(bytes(blob))
        _loaded[kind] = (version, model)  # the kind's previous model is let go
        return model
