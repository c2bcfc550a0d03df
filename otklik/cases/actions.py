"""Every state change of a case is one function here (Zulip's ``actions``).

Each checks who may act and whether the lifecycle allows it, writes, appends the history event and
schedules notifications after commit — in one transaction. Views, the API, Celery tasks, commands
and the pipeline all call these; nobody sets ``case.status`` by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, answers_for_agency, can
from otklik.directory.models import Agency, Category, DeadlinePolicy, Territory
from otklik.understanding.quality import assess_answer

from . import bulk, deadlines, notifications
from .choices import AnswerKind, AnswerStatus, CaseStatus, EventKind
from .lifecycle import IllegalTransition, check_answer_transition, check_transition
from .models import Answer, Case, CaseEvent, Rating

log = logging.getLogger("otklik.cases")


# --- helpers -------------------------------------------------------------------------------------


# ``user`` None is the system itself (the pipeline, periodic jobs, commands): it may do anything.


def _require_center(user: User | None) -> None:
    if user is not None and not can(user, Capability.MODERATE):
        raise PermissionDenied(_("Only the center's moderators and supervisors may do this."))


def _require_agency_or_center(user: User | None, case: Case) -> None:
    if user is None or can(user, Capability.MODERATE) or answers_for_agency(user, case.agency_id):
        return
    raise PermissionDenied(_("Only the executor of the agency the case is routed to may do this."))


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def log_event(
    case: Case,
    kind: str,
    actor: User | None = None,
    *,
    from_status: str = "",
    to_status: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        before=before or {},
        after=after or {},
        comment=comment,
        created_at=at or timezone.now(),
    )


def _set_status(
    case: Case,
    target: str,
    actor: User | None,
    kind: str = EventKind.STATUS_CHANGED,
    *,
    comment: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    current = case.status
    check_transition(current, target)
    case.status = target
    case.save()
    log_event(
        case,
        kind,
        actor,
        from_status=current,
        to_status=target,
        before=before,
        after=after,
        comment=comment,
        at=at,
    )


def _locked(case: Case) -> Case:
    """Re-read the case under a row lock so two operators cannot race one transition."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _start_deadline(case: Case, now: datetime) -> None:
    result = deadlines.deadline_for_case(case, now)
    case.assigned_at = now
    case.deadline_at = result.deadline_at
    case.interim_deadline_at = result.interim_deadline_at
    case.deadline_policy = result.policy
    case.is_overdue = False


# --- intake → moderation / assignment --------------------------------------------------------


def send_to_moderation(
    case: Case, actor: User | None = None, *, reason: str = "", now: datetime | None = None
) -> Case:
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.MODERATION, actor, comment=reason, at=now)
    return case


def moderate_case(
    case: Case,
    user: User | None,
    *,
    category: Category | None,
    territory: Territory | None,
    agency: Agency | None = None,
    is_urgent: bool | None = None,
    now: datetime | None = None,
) -> Case:
    """Confirm or correct category and place; with an agency (given or routed) the case is assigned."""
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        before = {
            "category": _ref(case.category),
            "territory": _ref(case.territory),
            "agency": _ref(case.agency),
            "is_urgent": case.is_urgent,
        }
        if case.status == CaseStatus.NEW:
            _set_status(case, CaseStatus.MODERATION, user, at=now)
        case.category = category
        case.territory = territory
        if is_urgent is not None:
            case.is_urgent = is_urgent
        if agency is None and category is not None:
            from .routing import route

            routed = route(category, territory)
            agency = routed.agency if routed else None
        case.save()
        _learn_institution(case)
        log_event(
            case,
            EventKind.MODERATED,
            user,
            before=before,
            after={
                "category": _ref(category),
                "territory": _ref(territory),
                "agency": _ref(agency),
                "is_urgent": case.is_urgent,
            },
            at=now,
        )
        if agency is not None:
            _assign(case, user, agency, now)
    return case


AWAITING_MODERATION = (CaseStatus.NEW, CaseStatus.MODERATION)


def _not_confirmable(case: Case) -> str | None:
    """Why the pipeline's suggestion for the case cannot be accepted as it stands; None if it can
    (it waits for moderation and both a category and an agency were suggested)."""
    if case.status not in AWAITING_MODERATION:
        return _("it no longer awaits moderation")
    if case.suggested_category_id is None:
        return _("no category was suggested")
    if case.suggested_agency_id is None:
        return _("no agency was suggested")
    return None


def can_confirm_suggestion(case: Case) -> bool:
    return _not_confirmable(case) is None


@dataclass
class Confirmation:
    confirmed: list[Case] = field(default_factory=list)
    skipped: list[tuple[Case, str]] = field(default_factory=list)  # the case and why


def confirm_suggestions(
    cases: Iterable[Case], user: User | None, *, now: datetime | None = None
) -> Confirmation:
    """Accept the pipeline's category, territory and agency for each case, exactly as the moderator
    would by submitting them in the case's moderation form (:func:`moderate_case`); a case that no
    longer waits for moderation or lacks a suggestion is skipped with the reason. Each case is its
    own transaction: one that fails does not undo the others."""
    _require_center(user)
    now = now or timezone.now()
    result = Confirmation()
    for case in cases:
        reason = _not_confirmable(case)
        if reason is not None:
            result.skipped.append((case, reason))
            continue
        try:
            moderate_case(
                case,
                user,
                category=case.suggested_category,
                territory=case.suggested_territory,
                agency=case.suggested_agency,
                now=now,
            )
        except (IllegalTransition, ValidationError) as exc:
            result.skipped.append((case, " ".join(getattr(exc, "messages", [str(exc)]))))
        else:
            result.confirmed.append(case)
    return result


def _assign(case: Case, actor: User | None, agency: Agency, now: datetime, *, comment: str = "") -> None:
    before = {
        "agency": _ref(case.agency),
        "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
    }
    case.agency = agency
    _start_deadline(case, now)
    _set_status(
        case,
        CaseStatus.ASSIGNED,
        actor,
        EventKind.ASSIGNED,
        before=before,
        after={
            "agency": _ref(agency),
            "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
        },
        comment=comment,
        at=now,
    )
    notifications.case_assigned(case)


def assign_case(
    case: Case, user: User | None, agency: Agency, *, comment: str = "", now: datetime | None = None
) -> Case:
    """Route the case to an agency: the deadline starts now (policy + production calendar)."""
    _require_center(user)
    if not agency.is_active:
        raise ValidationError(_("The agency is not active."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status == CaseStatus.NEW:
            _set_status(case, CaseStatus.MODERATION, user, at=now)
        _assign(case, user, agency, now, comment=comment)
    return case


def auto_assign(case: Case, agency: Agency, *, now: datetime | None = None) -> Case:
    """The pipeline's assignment of a confidently understood case (no human actor)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _assign(case, None, agency, now, comment=_("Routed automatically"))
    return case


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
        if group not in terms:
            policy = deadlines.pick_policy(
                deadlines.PolicyParams(case.channel, case.category, bool(case.is_urgent)), policies=policies
            )
            terms[group] = deadlines.deadline_from_policy(policy, now, calendar)
        result = terms[group]
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
    # One query for the executors of all agencies, one for the center: not a query per case.
    notifications.cases_assigned([o.case for o in openings if o.agency is not None])
    notifications.cases_urgent([case for case in cases if case.is_urgent])
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


def start_work(case: Case, user: User | None, *, now: datetime | None = None) -> Case:
    with transaction.atomic():
        case = _locked(case)
        _require_agency_or_center(user, case)
        _set_status(case, CaseStatus.IN_PROGRESS, user, at=now)
    return case


def redirect_case(
    case: Case, user: User | None, *, reason: str, agency: Agency | None = None, now: datetime | None = None
) -> Case:
    """An executor hands a case back as not theirs; the center may redirect it straight to another agency."""
    if not reason.strip():
        raise ValidationError(_("Say why the case is redirected."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _require_agency_or_center(user, case)
        previous = case.agency
        _set_status(
            case,
            CaseStatus.REDIRECTED,
            user,
            EventKind.REDIRECTED,
            comment=reason,
            before={"agency": _ref(previous)},
            after={"agency": _ref(agency)},
            at=now,
        )
        if agency is not None:
            _require_center(user)
            _assign(case, user, agency, now, comment=reason)
        else:
            notifications.case_needs_center(case, reason)
    return case


def reject_case(case: Case, user: User | None, *, reason: str, now: datetime | None = None) -> Case:
    """Not a resident's problem (spam, advertising, off-topic)."""
    _require_center(user)
    if not reason.strip():
        raise ValidationError(_("Say why the case is rejected."))
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.REJECTED, user, comment=reason, at=now)
        case.closed_at = now or timezone.now()
        case.save(update_fields=["closed_at"])
    return case


def merge_cases(case: Case, target: Case, user: User | None, *, now: datetime | None = None) -> Case:
    """Attach a duplicate case to ``target``: its messages move there, it becomes ``merged``."""
    _require_center(user)
    if case.pk == target.pk:
        raise ValidationError(_("A case cannot be merged into itself."))
    with transaction.atomic():
        case = _locked(case)
        target = Case.objects.select_for_update().get(pk=target.pk)
        if target.status == CaseStatus.MERGED:
            raise ValidationError(
                _("The target case is itself merged; merge into %(n)s instead.") % {"n": target.merged_into}
            )
        _set_status(case, CaseStatus.MERGED, user, EventKind.MERGED, after={"into": _ref(target)}, at=now)
        case.merged_into = target
        case.closed_at = now or timezone.now()
        case.save(update_fields=["merged_into", "closed_at"])
        moved = list(case.messages.values_list("pk", flat=True))
        case.messages.update(case=target)
        refresh_counters(target)
        refresh_counters(case)
        log_event(
            target,
            EventKind.MESSAGE_ATTACHED,
            user,
            after={"from_case": _ref(case), "messages": moved},
            at=now,
        )
    return case


def refresh_counters(case: Case) -> None:
    agg = case.messages.aggregate(n=Count("pk"), authors=Count("author_id", distinct=True))
    case.message_count = agg["n"]
    case.author_count = max(agg["authors"], 1 if agg["n"] else 0)
    case.save(update_fields=["message_count", "author_count"])


# --- answers ------------------------------------------------------------------------------------


def write_answer(
    case: Case, user: User | None, *, text: str, kind: str = AnswerKind.FINAL, now: datetime | None = None
) -> Answer:
    """An executor (or the center) writes an interim or final answer; a final one awaits approval."""
    text = text.strip()
    if len(text) < 10:
        raise ValidationError(_("The answer is too short."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _require_agency_or_center(user, case)
        quality = assess_answer(case.text or case.title, text)
        answer = Answer.objects.create(
            case=case,
            kind=kind,
            text=text,
            author=user if getattr(user, "pk", None) else None,
            agency=case.agency,
            created_at=now,
            quality_score=quality.score,
            quality_flags=quality.flags,
        )
        if case.first_answer_at is None:
            case.first_answer_at = now
            case.save(update_fields=["first_answer_at"])
        log_event(case, EventKind.ANSWER_WRITTEN, user, after={"answer": answer.pk, "kind": kind}, at=now)
        if kind == AnswerKind.FINAL:
            case.answered_at = now
            if case.assigned_at:
                case.answer_working_minutes = deadlines.working_minutes(case.assigned_at, now)
            case.is_overdue = bool(case.deadline_at and now > case.deadline_at)
            _set_status(case, CaseStatus.ANSWERED, user, at=now)
            notifications.answer_awaits_approval(case)
        elif case.status in (CaseStatus.ASSIGNED, CaseStatus.REOPENED):
            _set_status(case, CaseStatus.IN_PROGRESS, user, at=now)
    return answer


def _locked_answer(answer: Answer) -> tuple[Answer, Case]:
    case = _locked(answer.case)
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    return answer, case


def approve_answer(answer: Answer, user: User | None, *, now: datetime | None = None) -> Answer:
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        answer, case = _locked_answer(answer)
        check_answer_transition(answer.status, AnswerStatus.APPROVED)
        answer.status = AnswerStatus.APPROVED
        answer.reviewed_by = user
        answer.reviewed_at = now
        answer.save()
        log_event(case, EventKind.ANSWER_APPROVED, user, after={"answer": answer.pk}, at=now)
        if answer.kind == AnswerKind.FINAL:
            _set_status(case, CaseStatus.APPROVED, user, at=now)
    return answer


def return_answer(answer: Answer, user: User | None, *, comment: str, now: datetime | None = None) -> Answer:
    """Send an answer back to the executor for rework."""
    _require_center(user)
    if not comment.strip():
        raise ValidationError(_("Say what must be reworked."))
    now = now or timezone.now()
    with transaction.atomic():
        answer, case = _locked_answer(answer)
        check_answer_transition(answer.status, AnswerStatus.RETURNED)
        answer.status = AnswerStatus.RETURNED
        answer.reviewed_by = user
        answer.reviewed_at = now
        answer.review_comment = comment
        answer.save()
        log_event(case, EventKind.ANSWER_RETURNED, user, after={"answer": answer.pk}, comment=comment, at=now)
        if answer.kind == AnswerKind.FINAL:
            case.answered_at = None
            _set_status(case, CaseStatus.IN_PROGRESS, user, comment=comment, at=now)
            notifications.answer_returned(case, comment)
    return answer


def publish_answer(answer: Answer, user: User | None, *, now: datetime | None = None) -> Answer:
    """Publish an approved answer back where the resident wrote (reply, email, call-back record)."""
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        answer, case = _locked_answer(answer)
        check_answer_transition(answer.status, AnswerStatus.PUBLISHED)
        answer.status = AnswerStatus.PUBLISHED
        answer.published_at = now
        answer.publish_result = notifications.publish_reply(case, answer)
        answer.save()
        log_event(
            case,
            EventKind.ANSWER_PUBLISHED,
            user,
            after={"answer": answer.pk, "result": answer.publish_result},
            at=now,
        )
        if answer.kind == AnswerKind.FINAL:
            case.published_at = now
            _set_status(case, CaseStatus.PUBLISHED, user, at=now)
    return answer


# --- the resident's word, closing and reopening ---------------------------------------------------


def rate_case(
    case: Case,
    *,
    score: int,
    comment: str = "",
    reopen: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
) -> Rating:
    """The resident rates the published answer; the case closes, or reopens if they say it is not solved."""
    if not 1 <= int(score) <= 5:
        raise ValidationError(_("A rating is from 1 to 5."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status not in (CaseStatus.PUBLISHED, CaseStatus.CLOSED):
            raise ValidationError(_("Only a case with a published answer can be rated."))
        rating = Rating.objects.create(case=case, score=int(score), comment=comment, created_at=now)
        log_event(case, EventKind.RATED, actor, after={"score": rating.score}, comment=comment, at=now)
        if reopen:
            _reopen(case, actor, comment or _("The resident says the problem is not solved."), now)
        elif case.status == CaseStatus.PUBLISHED:
            _set_status(case, CaseStatus.CLOSED, actor, at=now)
            case.closed_at = now
            case.save(update_fields=["closed_at"])
    return rating


def close_case(case: Case, user: User | None, *, now: datetime | None = None) -> Case:
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.CLOSED, user, at=now)
        case.closed_at = now
        case.save(update_fields=["closed_at"])
    return case


def _reopen(case: Case, actor: User | None, reason: str, now: datetime) -> None:
    _set_status(case, CaseStatus.REOPENED, actor, EventKind.REOPENED, comment=reason, at=now)
    case.reopen_count += 1
    case.closed_at = None
    case.answered_at = None
    if case.agency_id:
        _start_deadline(case, now)
    case.save()
    notifications.case_reopened(case, reason)


def reopen_case(case: Case, user: User | None, *, reason: str, now: datetime | None = None) -> Case:
    _require_center(user)
    if not reason.strip():
        raise ValidationError(_("Say why the case is reopened."))
    with transaction.atomic():
        case = _locked(case)
        _reopen(case, user, reason, now or timezone.now())
    return case


def escalate_case(case: Case, actor: User | None = None, *, reason: str, now: datetime | None = None) -> Case:
    """Hand a case to the supervisor (overdue, sensitive, or on an operator's request)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.ESCALATED, actor, EventKind.ESCALATED, comment=reason, at=now)
        case.escalated_at = now
        case.save(update_fields=["escalated_at"])
        notifications.case_escalated(case, reason)
    return case


def mark_overdue(now: datetime | None = None) -> list[int]:
    """The periodic job: mark cases past their deadline and escalate them to the supervisor."""
    now = now or timezone.now()
    from .choices import AWAITING_AGENCY

    ids = list(
        Case.objects.filter(status__in=AWAITING_AGENCY, deadline_at__lt=now, is_overdue=False).values_list(
            "pk", flat=True
        )
    )
    for case_id in ids:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.is_overdue or case.status not in AWAITING_AGENCY:
                continue
            case.is_overdue = True
            case.save(update_fields=["is_overdue"])
            log_event(
                case,
                EventKind.OVERDUE,
                None,
                after={"deadline_at": case.deadline_at.isoformat() if case.deadline_at else None},
                at=now,
            )
            if case.status != CaseStatus.ESCALATED:
                _set_status(
                    case,
                    CaseStatus.ESCALATED,
                    None,
                    EventKind.ESCALATED,
                    comment=_("Deadline missed"),
                    at=now,
                )
                case.escalated_at = now
                case.save(update_fields=["escalated_at"])
                notifications.case_escalated(case, _("Deadline missed"))
    return ids


def _learn_institution(case: Case) -> None:
    """A place the moderator confirmed teaches the region's registry the institution the text names
    ("школа № 12" in that town); learning must never stand in the moderator's way."""
    from otklik.understanding.places.institutions import learn_from_case

    try:
        with transaction.atomic():
            learn_from_case(case)
    except Exception:
        log.exception("learning the institution of case %s failed", case.pk)


def set_case_place(
    case: Case,
    user: User | None,
    *,
    lat: float,
    lon: float,
    territory: Territory | None = None,
    now: datetime | None = None,
) -> Case:
    """The moderator picks the place on the map: the point, and the territory it falls in (by the
    territories' polygons, unless given); a point outside every polygon keeps the territory."""
    _require_center(user)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValidationError(_("Coordinates out of range."))
    now = now or timezone.now()
    if territory is None:
        from otklik.understanding import places

        territory = places.get_polygons(places.get_gazetteer()).locate(lat, lon)
    with transaction.atomic():
        case = _locked(case)
        before = {
            "lat": case.lat,
            "lon": case.lon,
            "territory": _ref(case.territory),
            "suggested_territory": _ref(case.suggested_territory),
        }
        case.lat, case.lon = lat, lon
        if territory is not None:
            case.territory = territory
            if case.suggested_territory_id is None:
                case.suggested_territory = territory
        understanding = dict(case.understanding) if isinstance(case.understanding, dict) else {}
        place = understanding.get("place")
        understanding["place"] = {
            **(place if isinstance(place, dict) else {}),
            "precision": "point",
            "source": "moderator",
        }
        case.understanding = understanding
        case.save(
            update_fields=["lat", "lon", "territory", "suggested_territory", "understanding", "updated_at"]
        )
        _learn_institution(case)
        log_event(
            case,
            EventKind.MODERATED,
            user,
            before=before,
            after={
                "lat": lat,
                "lon": lon,
                "territory": _ref(case.territory),
                "suggested_territory": _ref(case.suggested_territory),
            },
            comment=_("Place picked on the map"),
            at=now,
        )
    return case
