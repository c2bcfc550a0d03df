"""Scheduled retraining: the learned models follow the moderators' newest decisions.

Called by the periodic job "retrain-models" (:mod:`otklik.understanding.apps`) as
often as they like: a model is retrained only when the active one is older than
``OTKLIK_RETRAIN_HOURS`` and at least ``OTKLIK_RETRAIN_MIN_NEW`` decisions were made since it was
trained (or, with no model yet, that many decisions exist at all):

* the **category** model from the moderators' category decisions — unless the active model was
  trained from a file (``otklik train --from-csv``), which an operator replaces by hand;
* the **agency** model (the learned router) from the routed cases: its "latest routing practice" is
  that of its training day, so it is retrained as the practice moves.

The cases are read through the app registry: understanding never imports the cases app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from . import agency_model, ml

log = logging.getLogger("otklik.understanding.retraining")


@dataclass(frozen=True)
class Retrained:
    category: str | None  # the new version, None when not retrained
    agency: str | None


def _active(kind: str) -> Any:
    from .models import ClassifierModel

    return ClassifierModel.objects.filter(kind=kind, is_active=True).order_by("-created_at", "-pk").first()


def _due(active: Any, new_decisions: int, now: datetime) -> bool:
    if new_decisions < settings.OTKLIK_RETRAIN_MIN_NEW:
        return False
    return active is None or active.created_at <= now - timedelta(hours=settings.OTKLIK_RETRAIN_HOURS)


def _moderated_since(since: datetime | None) -> int:
    from django.apps import apps

    events = apps.get_model("cases", "CaseEvent").objects.filter(kind="moderated")
    if since is not None:
        events = events.filter(created_at__gt=since)
    return events.values("case_id").distinct().count()


def _routed_since(since: datetime | None) -> int:
    from django.apps import apps

    cases = apps.get_model("cases", "Case").objects.filter(agency__isnull=False, merged_into__isnull=True)
    if since is not None:
        cases = cases.filter(assigned_at__gt=since)
    return cases.count()


def retrain_category(now: datetime) -> str | None:
    from .classify import train_category_model
    from .models import ClassifierModel

    active = _active(ClassifierModel.Kind.CATEGORY)
    if active is not None and (not active.source.startswith("moderation:") or "," in active.source):
        return None  # trained from a file (too): replaced by hand
    if not _due(active, _moderated_since(active.created_at if active else None), now):
        return None
    examples = ml.moderated_examples()
    if len({e.label for e in examples}) < 2:
        return None
    row = train_category_model(examples, source=f"moderation:{len(examples)}", now=now)
    log.info("category model %s retrained on %d decisions", row.version, len(examples))
    return str(row.version)


def retrain_agency(now: datetime) -> str | None:
    from .models import ClassifierModel

    active = _active(ClassifierModel.Kind.AGENCY)
    if not _due(active, _routed_since(active.created_at if active else None), now):
        return None
    examples = agency_model.routing_examples()
    if len(examples) < agency_model.MIN_EXAMPLES or len({e.label for e in examples}) < 2:
        return None
    row = agency_model.train_agency_model(examples, source=f"routing:{len(examples)}", now=now)
    log.info("agency model %s retrained on %d routed cases", row.version, len(examples))
    return str(row.version)


def retrain_if_due(now: datetime | None = None) -> Retrained:
    """Retrain whichever learned model is due (see the module's doc); cheap when none is."""
    now = now or timezone.now()
    return Retrained(category=retrain_category(now), agency=retrain_agency(now))
