"""Throughput of the learned category classifier on the real Kursk appeals (read from ../shared/data).

    .venv/bin/python bench/classify.py

Trains on train_clean.csv (``Категория``, rule features from the shipped default tree), then
classifies the 1,000 texts of test_clean.csv on one core: the whole path per message (lemmas,
rule features, TF-IDF, LinearSVC) in batches of 100 and one text at a time, after one warm-up
pass (the lemma cache warm, as in a long-running pipeline), and once with a cold lemma cache.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django

django.setup()

from otklik.understanding import ml  # noqa: E402
from otklik.understanding.classify import default_rules, with_rule_features  # noqa: E402
from otklik.understanding.text import analyze, word_readings  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kursk_pos_2022"


def main() -> None:
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    rules = default_rules()
    train = with_rule_features(
        ml.read_labeled_csv(DATA / "train_clean.csv", text_col="text_clean", label_col="Категория"), rules
    )
    for char_ngrams in ((2, 5), None):
        started = time.perf_counter()
        model = ml.TextModel(char_ngrams=char_ngrams)
        model.fit([ml.prepare(e.text, e.extra) for e in train], [e.label for e in train])
        print(
            f"\n{'lemmas + char_wb 2-5' if char_ngrams else 'lemmas only'}: "
            f"fit on {len(train)} texts {time.perf_counter() - started:.1f} s"
        )
        measure(model, rules)


def measure(model: ml.TextModel, rules) -> None:
    texts = [
        e.text for e in ml.read_labeled_csv(DATA / "test_clean.csv", text_col="text_clean", label_col="id")
    ]
    chars = sum(len(t) for t in texts) / len(texts)

    def classify_batch(batch: list[str]) -> None:
        analyzed = [analyze(ml.clean_html(t)) for t in batch]
        docs = [ml.prepare_analyzed(a, rules.feature_tokens(a)) for a in analyzed]
        model.predict(docs)

    def run(size: int) -> float:
        t0 = time.perf_counter()
        for i in range(0, len(texts), size):
            classify_batch(texts[i : i + size])
        return len(texts) / (time.perf_counter() - t0)

    word_readings.cache_clear()
    cold = run(100)
    run(100)  # warm-up
    print(f"{len(texts)} texts, {chars:.0f} characters on average, one core")
    print(f"cold lemma cache, batches of 100: {cold:8.0f} messages/s")
    print(f"warm, batches of 100:             {run(100):8.0f} messages/s")
    print(f"warm, batches of 500:             {run(500):8.0f} messages/s")
    print(f"warm, one message at a time:      {run(1):8.0f} messages/s")


if __name__ == "__main__":
    main()
