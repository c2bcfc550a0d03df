"""Rendered summaries (PDF, XLSX) kept in the database, so a download is a look-up, not a layout.

A summary of a period depends on the rollups of the period and of the previous period it compares
with (and on example texts of cases created in it). Every refresh that changes a case's figures
stamps the day the case was created with the refresh's version (``RollupChange``), so the stamp of a
question is the highest version over those days: it changes exactly when a figure the summary shows
can have changed, and a summary of last quarter stays cached while today's messages come in.

The key is a hash of the question (format, language, period, territory, category, channel, the
layout version ``EXPORT_VERSION``) and that stamp; an older entry of the same question is replaced.
The periodic job renders the default summaries ahead (:func:`prerender_defaults`); any other
question is rendered on its first request. Entries older than ``KEEP`` are dropped.
Not covered by the stamp: renaming a category or territory, or editing a case's text without
changing its figures; such an export catches up at the next change of its days (or after ``KEEP``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation

from . import exports
from .filters import Scope, default_scope
from .models import RenderedExport, RollupChange
from .summary import Summary, summary

log = logging.getLogger("otklik.analytics.export_cache")

EXPORT_VERSION = 2  # bump when an export's layout or content rules change
KEEP = timedelta(days=7)
RENDERERS: dict[str, Callable[[Summary], bytes]] = {
    "pdf": exports.summary_pdf,
    "xlsx": exports.summary_xlsx,
}


def stamp(scope: Scope) -> int:
    """The last refresh that changed a day the summary of ``scope`` reads (0: none ever did)."""
    first = scope.previous().date_from
    found = RollupChange.objects.filter(day__gte=first, day__lte=scope.date_to).aggregate(v=Max("version"))
    return int(found["v"] or 0)


def question(scope: Scope, kind: str, language: str) -> str:
    parts = (
        kind,
        language,
        EXPORT_VERSION,
        scope.date_from.isoformat(),
        scope.date_to.isoformat(),
        scope.territory or 0,
        scope.category or 0,
        scope.subcategory or 0,
        scope.channel or "",
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def cache_key(question_hash: str, version: int) -> str:
    return hashlib.sha256(f"{question_hash}:{version}".encode()).hexdigest()


def lookup(scope: Scope, kind: str) -> tuple[str, str, bytes | None]:
    """``(question, key, content or None)`` for ``scope`` in the active language."""
    asked = question(scope, kind, translation.get_language() or settings.LANGUAGE_CODE)
    key = cache_key(asked, stamp(scope))
    content = RenderedExport.objects.filter(key=key).values_list("content", flat=True).first()
    return asked, key, bytes(content) if content is not None else None


def store(
    scope: Scope, kind: str, asked: str, key: str, content: bytes, *, now: datetime | None = None
) -> None:
    """Keep ``content`` under ``key``; older renderings of the same question are dropped."""
    RenderedExport.objects.filter(question=asked).exclude(key=key).delete()
    RenderedExport.objects.bulk_create(
        [
            RenderedExport(
                key=key,
                question=asked,
                kind=kind,
                date_from=scope.date_from,
                date_to=scope.date_to,
                content=content,
                created_at=now or timezone.now(),
            )
        ],
        ignore_conflicts=True,  # a concurrent request rendered the same thing
    )


def rendered(scope: Scope, kind: str) -> bytes:
    """The summary of ``scope`` as ``kind`` ("pdf" or "xlsx"): from the cache, or rendered and kept.

    The stamp is read before the figures: if a refresh lands in between, the entry holds newer
    figures under the older key, which no later request asks for."""
    asked, key, content = lookup(scope, kind)
    if content is None:
        content = RENDERERS[kind](summary(scope))
        store(scope, kind, asked, key, content)
    return content


def prerender_defaults(today: date | None = None, kinds: tuple[str, ...] = ("pdf", "xlsx")) -> int:
    """Render the summaries a page offers by default (the whole region, the default period) in the
    site language unless they are cached already; returns how many were rendered."""
    scope = default_scope(today)
    done = 0
    with translation.override(settings.LANGUAGE_CODE):
        for kind in kinds:
            asked, key, content = lookup(scope, kind)
            if content is None:
                store(scope, kind, asked, key, RENDERERS[kind](summary(scope)))
                done += 1
    return done


def prune(now: datetime | None = None) -> int:
    """Drop renderings older than ``KEEP``; returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _ = RenderedExport.objects.filter(created_at__lt=cutoff).delete()
    return deleted
