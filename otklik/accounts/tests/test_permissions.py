"""The permissions table, cell by cell: every role × every capability, and the scoped helpers.

The expected matrix is written out here independently of :data:`otklik.accounts.permissions.ROLES`,
so a change to the table is a deliberate change to this test too.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from otklik.accounts import permissions
from otklik.accounts.choices import Role
from otklik.accounts.permissions import BOUND, DUTIES, Capability, can, holders, role_grants
from otklik.testing.factories import make_agency, make_user

C = Capability
CENTER = {
    C.SEE_ALL_CASES,
    C.SEE_PERSONAL_DATA,
    C.MODERATE,
    C.TAKE_CALLS,
    C.SET_UP_MONITORING,
    C.READ_ANALYTICS,
    C.READ_DEPUTY_RATINGS,
    C.RUN_ELECTION_CENTER,
    C.READ_OBSERVER_REPORTS,
    C.CALL_OBSERVERS,
}
EXPECTED: dict[str, set[Capability]] = {
    Role.MODERATOR: CENTER | {C.MODERATION_DUTY},
    Role.SUPERVISOR: CENTER | {C.SUPERVISE, C.MONITOR},
    Role.ADMINISTRATOR: CENTER | {C.MONITOR},
    Role.EXECUTOR: {C.ANSWER_FOR_AGENCY, C.SEE_PERSONAL_DATA},
    Role.ANALYST: {C.READ_ANALYTICS, C.READ_DEPUTY_RATINGS},
    Role.COORDINATOR: {C.COORDINATE_FACTION},
    Role.OBSERVER: {C.REPORT_AS_OBSERVER},
    Role.LAWYER: {C.RUN_ELECTION_CENTER, C.READ_OBSERVER_REPORTS, C.HANDLE_INCIDENTS},
    Role.CALL_OPERATOR: {C.TAKE_CALLS, C.SEE_OWN_CALLS, C.SEE_PERSONAL_DATA, C.CALL_OBSERVERS},
}
HOMES = {
    Role.ANALYST: "analytics:index",
    Role.COORDINATOR: "deputies:rating",
    Role.OBSERVER: "elections:station",
    Role.LAWYER: "elections:dashboard",
    Role.CALL_OPERATOR: "callcenter:form",
}
CELLS = [(role, capability) for role in Role.values for capability in Capability]


def test_every_role_has_a_row_and_the_matrix_lists_every_role():
    assert set(permissions.ROLES) == set(Role.values) == set(EXPECTED)


@pytest.mark.parametrize(("role", "capability"), CELLS, ids=[f"{r}-{c}" for r, c in CELLS])
def test_the_table_cell(role, capability):
    assert role_grants(role, capability) == (capability in EXPECTED[role])


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_can_answers_the_table_for_a_signed_in_user(role):
    agency = make_agency() if role == Role.EXECUTOR else None
    user = make_user(role, agency=agency)
    assert {c for c in Capability if can(user, c)} == EXPECTED[role]
    assert permissions.home(user) == HOMES.get(role, permissions.QUEUE)


@pytest.mark.django_db
def test_an_inactive_or_anonymous_user_holds_nothing():
    gone = make_user(Role.SUPERVISOR, is_active=False)
    for capability in Capability:
        assert not can(gone, capability)
        assert not can(AnonymousUser(), capability)
        assert not can(None, capability)
    with pytest.raises(PermissionDenied):
        permissions.signed_in(gone)
    with pytest.raises(PermissionDenied):
        permissions.require(AnonymousUser(), Capability.SEE_ALL_CASES)


@pytest.mark.django_db
def test_a_superuser_holds_what_is_neither_bound_nor_a_duty():
    root = make_user(Role.COORDINATOR, is_superuser=True, is_staff=True)
    for capability in Capability:
        expected = capability not in BOUND | DUTIES or capability in EXPECTED[Role.COORDINATOR]
        assert can(root, capability) == expected, capability
    assert permissions.agency_of(root) is None and permissions.observer_station_id(root) is None


@pytest.mark.django_db
def test_require_returns_the_user_or_denies_with_the_message():
    lawyer = make_user(Role.LAWYER)
    assert permissions.require(lawyer, Capability.HANDLE_INCIDENTS) == lawyer
    with pytest.raises(PermissionDenied, match="calls"):
        permissions.require(lawyer, Capability.TAKE_CALLS, "only operators take calls")


@pytest.mark.django_db
def test_notifications_go_to_the_holders_of_a_duty_and_never_to_an_inactive_or_superuser():
    from otklik.accounts.models import User

    moderator, supervisor = make_user(Role.MODERATOR), make_user(Role.SUPERVISOR)
    lawyer = make_user(Role.LAWYER)
    make_user(Role.ADMINISTRATOR, is_superuser=True)
    make_user(Role.ANALYST)
    told = set(User.objects.filter(holders(Capability.MODERATION_DUTY, Capability.SUPERVISE)))
    assert told == {moderator, supervisor}
    assert set(User.objects.filter(holders(Capability.HANDLE_INCIDENTS, Capability.SUPERVISE))) == {
        supervisor,
        lawyer,
    }


@pytest.mark.django_db
def test_an_executor_answers_for_their_agency_only():
    mine, other = make_agency(), make_agency()
    executor = make_user(Role.EXECUTOR, agency=mine)
    moderator = make_user(Role.MODERATOR, agency=mine)  # an agency on a non-executor binds nothing
    assert permissions.answers_for_agency(executor, mine.pk)
    assert not permissions.answers_for_agency(executor, other.pk)
    assert not permissions.answers_for_agency(executor, None)
    assert not permissions.answers_for_agency(moderator, mine.pk)
    assert permissions.agency_of(executor) == mine.pk and permissions.agency_of(moderator) is None


@pytest.mark.django_db
def test_a_role_bound_to_an_agency_must_have_one():
    with pytest.raises(ValidationError):
        make_user(Role.EXECUTOR).full_clean()
    make_user(Role.EXECUTOR, agency=make_agency()).full_clean()
    make_user(Role.MODERATOR).full_clean()


@pytest.mark.django_db
def test_an_observer_observes_their_station_only():
    from otklik.elections.models import Commission, Observer, PollingStation

    commission = Commission.objects.create(name="ТИК №1")
    station = PollingStation.objects.create(number=101, commission=commission)
    other = PollingStation.objects.create(number=102, commission=commission)
    observer, unbound = make_user(Role.OBSERVER), make_user(Role.OBSERVER)
    Observer.objects.create(user=observer, station=station)
    lawyer = make_user(Role.LAWYER)
    assert permissions.observes_station(observer, station.pk)
    assert not permissions.observes_station(observer, other.pk)
    assert permissions.observer_station_id(unbound) is None
    assert not permissions.observes_station(lawyer, station.pk)


@pytest.mark.django_db
def test_a_coordinator_coordinates_their_factions_only():
    from otklik.deputies.models import Faction

    mine, other = Faction.objects.create(name="Фракция А"), Faction.objects.create(name="Фракция Б")
    coordinator, analyst = make_user(Role.COORDINATOR), make_user(Role.ANALYST)
    mine.coordinators.add(coordinator, analyst)
    assert permissions.coordinates_faction(coordinator, mine.pk)
    assert not permissions.coordinates_faction(coordinator, other.pk)
    assert not permissions.coordinates_faction(analyst, mine.pk)  # the role does not coordinate


@pytest.mark.django_db
def test_templates_ask_can_by_the_capability_name(rf):
    from otklik.accounts.context_processors import capabilities

    request = rf.get("/")
    request.user = make_user(Role.OBSERVER)
    can_in_templates = capabilities(request)["can"]
    assert can_in_templates["report_as_observer"] and not can_in_templates["moderate"]
    with pytest.raises(KeyError):
        can_in_templates["no_such_capability"]
