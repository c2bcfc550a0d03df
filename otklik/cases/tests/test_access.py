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
