"""On PostgreSQL the operators' search reads its indexes: the planner can answer it from the GIN
indexes (full text, trigrams of the number) migration 0011 creates, so their expressions match the
query's. Sequential scans are switched off to ask whether
an index *can* answer (on a handful of rows a scan is cheaper); bench/search.py measures the
difference on a large table."""

from __future__ import annotations

import pytest
from django.db import connection

from otklik.cases.filters import CaseFilter
from otklik.cases.models import Case
from otklik.cases.search import NUMBER_INDEX, SEARCH_INDEX
from otklik.testing.factories import make_case
from otklik.testing.plans import index_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes"),
]


def test_the_case_search_reads_the_full_text_and_number_indexes():
    make_case(text="Нет отопления в доме на улице Мира", title="heating")
    searched = CaseFilter({"q": "отопление"}, Case.objects.all()).qs
    assert set(searched.values_list("title", flat=True)) == {"heating"}
    shown = index_plan(searched.order_by())
    assert SEARCH_INDEX in shown and NUMBER_INDEX in shown, shown
    assert "Seq Scan on cases_case" not in shown
