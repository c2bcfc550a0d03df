"""The "phone" kind: calls typed in by call-center operators (``otklik.intake.views_callcenter``).
Nothing to fetch; an answer is given by calling back, which a person does: the reply is recorded as
not sent, with the number to call when the caller asked for a call-back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .base import Connector, Health, NormalizeError, ReplyResult, register

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message


@register
class PhoneConnector(Connector):
    kind: ClassVar[str] = "phone"
    label: ClassVar[str] = "Call center"
    pulls: ClassVar[bool] = False

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise NormalizeError(f"an item must be an object, got {type(payload).__name__}")
        return dict(payload)

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        call = (message.raw or {}).get("call") if isinstance(message.raw, dict) else None
        if isinstance(call, dict) and call.get("callback_wanted"):
            return ReplyResult(sent=False, detail=f"call back {message.author_contact}")
        return ReplyResult(sent=False, detail="the caller did not ask for a call-back")

    def health(self) -> Health:
        return Health(ok=True, detail="call center: nothing to check")
