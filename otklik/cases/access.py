"""Scoping in one place: which cases a user may list, open, answer or export.

``Case.objects.visible_to(user)`` and :func:`access_case` are the only ways views, the API and
exports reach cases. Anything out of scope is a 404, never a 403, so its existence does not leak.
Who sees what is the table of :mod:`otklik.accounts.permissions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models.query import MAX_GET_RESULTS
from django.http import Http404

from otklik.accounts.permissions import AnyUser, Capability, agency_of, can
from otklik.caching.compiled import CompiledQuery

if TYPE_CHECKING:
    from .models import Case, CaseQuerySet


@dataclass(frozen=True)
class Scope:
    """Which cases a user may list, as one value: ``key`` names it for what users of the same scope
    may share (the queue's counters, :mod:`otklik.cases.counts`)."""

    kind: str  # ALL, AGENCY, CALLS or NONE
    value: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


ALL, AGENCY, CALLS, NONE = "all", "agency", "calls", "none"


def case_scope(user: AnyUser | None) -> Scope:
    """Every case for those who see all (the center; analysts, read-only), the cases routed to their
    agency for an executor, the cases of the calls they registered for a call-center operator,
    nothing for anyone else."""
    if can(user, Capability.SEE_ALL_CASES):
        return Scope(ALL)
    agency_id = agency_of(user)
    if agency_id is not None:
        return Scope(AGENCY, str(agency_id))
    if can(user, Capability.SEE_OWN_CALLS):
        return Scope(CALLS, user.get_username())
    return Scope(NONE)


def scope_cases(qs: CaseQuerySet, user: AnyUser | None) -> CaseQuerySet:
    """``qs`` narrowed to the user's :func:`case_scope`."""
    scope = case_scope(user)
    if scope.kind == ALL:
        return qs
    if scope.kind == AGENCY:
        return qs.filter(agency_id=int(scope.value))
    if scope.kind == CALLS:
        # The cases a call-center operator registered: a call's message names its operator.
        registered = qs.model.objects.filter(messages__raw__call__operator=scope.value)
        return qs.filter(pk__in=registered.values("pk"))
    return qs.none()


def access_case(
    user: AnyUser | None,
    case_id: int | str,
    *,
    for_update: bool = False,
    related: Sequence[str] = (),
    deferred: Sequence[str] = (),
) -> Case:
    """Fetch one case for ``user`` or raise Http404 when it does not exist or is out of scope;
    ``related``: the foreign keys read with it (``select_related``), ``deferred``: their fields not
    read."""
    from .models import Case

    if not (for_update or related or deferred):
        scope = case_scope(user)
        compiled = _reading.get(scope.kind)
        if compiled is not None:
            return _read(compiled, scope, case_id)
    qs = Case.objects.visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    if related:
        qs = qs.select_related(*related).defer(*deferred)
    try:
        return qs.get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such case") from exc


def _case_model() -> type[Case]:
    from .models import Case

    return Case


# A case opened as access_case opens it (``visible_to(user).get(pk=…)``: unordered, at most
# MAX_GET_RESULTS rows) with its SQL compiled once per thread: for the center (every case) and for an
# agency (its cases), the scopes the card is opened in; the others are read through the queryset.
STAND_IN_CASE, STAND_IN_AGENCY = -7_070_707, -8_080_808
_reading: dict[str, CompiledQuery[Any]] = {
    ALL: CompiledQuery(
        lambda pk: _case_model().objects.filter(pk=pk).order_by()[:MAX_GET_RESULTS], pk=STAND_IN_CASE
    ),
    AGENCY: CompiledQuery(
        lambda pk, agency: (
            _case_model().objects.filter(agency_id=agency).filter(pk=pk).order_by()[:MAX_GET_RESULTS]
        ),
        pk=STAND_IN_CASE,
        agency=STAND_IN_AGENCY,
    ),
}


def _read(compiled: CompiledQuery[Any], scope: Scope, case_id: int | str) -> Case:
    try:
        pk = int(case_id)
    except (ValueError, TypeError) as exc:
        raise Http404("No such case") from exc
    found = compiled(pk=pk, agency=int(scope.value)) if scope.kind == AGENCY else compiled(pk=pk)
    if len(found) != 1:  # none (out of scope), or more than one as get() says
        if not found:
            raise Http404("No such case")
        raise _case_model().MultipleObjectsReturned(f"get() returned {len(found)} cases")
    return found[0]


def can_work_cases(user: AnyUser | None) -> bool:
    """Whether the user may change cases at all (analysts only read)."""
    return can(user, Capability.MODERATE) or can(user, Capability.ANSWER_FOR_AGENCY)
