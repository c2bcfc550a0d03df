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
import re
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


# --- any labelled file ---------------------------------------------------------------------------

_HOUSE_WORDS = re.compile(r"(?<![\w-])(?:дом|д\.)\s*№?\s*\d", re.IGNORECASE)
_METRO_NAMED = re.compile(r"(?<![\w-])(?:метро|м\.|ст\.\s*м\.?)\s*«?[А-ЯЁ]", re.IGNORECASE)


def names_address_or_place(text: str, gazetteer: Gazetteer) -> bool:
    """Does the text name an address or a place, by its words alone (no address registry): a street
    with its type word ("ул. Ломоносова", "на Садовой улице"), a house ("д. 5"), a metro station
    ("у метро Ладожская") or a territory of the region below the region itself ("в Купчино")."""
    from .addresses import extract_address

    if extract_address(text) is not None or _HOUSE_WORDS.search(text) or _METRO_NAMED.search(text):
        return True
    return any(any(gazetteer.depth(t) > 0 for t in m.ids) for m in gazetteer.scan(tokenize(text)))


@dataclass
class FileScores:
    """District- and okrug-level figures of a labelled file, on every row and on the rows naming an
    address or a place; "district" is the level right under the region, "okrug" the one below."""

    district: Score = field(default_factory=lambda: Score("district, every row"))
    okrug: Score = field(default_factory=lambda: Score("okrug, every row"))
    district_named: Score = field(default_factory=lambda: Score("district, texts naming an address or place"))
    okrug_named: Score = field(default_factory=lambda: Score("okrug, texts naming an address or place"))
    rows: int = 0
    truth_by: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)  # what placed the named rows
    texts_per_second: float = 0.0

    def lines(self) -> list[str]:
        by = ", ".join(f"{k} {v}" for k, v in self.truth_by.most_common())
        out = [f"{self.rows} rows; true territory by {by}"]
        out += [s.line() for s in (self.district, self.okrug, self.district_named, self.okrug_named)]
        placed = ", ".join(f"{k} {v}" for k, v in self.sources.most_common())
        out.append(f"what placed the texts naming an address or place: {placed}")
        out.append(f"resolver speed: {self.texts_per_second:,.0f} texts/s")
        return out


def _levels(territory: Territory | None, gazetteer: Gazetteer) -> tuple[Territory | None, Territory | None]:
    """(the territory at the district level, at the okrug level) of a territory, None where it is
    not that deep."""
    if territory is None or territory.pk not in gazetteer.territories:
        return None, None
    chain = gazetteer.chain(territory.pk)  # the territory … the region
    top_down = list(reversed(chain))
    district = gazetteer.territories[top_down[1]] if len(top_down) > 1 else None
    okrug = gazetteer.territories[top_down[2]] if len(top_down) > 2 else None
    return district, okrug


def evaluate_file(
    path: str | Path,
    region: Territory,
    *,
    text_col: str = "text",
    territory_col: str | None = None,
    lat_col: str | None = None,
    lon_col: str | None = None,
    gazetteer: Gazetteer | None = None,
    use_ner: bool = False,
) -> FileScores:
    """Precision and recall of :func:`locate` on a labelled file: the true territory of a row is
    the one its ``territory_col`` names (any spelling, former names too), else the polygon holding
    its ``lat_col``/``lon_col`` point. The resolver reads the text only (never the point)."""
    from otklik.directory.tables import FileProblems, read_rows

    from .cache import get_gazetteer, get_polygons
    from .names import territory_lookup

    if not territory_col and not (lat_col and lon_col):
        raise FileProblems(["give the true territory: a territory column, or latitude and longitude columns"])
    headers, rows = read_rows(path)
    missing = [c for c in (text_col, territory_col, lat_col, lon_col) if c and c not in headers]
    if missing:
        columns = ", ".join(headers)
        raise FileProblems([f"{Path(path).name}: no column {', '.join(missing)} (found: {columns})"])
    gazetteer = gazetteer or get_gazetteer()
    lookup = territory_lookup(region) if territory_col else None
    polygons = get_polygons(gazetteer) if lat_col and lon_col else None
    scores = FileScores()
    named_truth: dict[str, Territory | None] = {}
    labelled: list[tuple[str, Territory]] = []
    for _line, values in rows:
        text = values.get(text_col, "")
        if not text.strip():
            continue
        truth: Territory | None = None
        if lookup is not None and values.get(territory_col or ""):
            name = values[territory_col or ""]
            if name not in named_truth:
                named_truth[name] = lookup(name)
            truth = named_truth[name]
            scores.truth_by["name" if truth is not None else "unknown name"] += 1
        if truth is None and polygons is not None:
            try:
                lat, lon = float(values.get(lat_col or "", "")), float(values.get(lon_col or "", ""))
            except ValueError:
                lat = lon = None  # type: ignore[assignment]
            found = polygons.locate(lat, lon) if lat is not None and lon is not None else None
            truth = gazetteer.territories.get(found.pk) if found is not None else None
            scores.truth_by["point" if truth is not None else "no point"] += 1
        if truth is not None:
            labelled.append((text, truth))
    started = time.perf_counter()
    predictions = [locate(text, gazetteer=gazetteer, use_ner=use_ner) for text, _truth in labelled]
    elapsed = time.perf_counter() - started
    scores.texts_per_second = len(labelled) / elapsed if elapsed else 0.0
    scores.rows = len(labelled)
    for (text, truth), place in zip(labelled, predictions, strict=True):
        true_district, true_okrug = _levels(truth, gazetteer)
        got_district, got_okrug = _levels(place.territory, gazetteer)
        named = names_address_or_place(text, gazetteer)
        if named:
            scores.sources[place.source] += 1
        for score, true, got, on in (
            (scores.district, true_district, got_district, True),
            (scores.okrug, true_okrug, got_okrug, True),
            (scores.district_named, true_district, got_district, named),
            (scores.okrug_named, true_okrug, got_okrug, named),
        ):
            if on and true is not None:
                score.add(true.name, got.name if got is not None else "")
    return scores
