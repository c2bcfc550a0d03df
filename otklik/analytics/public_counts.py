"""The public map's counters: public cases by the day they were created, category, closed and placed.

Kept by the rollups' refresh (:mod:`otklik.analytics.rollups`) the same way as the rollups: each
counted case's last fact is kept (``PublicFact``); when a case changes, its old fact is subtracted
from ``PublicDay`` and the new one added, so a refresh costs in proportion to the changed cases.
Which cases count is :data:`otklik.cases.publicity.LISTED` (what GET /requests lists); the category's
part of being public (``Category.is_public``) is applied when the counters are read, since hiding a
category changes none of its cases. The first refresh after this table appeared (or after a rebuild)
counts every case in one INSERT … SELECT.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, tzinfo
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value, When
from django.db.models import Case as Choose
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from otklik.cases.models import Case
from otklik.cases.publicity import CLOSED, LISTED

from .cubes import _upsert
from .models import PublicDay, PublicFact, RollupState

STATE = "public"  # a RollupState row: refreshed_at is None until the counters were built
KEY = ["day", "category", "suggested", "closed", "placed"]
FIELDS = ["case_id", *KEY]

Key = tuple[date, int, int, bool, bool]


def _facts(cases: QuerySet[Case], tz: tzinfo) -> QuerySet[Case, tuple[Any, ...]]:
    """Each public case's fact, as a query (read by a refresh, inserted whole by a build)."""
    return (
        cases.filter(LISTED)
        .order_by()
        .values_list(
            "pk",
            TruncDate("created_at", tzinfo=tz),
            Coalesce("category_id", Value(0)),
            Choose(When(category__isnull=True, then=Coalesce("suggested_category_id", Value(0))), default=0),
            ExpressionWrapper(Q(status__in=CLOSED), output_field=BooleanField()),
            ExpressionWrapper(Q(lat__isnull=False, lon__isnull=False), output_field=BooleanField()),
        )
    )


def built() -> bool:
    return RollupState.objects.filter(name=STATE, refreshed_at__isnull=False).exists()


def build(tz: tzinfo) -> int:
    """Count every case anew (one INSERT … SELECT per table); the number of public cases."""
    sql, params = _facts(Case.objects.all(), tz).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        PublicFact.objects.all().delete()
        PublicDay.objects.all().delete()
        cursor.execute(f"INSERT INTO {PublicFact._meta.db_table} ({', '.join(FIELDS)}) {sql}", params)
        cases = cursor.rowcount
        keys = ", ".join(KEY)
        cursor.execute(
            f"INSERT INTO {PublicDay._meta.db_table} ({keys}, cases) SELECT {keys}, count(*) "
            f"FROM {PublicFact._meta.db_table} GROUP BY {keys} ORDER BY {keys}"
        )
        RollupState.objects.update_or_create(name=STATE, defaults={"refreshed_at": timezone.now()})
    return cases


def forget() -> None:
    """Empty the counters; the next refresh builds them again."""
    PublicFact.objects.all().delete()
    PublicDay.objects.all().delete()
    RollupState.objects.filter(name=STATE).update(refreshed_at=None)


def ensure_built(tz: tzinfo) -> None:
    if not built():
        build(tz)


def recount(ids: list[int], tz: tzinfo) -> int:
    """Subtract the given cases' old facts, add their new ones; the counter rows touched."""
    old: dict[int, Key] = {
        f.case_id: (f.day, f.category, f.suggested, f.closed, f.placed)
        for f in PublicFact.objects.filter(case_id__in=ids)
    }
    new: dict[int, Key] = {
        pk: (day, category, suggested, bool(closed), bool(placed))
        for pk, day, category, suggested, closed, placed in _facts(Case.objects.filter(pk__in=ids), tz)
    }
    deltas: dict[Key, int] = defaultdict(int)
    changed: list[list[Any]] = []
    gone: list[int] = []
    for case_id in set(ids):
        before, after = old.get(case_id), new.get(case_id)
        if before == after:
            continue
        if before is not None:
            deltas[before] -= 1
        if after is not None:
            deltas[after] += 1
            changed.append([case_id, *after])
        else:
            gone.append(case_id)
    rows = [[*key, n] for key, n in sorted(deltas.items()) if n]
    with transaction.atomic():
        if rows:
            table = PublicDay._meta.db_table
            _upsert(
                table,
                [*KEY, "cases"],
                rows,
                f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET cases = {table}.cases + excluded.cases",
            )
        if changed:
            updates = ", ".join(f"{f} = excluded.{f}" for f in KEY)
            _upsert(
                PublicFact._meta.db_table, FIELDS, changed, f"ON CONFLICT (case_id) DO UPDATE SET {updates}"
            )
        if gone:
            PublicFact.objects.filter(case_id__in=gone).delete()
    return len(rows)
