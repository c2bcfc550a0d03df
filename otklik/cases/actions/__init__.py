"""Every state change of a case is one function here (Zulip's ``actions``).

Each checks who may act and whether the lifecycle allows it, writes, appends the history event and
schedules notifications after commit — in one transaction. Views, the API, Celery tasks, commands
and the pipeline all call these; nobody sets ``case.status`` by hand.

The functions live in modules by stage of a case's life (``moderation``, ``opening``, ``work``,
``answers``; shared helpers in ``_base``); import them from here.
"""

from ._base import log_event
from .answers import approve_answer, publish_answer, rate_case, return_answer, write_answer
from .moderation import (
    AWAITING_MODERATION,
    Confirmation,
    assign_case,
    auto_assign,
    can_confirm_suggestion,
    confirm_suggestions,
    moderate_case,
    send_to_moderation,
    set_case_place,
)
from .opening import EVENT_COLUMNS, Opening, attach_messages, open_cases
from .supervision import add_note, extend_deadline, remind_before_deadlines, request_interim_answer
from .work import (
    close_case,
    escalate_case,
    mark_overdue,
    merge_cases,
    redirect_case,
    refresh_counters,
    reject_case,
    reopen_case,
    start_work,
)

__all__ = [
    "AWAITING_MODERATION",
    "EVENT_COLUMNS",
    "Confirmation",
    "Opening",
    "add_note",
    "approve_answer",
    "assign_case",
    "attach_messages",
    "auto_assign",
    "can_confirm_suggestion",
    "close_case",
    "confirm_suggestions",
    "escalate_case",
    "extend_deadline",
    "log_event",
    "mark_overdue",
    "merge_cases",
    "moderate_case",
    "open_cases",
    "publish_answer",
    "rate_case",
    "redirect_case",
    "refresh_counters",
    "reject_case",
    "remind_before_deadlines",
    "reopen_case",
    "request_interim_answer",
    "return_answer",
    "send_to_moderation",
    "set_case_place",
    "start_work",
    "write_answer",
]
