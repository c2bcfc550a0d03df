"""The partial indexes on the "changed since" marks of 0016 (PostgreSQL; nothing on SQLite), built
CONCURRENTLY: a plain CREATE INDEX holds a lock that stops every write to the table for the whole
scan of it, and intake_message is the largest table. A concurrent build lets intake and operators
write meanwhile; it waits for the transactions already open on the table to finish, and it cannot
run inside a transaction (hence ``atomic = False``).

Databases migrated before this migration existed got these indexes from 0016 (built in its
transaction); here they are left as they are. A concurrent build that failed midway leaves an
INVALID index behind: it is dropped and built again when the migration is run again.
The SQL is frozen here (tests/test_migrations.py)."""

from django.db import migrations

INDEXES = {
    "cases_case_changed_xid": (
        "CREATE INDEX CONCURRENTLY cases_case_changed_xid ON cases_case (changed_xid) "
        "WHERE changed_xid IS NOT NULL"
    ),
    "intake_message_changed_xid": (
        "CREATE INDEX CONCURRENTLY intake_message_changed_xid ON intake_message (changed_xid) "
        "WHERE changed_xid IS NOT NULL"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, statement in INDEXES.items():
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
                [name],
            )
            found = cursor.fetchone()
            if found and found[0]:
                continue  # built by 0016 before this migration existed
            if found:  # a failed concurrent build's leftover
                cursor.execute(f"DROP INDEX CONCURRENTLY {name}")
            cursor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("intake", "0016_changed_marks")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
