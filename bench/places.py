"""Throughput of the place stage on the real Kursk appeals (texts read from ../shared/data).

    DATABASE_URL=sqlite:////tmp/otklik-bench-places.sqlite3 .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/otklik-bench-places.sqlite3 .venv/bin/python bench/places.py

Loads the Kursk region into the given database (use a scratch one), then times on one core:
the gazetteer scan alone, ``locate`` (address, institution, gazetteer, known streets), ``locate``
with the NER fallback on the texts left unplaced, and natasha NER on every text for comparison.
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

from otklik.understanding import ner  # noqa: E402
from otklik.understanding import place_evaluation as ev  # noqa: E402
from otklik.understanding.places import locate  # noqa: E402
from otklik.understanding.text import tokenize  # noqa: E402


def rate(label: str, texts: list[str], work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for text in texts:
        work(text)
    elapsed = time.perf_counter() - started
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
    rate(
        "gazetteer scan + resolve (tokens given)",
        [tokenize(t) for t in texts],
        lambda t: gazetteer.resolve(gazetteer.scan(t)),
    )  # type: ignore[arg-type]
    rate("locate (address, institution, gazetteer, streets)", texts, lambda t: locate(t, gazetteer=gazetteer))
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
