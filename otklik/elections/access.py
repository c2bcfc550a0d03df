"""Who sees what on election day.

An observer sees and reports for their own polling station only. Lawyers and the center
(moderators, supervisors, administrators) — the headquarters — see the dashboard, every report and
incident; lawyers take incidents up and resolve them; the center's operators take the voters' calls.
Anyone else gets a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.choices import ALL_CASES_ROLES, Role

from .models import Election, Observer, PollingStation, Report

HOTLINE_ROLES = (Role.MODERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR)


def is_headquarters(user: Any) -> bool:
    """The situational center: the center's roles and the lawyers."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.role in ALL_CASES_ROLES or user.role == Role.LAWYER)
    )


def require_headquarters(user: Any) -> None:
    if not is_headquarters(user):
        raise PermissionDenied(_("The situational center's pages are for its staff and lawyers."))


def observer_station(user: Any) -> PollingStation:
    """The observer's own station; PermissionDenied for anyone who is not a bound observer."""
    if not user.is_authenticated or user.role != Role.OBSERVER:
        raise PermissionDenied(_("Only observers report from a polling station."))
    observer = Observer.objects.select_related("station__commission").filter(user=user).first()
    if observer is None:
        raise PermissionDenied(_("You are not bound to a polling station yet."))
    return observer.station


def visible_reports(user: Any) -> Any:
    """Reports ``user`` may open: headquarters every one, an observer those of their station."""
    if is_headquarters(user):
        return Report.objects.all()
    if user.is_authenticated and user.role == Role.OBSERVER:
        return Report.objects.filter(station__observers__user=user)
    return Report.objects.none()


def active_election(today: Any = None) -> Election | None:
    """The active election nearest to today (the coming one before past ones)."""
    today = today or timezone.localdate()
    elections = Election.objects.filter(is_active=True)
    return elections.filter(day__gte=today).order_by("day").first() or elections.order_by("-day").first()


def may_take_calls(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in HOTLINE_ROLES))


def require_hotline(user: Any) -> None:
    if not may_take_calls(user):
        raise PermissionDenied(_("Only the situational center's operators take calls."))


def require_lawyer(user: Any) -> None:
    if not (user.is_authenticated and (user.role == Role.LAWYER or user.is_superuser)):
        raise PermissionDenied(_("Only lawyers take up and close incidents."))
