"""A compiled query gives what its queryset gives — the same SQL, rows, deferred fields, joined rows and
annotations — compiling it once per thread, and runs with each call's values."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.models import F, Value
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from otklik.accounts.choices import Role
from otklik.caching.compiled import CompiledQuery
from otklik.cases.choices import AnswerKind, AnswerStatus
from otklik.cases.models import Answer, Case
from otklik.testing.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.django_db

STAND_IN = -7_070_707


def answers_of(case_id: int) -> Any:
    return (
        Answer.objects.filter(case_id=case_id)
        .select_related("author", "agency")
        .defer("text")
        .annotate(doubled=F("id") * 2, word=Value("слово"))
        .order_by("-created_at", "id")
    )


@pytest.fixture
def cases() -> list[Case]:
    agency = make_agency("Водоканал <&>")
    author = make_user(Role.EXECUTOR, agency=agency, username="writer")
    made = [make_case(), make_case(), make_case()]
    for n, case in enumerate(made[:2]):
        for i in range(n + 2):
            Answer.objects.create(
                case=case,
                kind=AnswerKind.FINAL,
                status=AnswerStatus.DRAFT,
                text=f"ответ {i} «{case.pk}»",
                author=author if i else None,
                agency=agency,
            )
    return made


def _state(rows: list[Any]) -> list[Any]:
    return [
        (
            type(row),
            {k: v for k, v in row.__dict__.items() if k != "_state"},
            {name: getattr(cached, "pk", cached) for name, cached in row._state.fields_cache.items()},
            row.get_deferred_fields(),
            row._state.adding,
            row._state.db,
        )
        for row in rows
    ]


def test_the_same_sql_and_instances_as_the_queryset(cases: list[Case]) -> None:
    query = CompiledQuery(answers_of, case_id=STAND_IN)
    for case in cases:
        with CaptureQueriesContext(connection) as old:
            expected = list(answers_of(case.pk))
        with CaptureQueriesContext(connection) as new:
            got = query(case_id=case.pk)
        assert [q["sql"] for q in new.captured_queries] == [q["sql"] for q in old.captured_queries]
        assert _state(got) == _state(expected)
    first = query(case_id=cases[1].pk)
    assert len(first) == 3 and first[0].get_deferred_fields() == {"text"}
    assert first[0].doubled == first[0].pk * 2 and first[0].word == "слово"
    with CaptureQueriesContext(connection) as reading:
        assert first[1].agency.name == "Водоканал <&>" and {a.author.username for a in first if a.author} == {
            "writer"
        }
        assert first[1].text.startswith("ответ")  # a deferred field is loaded as Django loads it
    assert len(reading) == 1


def test_compiled_once_a_thread(cases: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[int] = []
    as_sql = SQLCompiler.as_sql

    def counting(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        compiled.append(1)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    query = CompiledQuery(answers_of, case_id=STAND_IN)
    for case in cases * 3:
        query(case_id=case.pk)
    assert len(compiled) == 1

    other: list[Any] = []  # another thread (its own connection) compiles its own

    def in_a_thread() -> None:
        try:
            other.append(query.prepared().sql)
        finally:
            connections.close_all()

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert other == [query.prepared().sql] and len(compiled) == 2


def test_a_stand_in_must_be_one_parameter_and_each_value_given(cases: list[Case]) -> None:
    twice = CompiledQuery(
        lambda case_id: Answer.objects.filter(case_id=case_id, agency_id=case_id), case_id=STAND_IN
    )
    with pytest.raises(ImproperlyConfigured):
        twice(case_id=cases[0].pk)
    absent = CompiledQuery(lambda case_id: Answer.objects.all(), case_id=STAND_IN)
    with pytest.raises(ImproperlyConfigured):
        absent(case_id=cases[0].pk)
    query = CompiledQuery(answers_of, case_id=STAND_IN)
    with pytest.raises(TypeError):
        query(pk=cases[0].pk)
