"""The one place that knows which status may follow which.

new → moderation → assigned → in progress → answered → approved → published → closed,
plus redirected, rejected, merged, reopened and escalated. Every status change goes through
:func:`check_transition`; an illegal one raises :class:`IllegalTransition` with a clear message.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .choices import CaseStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.MODERATION, S.ASSIGNED, S.REJECTED, S.MERGED}),
    S.MODERATION: frozenset({S.ASSIGNED, S.REJECTED, S.MERGED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS, S.ANSWERED, S.REDIRECTED, S.ESCALATED, S.ASSIGNED, S.MERGED}),
    S.IN_PROGRESS: frozenset({S.ANSWERED, S.REDIRECTED, S.ESCALATED, S.ASSIGNED, S.MERGED}),
    S.REDIRECTED: frozenset({S.ASSIGNED, S.MODERATION, S.ESCALATED, S.REJECTED}),
    S.ESCALATED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.ANSWERED, S.REDIRECTED, S.MERGED}),
    S.ANSWERED: frozenset({S.APPROVED, S.IN_PROGRESS}),
    S.APPROVED: frozenset({S.PUBLISHED, S.IN_PROGRESS}),
    S.PUBLISHED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.ANSWERED, S.REDIRECTED, S.ESCALATED}),
    S.REJECTED: frozenset({S.MODERATION}),
    S.MERGED: frozenset(),
}


class IllegalTransition(Exception):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(
            _("A case in status “%(current)s” cannot become “%(target)s”.")
            % {"current": S(current).label, "target": S(target).label}
        )


def allowed_targets(current: str) -> frozenset[str]:
    return TRANSITIONS[current]


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
