"""What changed since a moment, for the similar stage's look-up before the turn (PostgreSQL).

The similar stage reads, for each similarity key, which stored messages are of open cases and where
those cases are. The ordered pipeline (:mod:`otklik.intake.pipeline.order`) reads that before a
batch's turn, in parallel with other workers, and in the turn re-reads only what changed since:

- ``cases_case.changed_xid``: the transaction that last changed what the stage reads of a case —
  its status, addressee, territory, suggested territory, address or point — or deleted one of its
  messages;
- ``intake_message.changed_xid``: the transaction that last moved a message to another case (or to
  none) or changed its text hash.

Both are set by triggers (migration ``intake/0016``; their partial indexes: ``intake/0017``), so no
writer can forget them: a queryset ``.update()`` of a bulk action, routing or an overdue job sets
them as a form's ``save()`` does (``Case.updated_at`` is set by neither ``.update()`` nor raw SQL).
Neither column is a field of its model: Django's ``save()`` writes every field, and a stale copy
written back would set the mark back.

A transaction id is not a commit order: "changed since the look-up" is "changed by a transaction the
look-up's snapshot does not see" (``pg_visible_in_snapshot``) — exact however transactions
interleave; the scan is bounded by the snapshot's ``xmin`` on a partial index of the marked rows.
See docs/decisions/0010-changed-since-marks.md.
"""

from __future__ import annotations

from typing import Any

# The columns whose change the similar stage must see (status, addressee, place; a message's case and
# text hash): what the triggers of migration intake/0016 watch — that migration holds the SQL, frozen;
# tests/test_migrations.py checks a fresh migrate's triggers watch exactly these. Changing them takes
# a new migration.
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
