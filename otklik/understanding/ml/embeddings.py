"""navec word vectors (natasha's bundled file: offline, no download), loaded once per process
(:class:`otklik.caching.ProcessCache`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from otklik.caching import ProcessCache

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"
# The words whose decoded vectors a process keeps (:meth:`Embeddings.word_vector`): ≈ 65 MB at most.
DECODED_WORDS = 50_000


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
        # word → its decoded vector (float32, the values :meth:`vectors` gives), filled by :meth:`word_vector`
        # up to :data:`DECODED_WORDS` words; None for a word navec does not know
        self._decoded: dict[str, np.ndarray | None] = {}

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.codes[self._subvectors, self.indexes[ids]].reshape(len(ids), self.dim))

    def word_vector(self, word: str) -> np.ndarray | None:
        """One word's vector (exactly the row :meth:`vectors` decodes for it), decoded once per process for
        the first :data:`DECODED_WORDS` words asked (≈ 1.3 kB each); None for a word it does not know."""
        decoded = self._decoded
        if word in decoded:
            return decoded[word]
        i = self.ids.get(word, -1)
        vector = self.vectors(np.array([i], dtype=np.int64))[0] if i >= 0 else None
        if len(decoded) < DECODED_WORDS:
            decoded[word] = vector
        return vector

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


def _load() -> Embeddings:
    path = navec_path()
    if path is None:
        raise RuntimeError(f"No word vectors: natasha's {NAVEC_FILE} is not installed.")
    return Embeddings(path)


# no version key: the file is the installed natasha's, loaded once per process
embeddings_cache: ProcessCache[Embeddings] = ProcessCache(build=_load)


def get_embeddings() -> Embeddings:
    """The process-wide word vectors (loaded once, ≈ 1 s; no query)."""
    return embeddings_cache.get()
