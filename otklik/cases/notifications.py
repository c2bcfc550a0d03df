"""Notifications to people (email after commit) and publication of answers back to the source."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from otklik.accounts.choices import Role

if TYPE_CHECKING:
    from otklik.understanding.models import BurstAlert

    from .models import Answer, Case

log = logging.getLogger("otklik.notifications")


def _emails(**filters: Any) -> list[str]:
    from django.contrib.auth import get_user_model

    return [
        e
        for e in get_user_model().objects.filter(is_active=True, **filters).values_list("email", flat=True)
        if e
    ]


def _send(recipients: list[str], subject: str, body: str) -> None:
    if not recipients:
        return

    def deliver() -> None:
        try:
            send_mail(subject, body, None, recipients, fail_silently=False)
        except Exception:  # a mail server outage must not fail the case action
            log.exception("notification to %s failed", recipients)

    transaction.on_commit(deliver)


def _assigned_message(case: Case) -> tuple[str, str]:
    deadline = f"{case.deadline_at:%d.%m.%Y %H:%M}" if case.deadline_at else "—"
    return f"Новое обращение {case.number}", f"{case.title}\nСрок ответа: {deadline}"


def case_assigned(case: Case) -> None:
    if case.agency_id:
        _send(_emails(role=Role.EXECUTOR, agency_id=case.agency_id), *_assigned_message(case))


def cases_assigned(cases: Sequence[Case]) -> None:
    """:func:`case_assigned` for many cases (the pipeline's batch): one query for all recipients."""
    from django.contrib.auth import get_user_model

    agency_ids = {case.agency_id for case in cases if case.agency_id}
    if not agency_ids:
        return
    recipients: dict[int, list[str]] = {}
    for agency_id, email in (
        get_user_model()
        .objects.filter(is_active=True, role=Role.EXECUTOR, agency_id__in=agency_ids)
        .order_by("pk")
        .values_list("agency_id", "email")
    ):
        if email:
            recipients.setdefault(agency_id, []).append(email)
    for case in cases:
        if case.agency_id in recipients:
            _send(recipients[case.agency_id], *_assigned_message(case))


def case_needs_center(case: Case, reason: str) -> None:
    _send(_emails(role=Role.MODERATOR), f"Обращение {case.number} возвращено", reason)


def answer_awaits_approval(case: Case) -> None:
    _send(_emails(role=Role.MODERATOR), f"Ответ по обращению {case.number} ждёт согласования", case.title)


def answer_returned(case: Case, comment: str) -> None:
    if case.agency_id:
        _send(
            _emails(role=Role.EXECUTOR, agency_id=case.agency_id),
            f"Ответ по {case.number} возвращён на доработку",
            comment,
        )


def case_reopened(case: Case, reason: str) -> None:
    if case.agency_id:
        _send(
            _emails(role=Role.EXECUTOR, agency_id=case.agency_id),
            f"Обращение {case.number} открыто повторно",
            reason,
        )


def case_escalated(case: Case, reason: str) -> None:
    _send(_emails(role=Role.SUPERVISOR), f"Эскалация: обращение {case.number}", reason)


def _urgent_message(case: Case) -> tuple[str, str]:
    data = case.understanding if isinstance(case.understanding, dict) else {}
    urgency = data.get("urgency")
    if not isinstance(urgency, dict):
        urgency = {}
    kinds = ", ".join(str(k) for k in urgency.get("kinds") or [])
    terms = ", ".join(str(t) for t in urgency.get("terms") or [])
    lines = [case.title or case.text[:200]]
    if kinds:
        lines.append(f"Признаки: {kinds}")
    if terms:
        lines.append(f"Слова: {terms}")
    return f"Срочно: {case.number}", "\n".join(lines)


def case_urgent(case: Case) -> None:
    """An urgent case (a threat to life or health, an emergency): moderators and supervisors at once."""
    _send(_emails(role__in=[Role.MODERATOR, Role.SUPERVISOR]), *_urgent_message(case))


def cases_urgent(cases: Sequence[Case]) -> None:
    """:func:`case_urgent` for many cases: the recipients are read once."""
    if not cases:
        return
    recipients = _emails(role__in=[Role.MODERATOR, Role.SUPERVISOR])
    for case in cases:
        _send(recipients, *_urgent_message(case))


def burst_detected(alert: BurstAlert) -> None:
    """A new burst of one category in one territory: the supervisors, with the cases behind it."""
    from .models import Case

    numbers = list(
        Case.objects.filter(pk__in=list(alert.case_ids)[:50])
        .order_by("created_at")
        .values_list("number", flat=True)
    )
    body = "\n".join(
        [
            f"Категория: {alert.category}",
            f"Территория: {alert.territory}",
            f"Обращений за день: {alert.count} (обычно ≈{alert.baseline:.1f})",
            f"Обращения: {', '.join(numbers)}",
        ]
    )
    _send(_emails(role=Role.SUPERVISOR), f"Всплеск: {alert.category} — {alert.territory}", body)


ReplyPublisher = Callable[["Case", "Answer"], dict[str, Any]]
_reply_publisher: ReplyPublisher | None = None


def register_reply_publisher(publisher: ReplyPublisher) -> None:
    """Intake registers how answers go back to sources (cases never imports intake)."""
    global _reply_publisher
    _reply_publisher = publisher


def publish_reply(case: Case, answer: Answer) -> dict[str, Any]:
    """Deliver the answer where the resident wrote; with OTKLIK_SEND_REPLIES off nothing leaves."""
    if not settings.OTKLIK_SEND_REPLIES:
        return {"sent": False, "reason": "staging: OTKLIK_SEND_REPLIES is off", "channel": case.channel}
    if _reply_publisher is None:
        return {"sent": False, "reason": "no reply publisher registered", "channel": case.channel}
    return _reply_publisher(case, answer)
