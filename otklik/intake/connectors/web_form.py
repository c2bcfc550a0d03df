"""The "web_form" kind: appeals from the public form (``otklik.public``). Nothing to fetch — they
arrive by POST; the answer reaches the resident on their case's status page once published."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .base import Connector, Health, NormalizeError, ReplyResult, register

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message


@register
class WebFormConnector(Connector):
    kind: ClassVar[str] = "web_form"
    label: ClassVar[str] = "Public web form"
    pulls: ClassVar[bool] = False

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise NormalizeError(f"an item must be an object, got {type(payload).__name__}")
        return dict(payload)  # built by otklik.public.services in the pipeline's schema

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        return ReplyResult(sent=True, detail="shown on the resident's status page")

    def health(self) -> Health:
        return Health(ok=True, detail="web form: nothing to check")
