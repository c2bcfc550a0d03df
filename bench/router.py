"""The learned router (the AGENCY model the pipeline asks when no routing rule covers a case) on the
real Kursk appeals, read from ../shared/data (no text is copied).

    DATABASE_URL=sqlite:////tmp/otklik-router.sqlite3 .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/otklik-router.sqlite3 .venv/bin/python bench/router.py [--time-split]
        [--first N] [--no-cat] [--baselines]

Trains ``agency_model.make_agency_model()`` by ``ml.train(…, times=)`` as ``otklik train --agency``
does: text, the category ("cat:<Категория>") and the place tokens found by the Kursk gazetteer,
time = the platform's sequential id (arrival order). By default trains on train_clean.csv and
scores test_clean.csv twice: with ``times=None`` (the latest practice of the training rows: what a
new appeal sees) and at the test rows' own ids. ``--time-split`` pools both files by id and trains
on the earliest 80 %, tests on the rest (``--first N``: only the N earliest of those).
"suggested" counts the rows the pipeline would suggest (confidence ≥ the agency's threshold).
``--baselines`` prints instead the pipeline's category-practice rule (the leader of the category's
latest 40 decisions) and the same model without the practice. The region is loaded inside a
transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from otklik.directory.regions import load_region  # noqa: E402
from otklik.understanding import agency_model, ml  # noqa: E402
from otklik.understanding.classify import place_tokens  # noqa: E402
from otklik.understanding.places.evaluation import region_gazetteer  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
KURSK = DATA / "kursk_pos_2022"
EXECUTOR = "Ответственное лицо"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["text_clean"].strip() and r[EXECUTOR].strip()]


def examples(use_cat: bool) -> tuple[list[ml.Example], list[ml.Example]]:
    with transaction.atomic():
        region = load_region(
            name="Курская_область",
            geojson_path=str(DATA / "russia_geojson_osm" / "Kursk_region.geojson"),
            towns_csv_path=str(DATA / "hflabs_city" / "city.csv"),
            region_filter="Курская",
        ).region
        gazetteer = region_gazetteer(region)

        def example(row: dict[str, str], cat_col: str) -> ml.Example:
            extra = [f"cat:{ml._label(row[cat_col])}"] if use_cat and row.get(cat_col) else []
            places = place_tokens(row["text_clean"], gazetteer)
            return ml.Example(
                row["text_clean"], row[EXECUTOR].strip(), (*extra, *places), time=float(row["id"])
            )

        train = [example(r, "Категория") for r in read(KURSK / "train_clean.csv")]
        test = [example(r, "Категория_from_topic") for r in read(KURSK / "test_clean.csv")]
        transaction.set_rollback(True)
    return train, test


def baselines(train: list[ml.Example], test: list[ml.Example]) -> None:
    def category(e: ml.Example) -> str | None:
        return next((x for x in e.extra if x.startswith("cat:")), None)

    hits = shown = 0
    for e in test:
        latest = sorted((t for t in train if category(t) == category(e)), key=lambda t: -(t.time or 0))[:40]
        if len(latest) >= 10:
            agency, count = Counter(t.label for t in latest).most_common(1)[0]
            if count > 0.5 * len(latest):
                shown += 1
                hits += agency == e.label
    print(
        f"category practice (leader of the latest 40, ≥ 10 decisions, > 50 %): suggested "
        f"{shown}/{len(test)} ({shown / len(test):.1%}), precision {hits / max(1, shown):.3f}"
    )
    model = ml.TextModel(class_weight=None, extra_weight=2.0)
    model.fit([ml.prepare(e.text, e.extra) for e in train], [e.label for e in train])
    predicted = model.predict([ml.prepare(e.text, e.extra) for e in test])
    right = sum(p.label == e.label for p, e in zip(predicted, test, strict=True))
    print(f"the same model without the practice: accuracy {right / len(test):.3f}")


def threshold(learned: float | None) -> float:
    return agency_model.DEFAULT_THRESHOLD if learned is None else learned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-split", action="store_true")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--no-cat", action="store_true")
    parser.add_argument("--baselines", action="store_true")
    args = parser.parse_args()
    train, test = examples(use_cat=not args.no_cat)
    if args.time_split:  # both files by id: the earliest 80 % train, the rest test
        pool = sorted(train + test, key=lambda e: e.time or 0)
        cut = int(len(pool) * 0.8)
        train, test = pool[:cut], pool[cut:]
        if args.first:
            test = test[: args.first]
    if args.baselines:
        baselines(train, test)
        return
    started = time.perf_counter()
    trained = ml.train(train, make_model=agency_model.make_agency_model, times=[e.time or 0 for e in train])
    print(
        f"category tokens: {not args.no_cat}; {len(train)} training rows, {len(trained.model.labels)} "
        f"agencies; train + 3-fold validation {time.perf_counter() - started:.0f} s, "
        f"{len(ml.dump_model(trained.model)) / 1e6:.1f} MB"
    )
    docs = [ml.prepare(e.text, e.extra) for e in test]
    truth = [e.label for e in test]
    for name, times in (
        ("latest practice (times=None)", None),
        ("at the test ids", [e.time or 0 for e in test]),
    ):
        started = time.perf_counter()
        predicted = trained.model.predict(docs, times=times)
        per_text = (time.perf_counter() - started) * 1000 / len(docs)
        right = sum(p.label == y for p, y in zip(predicted, truth, strict=True))
        suggested = [
            (p, y)
            for p, y in zip(predicted, truth, strict=True)
            if p.confidence >= threshold(trained.thresholds.get(p.label))
        ]
        precision = sum(p.label == y for p, y in suggested) / max(1, len(suggested))
        print(
            f"{name}: accuracy {right / len(test):.3f} on {len(test)} rows; suggested "
            f"{len(suggested)} ({len(suggested) / len(test):.1%}) with precision {precision:.3f}; "
            f"{per_text:.2f} ms per text"
        )


if __name__ == "__main__":
    main()
