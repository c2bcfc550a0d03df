"""GIN indexes for the operators' search on PostgreSQL (nothing on SQLite): the full-text vector of
title, text and address, and trigrams of the case number. Their expressions come from
:mod:`otklik.cases.search`, which builds the query the same way, so the planner matches them."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def create(apps, schema_editor):
    from otklik.cases.search import NUMBER_INDEX_SQL, search_index

    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("cases", "Case"), search_index())
    schema_editor.execute(NUMBER_INDEX_SQL)


def drop(apps, schema_editor):
    from otklik.cases.search import NUMBER_INDEX, search_index

    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("cases", "Case"), search_index())
    schema_editor.execute(f'DROP INDEX IF EXISTS "{NUMBER_INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_channel_max'),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop, elidable=False),
    ]
