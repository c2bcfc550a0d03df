"""Who sees what on election day.

An observer sees and reports for their own polling station only. Lawyers and the center
(moderators, supervisors, administrators) — the headquarters — see the dashboard, every report and
incident; lawyers take incidents up and resolve them; the center's operators take the voters' calls.
Those who coordinate observers (the center's coordinators and the call-center operators) open any
station's page — its observers, their phones, its reports — and log calls to its observers, and see
the coverage and the silent stations; a call-center operator gets no dashboard or incident, and of a
station's reports only whether they came in and their status: not their text, photos or checklists
(those who read reports in full: the center and the lawyers; an observer their own station's).
Anyone else gets a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import AnyUser, Capability, can, observer_station_id, require

from .models import Election, Observer, PollingStation, Report


def is_headquarters(user: AnyUser) -> bool:
    """The situational center: the center's roles and the lawyers."""
    return can(user, Capability.RUN_ELECTION_CENTER)


def require_headquarters(user: AnyUser) -> User:
    return require(
        user,
        Capability.RUN_ELECTION_CENTER,
        _("The situational center's pages are for its staff and lawyers."),
    )


def observer_station(user: AnyUser) -> PollingStation:
    """The observer's own station; PermissionDenied for anyone who is not a bound observer."""
    user = require(user, Capability.REPORT_AS_OBSERVER, _("Only observers report from a polling station."))
    observer = Observer.objects.select_related("station__commission").filter(user=user).first()
    if observer is None:
        raise PermissionDenied(_("You are not bound to a polling station yet."))
    return observer.station


def may_call_observers(user: AnyUser) -> bool:
    """Whether ``user`` coordinates observers: opens every station's page and logs calls there."""
    return can(user, Capability.CALL_OBSERVERS)


def require_observer_calls(user: AnyUser) -> User:
    return require(
        user,
        Capability.CALL_OBSERVERS,
        _("Only the center's coordinators and call-center operators call observers."),
    )


def require_stations(user: AnyUser) -> User:
    if is_headquarters(user):
        return require_headquarters(user)
    return require_observer_calls(user)


def reads_reports_in_full(user: AnyUser) -> bool:
    """Whether ``user`` reads every report's text, photo and checklist (the situational center); those
    who only call observers see a station's reports as when, which kind and their status."""
    return can(user, Capability.READ_OBSERVER_REPORTS)


def visible_reports(user: AnyUser) -> Any:
    """Reports ``user`` may open in full (their photo, the API's report with its text): the center and
    the lawyers every one, an observer those of their station. A call-center operator none: a
    station's page shows them its reports without their content (``station_record``)."""
    if reads_reports_in_full(user):
        return Report.objects.all()
    station_id = observer_station_id(user)
    if station_id is not None:
        return Report.objects.filter(station_id=station_id)
    return Report.objects.none()


def active_election(today: Any = None) -> Election | None:
    """The active election nearest to today (the coming one before past ones)."""
    today = today or timezone.localdate()
    elections = Election.objects.filter(is_active=True)
    return elections.filter(day__gte=today).order_by("day").first() or elections.order_by("-day").first()


def may_take_calls(user: AnyUser) -> bool:
    return can(user, Capability.TAKE_CALLS)


def require_hotline(user: AnyUser) -> User:
    return require(user, Capability.TAKE_CALLS, _("Only the situational center's operators take calls."))


def require_lawyer(user: AnyUser) -> User:
    return require(user, Capability.HANDLE_INCIDENTS, _("Only lawyers take up and close incidents."))
