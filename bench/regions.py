"""A city from its own data: places, categories and routing on the «Наш Санкт-Петербург» appeals
(``../shared/data/spb_our_city_dev``, read from there; no text is copied) and the city's okrug map.

    export DATABASE_URL=sqlite:////tmp/otklik-spb.sqlite3
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python bench/regions.py [--part places|models|speed|all] [--districts]

The city is set up as docs/regions/saint-petersburg.md does (``load_region``, ``import_territories``
from the appeals), inside a transaction rolled back at the end. The **held-out split** is fixed by a
hash of the normalized text (``understanding.annotations.held_out``, 30 %), so a text and its exact
duplicates (a quarter of the file) fall on the same side; nothing is tuned on the held-out part.

* **Places** (``--part places``): the resolver reads the text only (never the appeal's point); the
  truth is the appeal's okrug (``municipality``) and its district. Figures on every held-out row
  and on the held-out texts that name an address or a place
  (:func:`~otklik.understanding.places.evaluation.names_address_or_place`: a street with its type
  word, a house, a metro station or a territory's name — by the words alone, not the registry), with
  the address registry built (a) from every building address of the file, as a city loads its full
  registry, (b) from the training part's addresses only, (c) with no registry. ``--districts``:
  per district, with the registry of the file and with the registry of the other five districts
  only (a district the registry misses).
* **Models** (``--part models``): category (15) macro-F1 and accuracy, executor accuracy, ours
  against a plain TF-IDF (word 1–2-grams, sublinear, min_df 2) + LinearSVC (C=1) in the same run,
  same split. Ours is what ``otklik train`` and ``otklik train --agency --from-csv`` fit: the
  category model with the reasons as finer labels and label documents; the router with the
  category (the true one to train, *the predicted one* to test), the okrug of the appeal's point
  (as the pipeline places a message with coordinates) and the practice of the latest 40 earlier
  decisions. Routing by the rules ``learn-routing`` finds in the training part, then the router, is
  reported too. ``--districts``: train on five districts, test on the sixth (each in turn).
* **Speed** (``--part speed``): the place stage (``locate``) with and without the registry against
  the raw floor (the regex word scan every resolver needs), texts/s on one process.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from otklik.directory.models import Category, Territory  # noqa: E402
from otklik.directory.regions import load_region  # noqa: E402
from otklik.onboarding.territories import import_territories  # noqa: E402
from otklik.understanding import agency_model, ml  # noqa: E402
from otklik.understanding.annotations import held_out  # noqa: E402
from otklik.understanding.classify import category_label_docs  # noqa: E402
from otklik.understanding.models import Building, Street  # noqa: E402
from otklik.understanding.places import get_gazetteer, get_polygons, locate  # noqa: E402
from otklik.understanding.places.cache import changed as places_changed  # noqa: E402
from otklik.understanding.places.evaluation import Score, _levels, names_address_or_place  # noqa: E402
from otklik.understanding.places.loading import BuildingRow, load_buildings, read_address_rows  # noqa: E402
from otklik.understanding.places.names import territory_lookup  # noqa: E402
from otklik.understanding.places.resolver import scan_tokens  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
APPEALS = DATA / "spb_our_city_dev" / "appeals.csv.gz"
MAP = DATA / "russia_geojson_osm" / "Saint-Petersburg.geojson"
CITY = "Санкт-Петербург"


class _Rollback(Exception):
    pass


@dataclass
class Row:
    id: str
    text: str
    category: str
    reason: str
    district: str
    okrug: str
    lat: float
    lon: float
    executor: str
    time: float
    test: bool


def read_rows() -> list[Row]:
    with gzip.open(APPEALS, "rt", encoding="utf-8", newline="") as handle:
        rows = []
        for r in csv.DictReader(handle):
            if not r["text"].strip():
                continue
            key = " ".join(r["text"].lower().split())
            rows.append(
                Row(
                    r["id"],
                    r["text"],
                    r["category"],
                    r["reason"],
                    r["district"],
                    r["municipality"],
                    float(r["latitude"]),
                    float(r["longitude"]),
                    r["executor_org"],
                    datetime.fromisoformat(r["created"]).timestamp(),
                    held_out("spb_our_city_dev", key),
                )
            )
    return rows


def setup_city() -> Territory:
    started = time.perf_counter()
    region = load_region(name=CITY, geojson_path=MAP, towns_csv_path=None).region
    import_territories(APPEALS, region)
    print(f"city loaded (111 okrugs, districts over them) in {time.perf_counter() - started:.1f} s")
    return region


def load_registry(region: Territory, buildings: list[BuildingRow]) -> None:
    Building.objects.all().delete()
    Street.objects.all().delete()
    if buildings:
        load_buildings(region, buildings)
    places_changed()  # the buildings' bulk delete sends no signal


def addresses_of(region: Territory, rows: Sequence[Row]) -> list[BuildingRow]:
    """The buildings the rows' cards name (read from the file, kept only for the rows given)."""
    ids = {r.id for r in rows}
    buildings, _skipped = read_address_rows(APPEALS, region, {"address": "full_address"})
    line_ids: dict[int, str] = {}
    with gzip.open(APPEALS, "rt", encoding="utf-8", newline="") as handle:
        for line, r in enumerate(csv.DictReader(handle), start=2):
            line_ids[line] = r["id"]
    out = []
    for b in buildings:
        keep = [i for i, line in enumerate(b.lines) if line_ids.get(line) in ids]
        if keep:
            row = BuildingRow(b.settlement, b.kind, b.street, b.house, b.korpus, b.litera, b.stroenie)
            row.lats = [b.lats[i] for i in keep]
            row.lons = [b.lons[i] for i in keep]
            row.lines = [b.lines[i] for i in keep]
            out.append(row)
    return out


# --- places ----------------------------------------------------------------------------------------


def place_scores(rows: Sequence[Row], region: Territory, name: str) -> list[Score]:
    gazetteer = get_gazetteer()
    lookup = territory_lookup(region)
    truth_of: dict[str, Territory | None] = {}
    scores = [Score(f"{name}: district, {label}") for label in ("every row", "naming")] + [
        Score(f"{name}: okrug, {label}") for label in ("every row", "naming")
    ]
    for row in rows:
        if row.okrug not in truth_of:
            truth_of[row.okrug] = lookup(row.okrug)
        truth = truth_of[row.okrug]
        if truth is None:
            continue
        true_district, true_okrug = _levels(gazetteer.territories.get(truth.pk, truth), gazetteer)
        got_district, got_okrug = _levels(locate(row.text, gazetteer=gazetteer).territory, gazetteer)
        named = names_address_or_place(row.text, gazetteer)
        for score, true, got, on in (
            (scores[0], true_district, got_district, True),
            (scores[1], true_district, got_district, named),
            (scores[2], true_okrug, got_okrug, True),
            (scores[3], true_okrug, got_okrug, named),
        ):
            if on and true is not None:
                score.add(true.name, got.name if got is not None else "")
    return scores


def places(rows: list[Row], region: Territory, per_district: bool) -> None:
    test = [r for r in rows if r.test]
    train = [r for r in rows if not r.test]
    everything = addresses_of(region, rows)
    for label, buildings in (
        ("(a) registry of the whole file", everything),
        ("(b) registry of the training part", addresses_of(region, train)),
        ("(c) no registry", []),
    ):
        load_registry(region, buildings)
        print(f"{label}: {len(buildings)} buildings; held-out rows {len(test)}")
        for score in place_scores(test, region, "held-out"):
            print("  " + score.line())
    if not per_district:
        return
    for district in sorted({r.district for r in rows}):
        inside = [r for r in rows if r.district == district]
        others = [r for r in rows if r.district != district]
        for label, buildings in (
            ("full registry", everything),
            ("registry of the other five", addresses_of(region, others)),
        ):
            load_registry(region, buildings)
            scores = place_scores(inside, region, f"{district}, {label}")
            print("  " + scores[1].line())
            print("  " + scores[3].line())


# --- models ----------------------------------------------------------------------------------------


def baseline_fit(texts: list[str], labels: list[str]) -> Callable[[list[str]], list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    svc = LinearSVC(C=1.0).fit(vectorizer.fit_transform(texts), labels)
    return lambda batch: list(svc.predict(vectorizer.transform(batch)))


def figures(truth: list[str], predicted: list[str]) -> str:
    from sklearn.metrics import accuracy_score, f1_score

    return (
        f"macro-F1 {f1_score(truth, predicted, average='macro', zero_division=0):.3f}  "
        f"accuracy {accuracy_score(truth, predicted):.3f}"
    )


def category_model(train: list[Row]) -> ml.TextModel:
    """As ``otklik train --from-csv … --label-col category --fine-col reason`` fits it (no validation)."""
    examples = [ml.Example(r.text, r.category, fine=r.reason) for r in train]
    categories = [
        Category(pk=i + 1, code=name, name=name) for i, name in enumerate(sorted({r.category for r in train}))
    ]
    docs = [*category_label_docs(categories), *ml.fine_label_docs(examples, weight=ml.FINE_DOC_WEIGHT)]
    return ml.TextModel().fit(
        [ml.prepare(e.text) for e in examples],
        [e.label for e in examples],
        fine=[e.fine for e in examples],
        label_docs=docs,
    )


def okrug_ids(rows: Sequence[Row]) -> list[int | None]:
    polygons = get_polygons(get_gazetteer())
    out = []
    for r in rows:
        found = polygons.locate(r.lat, r.lon)
        out.append(found.pk if found is not None else None)
    return out


def models(rows: list[Row], split: Callable[[Row], bool], title: str) -> dict[str, float]:
    """``split(row)`` is True for the rows tested on."""
    train = [r for r in rows if not split(r)]
    test = [r for r in rows if split(r)]
    print(f"{title}: {len(train)} training rows, {len(test)} tested")
    out: dict[str, float] = {}
    started = time.perf_counter()
    ours = category_model(train)
    predicted_categories = [p.label for p in ours.predict([ml.prepare(r.text) for r in test])]
    fit_seconds = time.perf_counter() - started
    base = baseline_fit([r.text for r in train], [r.category for r in train])
    truth = [r.category for r in test]
    print(
        f"  category, ours:     {figures(truth, predicted_categories)}  (fit + predict {fit_seconds:.0f} s)"
    )
    print(f"  category, baseline: {figures(truth, base([r.text for r in test]))}")
    from sklearn.metrics import accuracy_score, f1_score

    out["category_ours"] = f1_score(truth, predicted_categories, average="macro", zero_division=0)
    out["category_base"] = f1_score(truth, base([r.text for r in test]), average="macro", zero_division=0)

    routed_train = [r for r in train if r.executor]
    routed_test = [(i, r) for i, r in enumerate(test) if r.executor]
    chains = agency_model.territory_chains(t for t in okrug_ids(rows) if t is not None)
    train_okrugs = okrug_ids(routed_train)
    test_okrugs = okrug_ids([r for _i, r in routed_test])
    examples = [
        ml.Example(r.text, r.executor, agency_model.routing_tokens(r.category, t, chains), time=r.time)
        for r, t in zip(routed_train, train_okrugs, strict=True)
    ]
    examples.sort(key=lambda e: e.time or 0.0)
    started = time.perf_counter()
    router = agency_model.make_agency_model().fit(
        [ml.prepare(e.text, e.extra) for e in examples],
        [e.label for e in examples],
        times=[e.time or 0.0 for e in examples],
    )
    docs = [
        ml.prepare(r.text, agency_model.routing_tokens(predicted_categories[i], t, chains))
        for (i, r), t in zip(routed_test, test_okrugs, strict=True)
    ]
    predicted = [p.label for p in router.predict(docs, times=[r.time for _i, r in routed_test])]
    fit_seconds = time.perf_counter() - started
    executors = [r.executor for _i, r in routed_test]
    base_router = baseline_fit([r.text for r in routed_train], [r.executor for r in routed_train])
    base_predicted = base_router([r.text for _i, r in routed_test])
    okrug_word = {t: f" округ{t}" for t in set(train_okrugs) | set(test_okrugs) if t is not None}
    placed_base = baseline_fit(
        [r.text + okrug_word.get(t, "") for r, t in zip(routed_train, train_okrugs, strict=True)],
        [r.executor for r in routed_train],
    )
    placed_predicted = placed_base(
        [r.text + okrug_word.get(t, "") for (_i, r), t in zip(routed_test, test_okrugs, strict=True)]
    )
    print(
        "  executor, ours (predicted category, okrug, practice): "
        f"accuracy {accuracy_score(executors, predicted):.3f}  "
        f"macro-F1 {f1_score(executors, predicted, average='macro', zero_division=0):.3f}  "
        f"({len(executors)} rows, {fit_seconds:.0f} s)"
    )
    print(
        f"  executor, baseline (text):             accuracy {accuracy_score(executors, base_predicted):.3f}"
    )
    print(
        "  executor, baseline (text + okrug word): "
        f"accuracy {accuracy_score(executors, placed_predicted):.3f}"
    )
    known = {r.executor for r in routed_train}
    seen = [i for i, e in enumerate(executors) if e in known]
    if len(seen) < len(executors):
        print(
            f"  executor, on the {len(seen)} rows whose agency the training rows know: ours "
            f"{accuracy_score([executors[i] for i in seen], [predicted[i] for i in seen]):.3f}, "
            "baseline (text) "
            f"{accuracy_score([executors[i] for i in seen], [base_predicted[i] for i in seen]):.3f}"
        )
    out["executor_ours"] = accuracy_score(executors, predicted)
    out["executor_base"] = accuracy_score(executors, base_predicted)
    # the pipeline: the rules learned from the training part first, then the router
    pairs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    whole: dict[str, Counter[str]] = defaultdict(Counter)
    for r in routed_train:
        pairs[(r.category, r.district)][r.executor] += 1
        whole[r.category][r.executor] += 1
    rules: dict[tuple[str, str], str] = {}
    for key, counts in list(pairs.items()) + [((c, ""), n) for c, n in whole.items()]:
        agency, n = counts.most_common(1)[0]
        if sum(counts.values()) >= 20 and n / sum(counts.values()) >= 0.8:
            rules[key] = agency
    covered = right = combined = 0
    for (i, r), guess in zip(routed_test, predicted, strict=True):
        rule = rules.get((predicted_categories[i], r.district)) or rules.get((predicted_categories[i], ""))
        if rule is not None:
            covered += 1
            right += rule == r.executor
        combined += (rule or guess) == r.executor
    print(
        "  routing as the pipeline does (learned rules, then the router): "
        f"accuracy {combined / len(executors):.3f}; "
        f"rules cover {covered / len(executors):.1%} at precision {right / max(1, covered):.3f}"
    )
    return out


def speed(rows: list[Row], region: Territory) -> None:
    texts = [r.text for r in rows]
    started = time.perf_counter()
    for text in texts:
        scan_tokens(text)
    floor = time.perf_counter() - started
    print(f"raw floor (the regex word scan): {len(texts) / floor:,.0f} texts/s")
    for label, buildings in (("no registry", []), ("registry of the whole file", addresses_of(region, rows))):
        load_registry(region, buildings)
        gazetteer = get_gazetteer()
        locate("прогрев", gazetteer=gazetteer)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            for text in texts:
                locate(text, gazetteer=gazetteer)
            runs.append(time.perf_counter() - started)
        best = min(runs)
        print(
            f"place stage, {label}: best {len(texts) / best:,.0f}, "
            f"median {len(texts) / statistics.median(runs):,.0f} "
            f"texts/s; floor / stage = 1 : {best / floor:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["places", "models", "speed", "all"], default="all")
    parser.add_argument("--districts", action="store_true", help="also district by district")
    args = parser.parse_args()
    if not APPEALS.exists():
        sys.exit(f"no shared data at {APPEALS}")
    print(f"{datetime.now():%Y-%m-%d %H:%M}, load: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    rows = read_rows()
    print(f"{len(rows)} appeals with a text, {sum(r.test for r in rows)} held out")
    try:
        with transaction.atomic():
            region = setup_city()
            if args.part in ("places", "all"):
                places(rows, region, args.districts)
            if args.part in ("models", "all"):
                models(rows, lambda r: r.test, "held-out split")
                if args.districts:
                    results = [
                        models(
                            rows,
                            lambda r, d=district: r.district == d,
                            f"trained on five, tested on {district}",
                        )
                        for district in sorted({r.district for r in rows})
                    ]
                    for key in results[0]:
                        print(
                            f"mean over the six districts, {key}: "
                            f"{statistics.mean(r[key] for r in results):.3f}"
                        )
            if args.part in ("speed", "all"):
                speed(rows, region)
            raise _Rollback
    except _Rollback:
        pass
    print(f"load at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
