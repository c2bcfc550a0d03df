"""Where a public problem is drawn, and how exactly (docs/decisions/0008-public-points.md).

The pipeline places a case at the point of what it recognized (``understanding.place.precision``):
a building, a street, a named place or an institution from the address registry; a point the
resident pinned on the form, a message's own coordinates or a moderator's pin ("point"); or only
a territory — a town, a district — whose centre then stands for it. In public:

* a registry's point keeps 4 decimals (about 11 m: the building, never a flat);
* a pin ("point", or a point of unknown origin) is snapped to 3 decimals (a cell of about
  110 × 70 m): a resident who pinned their own house is not shown at their door;
* a territory's centre stays as it is and is marked as such (``town``), so the map can say the
  place is known only to the town — many cases share that point and cluster there.

The address text goes out masked (:func:`otklik.analytics.masking.mask_personal_data`: no flat
numbers). Appeals to deputies never reach the public side at all (decision 0007).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.fields.json import KT

from otklik.directory.choices import TerritoryKind

REGISTRY = frozenset({"building", "house", "street", "place", "institution"})
TOWN = frozenset(TerritoryKind.values)
REGISTRY_DIGITS = 4
PIN_DIGITS = 3

#: The annotation that reads a case's place precision out of its understanding, in SQL.
PRECISION = KT("understanding__place__precision")


@dataclass(frozen=True)
class PublicPoint:
    lat: float
    lon: float
    town: bool  # only the territory is known: its centre


def public_point(lat: float | None, lon: float | None, precision: str | None) -> PublicPoint | None:
    """The point the public sees for a case placed at (lat, lon) with this precision."""
    if lat is None or lon is None:
        return None
    precision = precision or ""
    if precision in TOWN:
        return PublicPoint(lat, lon, town=True)
    digits = REGISTRY_DIGITS if precision in REGISTRY else PIN_DIGITS
    return PublicPoint(round(lat, digits), round(lon, digits), town=False)
