"""Throughput of the learned category classifier on the real Kursk appeals (read from ../shared/data).

    taskset -c 1 .venv/bin/python bench/classify.py [--repeat 5] [--reference]

Trains the shipped model design on train_clean.csv (``Категория``, topic names as label documents
and the topic head: what ``otklik evaluate … --fine-col Тематика`` measures), stores and reloads it
(as a worker does), then classifies the 1,000 texts of test_clean.csv on one core from the raw
text: tokenization (regex), lemmas (pymorphy3, cached per word), TF-IDF blocks, word vectors, both
linear heads, softmax. Batches of 100 and 500 and one text at a time; the first pass with a cold
lemma cache and a new process's empty word registry, the others warm (as in a long-running
pipeline); each warm figure is the best and the median of ``--repeat`` passes.

The raw floor is the regex tokenization alone (what any classifier of these texts must do);
the ratio floor / path says how many times slower the whole path is than that. ``--reference``
also times the previous design in the same run: razdel tokens, sklearn ``TfidfVectorizer`` (lemma
1–2-grams + ``char_wb`` 2–5) and ``LinearSVC.decision_function``. The rules' pass that the
pipeline adds for the matched terms (``analyze`` + ``classify_by_rules``) is timed on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django

django.setup()

import numpy as np  # noqa: E402

from otklik.understanding import ml  # noqa: E402
from otklik.understanding.classify import default_rules  # noqa: E402
from otklik.understanding.text import analyze, word_readings  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kursk_pos_2022"


def per_second(texts: list[str], size: int, work: Callable[[list[str]], object]) -> float:
    started = time.perf_counter()
    for i in range(0, len(texts), size):
        work(texts[i : i + size])
    return len(texts) / (time.perf_counter() - started)


def best_and_median(texts: list[str], size: int, work: Callable[[list[str]], object], repeat: int) -> str:
    rates = [per_second(texts, size, work) for _ in range(repeat)]
    return f"best {max(rates):8,.0f}   median {statistics.median(rates):8,.0f} msg/s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference", action="store_true", help="also time the previous design")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    train = ml.read_labeled_csv(
        DATA / "train_clean.csv", text_col="text_clean", label_col="Категория", fine_col="Тематика"
    )
    texts = [
        e.text for e in ml.read_labeled_csv(DATA / "test_clean.csv", text_col="text_clean", label_col="id")
    ]
    started = time.perf_counter()
    model = ml.TextModel().fit(
        [ml.prepare(e.text) for e in train],
        [e.label for e in train],
        fine=[e.fine for e in train],
        label_docs=ml.fine_label_docs(train),
    )
    fitted = time.perf_counter() - started
    blob = ml.dump_model(model)
    model = ml.load_model(blob)  # a fresh word registry, as in a new worker
    ml.get_embeddings()  # loaded once per process (≈ 1 s), not per message
    print(
        f"fit on {len(train)} texts + {len(ml.fine_label_docs(train))} topic names: {fitted:.1f} s; "
        f"stored model {len(blob) / 1e6:.1f} MB"
    )
    print(
        f"{len(texts)} test texts, {sum(map(len, texts)) / len(texts):.0f} characters on average, one core\n"
    )

    def classify(batch: list[str]) -> object:
        return model.predict([ml.prepare(t) for t in batch])

    word_readings.cache_clear()
    cold = per_second(texts, 100, classify)
    floor_rates = [per_second(texts, 100, lambda b: [ml.tokens(t) for t in b]) for _ in range(args.repeat)]
    floor = max(floor_rates)
    print(f"raw floor: regex tokens only            best {floor:8,.0f} msg/s")
    print(f"cold lemma cache, batches of 100:       {cold:13,.0f} msg/s")
    warm = [per_second(texts, 100, classify) for _ in range(args.repeat)]
    print(
        f"warm, batches of 100:                   best {max(warm):8,.0f}   median "
        f"{statistics.median(warm):8,.0f} msg/s   (floor / best = {floor / max(warm):.1f})"
    )
    print(f"warm, batches of 500:                   {best_and_median(texts, 500, classify, args.repeat)}")
    print(f"warm, one message at a time:            {best_and_median(texts, 1, classify, args.repeat)}")

    rules = default_rules()
    for t in texts:
        rules.classify_by_rules(analyze(ml.clean_html(t)))
    print(
        "rules' pass (analyze + classify_by_rules): "
        + best_and_median(
            texts, 100, lambda b: [rules.classify_by_rules(analyze(ml.clean_html(t))) for t in b], 3
        )
    )
    if args.reference:
        reference(train, texts, args.repeat)


def reference(train: list[ml.Example], texts: list[str], repeat: int) -> None:
    """The previous design, timed the same way: razdel + pymorphy3 lemmas + sklearn TF-IDF + LinearSVC."""
    import scipy.sparse as sp
    from razdel import tokenize as razdel_tokenize
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    def words(text: str) -> list[str]:
        return [
            t.text.lower().replace("ё", "е") for t in razdel_tokenize(ml.clean_html(text)) if t.text.isalnum()
        ]

    def features(batch: list[str], fit: bool = False) -> sp.csr_matrix:
        tokenized = [words(t) for t in batch]
        lemmas = [" ".join(word_readings(w)[0] for w in ws) for ws in tokenized]
        folded = [" ".join(ws) for ws in tokenized]
        if fit:
            return sp.hstack([lemma_vec.fit_transform(lemmas), char_vec.fit_transform(folded)], format="csr")
        return sp.hstack([lemma_vec.transform(lemmas), char_vec.transform(folded)], format="csr")

    lemma_vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=r"\S+")
    char_vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    svc = LinearSVC(C=0.3, class_weight="balanced").fit(
        features([e.text for e in train], fit=True), [e.label for e in train]
    )
    np.asarray(svc.decision_function(features(texts[:100])))
    print(
        "previous design (razdel + sklearn TF-IDF + LinearSVC), batches of 100: "
        + best_and_median(texts, 100, lambda b: svc.decision_function(features(b)), repeat)
    )


if __name__ == "__main__":
    main()
