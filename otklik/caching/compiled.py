"""Querysets whose SQL a process compiles once (issue 13 item 6: the case card at most 25 ms of CPU).

Django compiles a queryset into SQL on every evaluation: the case card's four lists cost ~0.4–0.9 ms
each to compile (their joins, ordering, deferred columns), more than the database takes to answer
them. A :class:`CompiledQuery` builds its queryset once per thread and database — with stand-in values
where a request's values go — keeps the SQL and Django's description of its columns, and on each call
runs that SQL with the request's values and makes the instances Django's ``ModelIterable`` makes:
the same rows, fields deferred as the queryset defers them, ``select_related`` rows attached,
annotations set.

    messages = CompiledQuery(
        lambda case_id: Message.objects.filter(case_id=case_id).select_related("source"),
        case_id=-7_070_707,
    )
    messages(case_id=case.pk)  # a list of messages, their sources attached

Each stand-in must reach the SQL as exactly one parameter equal to it (checked when preparing). The
compiled state is kept per thread because a Django connection is (the converters of a column are
its connection's).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

M = TypeVar("M", bound=Model)


def as_parameter(value: Any, alias: str) -> Any:
    """``value`` as the SQL's parameter: a datetime adapted for the database as Django adapts a
    ``DateTimeField``'s (SQLite: text in UTC), anything else as it is (ints, text)."""
    if isinstance(value, datetime):
        return connections[alias].ops.adapt_datetimefield_value(value)
    return value


class _Prepared:
    """One thread's compiled query for one database."""

    def __init__(self, queryset: QuerySet[Any], stand_ins: dict[str, Any], alias: str) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, annotation_col_map
        self.sql = sql
        self.params = list(params)
        self.slots: dict[str, int] = {}
        for name, value in stand_ins.items():
            wanted = as_parameter(value, alias)
            found = [i for i, p in enumerate(self.params) if type(p) is type(wanted) and p == wanted]
            if len(found) != 1:
                raise ImproperlyConfigured(
                    f"the stand-in {name}={value!r} reaches the SQL as {len(found)} parameters, not one"
                )
            self.slots[name] = found[0]
        self.compiler = compiler
        self.prefetch = tuple(queryset._prefetch_related_lookups)  # type: ignore[attr-defined]
        self.trim = compiler.col_count if compiler.has_extra_select else None
        # values_list(): its tuples as Django's iterator makes them (the columns in the named order)
        self.values = queryset._iterable_class is ValuesListIterable  # type: ignore[attr-defined]
        select, klass_info = compiler.select, compiler.klass_info
        if self.values:
            return
        if queryset._iterable_class is not ModelIterable:  # type: ignore[attr-defined]
            raise ImproperlyConfigured("a compiled query gives instances or values_list() tuples")
        assert klass_info is not None
        self.model: type[Model] = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]
        self.annotations = dict(compiler.annotation_col_map or {})


class CompiledQuery(Generic[M]):
    """``build(**stand_ins)``'s SQL compiled once per thread and database, run with each call's values."""

    def __init__(self, build: Callable[..., QuerySet[M, Any]], **stand_ins: Any) -> None:
        self.build = build
        self.stand_ins = stand_ins
        self._local = threading.local()

    def prepared(self, alias: str = DEFAULT_DB_ALIAS) -> _Prepared:
        held: dict[str, _Prepared] | None = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = {}
        prepared = held.get(alias)
        if prepared is None or prepared.compiler.connection is not connections[alias]:
            prepared = held[alias] = _Prepared(self.build(**self.stand_ins), self.stand_ins, alias)
        return prepared

    def _fetch(self, using: str, values: dict[str, Any]) -> tuple[_Prepared, list[Any]]:
        prepared = self.prepared(using)
        if values.keys() != prepared.slots.keys():
            raise TypeError(f"values for {sorted(prepared.slots)} expected, got {sorted(values)}")
        params = list(prepared.params)
        for name, slot in prepared.slots.items():
            params[slot] = as_parameter(values[name], using)
        with connections[using].cursor() as cursor:
            cursor.execute(prepared.sql, params)
            fetched = cursor.fetchall()
        if prepared.trim is not None:  # columns the ordering needed beyond the selected ones
            fetched = [row[: prepared.trim] for row in fetched]
        return prepared, fetched

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple[Any, ...]]:
        """A ``values_list()`` queryset's tuples for ``values``, as ``list(build(**values))`` gives them."""
        prepared, fetched = self._fetch(using, values)
        if not prepared.values:
            raise TypeError("rows() is for a values_list() queryset; call the query for instances")
        return list(prepared.compiler.results_iter([fetched], tuple_expected=True))

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[M]:
        """The instances for ``values`` (one per stand-in), as ``list(build(**values))`` gives them."""
        prepared, fetched = self._fetch(using, values)
        if prepared.values:
            raise TypeError("a values_list() queryset: call rows()")
        model, start, end, init_list = prepared.model, prepared.start, prepared.end, prepared.init_list
        found: list[M] = []
        for row in prepared.compiler.results_iter([fetched]):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in prepared.populators:
                populator.populate(row, obj)
            for name, position in prepared.annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)  # type: ignore[arg-type]
        if prepared.prefetch:  # as the queryset prefetches once its rows are read
            prefetch_related_objects(found, *(copy.copy(lookup) for lookup in prepared.prefetch))
        return found
