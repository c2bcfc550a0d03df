"""Fast inserts of many new rows: PostgreSQL ``COPY``, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL builds one statement with every value quoted on the client,
which costs more than the database's own work for a batch of hundreds of cases, messages and
events. :func:`insert` reserves the primary keys from the table's sequence and streams the rows with
``COPY`` instead — the same rows, the same defaults and ``auto_now`` values, inside the caller's
transaction. Signals are not sent (as with ``bulk_create``).

:func:`insert_rows` goes one step further for rows nobody needs as objects (messages, history
events, similarity keys): plain tuples in, no model instance built on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar
from uuid import UUID

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
    values = [_value_getter(f) for f in fields]
    _copy(meta.db_table, fields, ([value(obj) for value in values] for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


_PLAIN_PRE_SAVE = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)


def _value_getter(field: models.Field) -> Callable[[Any], Any]:
    """``field.pre_save(obj, add=True)``: the attribute itself unless the field sets it (``auto_now``)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, add=True)
    if type(field).pre_save in _PLAIN_PRE_SAVE:  # (no subclass doing more)
        return attrgetter(field.attname)
    return lambda obj: field.pre_save(obj, add=True)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows of ``model``: ``columns`` are field attnames ("case_id", "created_at" …), every
    concrete field but the primary key must be among them (the primary key may be, or is left to
    the database). Values are Python values as a model instance would hold them (JSON fields: dicts
    and lists). PostgreSQL: one ``COPY`` of text written here, no instances; elsewhere instances and
    ``bulk_create``. Returns the number of rows."""
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    missing = {f.attname for f in meta.concrete_fields if not f.primary_key and not f.generated} - set(
        columns
    )
    if missing:
        raise ValueError(f"insert_rows({meta.label}) needs values for {sorted(missing)}")
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objs)
        return len(objs)
    return _copy(meta.db_table, fields, rows)


def _copy(table: str, fields: Sequence[models.Field], rows: Iterable[Sequence[Any]]) -> int:
    """``COPY table (fields) FROM STDIN`` in the text format, the lines written here in one go."""
    encoders = [_encoder_for(f) for f in fields]
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    lines = ["\t".join([encode(v) for encode, v in zip(encoders, row, strict=True)]) for row in rows]
    if not lines:
        return 0
    lines.append("")
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy,
    ):
        copy.write("\n".join(lines))
    return len(lines) - 1


def _escape(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped (\\N is NULL).
    Chained replace() (memchr-fast) rather than translate(), which is slow on Cyrillic."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


_INTEGER_FIELDS = frozenset(
    {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "PositiveIntegerField", "ForeignKey"}
)


def _encoder_for(field: models.Field) -> Callable[[Any], str]:
    """The COPY text of a column's values: the common types without a type test per value."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return _json_text(field)
    target = getattr(field, "target_field", None)
    if kind == "ForeignKey" and (target is None or target.get_internal_type() not in _INTEGER_FIELDS):
        return _text
    if kind in _INTEGER_FIELDS:
        return _integer_text
    if kind in ("CharField", "TextField"):
        return _string_text
    if kind == "DateTimeField":
        return _datetime_text()
    return _text


def _integer_text(value: Any) -> str:
    return str(value) if type(value) is int else _text(value)


def _string_text(value: Any) -> str:
    return _escape(value) if type(value) is str else _text(value)


def _datetime_text() -> Callable[[Any], str]:
    """Many rows share a moment (a message's keys, a batch's ``now``): each is written out once."""
    done: dict[Any, str] = {}

    def encode(value: Any) -> str:
        if value is None:
            return "\\N"
        found = done.get(value)
        if found is None:
            found = done[value] = _text(value)
        return found

    return encode


def _json_text(field: models.Field) -> Callable[[Any], str]:
    encoder = getattr(field, "encoder", None)

    def encode(value: Any) -> str:
        # Not ASCII-escaped: jsonb stores the same value, and there are no \uXXXX backslashes to escape.
        return _escape(json.dumps(value, cls=encoder, ensure_ascii=False))

    return encode


def _text(value: Any) -> str:
    """A value as COPY's text format reads it (what psycopg would send for it)."""
    kind = type(value)
    if kind is str:
        return _escape(value)
    if value is None:
        return "\\N"
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is float:
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, str):  # a TextChoices member and the like: its value
        return _escape(str.__str__(value))
    if isinstance(value, int | Decimal | UUID):
        return str(value)
    raise TypeError(f"no COPY text for {kind.__name__} {value!r}")
