"""Inline correction in the queue: a moderator changes a case's category, territory or agency from
its row, without opening the card.

Nothing new happens to the case here: the correction is the card's "moderate" action
(:func:`otklik.cases.actions.moderate_case`), with the same role check, lifecycle check, history
event and assignment (an agency given, or found by the routing rules, assigns the case and starts its
deadline). The row offers it exactly where the card offers "moderate" or "assign".
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import AnyUser
from otklik.directory.models import Agency, Category, Territory

from . import actions
from .forms import ACTIONS_BY_NAME, CENTER, role_allows
from .models import Case

# The card actions whose effect an inline correction has: while either is offered, so is the row's.
CORRECTING_ACTIONS = ("moderate", "assign")


def can_correct_inline(case: Case, user: AnyUser) -> bool:
    """Whether the user may correct the case from its queue row: the center's moderators, while the
    case's lifecycle still lets it be moderated or (re)assigned."""
    if not role_allows(CENTER, user, case):
        return False
    return any(ACTIONS_BY_NAME[name].allowed(case) for name in CORRECTING_ACTIONS)


def require_inline_correction(case: Case, user: AnyUser) -> None:
    """Raise PermissionDenied with the reason when :func:`can_correct_inline` says no."""
    if not role_allows(CENTER, user, case):
        raise PermissionDenied(_("Only the center's moderators and supervisors may do this."))
    if not can_correct_inline(case, user):
        raise PermissionDenied(
            _("A case in status “%(status)s” can no longer be corrected from the queue.")
            % {"status": case.get_status_display()}
        )


def correct_case(
    case: Case,
    user: User,
    *,
    category: Category,
    territory: Territory | None,
    agency: Agency | None,
) -> Case:
    """Apply the moderator's correction through the lifecycle's moderation action; urgency is kept."""
    require_inline_correction(case, user)
    return actions.moderate_case(case, user, category=category, territory=territory, agency=agency)
