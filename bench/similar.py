"""Similar past cases on the real Kursk appeals (texts read from ../shared/data, never copied).

    .venv/bin/python bench/similar.py

Builds :class:`otklik.understanding.quality.SimilarCaseIndex` over the appeals of ``train_clean.csv``
(the appeal text stands in for the answer: the data set has no answers) — what
``otklik.cases.similar`` does when the in-process index is stale — and times one query per text of
``test_clean.csv``, what the case card does on each view. One core, no database.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django

django.setup()

from otklik.understanding.quality import PastCase, SimilarCaseIndex  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kursk_pos_2022"


def texts(name: str) -> list[str]:
    with open(DATA / name, encoding="utf-8") as f:
        return [row["Текст Сообщения"] for row in csv.DictReader(f) if row["Текст Сообщения"].strip()]


def main() -> None:
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    past = [PastCase(n, text, text, "") for n, text in enumerate(texts("train_clean.csv"))]
    queries = texts("test_clean.csv")
    started = time.perf_counter()
    index = SimilarCaseIndex(past)
    built = time.perf_counter() - started
    started = time.perf_counter()
    found = sum(1 for q in queries if index.query(q, limit=200))
    per_query = (time.perf_counter() - started) / len(queries)
    print(f"index over {len(past)} past cases built in {built:.2f} s")
    print(f"{len(queries)} queries: {per_query * 1000:.1f} ms each; {found} found at least one similar case")


if __name__ == "__main__":
    main()
