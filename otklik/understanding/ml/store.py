"""Versioned models in the database, the active one of each kind kept per process, and moderators'
decisions as training examples (ORM)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from otklik.caching import ProcessCache, bump_on_change

from .model import IncompatibleModel, TextModel, dump_model, load_model
from .training import Example, TrainedModel

log = logging.getLogger(__name__)


def store_model(
    trained: TrainedModel, *, kind: str, prefix: str, source: str, examples: int, now: datetime
) -> Any:
    """Store a trained model as the newest active version of its kind (a ``ClassifierModel`` row).

    The version is ``<prefix>-<number among its kind>-<moment>-<digest of the model>``: the digest
    keeps a version naming one model even when a number is reused after a rolled-back transaction
    (the processes cache loaded models by version)."""
    from django.db import transaction

    from ..models import ClassifierModel

    blob = dump_model(trained.model)
    digest = hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:6]
    with transaction.atomic():
        number = ClassifierModel.objects.filter(kind=kind).count() + 1
        return ClassifierModel.objects.create(
            version=f"{prefix}-{number:04d}-{now:%Y%m%d%H%M%S}-{digest}",
            kind=kind,
            created_at=now,
            source=source[:300],
            examples=examples,
            labels=trained.model.labels,
            metrics=trained.metrics,
            thresholds=trained.thresholds,
            blob=blob,
            size=len(blob),
        )


def moderated_examples() -> list[Example]:
    """Training examples from moderators' decisions: the category of every case's latest
    "moderated" event (a correction wins over the pipeline's suggestion, a later decision over an
    earlier one), labelled by the category code.

    The case history is read through the app registry by its label: understanding sits below
    cases and never imports it."""
    from django.apps import apps

    from otklik.directory.models import Category

    case_event = apps.get_model("cases", "CaseEvent")
    latest: dict[int, int | None] = {}
    for case_id, after in (
        case_event.objects.filter(kind="moderated")
        .order_by("created_at", "id")
        .values_list("case_id", "after")
    ):
        ref = (after or {}).get("category")
        latest[case_id] = ref.get("id") if isinstance(ref, dict) else None
    codes = dict(Category.objects.values_list("pk", "code"))
    case_model = apps.get_model("cases", "Case")
    texts = dict(case_model.objects.filter(pk__in=list(latest)).values_list("pk", "text"))
    return [
        Example(text=texts[case_id], label=codes[category_id])
        for case_id, category_id in sorted(latest.items())
        if category_id in codes and texts.get(case_id, "").strip()
    ]


MODELS = "classifier-models"  # the version of the stored models (otklik.caching)
bump_on_change(MODELS, "understanding.ClassifierModel")


@dataclass(frozen=True)
class ActiveModel:
    """The newest active stored model of a kind, unpickled."""

    version: str
    model: TextModel | None  # None: written by an older version of this code (``problem`` says why)
    thresholds: dict[str, Any]
    problem: str = ""


def active_model_version(kind: str = "category") -> str | None:
    """The version of the newest active model of ``kind`` (a ``ClassifierModel.Kind``: the category
    classifier by default), None when there is none."""
    from ..models import ClassifierModel

    return (
        ClassifierModel.objects.filter(kind=kind, is_active=True)
        .order_by("-created_at", "-pk")
        .values_list("version", flat=True)
        .first()
    )


def _load_active(kind: str) -> ActiveModel | None:
    from ..models import ClassifierModel

    version = active_model_version(kind)
    if version is None:
        return None
    thresholds = ClassifierModel.objects.values_list("thresholds", flat=True).get(version=version)
    held = _active[kind].peek()
    if held is not None and held.version == version:  # another kind's model changed: keep this one
        return ActiveModel(version, held.model, dict(thresholds or {}), held.problem)
    blob = ClassifierModel.objects.values_list("blob", flat=True).get(version=version)
    try:
        return ActiveModel(version, load_model(bytes(blob)), dict(thresholds or {}))
    except IncompatibleModel as exc:  # stored by an older version: not used until retrained
        log.warning("The %s model %s is not used: %s", kind, version, exc)
        return ActiveModel(version, None, dict(thresholds or {}), str(exc))


_active: dict[str, ProcessCache[ActiveModel | None]] = {}  # kind → its newest active model


def active_model(kind: str = "category") -> ActiveModel | None:
    """The newest active model of ``kind``, unpickled once per process and version; one query asks
    whether any stored model changed since (:class:`otklik.caching.ProcessCache`)."""
    cache = _active.get(kind)
    if cache is None:
        cache = _active.setdefault(kind, ProcessCache(MODELS, build=lambda: _load_active(kind)))
    return cache.get()
