"""Precision and recall of the place resolver on real appeals (``otklik evaluate-places``).

Ground truth, two kinds:

* **The executor.** ``kursk_pos_2022`` rows were routed to an executor; a district or town
  administration, or a committee "города Курска", names the municipality the appeal is about. The
  executor's name is resolved with the same gazetteer (it is a clean name such as "Администрация
  Курского района"); regional committees name no place and are left out.
* **Hand annotations** (``data/annotations/kursk_places.csv``): settlement, district, street and house
  written by a person who read each text; kept by row id, texts read from ``../shared/data``.

A prediction counts at the municipality level (a settlement counts as its district or okrug); a
region-only answer is no prediction. Precision = correct / predicted, recall = correct / rows.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.directory.regions import load_region

from ..text import fold, tokenize
from .cache import known_institutions
from .data import DATA_DIR, KnownStreet, extract_institution, street_key
from .gazetteer import Gazetteer
from .resolver import locate

KURSK_REGION = "Курская область"
ANNOTATIONS = Path(__file__).resolve().parent.parent / "data" / "annotations" / "kursk_places.csv"


def shared_data() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data"


def load_kursk(data: Path | None = None) -> Territory:
    data = data or shared_data()
    return load_region(
        name=KURSK_REGION,
        geojson_path=data / "russia_geojson_osm" / "Kursk_region.geojson",
        towns_csv_path=data / "hflabs_city" / "city.csv",
        region_filter="Курская",
    ).region


def region_gazetteer(region: Territory, **kwargs: object) -> Gazetteer:
    """A gazetteer of one region only (other regions in the same database stay out)."""
    rows = Territory.objects.defer("geometry").filter(
        Q(pk=region.pk) | Q(parent=region) | Q(parent__parent=region)
    )
    kwargs.setdefault("institutions", known_institutions())
    return Gazetteer(list(rows.order_by("pk")), f"eval-{region.pk}", **kwargs)  # type: ignore[arg-type]


def read_rows(split: str, data: Path | None = None) -> list[dict[str, str]]:
    path = (data or shared_data()) / "kursk_pos_2022" / f"{split}_clean.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def truth_municipality(executor: str, gazetteer: Gazetteer) -> Territory | None:
    """The municipality an executor's name stands for, or None for a regional or private executor."""
    if not (executor.startswith("Администрация") or "города Курска" in executor):
        return None
    territory, _ = gazetteer.resolve(gazetteer.scan(tokenize(executor)))
    if territory is None or territory.kind == TerritoryKind.REGION:
        return None
    return territory.municipality


@dataclass(eq=False)
class Score:
    name: str
    rows: int = 0
    predicted: int = 0
    correct: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, truth: str, predicted: str) -> None:
        self.rows += 1
        if predicted:
            self.predicted += 1
            if fold(predicted) == fold(truth):
                self.correct += 1
            else:
                self.confusions[(truth, predicted)] += 1

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.rows if self.rows else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<42} rows {self.rows:5d}  predicted {self.predicted:5d}  correct {self.correct:5d}  "
            f"precision {self.precision:.3f}  recall {self.recall:.3f}"
        )


def _predicted_municipality(text: str, gazetteer: Gazetteer, use_ner: bool) -> str:
    place = locate(text, gazetteer=gazetteer, use_ner=use_ner)
    if place.territory is None or place.territory.kind == TerritoryKind.REGION:
        return ""
    return place.territory.municipality.name


def evaluate_by_executor(
    rows: Iterable[dict[str, str]], gazetteer: Gazetteer, *, use_ner: bool = False
) -> tuple[Score, float]:
    """District (municipality) precision/recall against the executor; also texts per second."""
    score = Score("district, by executor" + (" (+NER)" if use_ner else ""))
    labelled = [(r, truth_municipality(r["Ответственное лицо"], gazetteer)) for r in rows]
    started = time.perf_counter()
    for row, truth in labelled:
        if truth is not None:
            score.add(truth.name, _predicted_municipality(row["text_clean"], gazetteer, use_ner))
    elapsed = time.perf_counter() - started
    return score, score.rows / elapsed if elapsed else 0.0


def learn_institutions(rows: Iterable[dict[str, str]], gazetteer: Gazetteer) -> int:
    """Fill the registry as moderators would: every routed appeal that names a numbered institution
    confirms it in the executor's municipality, through the same
    :func:`~otklik.understanding.places.institutions.learn_institution` a moderator's confirmation calls."""
    from .institutions import learn_institution

    learned = 0
    for row in rows:
        truth = truth_municipality(row["Ответственное лицо"], gazetteer)
        mention = extract_institution(row["text_clean"])
        if truth is not None and mention is not None and mention.number:
            learn_institution(mention.kind, mention.number, truth)
            learned += 1
    return learned


def evaluate_institutions(rows: Iterable[dict[str, str]], gazetteer: Gazetteer) -> tuple[Score, Score]:
    """On the appeals that name a numbered institution and have a municipality by executor: the
    district figures of the whole resolver, and of the rows the registry placed (source
    "institution", i.e. the text named no other place)."""
    overall = Score("district, texts naming an institution")
    by_registry = Score("district, placed by the institution registry")
    for row in rows:
        truth = truth_municipality(row["Ответственное лицо"], gazetteer)
        mention = extract_institution(row["text_clean"])
        if truth is None or mention is None or not mention.number:
            continue
        place = locate(row["text_clean"], gazetteer=gazetteer)
        territory = place.territory
        below_region = territory is not None and territory.kind != TerritoryKind.REGION
        predicted = territory.municipality.name if territory is not None and below_region else ""
        overall.add(truth.name, predicted)
        if place.source == "institution":
            by_registry.add(truth.name, predicted)
    return overall, by_registry


def derive_streets(
    rows: Iterable[dict[str, str]], gazetteer: Gazetteer, *, min_share: float = 0.75
) -> list[KnownStreet]:
    """Streets → municipality from routed appeals: a street is kept when at least ``min_share`` of
    its mentions went to one municipality (so "ул. Ленина", found in every town, stays out)."""
    from .addresses import extract_address

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    region = next(t for t in gazetteer.territories.values() if t.kind == TerritoryKind.REGION)
    for row in rows:
        truth = truth_municipality(row["Ответственное лицо"], gazetteer)
        address = extract_address(row["text_clean"])
        if truth is None or address is None:
            continue
        street = address.text.split(",")[0]
        counts[street_key(street)][truth.name] += 1
        names.setdefault(street_key(street), street)
    found = []
    for key, by_municipality in sorted(counts.items()):
        municipality, top = by_municipality.most_common(1)[0]
        if top / sum(by_municipality.values()) >= min_share:
            found.append(KnownStreet(region.name, municipality, names[key]))
    return found


def write_streets(streets: list[KnownStreet], path: Path = DATA_DIR / "streets.csv") -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["region", "municipality", "street"])
        for street in streets:
            writer.writerow([street.region, street.municipality, street.street])


@dataclass(frozen=True)
class Annotation:
    row_id: str
    settlement: str
    district: str
    street: str
    house: str


def read_annotations(path: Path = ANNOTATIONS) -> list[Annotation]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Annotation(
                r["id"],
                r["settlement"].strip(),
                r["district"].strip(),
                r["street"].strip(),
                r["house"].strip(),
            )
            for r in csv.DictReader(handle)
        ]


def evaluate_annotations(
    annotations: list[Annotation], rows: list[dict[str, str]], gazetteer: Gazetteer, *, use_ner: bool = False
) -> list[Score]:
    """District, settlement and street precision/recall against the hand annotations. A row whose
    annotation leaves a field empty counts for that field only as a possible false positive."""
    by_id = {r["id"]: r for r in rows}
    suffix = " (+NER)" if use_ner else ""
    district = Score("district, hand-annotated" + suffix)
    settlement = Score("settlement, hand-annotated" + suffix)
    street = Score("street, hand-annotated" + suffix)
    for annotation in annotations:
        row = by_id.get(annotation.row_id)
        if row is None:
            continue
        place = locate(row["text_clean"], gazetteer=gazetteer, use_ner=use_ner)
        territory = (
            place.territory if place.territory and place.territory.kind != TerritoryKind.REGION else None
        )
        predicted = {
            district: territory.municipality.name if territory else "",
            settlement: place.settlement,
            street: street_key(place.address) if place.address else "",
        }
        truth = {
            district: annotation.district,
            settlement: annotation.settlement,
            street: street_key(annotation.street) if annotation.street else "",
        }
        for score in (district, settlement, street):
            if truth[score]:
                score.add(truth[score], predicted[score])
            elif predicted[score]:  # a place where the annotator found none: a false positive
                score.predicted += 1
                score.confusions[("—", predicted[score])] += 1
    return [district, settlement, street]
