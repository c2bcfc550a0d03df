"""Running a connector: fetch since the cursor, normalize, hand to the pipeline, then move the cursor.

One fetch of a source (:func:`fetch_source`) goes page by page::

    connector.fetch(cursor) → connector.normalize(each payload) → pipeline.run_batch(items)
                                       │                                   │
                     NormalizeError → DeadLetter (raw payload)    one transaction with the new cursor

The batch, its dead letters and the new cursor commit in ONE transaction, so the cursor can never
get ahead of what was stored: a crash or a failed batch leaves the cursor where it was and the next
fetch reads the same page again, which the pipeline's (source, external id) dedup turns into no-ops
(at-least-once delivery, idempotent writes). Deleted posts and the like (:class:`SkipPayload`) are
counted, not dead-lettered.

A :class:`ConnectorError` stops the fetch (pages committed so far stay). A retriable one (down,
HTTP 429/5xx, VK error 6, Telegram 429) sets ``Source.next_attempt_at`` with exponential back-off —
at least the source's ``retry_after`` — and counts ``retry_count``; a permanent one (bad token,
malformed answer) is recorded in ``last_error``/``health`` and the source pauses for
:data:`PERMANENT_PAUSE` (``otklik fetch --source CODE`` retries at once). Nothing here sleeps: time
is the ``now`` argument, so the in-process runner, Celery beat and tests all drive the same code.

:func:`fetch_due_sources` is what a scheduler calls: every enabled pulling source whose
``next_attempt_at`` has come, each claimed with a conditional update so two runners never fetch the
same source at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from otklik import metrics

from .connectors.base import (
    Connector,
    ConnectorError,
    Health,
    NormalizeError,
    OwnReply,
    SkipPayload,
    connector_for,
    get_connector_class,
)
from .deadletters import unreadable
from .models import DeadLetter, Source
from .pages import record_own_replies
from .pipeline import BatchResult, run_batch

log = logging.getLogger("otklik.fetching")

DEFAULT_INTERVAL = timedelta(seconds=300)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
PERMANENT_PAUSE = timedelta(hours=6)
CLAIM_LEASE = timedelta(minutes=10)
DEFAULT_MAX_PAGES = 20

BatchRunner = Callable[..., BatchResult]


@dataclass
class FetchReport:
    source: str
    ok: bool = True
    pages: int = 0
    fetched: int = 0
    skipped: int = 0
    dead_letters: int = 0  # payloads the connector could not normalize (the pipeline's are in result)
    page_answers: int = 0  # official pages' answers to residents' comments recorded
    result: BatchResult = field(default_factory=BatchResult)
    error: str = ""
    retriable: bool | None = None
    next_attempt_at: datetime | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        head = f"{self.source}: {self.pages} page(s), {self.fetched} fetched, {self.skipped} skipped, "
        head += f"{self.dead_letters} unreadable; {self.result.summary()}"
        if not self.ok:
            kind = "retriable" if self.retriable else "permanent"
            head += f" — {kind} error: {self.error}; next attempt {self.next_attempt_at:%Y-%m-%d %H:%M:%S}"
        return head

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "fetched": self.fetched,
            "skipped": self.skipped,
            "unreadable": self.dead_letters,
            **{name: getattr(self.result, name) for name in BatchResult.COUNTERS},
        }


def fetch_interval(source: Source) -> timedelta:
    seconds: Any = (source.settings or {}).get("interval_seconds")
    if seconds in (None, ""):
        seconds = getattr(settings, "OTKLIK_FETCH_INTERVAL_SECONDS", DEFAULT_INTERVAL.total_seconds())
    return timedelta(seconds=max(float(seconds), 1.0))


def backoff_delay(retry_count: int, retry_after: float | None = None) -> timedelta:
    """Exponential back-off: 30 s, 1 min, 2 min … capped at an hour, never shorter than ``retry_after``."""
    exponent = min(max(retry_count - 1, 0), 16)
    delay = min(BACKOFF_BASE * (2**exponent), BACKOFF_MAX)
    if retry_after:
        delay = max(delay, timedelta(seconds=float(retry_after)))
    return delay


# --- normalize -----------------------------------------------------------------------------------


def _normalize_all(
    connector: Connector,
    source: Source,
    payloads: list[dict[str, Any]],
    now: datetime,
    report: FetchReport,
    own: list[OwnReply],
) -> tuple[list[dict[str, Any]], list[DeadLetter]]:
    items: list[dict[str, Any]] = []
    dead: list[DeadLetter] = []
    for payload in payloads:
        try:
            item = connector.normalize(payload)
        except OwnReply as reply:  # an official page's answer: counted for its responsiveness
            report.skipped += 1
            own.append(reply)
            continue
        except SkipPayload:
            report.skipped += 1
            continue
        except NormalizeError as exc:
            reason = f"{connector.kind}: {exc}"
        except Exception as exc:  # a connector bug on one payload must not stop the others
            log.exception("%s: normalizing a payload failed", source.code)
            reason = f"{connector.kind}: {type(exc).__name__}: {exc}"
        else:
            items.append(item)
            continue
        dead.append(unreadable(source, connector, payload, reason, now))
    return items, dead


# --- state on the Source -------------------------------------------------------------------------


def _save_state(source: Source, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(source, name, value)
    Source.objects.filter(pk=source.pk).update(**fields)


def _record_success(source: Source, report: FetchReport, now: datetime) -> None:
    health = dict(source.health or {})
    health.update(
        ok=True,
        status="ok",
        last_success_at=now.isoformat(),
        fetch=report.as_dict(),
        notes=report.notes[-10:],
    )
    report.next_attempt_at = now + fetch_interval(source)
    _save_state(source, retry_count=0, last_error="", next_attempt_at=report.next_attempt_at, health=health)


def _record_failure(source: Source, error: ConnectorError, report: FetchReport, now: datetime) -> None:
    retry_count = source.retry_count + 1
    if error.retriable:
        next_attempt_at = now + backoff_delay(retry_count, error.retry_after)
    else:
        next_attempt_at = now + max(PERMANENT_PAUSE, fetch_interval(source))
    report.ok, report.error, report.retriable = False, str(error), error.retriable
    report.next_attempt_at = next_attempt_at
    health = dict(source.health or {})
    health.update(
        ok=False,
        status="retrying" if error.retriable else "failing",
        last_error_at=now.isoformat(),
        fetch=report.as_dict(),
        notes=report.notes[-10:],
    )
    log.warning(
        "%s: fetch failed (%s): %s", source.code, "retriable" if error.retriable else "permanent", error
    )
    metrics.observe_connector_error(source.code, error.retriable)
    try:
        _save_state(
            source,
            retry_count=retry_count,
            last_error=str(error)[:2000],
            next_attempt_at=next_attempt_at,
            health=health,
        )
    except (OperationalError, InterfaceError):  # the database itself is away: the next run retries
        log.exception("%s: could not record the failure", source.code)


# --- fetching ------------------------------------------------------------------------------------


def fetch_source(
    source: Source,
    *,
    now: datetime | None = None,
    connector: Connector | None = None,
    max_pages: int | None = None,
    run: BatchRunner = run_batch,
) -> FetchReport:
    """Fetch one source page by page until it has no more (or ``max_pages``); see the module doc.

    ``run`` is the batch runner (the pipeline's ``run_batch``; a scale-out runner may be given).
    """
    now = now or timezone.now()
    own_connector = connector is None
    connector = connector or connector_for(source)
    report = FetchReport(source=source.code)
    pages = max_pages or int((source.settings or {}).get("max_fetch_pages") or DEFAULT_MAX_PAGES)
    cursor = source.cursor
    try:
        for _page in range(pages):
            fetched = connector.fetch(cursor)
            report.pages += 1
            report.fetched += len(fetched.payloads)
            report.skipped += fetched.skipped
            report.notes += fetched.notes
            own: list[OwnReply] = []
            items, dead = _normalize_all(connector, source, fetched.payloads, now, report, own)
            with transaction.atomic():
                batch = run(items, now=now, source=source) if items else BatchResult()
                report.dead_letters += DeadLetter.objects.keep(dead)
                report.page_answers += record_own_replies(source, own)
                _save_state(source, cursor=fetched.cursor, last_fetched_at=now)
            report.result.add(batch)
            cursor = fetched.cursor
            if not fetched.has_more:
                break
    except ConnectorError as exc:
        _record_failure(source, exc, report, now)
    except (OperationalError, InterfaceError) as exc:  # the batch could not commit: read it again later
        _record_failure(source, ConnectorError(f"database: {exc}", retriable=True), report, now)
    except Exception as exc:
        log.exception("%s: fetch failed unexpectedly", source.code)
        _record_failure(source, ConnectorError(f"{type(exc).__name__}: {exc}", retriable=True), report, now)
    else:
        _record_success(source, report, now)
    finally:
        if own_connector:
            connector.close()
    return report


def _claim(source: Source, now: datetime) -> bool:
    """Take the source for one fetch unless another runner has just taken it."""
    claimed = Source.objects.filter(pk=source.pk, next_attempt_at=source.next_attempt_at)
    if source.next_attempt_at is None:
        claimed = Source.objects.filter(pk=source.pk, next_attempt_at__isnull=True)
    return bool(claimed.update(next_attempt_at=now + CLAIM_LEASE))


def due_sources(now: datetime) -> list[Source]:
    """Enabled sources of pulling connectors whose next attempt has come."""
    sources = Source.objects.filter(is_enabled=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    due = []
    for source in sources.order_by("next_attempt_at", "pk"):
        try:
            pulls = get_connector_class(source.connector).pulls
        except ConnectorError:
            pulls = False
        if pulls:
            due.append(source)
    return due


def fetch_due_sources(now: datetime | None = None, *, run: BatchRunner = run_batch) -> list[FetchReport]:
    """Fetch every source that is due (the in-process runner and Celery beat call this)."""
    now = now or timezone.now()
    reports = []
    for source in due_sources(now):
        if not _claim(source, now):
            continue
        reports.append(fetch_source(source, now=now, run=run))
    return reports


def check_health(
    source: Source, *, now: datetime | None = None, connector: Connector | None = None
) -> Health:
    """Ask the connector's cheap health endpoint; the answer is kept in ``Source.health["check"]``."""
    now = now or timezone.now()
    own_connector = connector is None
    try:
        connector = connector or connector_for(source)
        health = connector.health()
    except ConnectorError as exc:
        health = Health(ok=False, detail=str(exc))
    finally:
        if own_connector and connector is not None:
            connector.close()
    state = dict(source.health or {})
    state["check"] = {
        "ok": health.ok,
        "detail": health.detail,
        "checked_at": now.isoformat(),
        **health.checked,
    }
    _save_state(source, health=state)
    return health


__all__ = [
    "FetchReport",
    "backoff_delay",
    "check_health",
    "due_sources",
    "fetch_due_sources",
    "fetch_source",
]
