"""The outbox of replies: a published answer goes back to where the resident wrote, after the commit.

:func:`queue_reply` writes a :class:`~otklik.cases.models.ReplyDelivery` in the transaction that
publishes the answer (``actions.publish_answer``) and schedules :func:`send_reply_delivery` for after
the commit (:func:`otklik.aftercommit.task_after_commit`: a Celery worker's ``notify`` queue, or this
process in the embedded mode). Sending never holds the case's lock: :func:`deliver` claims the
delivery with one conditional UPDATE, calls the connector (through the publisher intake registers,
:func:`otklik.cases.notifications.publish_reply`) outside any transaction, then records what happened.

What can happen to a delivery:

- ``sent``: the network took it (the id and, where there is one, the link to the comment);
- ``queued`` again: a retriable failure (the network down, a rate limit); the next attempt comes after
  ``OTKLIK_REPLY_RETRY_SECONDS`` × 2^(attempts − 1), at most ``OTKLIK_REPLY_RETRY_MAX_SECONDS`` (or
  the network's ``Retry-After`` when longer), picked up by the periodic job "send-replies";
- ``failed``: a refusal that will not change by itself (a deleted post, a blocked community) or
  ``OTKLIK_REPLY_MAX_ATTEMPTS`` attempts used; the center sees the reason and may send it again
  (:func:`retry_delivery`);
- ``staging``: ``OTKLIK_SEND_REPLIES`` is off, nothing leaves the machine and the card says so;
- ``manual``: the channel takes no automatic reply (a call without a call-back, an imported file):
  the reason says what to do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, can
from otklik.aftercommit import task_after_commit

from . import notifications
from .choices import DeliveryStatus, EventKind
from .models import Answer, Case, CaseEvent, ReplyDelivery

log = logging.getLogger("otklik.cases.delivery")

# A delivery taken by a worker that died before it recorded the outcome is taken again after this.
STALE_SENDING = timedelta(minutes=15)
DUE_BATCH = 200  # deliveries one run of the periodic job sends at most


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default) or default)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before the attempt after ``attempts`` failed ones (exponential, capped)."""
    base = _setting("OTKLIK_REPLY_RETRY_SECONDS", 60)
    cap = _setting("OTKLIK_REPLY_RETRY_MAX_SECONDS", 6 * 3600)
    seconds = min(base * 2 ** max(attempts - 1, 0), cap)
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


def max_attempts() -> int:
    return int(_setting("OTKLIK_REPLY_MAX_ATTEMPTS", 8))


def _event(
    case: Case, kind: str, actor: User | None, after: dict[str, Any], comment: str, at: datetime
) -> None:
    CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        after=after,
        comment=comment,
        created_at=at,
    )


def queue_reply(case: Case, answer: Answer, *, now: datetime) -> ReplyDelivery:
    """Put the answer in the outbox; call inside the transaction that publishes it."""
    if not settings.OTKLIK_SEND_REPLIES:
        delivery = ReplyDelivery.objects.create(
            answer=answer,
            case=case,
            channel=case.channel,
            status=DeliveryStatus.STAGING,
            reason="OTKLIK_SEND_REPLIES is off",
            created_at=now,
        )
        answer.publish_result = {
            "sent": False,
            "staging": True,
            "reason": "staging: OTKLIK_SEND_REPLIES is off",
            "channel": case.channel,
        }
        return delivery
    delivery = ReplyDelivery.objects.create(
        answer=answer, case=case, channel=case.channel, next_attempt_at=now, created_at=now
    )
    answer.publish_result = {"sent": False, "queued": True, "channel": case.channel}
    task_after_commit(send_reply_delivery, delivery.pk)
    return delivery


def _link(result: dict[str, Any]) -> str:
    for key in ("url", "detail"):
        value = str(result.get(key) or "")
        if value.startswith(("https://", "http://")):
            return value[:500]
    return ""


def deliver(delivery_id: int, *, now: datetime | None = None) -> ReplyDelivery | None:
    """One attempt to send a due delivery; None when it is not due or another worker has it."""
    now = now or timezone.now()
    claimed = ReplyDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    delivery = ReplyDelivery.objects.select_related("answer", "case").get(pk=delivery_id)
    case, answer = delivery.case, delivery.answer
    if not settings.OTKLIK_SEND_REPLIES:
        result: dict[str, Any] = {
            "sent": False,
            "staging": True,
            "reason": "staging: OTKLIK_SEND_REPLIES is off",
        }
    else:
        try:
            result = notifications.publish_reply(case, answer)
        except Exception as exc:  # the publisher records connectors' failures; this is a bug
            log.exception("reply delivery %s failed", delivery_id)
            result = {"sent": False, "reason": f"{type(exc).__name__}: {exc}", "retriable": True}
    return _record(delivery, result, now)


def _record(delivery: ReplyDelivery, result: dict[str, Any], now: datetime) -> ReplyDelivery:
    reason = str(result.get("reason") or result.get("detail") or "")
    kind: str
    comment: str
    after: dict[str, Any] = {"answer": delivery.answer_id, "attempt": delivery.attempts}
    with transaction.atomic():
        if result.get("sent"):
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.external_id = str(result.get("external_id") or "")[:200]
            delivery.url = _link(result)
            delivery.reason = ""
            delivery.next_attempt_at = None
            after.update(external_id=delivery.external_id, url=delivery.url)
            kind, comment = EventKind.REPLY_SENT, delivery.url or delivery.external_id
        elif result.get("staging"):
            delivery.status = DeliveryStatus.STAGING
            delivery.reason = "OTKLIK_SEND_REPLIES is off"
            delivery.next_attempt_at = None
            kind, comment = "", ""
        elif "retriable" not in result:
            # the channel's own answer, not an error: nothing a retry would change
            delivery.status = DeliveryStatus.MANUAL
            delivery.reason = reason
            delivery.next_attempt_at = None
            kind, comment = EventKind.REPLY_FAILED, reason
        elif result.get("retriable") and delivery.attempts < max_attempts():
            delivery.status = DeliveryStatus.QUEUED
            delivery.reason = reason
            retry_after = result.get("retry_after")
            delivery.next_attempt_at = now + backoff(
                delivery.attempts, float(retry_after) if retry_after is not None else None
            )
            after["next_attempt_at"] = delivery.next_attempt_at.isoformat()
            kind, comment = EventKind.REPLY_FAILED, reason
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.reason = reason
            delivery.next_attempt_at = None
            kind, comment = EventKind.REPLY_FAILED, reason
        delivery.save()
        Answer.objects.filter(pk=delivery.answer_id).update(publish_result=result)
        if kind:
            after["delivery"] = delivery.status
            _event(delivery.case, kind, None, after, comment, now)
    return delivery


@shared_task(name="otklik.cases.delivery.send_reply_delivery", ignore_result=True)
def send_reply_delivery(delivery_id: int) -> None:
    """The worker's task (the ``notify`` queue): one attempt of one delivery."""
    deliver(delivery_id)


def send_due_replies(now: datetime | None = None) -> int:
    """The periodic job "send-replies": deliveries whose next attempt has come, and those a dead
    worker left half-sent. Returns how many were attempted."""
    now = now or timezone.now()
    ReplyDelivery.objects.filter(
        status=DeliveryStatus.SENDING, last_attempt_at__lt=now - STALE_SENDING
    ).update(status=DeliveryStatus.QUEUED, next_attempt_at=now)
    due = list(
        ReplyDelivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    attempted = 0
    for pk in due:
        if deliver(pk, now=now) is not None:
            attempted += 1
    return attempted


def can_retry(delivery: ReplyDelivery) -> bool:
    if delivery.status == DeliveryStatus.FAILED:
        return True
    return delivery.status == DeliveryStatus.STAGING and bool(settings.OTKLIK_SEND_REPLIES)


def retry_delivery(
    delivery: ReplyDelivery, user: User | None, *, now: datetime | None = None
) -> ReplyDelivery:
    """The center sends a failed reply again (now, then with back-off as before)."""
    if user is not None and not can(user, Capability.MODERATE):
        raise PermissionDenied(_("Only the center's moderators and supervisors may do this."))
    now = now or timezone.now()
    with transaction.atomic():
        delivery = ReplyDelivery.objects.select_for_update().select_related("case").get(pk=delivery.pk)
        if not can_retry(delivery):
            raise ValidationError(_("Only a reply that was not delivered can be sent again."))
        delivery.status = DeliveryStatus.QUEUED
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        _event(
            delivery.case, EventKind.REPLY_RETRY, user, {"answer": delivery.answer_id}, delivery.reason, now
        )
        task_after_commit(send_reply_delivery, delivery.pk)
    return delivery


def failed_deliveries() -> Q:
    """Cases with a reply that did not reach the network (a filter on Case)."""
    return Q(deliveries__status=DeliveryStatus.FAILED)
