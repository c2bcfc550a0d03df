"""A fake of the MAX Bot API endpoints the MAX connector calls.

``GET /updates`` (``marker``, ``limit``, ``types``; the answer's ``marker`` acknowledges what came
before it, as MAX does), ``POST /messages?chat_id=`` (a reply with ``link`` type reply), ``GET /me``
and ``GET /chats/<id>``. The token is checked in the ``Authorization`` header: a wrong one is
HTTP 401 ``{"code": "verify.token", "message": …}``. Messages carry MAX's documented shape:
``sender``, ``recipient`` (``chat_id``, ``chat_type``), ``timestamp`` (ms), ``body`` (``mid``,
``seq``, ``text``, ``attachments``), ``link`` and ``url``.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from .server import FakeServer, Request, Response


def max_error(status: int, code: str, message: str, **headers: str) -> Response:
    return Response(status, {"code": code, "message": message}, headers=dict(headers))


class FakeMax(FakeServer):
    name = "fake-max"

    def __init__(self, *, token: str | None = "max-test-token", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token  # None: any token (the demo)
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []  # (marker number = index + 1)
        self.acknowledged = 0
        self.sent: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []  # POST /subscriptions bodies (url, secret...)
        self._mids = itertools.count(1)
        self.bot: dict[str, Any] = {
            "user_id": 900000,
            "name": "Бот ЦУР",
            "username": "cur_region_bot",
            "is_bot": True,
        }

    # --- seeding --------------------------------------------------------------------------------
    def add_chat(self, chat_id: int, title: str, chat_type: str = "chat") -> None:
        self.chats[chat_id] = {"chat_id": chat_id, "type": chat_type, "status": "active", "title": title}

    def add_user(self, user_id: int, first: str, last: str = "") -> None:
        self.users[user_id] = {
            "user_id": user_id,
            "first_name": first,
            "last_name": last,
            "name": f"{first} {last}".strip(),
            "username": None,
            "is_bot": False,
            "last_activity_time": 0,
        }

    def message(
        self,
        chat_id: int,
        text: Any,
        *,
        timestamp: Any,
        user_id: int | None = None,
        reply_to: str | None = None,
        mid: str | None = None,
    ) -> dict[str, Any]:
        chat = self.chats[chat_id]
        mid = mid or f"mid.{abs(chat_id):x}.{next(self._mids):06d}"
        message: dict[str, Any] = {
            "recipient": {"chat_id": chat_id, "chat_type": chat["type"], "user_id": None},
            "timestamp": timestamp,
            "body": {"mid": mid, "seq": len(self.updates) + 1, "text": text, "attachments": []},
            "url": f"https://max.ru/c/{chat_id}/{mid}",
        }
        if user_id is not None:
            message["sender"] = self.users.get(user_id) or self.bot
        if reply_to:
            message["link"] = {"type": "reply", "chat_id": chat_id, "message": {"mid": reply_to}}
        return message

    def post(self, chat_id: int, text: Any, *, timestamp: Any, **kw: Any) -> dict[str, Any]:
        message = self.message(chat_id, text, timestamp=timestamp, **kw)
        self.updates.append({"update_type": "message_created", "timestamp": timestamp, "message": message})
        return message

    def edit(self, message: dict[str, Any], text: str, *, timestamp: int) -> None:
        edited = json.loads(json.dumps(message))
        edited["body"]["text"] = text
        self.updates.append({"update_type": "message_edited", "timestamp": timestamp, "message": edited})

    def remove(self, message: dict[str, Any], *, timestamp: int) -> None:
        self.updates.append(
            {
                "update_type": "message_removed",
                "timestamp": timestamp,
                "message_id": message["body"]["mid"],
                "chat_id": message["recipient"]["chat_id"],
                "user_id": (message.get("sender") or {}).get("user_id"),
            }
        )

    def add_raw_update(self, update: Any) -> None:
        self.updates.append(update)

    # --- the API --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.token is not None and request.headers.get("authorization") != self.token:
            return max_error(401, "verify.token", "Invalid access_token")
        if request.path == "/updates" and request.method == "GET":
            if self.subscriptions:  # as MAX: long polling does not work while a webhook is set
                return Response(200, {"updates": [], "marker": self.acknowledged})
            return self._updates(request.query)
        if request.path == "/subscriptions":
            return self._subscriptions(request)
        if request.path == "/messages" and request.method == "POST":
            return self._send(request)
        if request.path == "/me":
            return Response(200, self.bot)
        if request.path.startswith("/chats/"):
            chat = self.chats.get(int(request.path.rsplit("/", 1)[1]))
            return Response(200, chat) if chat else max_error(404, "not.found", "Chat not found")
        return max_error(404, "not.found", "Path not found")

    def _updates(self, query: dict[str, str]) -> Response:
        limit = min(int(query.get("limit") or 100), 1000)
        if query.get("marker"):
            self.acknowledged = max(self.acknowledged, int(query["marker"]))
        types = set(filter(None, query.get("types", "").split(",")))
        pending = [
            (n, u)
            for n, u in enumerate(self.updates[self.acknowledged :], start=self.acknowledged + 1)
            if not types or not isinstance(u, dict) or u.get("update_type") in types
        ]
        page = pending[:limit]
        marker = page[-1][0] if page else self.acknowledged
        return Response(200, {"updates": [u for _, u in page], "marker": marker})

    def _subscriptions(self, request: Request) -> Response:
        if request.method == "GET":
            return Response(200, {"subscriptions": [{**s, "secret": None} for s in self.subscriptions]})
        if request.method == "DELETE":
            url = request.query.get("url", "")
            self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
            return Response(200, {"success": True})
        if request.method != "POST":
            return max_error(405, "method.not.allowed", "Method not allowed")
        body = request.json() or {}
        if not str(body.get("url") or "").startswith(("https://", "http://127.0.0.1")):
            return max_error(400, "proto.payload", "url: must be an HTTPS address")
        secret = body.get("secret")
        if secret is not None and not (
            isinstance(secret, str) and 5 <= len(secret) <= 256 and re.fullmatch(r"[A-Za-z0-9_-]+", secret)
        ):
            return max_error(400, "proto.payload", "secret: 5-256 characters A-Z, a-z, 0-9, _ and -")
        self.subscriptions = [s for s in self.subscriptions if s["url"] != body["url"]] + [
            {"url": body["url"], "secret": secret, "update_types": body.get("update_types") or []}
        ]
        return Response(200, {"success": True})

    def webhook_request(self, update: Any) -> tuple[bytes, dict[str, str]]:
        """What MAX would POST to the subscription: the update's JSON and the secret header."""
        if not self.subscriptions:
            raise LookupError("no subscription: call POST /subscriptions first")
        secret = self.subscriptions[-1]["secret"]
        headers = {"X-Max-Bot-Api-Secret": secret} if secret else {}
        return json.dumps(update, ensure_ascii=False).encode(), headers

    def _send(self, request: Request) -> Response:
        chat_id = int(request.query.get("chat_id") or 0)
        if chat_id not in self.chats:
            return max_error(404, "chat.not.found", f"Chat {chat_id} not found")
        body = request.json() or {}
        if not body.get("text"):
            return max_error(400, "proto.payload", "text: must not be empty")
        link = body.get("link") or {}
        message = self.message(
            chat_id,
            body["text"],
            timestamp=max([int(u.get("timestamp") or 0) for u in self.updates if isinstance(u, dict)] or [0])
            + 1000,
            user_id=int(self.bot["user_id"]),
            reply_to=link.get("mid") if link.get("type") == "reply" else None,
        )
        self.sent.append({"chat_id": chat_id, **body, "mid": message["body"]["mid"]})
        return Response(200, {"message": message})
