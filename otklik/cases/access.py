"""Scoping in one place: which cases a user may list, open, answer or export.

``Case.objects.visible_to(user)`` and :func:`access_case` are the only ways views, the API and
exports reach cases. Anything out of scope is a 404, never a 403, so its existence does not leak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404

from otklik.accounts.choices import Role

if TYPE_CHECKING:
    from .models import Case, CaseQuerySet


def scope_cases(qs: CaseQuerySet, user: Any) -> CaseQuerySet:
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_all_cases:
        return qs
    if user.role == Role.EXECUTOR:
        if user.agency_id is None:
            return qs.none()
        return qs.filter(agency_id=user.agency_id)
    if user.role == Role.ANALYST:
        # Analysts read aggregates; the case list is open to them read-only.
        return qs
    return qs.none()


def access_case(user: Any, case_id: int | str, *, for_update: bool = False) -> Case:
    """Fetch one case for ``user`` or raise Http404 when it does not exist or is out of scope."""
    from .models import Case

    qs = Case.objects.visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such case") from exc


def can_work_cases(user: Any) -> bool:
    """Whether the user may change cases at all (analysts only read)."""
    return bool(
        user.is_authenticated
        and user.has_role(Role.MODERATOR, Role.SUPERVISOR, Role.EXECUTOR, Role.ADMINISTRATOR)
    )
