"""Scoping in one place: what each role can list and open."""

import pytest
from django.http import Http404

from otklik.accounts.choices import Role
from otklik.cases.access import access_case
from otklik.cases.models import Case
from otklik.testing.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agencies():
    a, b = make_agency("Минздрав"), make_agency("Минтранс")
    return a, b, make_case(agency=a), make_case(agency=b), make_case()


def test_executor_lists_only_own_agency_cases(two_agencies):
    a, _b, case_a, _case_b, _unrouted = two_agencies
    executor = make_user(Role.EXECUTOR, agency=a)
    assert list(Case.objects.visible_to(executor)) == [case_a]


def test_executor_cannot_open_other_agency_case(two_agencies):
    a, _b, case_a, case_b, unrouted = two_agencies
    executor = make_user(Role.EXECUTOR, agency=a)
    assert access_case(executor, case_a.pk) == case_a
    for other in (case_b, unrouted):
        with pytest.raises(Http404):
            access_case(executor, other.pk)


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_center_roles_see_everything(two_agencies, role):
    assert Case.objects.visible_to(make_user(role)).count() == 3


def test_executor_without_agency_and_inactive_users_see_nothing(two_agencies):
    lost = make_user(Role.EXECUTOR)
    inactive = make_user(Role.MODERATOR, is_active=False)
    assert not Case.objects.visible_to(lost).exists()
    assert not Case.objects.visible_to(inactive).exists()


def test_no_view_reaches_cases_around_the_scope():
    """Case.objects.get( outside access.py would bypass scoping: keep it in one place."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name.startswith(("views", "api")) and "Case.objects.get(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def _opened_as_the_queryset_opens(user, case_id):
    """What access_case gave before its SQL was compiled: ``visible_to(user).get(pk=…)``, and the SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        try:
            found = Case.objects.visible_to(user).get(pk=int(case_id))
        except (Case.DoesNotExist, ValueError):
            found = None
    return found, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("role", [Role.EXECUTOR, Role.MODERATOR, Role.SUPERVISOR, Role.ANALYST])
def test_a_case_is_opened_by_the_same_sql_compiled_once(two_agencies, role):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, _b, *cases = two_agencies
    user = make_user(role, agency=a if role == Role.EXECUTOR else None)
    for _again in range(2):
        for case_id in (*(c.pk for c in cases), cases[0].pk + 1000, "12x", None):
            expected, sql = (
                _opened_as_the_queryset_opens(user, case_id) if case_id is not None else (None, [])
            )
            with CaptureQueriesContext(connection) as queries:
                try:
                    got = access_case(user, case_id)  # type: ignore[arg-type]
                except Http404:
                    got = None
            assert got == expected and [q["sql"] for q in queries.captured_queries] == sql
            if got is not None:
                assert got.__dict__.keys() == expected.__dict__.keys()
                assert all(
                    getattr(got, f.attname) == getattr(expected, f.attname)
                    for f in Case._meta.concrete_fields
                )
    opened = {c.pk for c in cases if _opened_as_the_queryset_opens(user, c.pk)[0] is not None}
    expected_open = {Role.EXECUTOR: {cases[0].pk}, Role.ANALYST: set()}.get(role, {c.pk for c in cases})
    assert opened == expected_open  # each scope as the table of roles has it


def test_the_other_scopes_and_options_open_through_the_queryset(two_agencies):
    a, _b, case_a, case_b, _unrouted = two_agencies
    lost = make_user(Role.EXECUTOR)  # no agency: nothing
    with pytest.raises(Http404):
        access_case(lost, case_a.pk)
    executor = make_user(Role.EXECUTOR, agency=a)
    assert access_case(executor, case_a.pk, related=["agency"]).agency == a
    with pytest.raises(Http404):
        access_case(executor, case_b.pk, related=["agency"])
