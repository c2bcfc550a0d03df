"""The "changed since" marks the similar stage's turn reads (PostgreSQL; nothing on SQLite, where
batches run one at a time and the turn reads everything): ``changed_xid`` on cases and messages, set
by triggers (:mod:`otklik.intake.changes`, docs/decisions/0010-changed-since-marks.md)."""

from django.db import migrations


def create(apps, schema_editor):
    from otklik.intake.changes import CREATE_SQL

    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE_SQL:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    from otklik.intake.changes import DROP_SQL

    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP_SQL:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0015_similarity_key_index_with_message"),
        ("cases", "0011_search_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
