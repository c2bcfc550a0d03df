"""The featurizer: texts → TF-IDF of lemmas and character n-grams, extra tokens, word vectors."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from ..text import word_readings
from .embeddings import get_embeddings
from .tokens import Prepared

_WORD_CACHE_LIMIT = 300_000


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
