"""``otklik demo`` leaves PostgreSQL with the statistics of what it loaded (ANALYZE), and runs
nothing of the kind on SQLite."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.cases.models import Case
from otklik.demo.statistics import analyze, loaded_models
from otklik.directory.defaults_categories import load_default_categories
from otklik.intake.models import Message

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def _analyzed(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("ANALYZE")]


def test_analyze_runs_one_statement_on_postgresql_and_nothing_elsewhere():
    with CaptureQueriesContext(connection) as ctx:
        tables = analyze([Case, Message, Case])
    if ON_POSTGRESQL:
        assert tables == ["cases_case", "intake_message"]
        assert _analyzed(ctx) == ['ANALYZE "cases_case", "intake_message"']
    else:
        assert tables == [] and ctx.captured_queries == []


def test_the_loaded_tables_are_the_demo_apps_with_their_many_to_many_tables():
    tables = {model._meta.db_table for model in loaded_models()}
    assert {"intake_message", "cases_case", "cases_caseevent", "analytics_casefact"} <= tables
    assert "deputies_deputy_territories" in tables and "directory_territory" not in tables


def test_the_demo_at_scale_analyzes_the_tables_it_filled_on_postgresql_only():
    load_default_categories()
    with CaptureQueriesContext(connection) as ctx:
        call_command("demo", deputies=20, regions=2, deputy_appeals=100, stdout=StringIO())
    statements = _analyzed(ctx)
    if ON_POSTGRESQL:  # (the rollups' rebuild analyzes its own tables too)
        [ours] = [sql for sql in statements if '"cases_case"' in sql]
        for table in ("cases_rating", "deputies_deputy", "deputies_deputy_territories", "deputies_pagevisit"):
            assert f'"{table}"' in ours
    else:
        assert statements == []
