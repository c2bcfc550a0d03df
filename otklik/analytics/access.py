"""Who sees analytics: analysts, supervisors, moderators and administrators see everything (aggregates
only, personal data masked); an executor sees only the KPI page of their own agency."""

from __future__ import annotations

from typing import Any

from otklik.accounts.choices import Role

ANALYTICS_ROLES = (Role.ANALYST, Role.SUPERVISOR, Role.MODERATOR, Role.ADMINISTRATOR)


def can_see_analytics(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_role(*ANALYTICS_ROLES))


def can_see_agency(user: Any, agency_id: int) -> bool:
    if can_see_analytics(user):
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.EXECUTOR
        and user.agency_id is not None
        and user.agency_id == agency_id
    )
