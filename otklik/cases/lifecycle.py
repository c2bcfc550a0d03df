"""The one place that knows which status may follow which — of a case and of an answer.

A case: new → moderation → assigned → in progress → answered → approved → published → closed,
plus redirected, rejected, merged, reopened and escalated. Every status change goes through
:func:`check_transition`; an illegal one raises :class:`IllegalTransition` with a clear message.

An answer: draft → approved → published, or back to the executor (returned) from draft or approved
(:data:`ANSWER_TRANSITIONS`, checked by :func:`check_answer_transition`). A returned answer stays as
it was written; the executor writes a new one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import AnswerStatus as A
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


# --- answers -------------------------------------------------------------------------------------

ANSWER_TRANSITIONS: dict[str, frozenset[str]] = {
    A.DRAFT: frozenset({A.APPROVED, A.RETURNED}),
    A.APPROVED: frozenset({A.PUBLISHED, A.RETURNED}),
    A.RETURNED: frozenset(),
    A.PUBLISHED: frozenset(),
}

# What the center is told when an answer cannot take a status, by the status it was to take.
_ANSWER_REFUSALS: dict[str, Promise] = {
    A.APPROVED: gettext_lazy("Only a draft answer can be approved."),
    A.RETURNED: gettext_lazy("This answer can no longer be returned."),
    A.PUBLISHED: gettext_lazy("Only an approved answer can be published."),
}


class IllegalAnswerTransition(ValidationError):
    """A status an answer cannot take from its current one."""

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(str(_ANSWER_REFUSALS.get(target, _("This answer cannot change so."))))


def answer_sources(target: str) -> frozenset[str]:
    """The answer statuses from which ``target`` may be taken (what an action offers on)."""
    return frozenset(current for current, targets in ANSWER_TRANSITIONS.items() if target in targets)


def check_answer_transition(current: str, target: str) -> None:
    if target not in ANSWER_TRANSITIONS.get(current, frozenset()):
        raise IllegalAnswerTransition(current, target)
