"""The "changed since" marks the similar stage's turn reads (PostgreSQL; nothing on SQLite, where
batches run one at a time and the turn reads everything): ``changed_xid`` on cases and messages, set
by triggers (docs/decisions/0010-changed-since-marks.md; the runtime reads are in
:mod:`otklik.intake.changes`). The partial indexes on the marks are built CONCURRENTLY by 0017.

The SQL is frozen here, not imported: a migration is history, and a later edit of application code
must not change what it creates on a fresh database (tests/test_migrations.py). Adding a nullable
column without a default and creating a trigger each take their table's lock for a moment only."""

from django.db import migrations

CREATE_SQL = [
    "ALTER TABLE cases_case ADD COLUMN changed_xid bigint",
    "ALTER TABLE intake_message ADD COLUMN changed_xid bigint",
    """CREATE FUNCTION otklik_mark_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.changed_xid := pg_current_xact_id()::text::bigint;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER cases_case_changed BEFORE UPDATE ON cases_case FOR EACH ROW
    WHEN ((OLD.status, OLD.addressed_to_id, OLD.territory_id, OLD.suggested_territory_id, OLD.address, OLD.lat, OLD.lon)
          IS DISTINCT FROM
          (NEW.status, NEW.addressed_to_id, NEW.territory_id, NEW.suggested_territory_id, NEW.address, NEW.lat, NEW.lon))
    EXECUTE FUNCTION otklik_mark_changed()""",
    """CREATE TRIGGER intake_message_changed BEFORE UPDATE ON intake_message FOR EACH ROW
    WHEN ((OLD.case_id, OLD.text_hash) IS DISTINCT FROM (NEW.case_id, NEW.text_hash))
    EXECUTE FUNCTION otklik_mark_changed()""",
    # a deleted message takes its similarity keys with it: its case is marked, and the messages of a
    # marked case are read again
    """CREATE FUNCTION otklik_mark_messages_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE cases_case SET changed_xid = pg_current_xact_id()::text::bigint
        WHERE id IN (SELECT case_id FROM gone WHERE case_id IS NOT NULL);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER intake_message_gone AFTER DELETE ON intake_message
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION otklik_mark_messages_gone()""",
]

DROP_SQL = [
    "DROP TRIGGER IF EXISTS intake_message_gone ON intake_message",
    "DROP FUNCTION IF EXISTS otklik_mark_messages_gone()",
    "DROP TRIGGER IF EXISTS intake_message_changed ON intake_message",
    "DROP TRIGGER IF EXISTS cases_case_changed ON cases_case",
    "DROP FUNCTION IF EXISTS otklik_mark_changed()",
    "ALTER TABLE intake_message DROP COLUMN IF EXISTS changed_xid",
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS changed_xid",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE_SQL:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
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
