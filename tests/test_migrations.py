"""Every model change has its migration (a missing one would break a fresh install's migrate), and a
migration is history: what it creates is frozen in its own text, never read from application code a
later edit could change (a fresh database would then differ from one migrated before the edit)."""

from __future__ import annotations

import ast
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from otklik.intake import changes

OTKLIK = Path(__file__).resolve().parent.parent / "otklik"

# Known migrations that still import application code, each with why it is not frozen yet. Shrink
# this, never grow it: a new migration writes its SQL (or data) into its own text.
NOT_YET_FROZEN: set[str] = set()


def _application_imports(path: Path) -> list[str]:
    """The ``otklik.*`` modules ``path`` imports (anywhere in it, also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [name for name in names if name == "otklik" or name.startswith("otklik.")]
    return found


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"missing migrations:\n{out.getvalue()}" if exc.code else out.getvalue())


def test_no_migration_reads_its_sql_from_application_code() -> None:
    migrations = sorted(OTKLIK.glob("*/migrations/0*.py"))
    assert len(migrations) > 50  # the glob found the apps' migrations
    importing = {
        f"{path.parent.parent.name}/{path.name}": imports
        for path in migrations
        if (imports := _application_imports(path))
    }
    assert set(importing) - NOT_YET_FROZEN == set(), importing
    assert set(importing) >= NOT_YET_FROZEN, "frozen since: remove it from NOT_YET_FROZEN"


def test_the_import_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    migration = tmp_path / "0099_example.py"
    migration.write_text(
        "from django.db import migrations\n\n"
        "def create(apps, schema_editor):\n"
        "    from otklik.intake.changes import snapshot\n",
        encoding="utf-8",
    )
    assert _application_imports(migration) == ["otklik.intake.changes"]


@pytest.mark.django_db
def test_a_fresh_migrate_marks_what_the_similar_stage_reads() -> None:
    """The changed-since triggers (intake/0016) watch exactly the columns
    :mod:`otklik.intake.changes` documents the similar stage reads, and the partial indexes the turn
    scans (intake/0017, built CONCURRENTLY) are valid. Changing those columns needs a new migration."""
    if connection.vendor != "postgresql":
        pytest.skip("the marks are PostgreSQL triggers (nothing on SQLite)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgname IN ('cases_case_changed', 'intake_message_changed', 'intake_message_gone')"
        )
        triggers = {name: " ".join(definition.split()) for name, definition in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname IN ('cases_case_changed_xid', 'intake_message_changed_xid')"
        )
        indexes = {name: (valid, definition) for name, valid, definition in cursor.fetchall()}
    for name, table, columns in (
        ("cases_case_changed", "cases_case", changes.CASE_COLUMNS),
        ("intake_message_changed", "intake_message", changes.MESSAGE_COLUMNS),
    ):
        definition = triggers[name]
        head = f"CREATE TRIGGER {name} BEFORE UPDATE ON public.{table} FOR EACH ROW WHEN "
        assert definition.startswith(head), definition
        assert definition.endswith(" EXECUTE FUNCTION otklik_mark_changed()")
        # PostgreSQL spells the row comparison out column by column: old.x IS DISTINCT FROM new.x
        assert set(re.findall(r"\bold\.(\w+)", definition)) == set(columns), definition
        assert set(re.findall(r"\bnew\.(\w+)", definition)) == set(columns), definition
    assert triggers["intake_message_gone"] == (
        "CREATE TRIGGER intake_message_gone AFTER DELETE ON public.intake_message "
        "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION otklik_mark_messages_gone()"
    )
    assert indexes == {
        f"{table}_changed_xid": (
            True,
            f"CREATE INDEX {table}_changed_xid ON public.{table} USING btree (changed_xid) "
            "WHERE (changed_xid IS NOT NULL)",
        )
        for table in ("cases_case", "intake_message")
    }


@pytest.mark.django_db(transaction=True)
def test_the_concurrent_index_build_runs_again_after_a_failed_one() -> None:
    """intake/0017 runs outside a transaction (CREATE INDEX CONCURRENTLY); a build that failed midway
    leaves an INVALID index, which running the migration again drops and builds anew; a valid one
    (built by intake/0016 before 0017 existed) is kept. Here the failed
    build is a real one: a UNIQUE concurrent build over two cases one statement marked alike."""
    if connection.vendor != "postgresql":
        pytest.skip("the marks are PostgreSQL triggers (nothing on SQLite)")
    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case
    from otklik.testing.factories import make_case

    call_command("migrate", "intake", "0016", verbosity=0)  # 0017 reversed: the indexes dropped
    first, second = make_case(), make_case()
    Case.objects.filter(pk__in=[first.pk, second.pk]).update(status=CaseStatus.CLOSED)  # one xid for both
    with connection.cursor() as cursor, pytest.raises(Exception, match="could not create unique index"):
        cursor.execute(
            "CREATE UNIQUE INDEX CONCURRENTLY cases_case_changed_xid ON cases_case (changed_xid) "
            "WHERE changed_xid IS NOT NULL"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'cases_case_changed_xid'::regclass"
        )
        assert cursor.fetchone() == (False,)  # the failed build's leftover
        # the other as intake/0016 built it before 0017 existed: valid, left as it is
        cursor.execute(
            "CREATE INDEX intake_message_changed_xid ON intake_message (changed_xid) "
            "WHERE changed_xid IS NOT NULL"
        )
        cursor.execute("SELECT 'intake_message_changed_xid'::regclass::oid")
        (built_before,) = cursor.fetchone()
    call_command("migrate", "intake", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname IN ('cases_case_changed_xid', 'intake_message_changed_xid')"
        )
        assert sorted(cursor.fetchall()) == [(True, False), (True, False)]
        cursor.execute("SELECT 'intake_message_changed_xid'::regclass::oid")
        assert cursor.fetchone() == (built_before,)
