"""Who sees analytics: analysts, supervisors, moderators and administrators see everything (aggregates
only, personal data masked); an executor sees only the KPI page of their own agency."""

from __future__ import annotations

from otklik.accounts.permissions import AnyUser, Capability, answers_for_agency, can


def can_see_analytics(user: AnyUser) -> bool:
    return can(user, Capability.READ_ANALYTICS)


def can_see_agency(user: AnyUser, agency_id: int) -> bool:
    return can_see_analytics(user) or answers_for_agency(user, agency_id)
