"""The process-wide gazetteer, polygon index and address registry (:class:`otklik.caching.ProcessCache`).

The three are built together, once per version of the places' data (key :data:`PLACES`): a territory,
an institution, a street or a named place saved or deleted anywhere gives a new version (signals); the
loaders that write around the signals (the address registry's ``bulk_create``/``bulk_update`` of
streets and buildings) call :func:`otklik.caching.bump` in their own transaction. Every process sees
a committed change at its next :func:`get_gazetteer` (one indexed query).
"""

from __future__ import annotations

from dataclasses import dataclass

from otklik.caching import ProcessCache, bump, bump_on_change, versions
from otklik.directory.models import Territory

# the module, not its classes: the models import this package's data (a circle at start-up)
from .. import models as understanding_models
from .data import KnownInstitution
from .gazetteer import Gazetteer
from .polygons import PolygonIndex
from .registry import build_index

PLACES = "places"  # the version of the territories, the institutions and the address registry
# Buildings change only through the registry's loader (which bumps) or with their street (whose
# delete bumps): no listener on them, so deleting a street's thousands of buildings stays one query.
bump_on_change(
    PLACES,
    Territory,
    "understanding.Institution",
    "understanding.Street",
    "understanding.NamedPlace",
)


@dataclass(frozen=True)
class Places:
    gazetteer: Gazetteer  # with its address registry (``gazetteer.registry``)
    polygons: PolygonIndex


def known_institutions() -> list[KnownInstitution]:
    """The active rows of the registry of institutions, as the gazetteer reads them."""
    row = understanding_models.Institution
    return [
        KnownInstitution(
            kind, number, territory_id, lat, lon, pk, confirmations, source != row.Source.MODERATOR
        )
        for pk, kind, number, territory_id, lat, lon, confirmations, source in row.objects.filter(
            is_active=True
        )
        .order_by("pk")
        .values_list("pk", "kind", "number", "territory_id", "lat", "lon", "confirmations", "source")
    ]


def _polygons_of(gazetteer: Gazetteer) -> PolygonIndex:
    territories = list(Territory.objects.exclude(geometry=None).order_by("pk"))
    for t in territories:  # the same objects the gazetteer resolves to
        t.parent = gazetteer.territories.get(t.parent_id) if t.parent_id else None
    depth = {tid: gazetteer.depth(tid) for tid in gazetteer.territories}
    return PolygonIndex(territories, depth)


def _build() -> Places:
    version = f"places-{versions([PLACES])[PLACES][:10] or 'initial'}"
    territories = list(Territory.objects.defer("geometry").order_by("pk"))
    gazetteer = Gazetteer(territories, version, institutions=known_institutions())
    polygons = _polygons_of(gazetteer)
    gazetteer.registry = build_index(version, polygons.locate)  # it places points by the polygons
    return Places(gazetteer, polygons)


places_cache: ProcessCache[Places] = ProcessCache(PLACES, build=_build)


def get_gazetteer(*, recheck: bool = True) -> Gazetteer:
    """The compiled gazetteer; with ``recheck`` one query confirms that none of the places' data
    changed since it was built (else it is rebuilt)."""
    held = None if recheck else places_cache.peek()
    return (held or places_cache.get()).gazetteer


_other: Places | None = None  # the polygons last built for a gazetteer not (or no longer) held


def get_polygons(gazetteer: Gazetteer) -> PolygonIndex:
    """The polygon index built with ``gazetteer``: the cached one's, or one built for another (a
    batch's gazetteer after a rebuild, a test's) and kept until the next other."""
    global _other
    for held in (places_cache.peek(), _other):
        if held is not None and held.gazetteer is gazetteer:
            return held.polygons
    other = Places(gazetteer, _polygons_of(gazetteer))
    _other = other
    return other.polygons


def invalidate_cache() -> None:
    """Drop this process's indexes (the next :func:`get_gazetteer` builds them); a write that other
    processes must see calls :func:`changed` instead."""
    global _other
    places_cache.clear()
    _other = None


def changed() -> None:
    """The places' data changed around the models' signals: a new version, in this transaction."""
    bump(PLACES)
