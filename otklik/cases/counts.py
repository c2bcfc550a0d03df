"""The queue's tab counters, shared for a few seconds by everyone who sees the same cases.

Fifty operators of the center open ``/cases/`` every few seconds; each page counted the cases at
work per status and the "all" tab up to :data:`~otklik.cases.filters.COUNT_CAP` — the same figures
for everyone of the center, recounted ten times a second while the ingest adds cases. Here the
counts of one access scope (:func:`otklik.cases.access.case_scope`: the center, one agency's
executors, one call-center operator) and one filter are kept in the shared cache
(``CACHES["default"]``: Redis in production, the process's memory in development) for
``OTKLIK_QUEUE_COUNTS_SECONDS`` (0: counted on every page, as in the tests).

- **Never across scopes.** The key holds the scope's key and a digest of every filter parameter of
  :class:`~otklik.cases.filters.CaseFilter` (the tab, the sort and the page do not change the
  counts: one entry serves them all).
- **An operator's own action shows on their next page.** Every action on a case logs an event with
  its actor (:func:`otklik.cases.actions.log_event`); when that transaction commits, the actor's
  "wrote at" moment goes to the cache (:func:`note_write`). An entry counted before that moment is
  not served to that user: their page counts anew, and the new entry serves their scope.
- **Said on the page.** The counts carry the moment they were counted; the queue says it.
- **Refreshed off the request path.** An entry older than its few seconds but younger than
  ``OTKLIK_QUEUE_COUNTS_STALE_SECONDS`` is still served, and one recount of it (one per entry across
  the web server's processes: a lock in the cache) runs in a thread of the process beside the
  requests (:func:`run_later`): the page that finds it stale does not wait for the count. Only the
  first page of a scope and filter (or one after a long quiet) and a user's page after their own
  write count while the user waits. Before, every entry expired after 10 s and the next page of its
  scope paid the count: with the center, each agency and each filter an entry of its own, about
  one queue page in three under the operators' bench (issue 13, item 6).

The rows themselves are always read live; the current tab's count is corrected from them whenever
its last page is shown (:meth:`otklik.cases.paging.CountedPaginator.settle`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import close_old_connections, transaction

PREFIX = "otklik:queue-counts:v1"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counts:
    counts: dict[str, int]
    more: frozenset[str]  # the tabs with more cases than their count (COUNT_CAP)
    at: float  # when counting started (time.time(): comparable across the web server's processes)
    shared: bool = False  # served from the cache rather than counted for this page


def keep_seconds() -> float:
    return float(getattr(settings, "OTKLIK_QUEUE_COUNTS_SECONDS", 0) or 0)


def stale_seconds() -> float:
    """How long past :func:`keep_seconds` an entry is still served while it is recounted."""
    return float(getattr(settings, "OTKLIK_QUEUE_COUNTS_STALE_SECONDS", 0) or 0)


def lifetime() -> int:
    """Seconds an entry (and a user's "wrote at" moment) is kept in the cache."""
    return int(keep_seconds() + stale_seconds()) + 1


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def run_later(job: Callable[[], None]) -> None:
    """Run ``job`` in this process's one recount thread (made after the web server forked it)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue-counts"))
        pool = _pool[1]
    pool.submit(_with_own_connection, job)


def _with_own_connection(job: Callable[[], None]) -> None:
    """The recount thread's database connection: checked before each job and closed when obsolete
    after it (``CONN_MAX_AGE``), as a request's is."""
    close_old_connections()
    try:
        job()
    finally:
        close_old_connections()


def filter_digest(data: Any, names: list[str]) -> str:
    """A digest of the parameters ``names`` as given (a list per name; blanks dropped): the same
    parameters give the same counts."""
    given: dict[str, list[str]] = {}
    for name in sorted(names):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        kept = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if kept:
            given[name] = kept
    text = json.dumps(given, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def entry_key(scope: str, digest: str) -> str:
    return f"{PREFIX}:{scope}:{digest}"


def wrote_key(user_id: int) -> str:
    return f"{PREFIX}:wrote:{user_id}"


def note_write(user_id: int | None) -> None:
    """Remember that ``user_id`` changed a case, once the current transaction commits: their next
    queue counts anew (the changed case may have moved between tabs)."""
    if not user_id or keep_seconds() <= 0:
        return
    key = wrote_key(user_id)

    def mark() -> None:
        # kept as long as any entry counted before it can be: after that no entry is older than it
        caches["default"].set(key, time.time(), timeout=lifetime() + 5)

    transaction.on_commit(mark)


def _count_and_keep(key: str, count: Callable[[], tuple[dict[str, int], set[str]]]) -> Counts:
    started = time.time()  # before the count: a write committed after this may be missing from it
    counts, more = count()
    caches["default"].set(key, {"counts": counts, "more": sorted(more), "at": started}, timeout=lifetime())
    return Counts(counts, frozenset(more), started)


def _recount(key: str, count: Callable[[], tuple[dict[str, int], set[str]]]) -> Callable[[], None]:
    """The recount of a stale entry, as :func:`run_later` runs it (its own database connection)."""

    def job() -> None:
        try:
            _count_and_keep(key, count)
        except Exception:  # the stale entry stays; the next page past it recounts
            log.exception("queue counts: the recount of %s failed", key)
        finally:
            caches["default"].delete(f"{key}:recounting")

    return job


def shared_counts(
    scope: str,
    digest: str,
    user_id: int | None,
    count: Callable[[], tuple[dict[str, int], set[str]]],
) -> Counts:
    """The counts of ``scope`` and the filter ``digest``: from the cache while younger than
    ``OTKLIK_QUEUE_COUNTS_SECONDS`` and not older than the user's last write; while younger than that
    plus ``OTKLIK_QUEUE_COUNTS_STALE_SECONDS`` too, with one recount of the scope's entry started
    beside the request (:func:`run_later`); else ``count()`` now (and kept for the scope).

    ``count`` narrows to the scope itself (the user's visible cases): whoever's page starts the
    recount, the entry holds what ``scope`` sees."""
    seconds = keep_seconds()
    if seconds <= 0:
        counts, more = count()
        return Counts(counts, frozenset(more), time.time())
    cache = caches["default"]
    key = entry_key(scope, digest)
    mine = wrote_key(user_id) if user_id else None
    found = cache.get_many([key, mine] if mine else [key])
    held = found.get(key)
    wrote = found.get(mine) if mine else None
    if isinstance(held, dict) and (wrote is None or held["at"] > wrote):
        age = time.time() - held["at"]
        if age < seconds + stale_seconds():
            if age >= seconds and cache.add(f"{key}:recounting", 1, timeout=30):
                run_later(_recount(key, count))
            return Counts(dict(held["counts"]), frozenset(held["more"]), held["at"], shared=True)
    return _count_and_keep(key, count)
