"""The "changed since" marks of cases and messages (PostgreSQL triggers, :mod:`otklik.intake.changes`):
every writer sets them — a queryset ``.update()``, raw SQL, a form's ``save()`` — and "since" is
what a snapshot does not see, however transactions interleave."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.intake import changes
from otklik.intake.models import Message
from otklik.testing.factories import make_case, make_territory

from .celery_workers import database_url, require_postgresql


def _snapshot() -> str:
    with connection.cursor() as cursor:
        return changes.snapshot(cursor)


def _cases_changed(seen: str) -> set[int]:
    with connection.cursor() as cursor:
        return {pk for (pk,) in changes.cases_changed_since(cursor, seen, "id")}


def _messages_changed(seen: str) -> set[int]:
    with connection.cursor() as cursor:
        return {pk for (pk,) in changes.messages_changed_since(cursor, seen, "id")}


@pytest.mark.django_db(transaction=True)
def test_a_case_s_status_addressee_or_place_changed_by_any_writer_is_changed_since() -> None:
    require_postgresql()
    cases = [make_case(address=f"ул. Мира, д. {n}") for n in range(5)]
    seen = _snapshot()
    assert _cases_changed(seen) == set()

    # what the similar stage does not read: no mark
    Case.objects.filter(pk=cases[0].pk).update(message_count=7, title="Другой заголовок")
    cases[1].save()  # a form's save() writes every field, none of them changed
    assert _cases_changed(seen) == set()

    Case.objects.filter(pk=cases[0].pk).update(status=CaseStatus.CLOSED)  # a bulk action
    with connection.cursor() as cursor:  # raw SQL (a periodic job)
        cursor.execute("UPDATE cases_case SET address = 'ул. Мира, д. 40' WHERE id = %s", [cases[1].pk])
    cases[2].territory = make_territory("Другой район")  # routing
    cases[2].save()
    Case.objects.filter(pk=cases[3].pk).update(lat=51.5, lon=46.1)
    assert _cases_changed(seen) == {c.pk for c in cases[:4]}
    assert _cases_changed(_snapshot()) == set()  # all of it seen by a later snapshot


@pytest.mark.django_db(transaction=True)
def test_a_stale_copy_saved_back_does_not_set_the_mark_back() -> None:
    """The mark is no field of the model: a copy read before a change and saved after it (without
    changing a column the stage reads) leaves the change marked."""
    require_postgresql()
    case = make_case()
    stale = Case.objects.get(pk=case.pk)
    seen = _snapshot()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_PROGRESS)
    stale.status = CaseStatus.IN_PROGRESS
    stale.save()
    assert _cases_changed(seen) == {case.pk}


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_the_snapshot_by_an_older_transaction_is_changed_since() -> None:
    """An operator's transaction that began (and wrote) before the snapshot and commits after it: its
    transaction id is older than the snapshot's newest, yet the snapshot did not see it — changed
    since. One committed before the snapshot is not."""
    require_postgresql()
    early, late = make_case(), make_case()
    with psycopg.connect(database_url()) as operator:
        operator.execute("UPDATE cases_case SET status = 'closed' WHERE id = %s", [early.pk])
        operator.commit()
        operator.execute("UPDATE cases_case SET status = 'closed' WHERE id = %s", [late.pk])
        seen = _snapshot()  # the operator's second transaction still open
        assert _cases_changed(seen) == set()  # (not committed: nothing to read yet)
        operator.commit()
    assert _cases_changed(seen) == {late.pk}


@pytest.mark.django_db(transaction=True)
def test_a_message_moved_to_another_case_or_deleted_is_changed_since() -> None:
    """A message merged into another case (or attached from none) is marked; a deleted one marks its
    case (its similarity keys go with it)."""
    require_postgresql()
    one, two, three = make_case(), make_case(), make_case()
    moved, deleted = (Message.objects.get(case=c) for c in (one, two))
    seen = _snapshot()
    Message.objects.filter(pk=moved.pk).update(is_relevant=False)  # not read by the stage
    assert _messages_changed(seen) == set()
    one.messages.update(case=three)  # cases.actions.work.merge
    deleted.delete()
    assert _messages_changed(seen) == {moved.pk}
    assert _cases_changed(seen) == {two.pk}
