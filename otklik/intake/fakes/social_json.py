"""A fake feed speaking the generic social JSON schema (see ``otklik.intake.connectors.social_json``)."""

from __future__ import annotations

import itertools
from typing import Any

from .server import FakeServer, Request, Response


class FakeSocialFeed(FakeServer):
    name = "fake-social-json"

    def __init__(self, *, token: str | None = "feed-test-token", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.items: list[Any] = []
        self.replies: list[dict[str, Any]] = []
        self._reply_ids = itertools.count(1)

    def add_item(self, item_id: str, text: Any, created_at: str, **extra: Any) -> dict[str, Any]:
        item = {"id": item_id, "text": text, "created_at": created_at, **extra}
        self.items.append(item)
        return item

    def handle(self, request: Request) -> Response:
        if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"error": "unauthorized"})
        if request.path == "/feed" and request.method == "GET":
            start = int(request.query.get("cursor") or 0)
            limit = max(1, min(int(request.query.get("limit") or 100), 500))
            page = self.items[start : start + limit]
            end = start + len(page)
            return Response(200, {"items": page, "next_cursor": str(end), "has_more": end < len(self.items)})
        if request.path == "/replies" and request.method == "POST":
            data = request.json()
            if not isinstance(data, dict) or not data.get("text") or not data.get("in_reply_to"):
                return Response(400, {"error": "in_reply_to and text are required"})
            reply = {"id": f"r-{next(self._reply_ids)}", **data}
            self.replies.append(reply)
            return Response(201, {"id": reply["id"]})
        return Response(404, {"error": "not found"})
