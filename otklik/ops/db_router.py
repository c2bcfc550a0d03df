"""Reads of analytics from a PostgreSQL replica, when ``DATABASE_REPLICA_URL`` is set.

Only reads inside :func:`reading_from_replica` go there — the analytics pages' GET requests
(``OTKLIK_REPLICA_PATHS``) and whatever code wraps itself in it (a heavy export). Writes, the
operators' pages, the pipeline and the periodic jobs always use ``default``: a replica lags a little,
and a moderator must see the case they just changed. The replica is never migrated: it is a copy.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections

REPLICA = "replica"

_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("otklik_use_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_from_replica(on: bool = True) -> Iterator[None]:
    token = _use_replica.set(on)
    try:
        yield
    finally:
        _use_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        # Inside a write transaction (a page refreshing stale rollups) reads stay with the writes.
        if _use_replica.get() and replica_configured() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as default

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        return db != REPLICA
