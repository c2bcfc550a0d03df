"""Notifications to people and publication of answers back to the source.

Every notification goes, after the action commits, by email to the people concerned who have an
address and by the Telegram bot (``OTKLIK_TELEGRAM_BOT_TOKEN``) to those with a Telegram chat id
(set in the admin: Users → Telegram chat id): one :func:`send_notification` task per message, sent
after commit (:func:`otklik.aftercommit.task_after_commit`; a Celery worker's ``notify`` queue, or
this process in the embedded mode). A failed delivery is logged and never fails the action.
A pipeline batch that assigns many cases sends each Telegram chat one digest, not a message a case:
the Bot API allows about one message a second to a chat. A batch's messages travel in one
:func:`send_notifications` task (its assignments in one, its urgent cases in another), not a task a
case: the same emails and Telegram messages, through one mail connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import translation
from django.utils.timezone import localtime

from otklik.accounts.permissions import Capability, holders
from otklik.aftercommit import task_after_commit
from otklik.understanding.explain import urgency_kinds

if TYPE_CHECKING:
    from otklik.understanding.models import BurstAlert

    from .models import Answer, Case

log = logging.getLogger("otklik.notifications")


TELEGRAM_LIMIT = 4096  # characters in one Bot API message
DIGEST_CASES = 20  # cases named in one Telegram digest; the rest are counted


@dataclass
class Recipients:
    emails: list[str] = field(default_factory=list)
    chats: list[str] = field(default_factory=list)

    def add(self, email: str, chat: str) -> None:
        if email and email not in self.emails:
            self.emails.append(email)
        if chat and chat not in self.chats:
            self.chats.append(chat)


# Who is told (the duties of the permissions table): an agency's executors, the center's moderators
# on duty, and, for what is urgent, the supervisors as well.
_EXECUTORS = holders(Capability.ANSWER_FOR_AGENCY)
_URGENT = holders(Capability.MODERATION_DUTY, Capability.SUPERVISE)


def _people(*conditions: Q, **filters: Any) -> Recipients:
    from django.contrib.auth import get_user_model

    found = Recipients()
    rows = get_user_model().objects.filter(*conditions, is_active=True, **filters).order_by("pk")
    for email, chat in rows.values_list("email", "telegram_chat_id"):
        found.add(email, chat.strip())
    return found


def send_telegram(chats: Sequence[str], text: str) -> int:
    """Send ``text`` to each chat through the Bot API; return how many went. Without a bot token
    nothing is sent; an error (a blocked bot, a rate limit, the API down) is logged and skipped."""
    token = str(getattr(settings, "OTKLIK_TELEGRAM_BOT_TOKEN", "") or "")
    if not token or not chats:
        return 0
    api = str(getattr(settings, "OTKLIK_TELEGRAM_API_URL", "") or "https://api.telegram.org").rstrip("/")
    text = text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 1] + "…"
    sent = 0
    with httpx.Client(timeout=10) as client:
        for chat in chats:
            try:
                response = client.post(f"{api}/bot{token}/sendMessage", data={"chat_id": chat, "text": text})
                answer = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("telegram notification to chat %s failed: %s", chat, exc)
                continue
            if response.status_code == 200 and answer.get("ok"):
                sent += 1
            else:
                log.warning(
                    "telegram notification to chat %s refused: %s %s",
                    chat,
                    response.status_code,
                    answer.get("description", ""),
                )
    return sent


@shared_task(name="otklik.cases.notifications.send_notification", ignore_result=True)
def send_notification(subject: str, body: str, emails: list[str], chats: list[str], about: str = "") -> None:
    """The email to every address and the same words to every Telegram chat. A failure is logged,
    naming ``about`` when given (a resident's address is personal data), else the addresses."""
    _deliver(subject, body, emails, chats, about)


@shared_task(name="otklik.cases.notifications.send_notifications", ignore_result=True)
def send_notifications(messages: list[list[Any]]) -> None:
    """Several notifications in one task (a pipeline batch's), each ``[subject, body, emails, chats,
    about]`` delivered in order as :func:`send_notification` delivers it, through one mail connection;
    a failed one is logged and the rest still go."""
    connection = get_connection()
    try:
        for subject, body, emails, chats, about in messages:
            _deliver(subject, body, emails, chats, about, connection)
    finally:
        try:
            connection.close()
        except Exception:
            log.exception("closing the mail connection failed")


def _deliver(
    subject: str, body: str, emails: list[str], chats: list[str], about: str = "", connection: Any = None
) -> None:
    if emails:
        try:
            EmailMessage(subject, body, None, emails, connection=connection).send()
        except Exception:  # a mail server outage must not fail anything
            log.exception("%s could not be emailed", about or f"notification to {emails}")
    if chats:
        try:
            send_telegram(chats, f"{subject}\n{body}")
        except Exception:
            log.exception("telegram notification to %s failed", chats)


def send_after_commit(recipients: Recipients, subject: str, body: str, *, about: str = "") -> None:
    """:func:`send_notification` to ``recipients`` once the transaction commits (nothing for none)."""
    if recipients.emails or recipients.chats:
        task_after_commit(
            send_notification, subject, body, list(recipients.emails), list(recipients.chats), about
        )


class Outgoing:
    """A batch's notifications, collected and then sent after commit in one :func:`send_notifications`
    task (nothing for none)."""

    def __init__(self) -> None:
        self.messages: list[list[Any]] = []

    def add(self, recipients: Recipients, subject: str, body: str, *, to_chats: bool = True) -> None:
        chats = list(recipients.chats) if to_chats else []
        if recipients.emails or chats:
            self.messages.append([subject, body, list(recipients.emails), chats, ""])

    def send_after_commit(self) -> None:
        if self.messages:
            task_after_commit(send_notifications, self.messages)


def _send(recipients: Recipients, subject: str, body: str, *, to_chats: bool = True) -> None:
    """After commit: the email to every address and, unless ``to_chats`` is off, the same words to
    every Telegram chat."""
    send_after_commit(Recipients(recipients.emails, recipients.chats if to_chats else []), subject, body)


def _assigned_message(case: Case) -> tuple[str, str]:
    deadline = f"{localtime(case.deadline_at):%d.%m.%Y %H:%M}" if case.deadline_at else "—"
    return f"Новое обращение {case.number}", f"{case.title}\nСрок ответа: {deadline}"


def case_assigned(case: Case) -> None:
    if case.agency_id:
        _send(_people(_EXECUTORS, agency_id=case.agency_id), *_assigned_message(case))


def cases_assigned(cases: Sequence[Case]) -> None:
    """:func:`case_assigned` for many cases (the pipeline's batch): one query for all recipients, an
    email a case, and one Telegram digest an agency's chat — all in one task."""
    from django.contrib.auth import get_user_model

    agency_ids = {case.agency_id for case in cases if case.agency_id}
    if not agency_ids:
        return
    recipients: dict[int, Recipients] = {}
    for agency_id, email, chat in (
        get_user_model()
        .objects.filter(_EXECUTORS, is_active=True, agency_id__in=agency_ids)
        .order_by("pk")
        .values_list("agency_id", "email", "telegram_chat_id")
    ):
        recipients.setdefault(agency_id, Recipients()).add(email, chat.strip())
    by_agency: dict[int, list[Case]] = {}
    outgoing = Outgoing()
    for case in cases:
        if case.agency_id in recipients:
            outgoing.add(recipients[case.agency_id], *_assigned_message(case), to_chats=False)
            by_agency.setdefault(case.agency_id, []).append(case)
    for agency_id, assigned in by_agency.items():
        chats = Recipients(chats=recipients[agency_id].chats)
        if len(assigned) == 1:
            outgoing.add(chats, *_assigned_message(assigned[0]))
            continue
        lines = [_digest_line(c) for c in assigned[:DIGEST_CASES]]
        if len(assigned) > DIGEST_CASES:
            lines.append(f"… и ещё {len(assigned) - DIGEST_CASES}")
        outgoing.add(chats, f"Новых обращений: {len(assigned)}", "\n".join(lines))
    outgoing.send_after_commit()


def _digest_line(case: Case) -> str:
    deadline = f" (срок {localtime(case.deadline_at):%d.%m %H:%M})" if case.deadline_at else ""
    return f"{case.number} — {case.title[:80]}{deadline}"


def notify_holders(capabilities: Sequence[Capability], subject: str, body: str) -> None:
    """Everyone active whose role holds one of ``capabilities`` (duties, mostly), by email and Telegram,
    after commit."""
    _send(_people(holders(*capabilities)), subject, body)


def case_needs_center(case: Case, reason: str) -> None:
    _send(_people(holders(Capability.MODERATION_DUTY)), f"Обращение {case.number} возвращено", reason)


def answer_awaits_approval(case: Case) -> None:
    subject = f"Ответ по обращению {case.number} ждёт согласования"
    _send(_people(holders(Capability.MODERATION_DUTY)), subject, case.title)


def answer_returned(case: Case, comment: str) -> None:
    if case.agency_id:
        _send(
            _people(_EXECUTORS, agency_id=case.agency_id),
            f"Ответ по {case.number} возвращён на доработку",
            comment,
        )


def notify_agency(agency_id: int | None, subject: str, body: str) -> None:
    """The agency's executors (for a deputy's office: the deputy and the assistants)."""
    if agency_id:
        _send(_people(_EXECUTORS, agency_id=agency_id), subject, body)


def case_reopened(case: Case, reason: str) -> None:
    if case.agency_id:
        _send(
            _people(_EXECUTORS, agency_id=case.agency_id),
            f"Обращение {case.number} открыто повторно",
            reason,
        )


def case_escalated(case: Case, reason: str) -> None:
    _send(_people(holders(Capability.SUPERVISE)), f"Эскалация: обращение {case.number}", reason)


def _urgent_message(case: Case) -> tuple[str, str]:
    data = case.understanding if isinstance(case.understanding, dict) else {}
    urgency = data.get("urgency")
    if not isinstance(urgency, dict):
        urgency = {}
    with translation.override(settings.LANGUAGE_CODE):
        kinds = ", ".join(urgency_kinds(urgency.get("kinds") or []))
    terms = ", ".join(str(t) for t in urgency.get("terms") or [])
    lines = [case.title or case.text[:200]]
    if kinds:
        lines.append(f"Признаки: {kinds}")
    if terms:
        lines.append(f"Слова: {terms}")
    return f"Срочно: {case.number}", "\n".join(lines)


def case_urgent(case: Case) -> None:
    """An urgent case (a threat to life or health, an emergency): moderators and supervisors at once."""
    _send(_people(_URGENT), *_urgent_message(case))


def cases_urgent(cases: Sequence[Case]) -> None:
    """:func:`case_urgent` for many cases: the recipients are read once, and each case's own message
    (email and Telegram, as :func:`case_urgent` sends it) goes in one task for them all."""
    if not cases:
        return
    recipients = _people(_URGENT)
    outgoing = Outgoing()
    for case in cases:
        outgoing.add(recipients, *_urgent_message(case))
    outgoing.send_after_commit()


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
    _send(_people(holders(Capability.SUPERVISE)), f"Всплеск: {alert.category} — {alert.territory}", body)


ReplyPublisher = Callable[["Case", "Answer"], dict[str, Any]]
_reply_publisher: ReplyPublisher | None = None


def register_reply_publisher(publisher: ReplyPublisher) -> None:
    """Intake registers how answers go back to sources (cases never imports intake)."""
    global _reply_publisher
    _reply_publisher = publisher


def publish_reply(case: Case, answer: Answer) -> dict[str, Any]:
    """Deliver the answer where the resident wrote; with OTKLIK_SEND_REPLIES off nothing leaves."""
    if not settings.OTKLIK_SEND_REPLIES:
        return {
            "sent": False,
            "staging": True,
            "reason": "staging: OTKLIK_SEND_REPLIES is off",
            "channel": case.channel,
        }
    if _reply_publisher is None:
        return {"sent": False, "reason": "no reply publisher registered", "channel": case.channel}
    return _reply_publisher(case, answer)
