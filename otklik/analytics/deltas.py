"""Figures kept by deltas, the shared part: each counted case's last fact is stored; when cases
change, their stored facts are compared with the new ones, the old ones subtracted from the counter
rows and the new ones added (one additive upsert), and the stored facts replaced.

Used by the analytics rollups (:mod:`otklik.analytics.rollups`), the public map's counters
(:mod:`otklik.analytics.public_counts`) and «Мой депутат»'s service figures
(:mod:`otklik.deputies.service_counts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import models

from .cubes import _upsert

F = TypeVar("F")


def diff_facts(
    ids: Iterable[int], old: Mapping[int, F], new: Mapping[int, F], count: Callable[[F, int], None]
) -> tuple[list[tuple[int, F]], list[int]]:
    """Compare each case's stored fact (``old``) with its fact now (``new``; missing: it counts no
    more): ``count(fact, -1)`` for a stored fact that changed or went, ``count(fact, +1)`` for its
    successor. Returns the cases whose fact is new or changed (with that fact) and the cases gone."""
    changed: list[tuple[int, F]] = []
    gone: list[int] = []
    for case_id in dict.fromkeys(ids):
        before, after = old.get(case_id), new.get(case_id)
        if before == after:
            continue
        if before is not None:
            count(before, -1)
        if after is not None:
            count(after, +1)
            changed.append((case_id, after))
        else:
            gone.append(case_id)
    return changed, gone


def add_counts(
    db_table: str, key: Sequence[str], values: Sequence[str], deltas: Mapping[tuple[Any, ...], Sequence[int]]
) -> int:
    """Add ``deltas`` (key → one delta per value column) to the counter table in one additive
    upsert (rows whose deltas are all zero are left out); returns the rows touched."""
    rows = [[*k, *v] for k, v in sorted(deltas.items()) if any(v)]
    if rows:
        updates = ", ".join(f"{v} = {db_table}.{v} + excluded.{v}" for v in values)
        _upsert(db_table, [*key, *values], rows, f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")
    return len(rows)


def store_facts(
    model: type[models.Model], columns: Sequence[str], rows: list[list[Any]], gone: Sequence[int]
) -> None:
    """Replace the stored facts: upsert ``rows`` (values of ``columns``, ``case_id`` among them) and
    delete the facts of the cases ``gone``."""
    if rows:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "case_id")
        _upsert(model._meta.db_table, list(columns), rows, f"ON CONFLICT (case_id) DO UPDATE SET {updates}")
    if gone:
        model._default_manager.filter(case_id__in=gone).delete()
