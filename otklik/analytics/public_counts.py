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

from .deltas import add_counts, diff_facts, store_facts
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

    def count(fact: Key, sign: int) -> None:
        deltas[fact] += sign

    changed, gone = diff_facts(ids, old, new, count)
    with transaction.atomic():
        touched = add_counts(PublicDay._meta.db_table, KEY, ["cases"], {k: (n,) for k, n in deltas.items()})
        store_facts(PublicFact, FIELDS, [[case_id, *fact] for case_id, fact in changed], gone)
    return touched
