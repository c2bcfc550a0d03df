"""Point in polygon over the territories' GeoJSON geometry."""

from __future__ import annotations

from typing import Any

from otklik.directory.models import Territory


class PolygonIndex:
    """Territories with a GeoJSON geometry as prepared shapely shapes, deepest first."""

    def __init__(self, territories: list[Territory], depth: dict[int, int]) -> None:
        from shapely import prepare
        from shapely.geometry import shape

        self.items: list[tuple[tuple[float, float, float, float], Any, Territory]] = []
        for t in territories:
            geometry = t.geometry
            if not geometry:
                continue
            if geometry.get("type") == "Feature":
                geometry = geometry.get("geometry")
            elif geometry.get("type") == "FeatureCollection":
                features = [f.get("geometry") for f in geometry.get("features", []) if f.get("geometry")]
                geometry = {"type": "GeometryCollection", "geometries": features}
            try:
                geom = shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError):
                continue
            if geom.is_empty:
                continue
            prepare(geom)
            self.items.append((geom.bounds, geom, t))
        self.items.sort(key=lambda item: -depth.get(item[2].pk, 0))

    def locate(self, lat: float, lon: float) -> Territory | None:
        from shapely.geometry import Point

        point = Point(lon, lat)
        for (min_x, min_y, max_x, max_y), geom, territory in self.items:
            if min_x <= lon <= max_x and min_y <= lat <= max_y and geom.covers(point):
                return territory
        return None
