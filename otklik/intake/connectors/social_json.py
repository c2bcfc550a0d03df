"""A generic social JSON feed: any network or aggregator that serves our simple documented schema.

Source settings::

    {"url": "https://aggregator.example/feed",   # the feed
     "reply_url": "https://aggregator.example/replies",   # optional: where answers are POSTed
     "token_env": "FEED_TOKEN",                  # optional bearer token
     "limit": 100, "max_pages": 10}

**The schema.** ``GET <url>?cursor=<opaque>&limit=<n>`` (no ``cursor`` the first time) with
``Authorization: Bearer <token>`` when a token is configured, answers ``200``::

    {"items": [{"id": "p-1001",                       # required, unique in the feed
                "text": "Нет света на ул. Мира",       # required
                "created_at": "2026-03-02T09:15:00+04:00",  # required, ISO 8601
                "author": {"id": "u-17", "name": "Ирина"},   # optional
                "url": "https://network.example/p-1001",     # optional
                "lat": 51.5, "lon": 46.1,                    # optional, both or neither
                "deleted": false}],                          # optional: true = skip it
     "next_cursor": "opaque-string-or-null",
     "has_more": false}

Items come oldest first; ``next_cursor`` is what to send next time (kept as the source's cursor once
the batch is committed). Errors: ``429`` (``Retry-After`` seconds) and ``5xx`` are retried with
back-off; ``401``/``403``/other ``4xx`` are permanent. A reply is ``POST <reply_url>`` with
``{"in_reply_to": "<id>", "text": "…"}`` answered by ``201 {"id": "…"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from otklik.directory.choices import Channel

from .base import (
    Connector,
    ConnectorError,
    FetchResult,
    Health,
    NormalizeError,
    ReplyResult,
    SkipPayload,
    register,
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message


@register
class SocialJSONConnector(Connector):
    kind: ClassVar[str] = "social_json"
    label: ClassVar[str] = "Social JSON feed"

    def _headers(self) -> dict[str, str]:
        token = self.secret("token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _url(self, name: str = "url") -> str:
        url = str(self.setting(name, ""))
        if not url:
            raise ConnectorError(f"the source has no “{name}” setting", retriable=False)
        return url

    def fetch(self, cursor: str) -> FetchResult:
        self.pace()
        params: dict[str, Any] = {"limit": int(self.setting("limit", 100))}
        if cursor:
            params["cursor"] = cursor
        response = self.request("GET", self._url(), params=params, headers=self._headers(), what="feed")
        self.check_status(response, what="feed")
        body = self.json_body(response, what="feed")
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ConnectorError("feed: the answer has no “items” list", retriable=False)
        next_cursor = body.get("next_cursor")
        return FetchResult(
            payloads=[i if isinstance(i, dict) else {"item": i} for i in body["items"]],
            cursor=str(next_cursor) if next_cursor not in (None, "") else cursor,
            has_more=bool(body.get("has_more")) and next_cursor not in (None, "", cursor),
        )

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("deleted"):
            raise SkipPayload("deleted")
        item_id, text, created = payload.get("id"), payload.get("text"), payload.get("created_at")
        if not isinstance(item_id, str | int) or isinstance(item_id, bool) or item_id == "":
            raise NormalizeError("a feed item needs an “id”")
        if not isinstance(text, str) or not text.strip():
            raise NormalizeError(f"feed item {item_id}: “text” is required")
        if not isinstance(created, str) or not created:
            raise NormalizeError(f"feed item {item_id}: “created_at” (ISO 8601) is required")
        author: dict[str, Any] = payload["author"] if isinstance(payload.get("author"), dict) else {}
        item: dict[str, Any] = {
            "external_id": str(item_id),
            "channel": self.source.channel or Channel.SOCIAL,
            "text": text,
            "posted_at": created,
            "author_id": str(author.get("id", "")),
            "author_name": str(author.get("name", "")),
            "url": str(payload.get("url") or ""),
        }
        if payload.get("lat") is not None or payload.get("lon") is not None:
            item["lat"], item["lon"] = payload.get("lat"), payload.get("lon")
        return item

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        if not self.setting("reply_url"):
            return ReplyResult(
                sent=False, detail="the feed has no “reply_url”: answer on the network by hand"
            )
        self.pace()
        response = self.request(
            "POST",
            self._url("reply_url"),
            json={"in_reply_to": message.external_id, "text": answer.text},
            headers=self._headers(),
            what="reply",
        )
        self.check_status(response, what="reply")
        body = self.json_body(response, what="reply")
        return ReplyResult(sent=True, external_id=str(body.get("id", "")) if isinstance(body, dict) else "")

    def health(self) -> Health:
        try:
            response = self.request(
                "GET", self._url(), params={"limit": 1}, headers=self._headers(), what="feed"
            )
            self.check_status(response, what="feed")
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        return Health(ok=True, detail=f"HTTP {response.status_code}")
