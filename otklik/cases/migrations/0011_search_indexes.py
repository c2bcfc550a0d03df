"""GIN indexes for the operators' search on PostgreSQL (nothing on SQLite): the full-text vector of
title, text and address, and trigrams of the case number. :mod:`otklik.cases.search` builds the
query with the same expressions, so the planner matches them. The SQL is frozen here (a migration is
history; tests/test_migrations.py): what Django wrote for ``search_index()`` on 2026-12-06."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


SEARCH_INDEX_SQL = (
    'CREATE INDEX "case_search_vector" ON "cases_case" USING gin ((to_tsvector(\'russian\'::regconfig, '
    "COALESCE(REPLACE(REPLACE(\"title\", 'ё', 'е'), 'Ё', 'Е'), '') || ' ' || "
    "COALESCE(REPLACE(REPLACE(\"text\", 'ё', 'е'), 'Ё', 'Е'), '') || ' ' || "
    "COALESCE(REPLACE(REPLACE(\"address\", 'ё', 'е'), 'Ё', 'Е'), ''))))"
)
NUMBER_INDEX_SQL = (
    'CREATE INDEX IF NOT EXISTS "case_number_trgm" ON "cases_case" '
    'USING gin ((UPPER(("number")::text)) gin_trgm_ops)'
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SEARCH_INDEX_SQL)
    schema_editor.execute(NUMBER_INDEX_SQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "case_search_vector"')
    schema_editor.execute('DROP INDEX IF EXISTS "case_number_trgm"')


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_channel_max'),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop, elidable=False),
    ]
