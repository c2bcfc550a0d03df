"""Publishing an approved answer where the resident wrote, through the source's connector.

``otklik.cases`` never imports intake: :class:`~otklik.intake.apps.IntakeConfig` registers
:func:`publish_reply` with :func:`otklik.cases.notifications.register_reply_publisher` at start-up,
and ``cases.actions.publish_answer`` calls it. The answer goes back under the case's FIRST message
(the one that opened it). With ``settings.OTKLIK_SEND_REPLIES`` off (staging, tests, the demo)
nothing leaves: the result says so (``staging``). A connector's failure is recorded in the result,
never raised — publishing the answer in Otklik does not depend on a social network being up; the
outbox (``otklik.cases.delivery``) retries it when ``retriable`` says a retry may help.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings

from otklik.metrics import observe_reply

from .connectors.base import ConnectorError, connector_for
from .models import Message

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case

log = logging.getLogger("otklik.replies")


def first_message(case: Case) -> Message | None:
    return Message.objects.filter(case=case).select_related("source").order_by("posted_at", "pk").first()


def publish_reply(case: Case, answer: Answer) -> dict[str, Any]:
    """Send ``answer`` through the connector of the case's first message; return what happened."""
    base: dict[str, Any] = {"channel": case.channel}
    if not settings.OTKLIK_SEND_REPLIES:
        return {**base, "sent": False, "staging": True, "reason": "staging: OTKLIK_SEND_REPLIES is off"}
    message = first_message(case)
    if message is None:
        return {**base, "sent": False, "reason": "the case has no message to answer"}
    base.update(source=message.source.code, connector=message.source.connector, message=message.external_id)
    try:
        connector = connector_for(message.source)
    except ConnectorError as exc:  # the source is misconfigured: fixing it is a person's job
        return {**base, "sent": False, "reason": str(exc), "retriable": False}
    try:
        result = connector.publish_reply(case, answer, message)
    except ConnectorError as exc:
        log.warning("reply to %s through %s failed: %s", case.number, message.source.code, exc)
        failed: dict[str, Any] = {**base, "sent": False, "reason": str(exc), "retriable": exc.retriable}
        if exc.retry_after is not None:
            failed["retry_after"] = exc.retry_after
        return failed
    except Exception as exc:  # a connector bug must not fail publishing the answer
        log.exception("reply to %s through %s failed", case.number, message.source.code)
        return {**base, "sent": False, "reason": f"{type(exc).__name__}: {exc}", "retriable": False}
    finally:
        connector.close()
    result_dict = result.as_dict()
    observe_reply(message.source.code, result.sent)
    if not result.sent:
        result_dict["reason"] = result.detail
    return {**base, **result_dict}
