"""What changed since a moment, for the similar stage's look-up before the turn (PostgreSQL).

The similar stage reads, for each similarity key, which stored messages are of open cases and where
those cases are. The ordered pipeline (:mod:`otklik.intake.pipeline.order`) reads that before a
batch's turn, in parallel with other workers, and in the turn re-reads only what changed since:

- ``cases_case.changed_xid``: the transaction that last changed what the stage reads of a case —
  its status, addressee, territory, suggested territory, address or point — or deleted one of its
  messages;
- ``intake_message.changed_xid``: the transaction that last moved a message to another case (or to
  none) or changed its text hash.

Both are set by triggers (migration ``intake/0016``), so no writer can forget them: a queryset
``.update()`` of a bulk action, routing or an overdue job sets them as a form's ``save()`` does
(``Case.updated_at`` is set by neither ``.update()`` nor raw SQL). Neither column is a field of its
model: Django's ``save()`` writes every field, and a stale copy written back would set the mark back.

A transaction id is not a commit order: "changed since the look-up" is "changed by a transaction the
look-up's snapshot does not see" (``pg_visible_in_snapshot``) — exact however transactions
interleave; the scan is bounded by the snapshot's ``xmin`` on a partial index of the marked rows.
See docs/decisions/0010-changed-since-marks.md.
"""

from __future__ import annotations

from typing import Any

# The columns of cases_case whose change the similar stage must see (status, addressee, place).
CASE_COLUMNS = (
    "status",
    "addressed_to_id",
    "territory_id",
    "suggested_territory_id",
    "address",
    "lat",
    "lon",
)
MESSAGE_COLUMNS = ("case_id", "text_hash")


def _distinct(columns: tuple[str, ...]) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    return f"(({old}) IS DISTINCT FROM ({new}))"


CREATE_SQL = [
    "ALTER TABLE cases_case ADD COLUMN changed_xid bigint",
    "CREATE INDEX cases_case_changed_xid ON cases_case (changed_xid) WHERE changed_xid IS NOT NULL",
    "ALTER TABLE intake_message ADD COLUMN changed_xid bigint",
    "CREATE INDEX intake_message_changed_xid ON intake_message (changed_xid) WHERE changed_xid IS NOT NULL",
    """CREATE FUNCTION otklik_mark_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.changed_xid := pg_current_xact_id()::text::bigint;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER cases_case_changed BEFORE UPDATE ON cases_case FOR EACH ROW
    WHEN {_distinct(CASE_COLUMNS)} EXECUTE FUNCTION otklik_mark_changed()""",
    f"""CREATE TRIGGER intake_message_changed BEFORE UPDATE ON intake_message FOR EACH ROW
    WHEN {_distinct(MESSAGE_COLUMNS)} EXECUTE FUNCTION otklik_mark_changed()""",
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


def snapshot(cursor: Any) -> str:
    """The current statement's snapshot (``pg_snapshot`` as text): take it before reading what it
    stands for — whatever commits after it is "changed since" it."""
    cursor.execute("SELECT pg_current_snapshot()::text")
    return str(cursor.fetchone()[0])


_NOT_SEEN = (
    "changed_xid >= pg_snapshot_xmin(%s::pg_snapshot)::text::bigint "
    "AND NOT pg_visible_in_snapshot(changed_xid::text::xid8, %s::pg_snapshot)"
)


def cases_changed_since(cursor: Any, seen: str, columns: str) -> list[tuple[Any, ...]]:
    """``columns`` of the cases changed by a transaction the snapshot ``seen`` does not see."""
    cursor.execute(f"SELECT {columns} FROM cases_case WHERE {_NOT_SEEN}", [seen, seen])
    return list(cursor.fetchall())


def messages_changed_since(cursor: Any, seen: str, columns: str) -> list[tuple[Any, ...]]:
    """``columns`` of the messages moved (or rehashed) by a transaction ``seen`` does not see."""
    cursor.execute(f"SELECT {columns} FROM intake_message WHERE {_NOT_SEEN}", [seen, seen])
    return list(cursor.fetchall())
