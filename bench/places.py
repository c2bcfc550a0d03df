"""Throughput of the place stage on the real Kursk appeals (texts read from ../shared/data).

    DATABASE_URL=sqlite:////tmp/otklik-bench-places.sqlite3 .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/otklik-bench-places.sqlite3 .venv/bin/python bench/places.py

Loads the Kursk region into the given database (use a scratch one), then times on one core:
folding the words (one ``lower()`` per word against one over the joined words), the gazetteer scan
alone (without and with the words around the names), ``locate`` (address, institution, gazetteer,
known streets), ``locate`` with the NER fallback on the texts left unplaced, and natasha NER on
every text for comparison.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django

django.setup()

from otklik.understanding.places import evaluation as ev  # noqa: E402
from otklik.understanding.places import (  # noqa: E402
    locate,
    ner,
    scan_tokens,
)


def rate(label: str, texts: list, work, repeat: int = 1) -> float:  # type: ignore[no-untyped-def,type-arg]
    """Texts per second of ``work`` over ``texts``: the best of ``repeat`` runs."""
    elapsed = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            work(text)
        elapsed = min(elapsed, time.perf_counter() - started)
    per_second = len(texts) / elapsed
    print(f"{label:<55} {len(texts):6d} texts  {elapsed:7.2f} s  {per_second:9,.0f} texts/s")
    return per_second


def main() -> None:
    gazetteer = ev.region_gazetteer(ev.load_kursk())
    texts = [r["text_clean"] for split in ("train", "test") for r in ev.read_rows(split)]
    print(f"{len(texts)} real appeals, mean {sum(map(len, texts)) / len(texts):.0f} characters")
    for text in texts:  # warm the per-word caches, as a running pipeline has them
        locate(text, gazetteer=gazetteer)
    ner.locations("Прогрев модели в Курске")
    tokens = [scan_tokens(t) for t in texts]
    rate("fold: one lower() per token (before)", tokens, lambda ts: [t.folded for t in ts], repeat=5)
    rate(
        "fold: one lower() of the joined tokens (shipped)",
        tokens,
        lambda ts: " ".join([t[0] for t in ts]).lower().replace("ё", "е").split(" "),
        repeat=5,
    )
    rate("gazetteer scan + resolve (tokens given)", tokens, lambda t: gazetteer.resolve(gazetteer.scan(t)), 5)
    pairs = list(zip(tokens, texts, strict=True))
    rate(
        "gazetteer scan in context + resolve (tokens and text)",
        pairs,
        lambda pair: gazetteer.resolve(gazetteer.scan(*pair)),
        repeat=5,
    )
    rate(
        "locate (address, institution, gazetteer, streets)",
        texts,
        lambda t: locate(t, gazetteer=gazetteer),
        repeat=3,
    )
    unplaced = sum(1 for t in texts if locate(t, gazetteer=gazetteer).is_ambiguous)
    print(f"texts the gazetteer leaves unplaced: {unplaced} of {len(texts)} ({unplaced / len(texts):.0%})")
    rate(
        "locate + NER on the unplaced (use_ner=True)",
        texts[:600],
        lambda t: locate(t, gazetteer=gazetteer, use_ner=True),
    )
    rate("natasha NER alone on every text", texts[:600], ner.locations)
    short = [t[:140] for t in texts[:600]]
    rate("natasha NER alone, texts cut to 140 characters", short, ner.locations)


if __name__ == "__main__":
    main()
