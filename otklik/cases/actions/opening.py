"""The pipeline's new cases and attached messages, in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.directory.choices import DeadlineClock
from otklik.directory.models import Agency, DeadlinePolicy

from .. import bulk, deadlines, notifications
from ..choices import CaseStatus, EventKind
from ..lifecycle import check_transition
from ..models import Case, CaseEvent
from ._base import (
    _ref,
)


@dataclass
class Opening:
    """A new case of the pipeline (unsaved, status ``new``) and what happens to it at once:
    assigned to ``agency`` (its deadline starts), or sent to moderation for ``reason``."""

    case: Case
    agency: Agency | None = None
    reason: str = ""


def open_cases(openings: Sequence[Opening], *, now: datetime | None = None) -> list[Case]:
    """The pipeline's new cases, in bulk: each is created and at once assigned (the deadline starts
    ``now``) or sent to moderation — the transitions, history events and notifications of
    :func:`auto_assign` and :func:`send_to_moderation`, in a handful of queries for the whole lot.

    The deadline is computed once per (channel, category, urgency): the policies are read once and
    the production calendar is cached.
    """
    now = now or timezone.now()
    if not openings:
        return []
    policies: list[DeadlinePolicy] | None = None
    calendar = None
    terms: dict[tuple[str, int | None, bool], deadlines.DeadlineResult] = {}
    picked: dict[tuple[str, int | None, bool], DeadlinePolicy | None] = {}
    for opening in openings:
        case = opening.case
        case.status = CaseStatus.NEW
        if opening.agency is None:
            check_transition(CaseStatus.NEW, CaseStatus.MODERATION)
            case.status = CaseStatus.MODERATION
            continue
        check_transition(CaseStatus.NEW, CaseStatus.ASSIGNED)
        if policies is None:
            policies = list(DeadlinePolicy.objects.filter(is_active=True))
            calendar = deadlines.get_calendar()
        group = (case.channel, case.category_id, bool(case.is_urgent))
        if group not in picked:
            picked[group] = deadlines.pick_policy(
                deadlines.PolicyParams(case.channel, case.category, bool(case.is_urgent)), policies=policies
            )
        policy = picked[group]
        if policy is None or policy.clock_start == DeadlineClock.ASSIGNMENT:
            if group not in terms:
                terms[group] = deadlines.deadline_from_policy(policy, now, calendar)
            result, started = terms[group], now
        else:  # from registration or the post: the case's own moment (the pipeline's is the post's time)
            started = min(case.created_at, now) if case.created_at else now
            result = deadlines.deadline_from_policy(policy, started, calendar)
        case.clock_started_at = started
        case.agency = opening.agency
        case.assigned_at = now
        case.deadline_at = result.deadline_at
        case.interim_deadline_at = result.interim_deadline_at
        case.deadline_policy = result.policy
        case.is_overdue = False
        case.status = CaseStatus.ASSIGNED
    for case, pk in zip((o.case for o in openings), bulk.reserve_ids(Case, len(openings)), strict=True):
        case.pk = pk
        case.number = f"{case.created_at:%y%m}-{pk:06d}"
    cases = list(bulk.insert([o.case for o in openings]))
    routed = _("Routed automatically")
    events: list[tuple[Any, ...]] = []  # rows of EVENT_COLUMNS: no CaseEvent instances
    for opening in openings:
        case = opening.case
        events.append((case.pk, None, EventKind.CREATED, "", CaseStatus.NEW, {}, {}, "", case.created_at))
        if opening.agency is None:
            events.append(
                (
                    case.pk,
                    None,
                    EventKind.STATUS_CHANGED,
                    CaseStatus.NEW,
                    CaseStatus.MODERATION,
                    {},
                    {},
                    opening.reason,
                    now,
                )
            )
            continue
        after = {
            "agency": _ref(opening.agency),
            "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
        }
        events.append(
            (
                case.pk,
                None,
                EventKind.ASSIGNED,
                CaseStatus.NEW,
                CaseStatus.ASSIGNED,
                {"agency": None, "deadline_at": None},
                after,
                routed,
                now,
            )
        )
    bulk.insert_rows(CaseEvent, EVENT_COLUMNS, events)
    # One query for the executors of all agencies, one for the center: not a query per case; a task
    # for the urgent cases, queued first so the batch's assignments never hold it back, and one for
    # the assignments.
    notifications.cases_urgent([case for case in cases if case.is_urgent])
    notifications.cases_assigned([o.case for o in openings if o.agency is not None])
    return cases


EVENT_COLUMNS = (
    "case_id",
    "actor_id",
    "kind",
    "from_status",
    "to_status",
    "before",
    "after",
    "comment",
    "created_at",
)


def attach_messages(attached: dict[int, list[int]], *, now: datetime | None = None) -> None:
    """Messages were attached to open cases (case id → message ids): lock the cases, refresh their
    message and author counters and log one ``message_attached`` event each — in three queries."""
    if not attached:
        return
    now = now or timezone.now()
    ids = sorted(attached)
    # Locked in one order, so two workers attaching to the same cases cannot deadlock.
    list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    if connection.vendor == "postgresql":  # counted and written by the database in one statement
        messages = Case._meta.get_field("messages").related_model._meta.db_table
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(Case._meta.db_table)} c "
                "SET message_count = s.n, author_count = GREATEST(s.a, 1) "
                f"FROM (SELECT case_id, COUNT(*) AS n, COUNT(DISTINCT author_id) AS a FROM {quote(messages)} "
                "WHERE case_id = ANY(%s::bigint[]) GROUP BY case_id) s WHERE c.id = s.case_id",
                ["{" + ",".join(map(str, ids)) + "}"],
            )
    else:
        cases = list(
            Case.objects.filter(pk__in=ids)
            .annotate(n=Count("messages"), authors=Count("messages__author_id", distinct=True))
            .only("pk", "message_count", "author_count")
        )
        for case in cases:
            case.message_count = case.n
            case.author_count = max(case.authors, 1 if case.n else 0)
        Case.objects.bulk_update(cases, ["message_count", "author_count"])
    bulk.insert_rows(
        CaseEvent,
        EVENT_COLUMNS,
        [
            (pk, None, EventKind.MESSAGE_ATTACHED, "", "", {}, {"messages": attached[pk]}, "", now)
            for pk in ids
        ],
    )
