"""The "file" kind: sources created by ``otklik ingest`` and the inbox folder. Items arrive in files,
so there is nothing to fetch, and there is no way back to the author: a reply is recorded as not sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .base import Connector, FetchResult, Health, NormalizeError, ReplyResult, register

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message


@register
class FileConnector(Connector):
    kind: ClassVar[str] = "file"
    label: ClassVar[str] = "File import"
    pulls: ClassVar[bool] = False

    def fetch(self, cursor: str) -> FetchResult:
        return FetchResult(cursor=cursor)

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise NormalizeError(f"an item must be an object, got {type(payload).__name__}")
        return dict(payload)  # already the pipeline's schema

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        return ReplyResult(sent=False, detail="imported from a file: no channel back to the author")

    def health(self) -> Health:
        return Health(ok=True, detail="file import: nothing to check")
