"""The process-wide gazetteer and polygon index, rebuilt when the territories or the registry change."""

from __future__ import annotations

import hashlib
import threading

from django.db.models import Count, Max, Sum, TextField
from django.db.models.functions import Cast, Length
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.directory.models import Territory

# the module, not its classes: the models import this package's data (a circle at start-up)
from .. import models as understanding_models
from .data import (
    KnownInstitution,
)
from .gazetteer import Gazetteer
from .polygons import PolygonIndex
from .registry import build_index
from .registry import fingerprint as address_registry_fingerprint

_lock = threading.Lock()
_gazetteer: Gazetteer | None = None
_polygons: tuple[str, PolygonIndex] | None = None


def _fingerprint() -> str:
    rows = Territory.objects.order_by("pk").values_list(
        "pk",
        "parent_id",
        "kind",
        "name",
        "aliases",
        "lat",
        "lon",
        "population",
        Length(Cast("geometry", TextField())),
    )
    digest = hashlib.sha1(usedforsecurity=False)
    for row in rows:
        digest.update(repr(row).encode())
    registry = understanding_models.Institution.objects.filter(is_active=True).aggregate(
        n=Count("pk"), ids=Sum("pk"), last=Max("updated_at")
    )
    digest.update(repr(sorted(registry.items())).encode())
    digest.update(repr(address_registry_fingerprint()).encode())
    return f"places-{digest.hexdigest()[:10]}"


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


def get_gazetteer(*, recheck: bool = True) -> Gazetteer:
    """The compiled gazetteer; with ``recheck`` one cheap query confirms the territories did not change."""
    global _gazetteer
    current = _gazetteer
    if current is not None and not recheck:
        return current
    version = _fingerprint()
    if current is not None and current.version == version:
        return current
    with _lock:
        if _gazetteer is None or _gazetteer.version != version:
            territories = list(Territory.objects.defer("geometry").order_by("pk"))
            _gazetteer = Gazetteer(territories, version, institutions=known_institutions())
        current = _gazetteer
    if current.registry is None:  # outside the lock: the registry places points by the polygons
        current.registry = build_index(version, get_polygons(current).locate)
    return current


def get_polygons(gazetteer: Gazetteer) -> PolygonIndex:
    global _polygons
    current = _polygons
    if current is not None and current[0] == gazetteer.version:
        return current[1]
    with _lock:
        if _polygons is None or _polygons[0] != gazetteer.version:
            territories = list(Territory.objects.exclude(geometry=None).order_by("pk"))
            for t in territories:  # the same objects the gazetteer resolves to
                t.parent = gazetteer.territories.get(t.parent_id) if t.parent_id else None
            depth = {tid: gazetteer.depth(tid) for tid in gazetteer.territories}
            index = PolygonIndex(territories, depth)
            _polygons = (gazetteer.version, index)
        return _polygons[1]


def invalidate_cache() -> None:
    global _gazetteer, _polygons
    with _lock:
        _gazetteer = None
        _polygons = None


@receiver(post_save, sender="understanding.Street", dispatch_uid="understanding_places_street_save")
@receiver(post_delete, sender="understanding.Street", dispatch_uid="understanding_places_street_delete")
@receiver(post_save, sender="understanding.NamedPlace", dispatch_uid="understanding_places_named_save")
@receiver(post_delete, sender="understanding.NamedPlace", dispatch_uid="understanding_places_named_delete")
@receiver(post_save, sender=Territory, dispatch_uid="understanding_places_save")
@receiver(post_delete, sender=Territory, dispatch_uid="understanding_places_delete")
@receiver(post_save, sender="understanding.Institution", dispatch_uid="understanding_places_institution_save")
@receiver(
    post_delete, sender="understanding.Institution", dispatch_uid="understanding_places_institution_delete"
)
def _territory_changed(**kwargs: object) -> None:
    invalidate_cache()
