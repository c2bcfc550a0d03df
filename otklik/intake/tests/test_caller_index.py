"""On PostgreSQL the call center's caller look-up reads its indexes (migration 0013): the B-tree
of author ids for a phone, the trigrams of the folded name for a name. Sequential scans are
switched off to ask whether an index *can* answer (on a handful of rows a scan is cheaper);
bench/search.py measures the difference on a large table."""

from __future__ import annotations

import pytest
from django.db import connection

from otklik.intake.callers import NAME_INDEX, by_caller
from otklik.testing.plans import index_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes"),
]


def test_the_caller_look_up_reads_the_phone_and_name_indexes():
    assert "message_author_id" in index_plan(by_caller("+7 927 555-12-34", by_phone=True).order_by())
    assert NAME_INDEX in index_plan(by_caller("Пётр Иванов", by_phone=False).order_by())
