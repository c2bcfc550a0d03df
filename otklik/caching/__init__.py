"""What a process builds once and keeps — the production calendar, the compiled category rules, the
monitoring queries, the similar-cases index, the gazetteer with its polygons and address registry,
the active learned models, the word vectors and the NER models — rebuilt when the data it was built
from changes.

    calendar = ProcessCache("calendar", build=build_calendar)
    bump_on_change("calendar", CalendarDay)   # a save or delete of a CalendarDay: a new version
    calendar.get()                            # one query reads the version; rebuilt only if it changed

The versions live in the database (:class:`~otklik.caching.models.CacheVersion`, one row per key,
a new random token on every change, written in the changing transaction), so every process — the web
server, the in-process runner, Celery workers, a command — sees a committed change at its next
``get()``, and a rolled-back change never counts. A write that goes around the model's signals
(``QuerySet.update``, ``bulk_create``, raw SQL) calls :func:`bump` itself.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


_together = threading.local()


def versions(keys: Iterable[str]) -> dict[str, str]:
    """The current token of each key ("" for a key never bumped): one query (none for no key, nor
    for keys :func:`read_together` read)."""
    wanted = list(keys)
    if not wanted:
        return {}
    read: dict[str, str] | None = getattr(_together, "versions", None)
    if read is not None and all(key in read for key in wanted):
        return {key: read[key] for key in wanted}
    found = dict(_versions_query(tuple(wanted)).rows())
    return {key: found.get(key, "") for key in wanted}


@lru_cache(maxsize=256)
def _versions_query(keys: tuple[str, ...]) -> Any:
    """The versions of these keys by SQL compiled once per thread (a page asks the same keys on every
    request; compiling the query was most of the ~0.3 ms it cost)."""
    from .compiled import CompiledQuery
    from .models import CacheVersion

    return CompiledQuery(lambda: CacheVersion.objects.filter(key__in=keys).values_list("key", "token"))


@contextmanager
def read_together(*caches: ProcessCache[Any]) -> Iterator[None]:
    """The versions of ``caches`` read by one query for their ``get()``s inside the block — a page
    that uses several asks once instead of once each. For reading only: a key bumped inside the block
    is seen after it (by this thread; other threads and processes never see these versions)."""
    before: dict[str, str] | None = getattr(_together, "versions", None)
    _together.versions = {**(before or {}), **versions(key for cache in caches for key in cache.keys)}
    try:
        yield
    finally:
        _together.versions = before


def bump(*keys: str) -> None:
    """Give each key a new version, in the current transaction (one statement)."""
    from .models import CacheVersion

    rows = [CacheVersion(key=key, token=uuid.uuid4().hex) for key in dict.fromkeys(keys)]
    CacheVersion.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["key"], update_fields=["token"]
    )


def bump_on_change(key: str, *models: type[Model] | str) -> None:
    """Bump ``key`` whenever a row of one of ``models`` (a class or "app_label.Model") is saved or
    deleted."""

    def changed(**_kwargs: Any) -> None:
        bump(key)

    for model in models:
        uid = f"otklik.caching:{key}:{model}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")


@dataclass(frozen=True)
class _Held(Generic[T]):
    value: T
    versions: dict[str, str]
    built_at: float  # time.monotonic()


class ProcessCache(Generic[T]):
    """One value per process, built by ``build`` and kept while the versions of ``keys`` stay.

    Without keys the value is built once per process and :meth:`get` costs no query: for what a
    process loads from a file its packages ship (word vectors, NER models), whose version is the
    installed package's.

    ``max_age``: rebuilt when older than that many seconds even with the same versions (data no key
    tracks). ``max_stale``: :meth:`get` with ``stale_ok`` serves a value whose versions moved only in
    those keys for that many seconds after it was built — for a costly build a periodic job
    :meth:`refresh`-es instead of a request waiting for it.
    """

    def __init__(
        self,
        *keys: str,
        build: Callable[[], T],
        max_age: float | None = None,
        max_stale: float = 0.0,
    ) -> None:
        self.keys = keys
        self.build = build
        self.max_age = max_age
        self.max_stale = max_stale
        self._lock = threading.Lock()
        self._held: _Held[T] | None = None

    def _fresh(self, held: _Held[T] | None, current: dict[str, str]) -> bool:
        return (
            held is not None
            and held.versions == current
            and (self.max_age is None or time.monotonic() - held.built_at < self.max_age)
        )

    def _servable_stale(
        self, held: _Held[T] | None, current: dict[str, str], stale_ok: Iterable[str]
    ) -> bool:
        if held is None or time.monotonic() - held.built_at >= self.max_stale:
            return False
        allowed = set(stale_ok)
        return all(held.versions[k] == current[k] for k in self.keys if k not in allowed)

    def get(self, *, stale_ok: Iterable[str] = ()) -> T:
        """The value for the current versions (one query reads them), built now if need be. A value
        whose versions moved only in the keys of ``stale_ok`` is served while younger than
        ``max_stale``."""
        current = versions(self.keys)  # read before building: a change meanwhile rebuilds next time
        held = self._held
        if self._fresh(held, current) or self._servable_stale(held, current, stale_ok):
            assert held is not None
            return held.value
        with self._lock:
            if not self._fresh(self._held, current):
                self._held = _Held(self.build(), current, time.monotonic())
            assert self._held is not None
            return self._held.value

    def peek(self) -> T | None:
        """The value held, without asking whether it is current (None before the first build)."""
        held = self._held
        return held.value if held is not None else None

    def refresh(self) -> bool:
        """Rebuild unless the value held is fresh; whether it was rebuilt."""
        current = versions(self.keys)
        if self._fresh(self._held, current):
            return False
        with self._lock:
            self._held = _Held(self.build(), current, time.monotonic())
        return True

    def clear(self) -> None:
        """Drop this process's value (the next :meth:`get` builds it)."""
        with self._lock:
            self._held = None
