"""Fast inserts of many new rows: PostgreSQL ``COPY``, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL builds one statement with every value quoted on the client,
which costs more than the database's own work for a batch of hundreds of cases, messages and
events. :func:`insert` reserves the primary keys from the table's sequence and streams the rows with
``COPY`` instead — the same rows, the same defaults and ``auto_now`` values, inside the caller's
transaction. Signals are not sent (as with ``bulk_create``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys for new rows of ``model`` (PostgreSQL: its sequence; else after the top)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
        top = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + count))


_PLAIN = (int, str, bool, float, datetime)


def _prep(field: models.Field, value: Any) -> Any:
    # Plain values go as they are; anything else (JSON, enums, dates, decimals) through the field.
    if value is None or type(value) in _PLAIN:
        return value
    return field.get_db_prep_save(value, connection=connection)


def insert(objs: Sequence[M]) -> Sequence[M]:
    """Insert new model instances; each gets its primary key. All must be of one model."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)
    missing = [obj for obj in objs if obj.pk is None]
    for obj, pk in zip(missing, reserve_ids(model, len(missing)), strict=True):
        obj.pk = pk
    fields = [f for f in meta.concrete_fields if not f.generated]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    statement = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    rows = [[_prep(f, f.pre_save(obj, add=True)) for f in fields] for obj in objs]
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
