"""What the pipeline would decide for each row of a file, without making cases (``otklik classify``).

For every text: the category with its confidence, the learned threshold and the version of what
decided (the model's or the rules'); the place (territory, its district, the address, a point and
how precise it is); the agency a routing rule picks, else the learned router's or the routing
practice's suggestion; and whether the pipeline would route it without a moderator. The same
classifier, resolver and rules as the live pipeline, in batches.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.directory.tables import FileProblems, read_rows
from otklik.security.spreadsheets import csv_row
from otklik.understanding import places
from otklik.understanding.classify import get_classifier, should_auto_route

from .routing import RuleIndex, active_rules, suggest_agency

COLUMNS = (
    "predicted_category",
    "predicted_category_name",
    "confidence",
    "threshold",
    "decided_by",
    "model_version",
    "territory",
    "district",
    "place_precision",
    "address",
    "place_lat",
    "place_lon",
    "agency",
    "agency_by",
    "auto_route",
)


@dataclass
class Summary:
    rows: int = 0
    categorized: int = 0
    placed: int = 0
    routed: int = 0
    auto: int = 0
    versions: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        versions = ", ".join(v for v, _ in self.versions.most_common())
        return (
            f"{self.rows} rows: {self.categorized} categorized, {self.placed} placed below the region, "
            f"{self.routed} with an agency, {self.auto} the pipeline would route without a moderator "
            f"(by {versions or 'nothing'})"
        )


def _district(territory: Territory | None) -> str:
    """The territory right under the region that holds it ("" for none or the region)."""
    if territory is None or territory.parent_id is None:
        return ""
    chain = territory.ancestors()
    return chain[-2].name if len(chain) >= 2 else ""


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def classify_file(
    path: str | Path,
    out: str | Path,
    *,
    text_col: str = "text",
    lat_col: str | None = None,
    lon_col: str | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    headers, rows = read_rows(path)
    missing = [c for c in (text_col, lat_col, lon_col) if c and c not in headers]
    if missing:
        raise FileProblems(
            [
                f"{Path(path).name}: no column {', '.join(missing)} (found: {', '.join(headers)}); "
                "name it with --text-col"
            ]
        )
    classifier = get_classifier()
    gazetteer = places.get_gazetteer()
    rules = RuleIndex(active_rules())
    summary = Summary()
    written: list[list[str]] = []
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        texts = [values.get(text_col, "") for _line, values in batch]
        classifications = classifier.classify_many(texts)
        located = []
        for (_line, values), text in zip(batch, texts, strict=True):
            lat = _number(values.get(lat_col, "")) if lat_col else None
            lon = _number(values.get(lon_col, "")) if lon_col else None
            located.append(places.locate(text, lat=lat, lon=lon, gazetteer=gazetteer))
        routed = [
            rules.route(c.category, p.territory) if (c.category or p.territory) else None
            for c, p in zip(classifications, located, strict=True)
        ]
        unrouted = [i for i, r in enumerate(routed) if r is None]
        suggestions = suggest_agency(
            [(texts[i], classifications[i].category, located[i].territory) for i in unrouted]
        )
        suggested = dict(zip(unrouted, suggestions, strict=True))
        for i, ((_line, values), c, p) in enumerate(zip(batch, classifications, located, strict=True)):
            below = p.territory is not None and p.territory.kind != TerritoryKind.REGION
            agency, by = "", ""
            rule, suggestion = routed[i], suggested.get(i)
            if rule is not None:
                agency, by = rule.agency.name, "rule"
            elif suggestion is not None:
                agency, by = suggestion.agency.name, "model" if "model" in suggestion.why else "practice"
            auto = c.category is not None and should_auto_route(c) and routed[i] is not None
            summary.rows += 1
            summary.categorized += c.category is not None
            summary.placed += below
            summary.routed += bool(agency)
            summary.auto += auto
            summary.versions[c.version] += 1
            written.append(
                [
                    *(values.get(h, "") for h in headers),
                    c.category.code if c.category else "",
                    c.category.name if c.category else "",
                    f"{c.confidence:.4f}",
                    "" if c.threshold is None else f"{c.threshold:.4f}",
                    c.decided_by if c.category else "",
                    c.version,
                    p.territory.name if below and p.territory else "",
                    _district(p.territory) if below else "",
                    p.precision,
                    p.address,
                    "" if p.lat is None else f"{p.lat:.6f}",
                    "" if p.lon is None else f"{p.lon:.6f}",
                    agency,
                    by,
                    "yes" if auto else "no",
                ]
            )
        if progress:
            progress(len(batch))
    _write(out, [*headers, *COLUMNS], written)
    return summary


def _write(out: str | Path, header: list[str], rows: list[list[str]]) -> None:
    with Path(out).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(csv_row(row) for row in rows)
