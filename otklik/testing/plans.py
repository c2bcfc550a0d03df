"""Asking PostgreSQL's planner whether an index can answer a query (tests of indexes)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def index_plan(qs: Any) -> str:
    """The plan of ``qs`` with sequential scans switched off for the transaction: on a test's few
    rows a scan is cheaper, so this asks whether an index *can* answer, not whether it would."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return str(qs.explain())
