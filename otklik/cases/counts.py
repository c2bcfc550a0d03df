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

The rows themselves are always read live; the current tab's count is corrected from them whenever
its last page is shown (:meth:`otklik.cases.paging.CountedPaginator.settle`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

PREFIX = "otklik:queue-counts:v1"


@dataclass(frozen=True)
class Counts:
    counts: dict[str, int]
    more: frozenset[str]  # the tabs with more cases than their count (COUNT_CAP)
    at: float  # when counting started (time.time(): comparable across the web server's processes)
    shared: bool = False  # served from the cache rather than counted for this page


def keep_seconds() -> float:
    return float(getattr(settings, "OTKLIK_QUEUE_COUNTS_SECONDS", 0) or 0)


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
        caches["default"].set(key, time.time(), timeout=int(keep_seconds()) + 5)

    transaction.on_commit(mark)


def shared_counts(
    scope: str,
    digest: str,
    user_id: int | None,
    count: Callable[[], tuple[dict[str, int], set[str]]],
) -> Counts:
    """The counts of ``scope`` and the filter ``digest``: from the cache while younger than
    ``OTKLIK_QUEUE_COUNTS_SECONDS`` and not older than the user's last write, else ``count()`` now
    (and kept for the scope)."""
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
    if (
        isinstance(held, dict)
        and time.time() - held["at"] < seconds
        and (wrote is None or held["at"] > wrote)
    ):
        return Counts(dict(held["counts"]), frozenset(held["more"]), held["at"], shared=True)
    started = time.time()  # before the count: a write committed after this may be missing from it
    counts, more = count()
    cache.set(key, {"counts": counts, "more": sorted(more), "at": started}, timeout=int(seconds) + 1)
    return Counts(counts, frozenset(more), started)
