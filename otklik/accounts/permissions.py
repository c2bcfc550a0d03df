"""Who may do what: ONE table from role to capabilities, and the small predicates every app calls.

Apps never compare ``user.role``: they ask ``can(user, Capability.X)``, or, where a capability is
bound to an object, the scoped helper (:func:`answers_for_agency`, :func:`observes_station`,
:func:`coordinates_faction`); notifications pick their recipients with :func:`holders`.
Adding a role is its choice in ``choices.py`` and its row in :data:`ROLES` — nothing else.

A superuser holds every capability that is not bound to an object (an agency, a polling station,
a faction) and is no duty (being told of something); bound ones and duties come with a role only.
An inactive or anonymous user holds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q

from .choices import Role
from .models import User

# What views hand over: ``request.user`` (signed in or not).
AnyUser: TypeAlias = User | AnonymousUser


class Capability(StrEnum):
    """What a role may do (or, for the duties at the end, what it is told of)."""

    # cases
    SEE_ALL_CASES = "see_all_cases"  # lists and opens every case (to read)
    SEE_PERSONAL_DATA = "see_personal_data"  # residents' names and contacts unmasked
    MODERATE = "moderate"  # the center: moderate, route, merge, reject, approve, publish, close, reopen
    ANSWER_FOR_AGENCY = "answer_for_agency"  # bound to user.agency (a deputy's office is an agency)
    TAKE_CALLS = "take_calls"  # the call center's form and the election-day hotline
    SEE_OWN_CALLS = "see_own_calls"  # opens the cases of the calls the user registered
    SET_UP_MONITORING = "set_up_monitoring"  # the keyword queries that pick posts from social networks
    # analytics and deputies
    READ_ANALYTICS = "read_analytics"  # every analytics page: aggregates, personal data masked
    READ_DEPUTY_RATINGS = "read_deputy_ratings"  # the rating of every deputy
    COORDINATE_FACTION = "coordinate_faction"  # bound to the factions coordinated
    # elections
    RUN_ELECTION_CENTER = "run_election_center"  # the situational center: dashboard, stations, incidents
    REPORT_AS_OBSERVER = "report_as_observer"  # bound to the observer's polling station
    HANDLE_INCIDENTS = "handle_incidents"  # takes up and closes incidents (the lawyers)
    # every observer's report in full: its text, photo and checklist (the situational center). Who
    # calls observers without it sees of a station's reports only when, which kind, the turnout figure,
    # the type of violation and its incident's status (docs/decisions/0009).
    READ_OBSERVER_REPORTS = "read_observer_reports"
    # coordinates observers: the coverage of stations, the silent stations, a station's page with its
    # observers' phones, and the log of calls to them (the center's coordinators and call operators)
    CALL_OBSERVERS = "call_observers"
    # operations
    MONITOR = "monitor"  # the system's health page (staff see it too)
    # duties: who is told (the recipients of notifications; never a permission)
    MODERATION_DUTY = "moderation_duty"  # a case or an answer waits for the center; urgent cases
    SUPERVISE = "supervise"  # escalations, bursts, urgent cases, election violations


BOUND = frozenset(
    {Capability.ANSWER_FOR_AGENCY, Capability.COORDINATE_FACTION, Capability.REPORT_AS_OBSERVER}
)
DUTIES = frozenset({Capability.MODERATION_DUTY, Capability.SUPERVISE})

QUEUE = "cases:queue"


@dataclass(frozen=True)
class Rights:
    """One role's row: what it may do, and the page it starts on after signing in."""

    capabilities: frozenset[Capability]
    home: str = QUEUE


C = Capability
_CENTER = frozenset(
    {
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
)

# THE table. Every role has a row (checked by the tests).
ROLES: Mapping[str, Rights] = {
    Role.MODERATOR: Rights(_CENTER | {C.MODERATION_DUTY}),
    Role.SUPERVISOR: Rights(_CENTER | {C.SUPERVISE, C.MONITOR}),
    Role.ADMINISTRATOR: Rights(_CENTER | {C.MONITOR}),
    Role.EXECUTOR: Rights(frozenset({C.ANSWER_FOR_AGENCY, C.SEE_PERSONAL_DATA})),
    # Aggregates with personal data masked (PRODUCT.md): no case lists, cards or API case details.
    Role.ANALYST: Rights(frozenset({C.READ_ANALYTICS, C.READ_DEPUTY_RATINGS}), home="analytics:index"),
    Role.COORDINATOR: Rights(frozenset({C.COORDINATE_FACTION}), home="deputies:rating"),
    Role.OBSERVER: Rights(frozenset({C.REPORT_AS_OBSERVER}), home="elections:station"),
    Role.LAWYER: Rights(
        frozenset({C.RUN_ELECTION_CENTER, C.READ_OBSERVER_REPORTS, C.HANDLE_INCIDENTS}),
        home="elections:dashboard",
    ),
    # Types calls in, finds a caller's earlier cases and reads the cases of the calls they registered;
    # on election day calls observers (a station's page and the call log, not the dashboard): sees
    # whether a station's reports came in and their status, not their text or photos.
    Role.CALL_OPERATOR: Rights(
        frozenset({C.TAKE_CALLS, C.SEE_OWN_CALLS, C.SEE_PERSONAL_DATA, C.CALL_OBSERVERS}),
        home="callcenter:form",
    ),
}
NO_RIGHTS = Rights(frozenset())


def rights_of(role: str) -> Rights:
    return ROLES.get(role, NO_RIGHTS)


def role_grants(role: str, capability: Capability) -> bool:
    """Whether the table gives ``role`` the capability (whoever holds it, active or not)."""
    return capability in rights_of(role).capabilities


def roles_with(*capabilities: Capability) -> frozenset[str]:
    """The roles holding any of ``capabilities``."""
    wanted = set(capabilities)
    return frozenset(role for role, rights in ROLES.items() if rights.capabilities & wanted)


def holders(*capabilities: Capability) -> Q:
    """Users (a condition on the user table) whose role holds any of ``capabilities``: the recipients of
    a notification. Superusers are not included: being told comes with a role."""
    return Q(role__in=sorted(roles_with(*capabilities)))


def active(user: AnyUser | None) -> User | None:
    """The signed-in, active user, or None (anonymous, inactive, nobody)."""
    return user if isinstance(user, User) and user.is_active else None


def signed_in(user: AnyUser | None) -> User:
    """The signed-in, active user (what ``login_required`` lets through); PermissionDenied otherwise."""
    person = active(user)
    if person is None:
        raise PermissionDenied
    return person


def require(user: AnyUser | None, capability: Capability, message: str = "") -> User:
    """The user, when they hold ``capability``; PermissionDenied (with ``message``) otherwise."""
    person = active(user)
    if person is None or not can(person, capability):
        raise PermissionDenied(message)
    return person


def can(user: AnyUser | None, capability: Capability) -> TypeGuard[User]:
    """Whether ``user`` holds ``capability`` (then ``user`` is a signed-in, active ``User``). For a
    bound one this says only that the role is bound to some object of that kind; ask the scoped helper
    for a given object."""
    person = active(user)
    if person is None:
        return False
    if person.is_superuser and capability not in BOUND and capability not in DUTIES:
        return True
    return role_grants(person.role, capability)


def home(user: AnyUser | None) -> str:
    """The URL name of the page ``user`` starts on (the queue for those who work cases)."""
    person = active(user)
    return rights_of(person.role).home if person is not None else QUEUE


def works_queue(user: AnyUser | None) -> bool:
    """Whether ``user`` has a queue of cases: every case, or their agency's."""
    return can(user, Capability.SEE_ALL_CASES) or can(user, Capability.ANSWER_FOR_AGENCY)


# --- capabilities bound to an object -------------------------------------------------------------


def answers_for_agency(user: AnyUser | None, agency_id: int | None) -> TypeGuard[User]:
    """Whether ``user`` answers for the agency (its executor; for a deputy's reception office, the
    deputy or an assistant)."""
    return bool(agency_id) and agency_of(user) == agency_id


def agency_of(user: AnyUser | None) -> int | None:
    """The agency ``user`` answers for, if any."""
    person = active(user)
    if person is None or not can(person, Capability.ANSWER_FOR_AGENCY):
        return None
    return person.agency_id


def observer_station_id(user: AnyUser | None) -> int | None:
    """The id of the polling station ``user`` observes, if they are a bound observer."""
    person = active(user)
    if person is None or not can(person, Capability.REPORT_AS_OBSERVER):
        return None
    try:
        return int(person.observer.station_id)
    except ObjectDoesNotExist:
        return None


def observes_station(user: AnyUser | None, station_id: int) -> bool:
    return observer_station_id(user) == station_id


def coordinates_faction(user: AnyUser | None, faction_id: int) -> bool:
    """Whether ``user`` is a coordinator of the faction."""
    person = active(user)
    if person is None or not can(person, Capability.COORDINATE_FACTION):
        return False
    return person.coordinated_factions.filter(pk=faction_id).exists()


class Capabilities:
    """``can`` in templates (the context processor): ``{% if can.take_calls %}``."""

    def __init__(self, user: AnyUser | None) -> None:
        self._user = user

    def __getitem__(self, name: str) -> bool:
        try:
            capability = Capability(name)
        except ValueError as exc:
            raise KeyError(name) from exc
        return can(self._user, capability)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in Capability.__members__.values() and self[name]
