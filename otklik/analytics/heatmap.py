"""The heat map: a value per municipality (choropleth) and per H3 hexagon, from the rollups only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import h3
from django.db.models import Sum
from django.utils.html import json_script
from django.utils.translation import gettext_lazy as _

from otklik.caching import ProcessCache

from .filters import Scope, municipalities
from .models import HexTotalWeek, HexWeek
from .rollups import HEX_HI, HEX_LO

METRICS: dict[str, Any] = {
    "messages": _("Messages"),
    "cases": _("Cases"),
    "open": _("Open cases"),
    "overdue": _("Overdue"),
    "per10k": _("Messages per 10,000 residents"),
}
DEFAULT_METRIC = "messages"
RESOLUTIONS = (HEX_LO, HEX_HI)


@dataclass
class TerritoryValue:
    id: int
    name: str
    population: int | None
    cases: int
    messages: int
    open: int
    overdue: int

    @property
    def per10k(self) -> float | None:
        if not self.population:
            return None
        return round(self.messages * 10_000 / self.population, 2)

    def value(self, metric: str) -> float | int | None:
        return self.per10k if metric == "per10k" else int(getattr(self, metric))

    def as_dict(self, metric: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "population": self.population,
            "cases": self.cases,
            "messages": self.messages,
            "open": self.open,
            "overdue": self.overdue,
            "per10k": self.per10k,
            "value": self.value(metric),
        }


def territory_values(scope: Scope) -> list[TerritoryValue]:
    """Every municipality with its counts in the scope (zeros included), largest first by messages."""
    sums = {
        key[0]: row
        for key, row in scope.sums(
            ["territory"], ["cases", "messages", "open", "overdue"], territory=False
        ).items()
    }
    out = []
    for t in municipalities().only("pk", "name", "population"):
        row: Any = sums.get(t.pk, {})
        out.append(
            TerritoryValue(
                id=t.pk,
                name=t.name,
                population=t.population,
                cases=row.get("cases") or 0,
                messages=row.get("messages") or 0,
                open=row.get("open") or 0,
                overdue=row.get("overdue") or 0,
            )
        )
    out.sort(key=lambda v: (-v.messages, v.name))
    return out


def unplaced(scope: Scope) -> int:
    """Cases in the scope whose municipality is unknown (they are on no map)."""
    return scope.sums(["territory"], ["cases"], territory=False).get((0,), {}).get("cases", 0)


GEOMETRY_TTL = 600.0
# In-process (otklik.caching): the outlines are read and serialized once per version of the
# territories (a territory saved or deleted anywhere: the app's ready() bumps OUTLINES), and at
# least every GEOMETRY_TTL seconds.
OUTLINES = "municipal-outlines"


def _build_geometry() -> dict[str, Any]:
    features = []
    for t in municipalities().only("pk", "name", "geometry", "population"):
        if not t.geometry:
            continue
        geometry = (
            t.geometry.get("geometry", t.geometry) if t.geometry.get("type") == "Feature" else t.geometry
        )
        features.append(
            {
                "type": "Feature",
                "id": t.pk,
                "properties": {"id": t.pk, "name": t.name, "population": t.population},
                "geometry": geometry,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return {"collection": collection, "script": json_script(collection, "heatmap-geometry")}


geometry_cache: ProcessCache[dict[str, Any]] = ProcessCache(
    OUTLINES, build=_build_geometry, max_age=GEOMETRY_TTL
)


def _load_geometry() -> dict[str, Any]:
    return geometry_cache.get()


def municipal_geometry() -> dict[str, Any]:
    """The municipalities as a GeoJSON FeatureCollection."""
    return _load_geometry()["collection"]


def municipal_geometry_script() -> str:
    """The outlines as a ready ``<script type="application/json" id="heatmap-geometry">``."""
    return _load_geometry()["script"]


@lru_cache(maxsize=100_000)
def _boundary(cell: str) -> list[list[float]]:
    return [[round(lat, 5), round(lon, 5)] for lat, lon in h3.cell_to_boundary(cell)]


def hexagons(
    scope: Scope, *, resolution: int, bbox: tuple[float, float, float, float] | None = None, metric: str
) -> list[dict[str, Any]]:
    """Cells with cases in the scope at ``resolution`` inside ``bbox`` (west, south, east, north)."""
    if resolution not in RESOLUTIONS:
        resolution = HEX_LO
    # Weekly rollup: the weeks that overlap the period (a hexagon map is about where, not the exact day).
    model: Any = HexWeek if scope.category or scope.channel else HexTotalWeek
    qs = model.objects.filter(
        resolution=resolution,
        week__gte=scope.date_from - timedelta(days=scope.date_from.weekday()),
        week__lte=scope.date_to,
    )
    if scope.category:
        qs = qs.filter(category=scope.category)
    if scope.channel:
        qs = qs.filter(channel=scope.channel)
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon)
    rows: Any = qs.values("cell").annotate(
        cases=Sum("cases"), messages=Sum("messages"), open=Sum("open"), overdue=Sum("overdue")
    )
    field = "messages" if metric == "per10k" else metric if metric in METRICS else DEFAULT_METRIC
    out = []
    for row in rows:
        value = row[field]
        if not value:
            continue
        boundary = _boundary(row["cell"])
        out.append(
            {
                "cell": row["cell"],
                "value": value,
                "cases": row["cases"],
                "messages": row["messages"],
                "open": row["open"],
                "overdue": row["overdue"],
                "boundary": boundary,
            }
        )
    return out
