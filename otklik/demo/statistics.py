"""After the demo's bulk load: the planner's statistics of the tables just filled, on PostgreSQL.

Autovacuum analyzes a table only after a share of its rows changed and some time passed (and is off
on some installations, docs/deploy/README.md); a bench or a first look right after ``otklik demo``
would otherwise be planned on the statistics of empty tables — the pipeline's dedup lookup became a
nested loop over every open case that way (11 s a batch, 6 ms after ANALYZE; docs/benchmarks.md).
SQLite keeps no such statistics that matter here: nothing is run there.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import connection
from django.db.models import Model

# The apps whose tables the demo fills by the thousand: messages and dead letters, cases with their
# events, answers, deliveries and ratings, the rollups, the deputies' appeals, the election day.
LOADED_APPS = ("intake", "cases", "analytics", "deputies", "elections")


def loaded_models(labels: Iterable[str] = LOADED_APPS) -> list[type[Model]]:
    """Every concrete model of those apps, with their many-to-many tables."""
    found: list[type[Model]] = []
    for label in labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if not model._meta.proxy and model._meta.managed:
                found.append(model)
    return found


def analyze(models: Iterable[type[Model]]) -> list[str]:
    """``ANALYZE`` the tables of ``models`` on PostgreSQL, in one statement; the tables analyzed
    (none on another database)."""
    if connection.vendor != "postgresql":
        return []
    tables = list(dict.fromkeys(model._meta.db_table for model in models))
    if tables:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    return tables
