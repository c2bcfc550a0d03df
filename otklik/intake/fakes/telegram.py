"""A fake of the Telegram Bot API (https://core.telegram.org/bots/api) for the Telegram connector.

``/bot<token>/getUpdates`` (``offset`` confirms and forgets earlier updates, ``limit``),
``/bot<token>/getMe``, ``/bot<token>/sendMessage``, ``/bot<token>/getFile`` and the file download
``/file/bot<token>/<file_path>`` (files seeded with :meth:`FakeTelegram.add_file`). Answers are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description", "parameters":
{"retry_after"}}`` with the HTTP status of the error code, as the Bot API does.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .server import FakeServer, Request, Response


def tg_error(code: int, description: str, retry_after: int | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Response(code, body)


class FakeTelegram(FakeServer):
    name = "fake-telegram"

    def __init__(self, *, token: str | None = "123456:TEST-token", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, content)
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(500)

    # --- seeding --------------------------------------------------------------------------------
    def add_update(self, kind: str, payload: Any) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        return update

    def add_file(self, file_id: str, content: bytes, *, file_path: str = "") -> None:
        self.files[file_id] = (file_path or f"photos/{file_id}.jpg", content)

    def add_raw_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def add_chat_message(
        self,
        chat: dict[str, Any],
        text: str | None,
        *,
        date: int,
        user: dict[str, Any] | None = None,
        kind: str = "message",
        **extra: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": next(self._message_ids), "chat": chat, "date": date, **extra}
        if user is not None:
            message["from"] = user
        if text is not None:
            message["text"] = text
        return self.add_update(kind, message)

    # --- the API --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "file" and parts[1].startswith("bot"):
            if self.token is not None and parts[1].removeprefix("bot") != self.token:
                return tg_error(401, "Unauthorized")
            wanted = "/".join(parts[2:])
            for path, content in self.files.values():
                if path == wanted:
                    return Response(200, content, content_type="application/octet-stream")
            return tg_error(404, "Not Found")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return Response(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = parts[0].removeprefix("bot"), parts[1]
        if self.token is not None and token != self.token:
            return tg_error(401, "Unauthorized")
        params = request.form
        if method == "getMe":
            return Response(
                200,
                {
                    "ok": True,
                    "result": {"id": 123456, "is_bot": True, "first_name": "ЦУР", "username": "cur_test_bot"},
                },
            )
        if method == "getUpdates":
            return self._get_updates(params)
        if method == "sendMessage":
            return self._send_message(params)
        if method == "getFile":
            found = self.files.get(params.get("file_id", ""))
            if found is None:
                return tg_error(400, "Bad Request: invalid file_id")
            result = {"file_id": params["file_id"], "file_size": len(found[1]), "file_path": found[0]}
            return Response(200, {"ok": True, "result": result})
        return tg_error(404, "Not Found: method not found")

    def _get_updates(self, params: dict[str, str]) -> Response:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        if offset:
            self.updates = [u for u in self.updates if u.get("update_id", 0) >= offset]
        allowed = json.loads(params["allowed_updates"]) if params.get("allowed_updates") else None
        pending = [
            u for u in self.updates if allowed is None or any(k in u for k in allowed) or "update_id" not in u
        ]
        return Response(200, {"ok": True, "result": pending[:limit]})

    def _send_message(self, params: dict[str, str]) -> Response:
        if not params.get("text"):
            return tg_error(400, "Bad Request: message text is empty")
        if not params.get("chat_id"):
            return tg_error(400, "Bad Request: chat not found")
        message_id = next(self._message_ids)
        self.sent.append({**params, "message_id": message_id})
        reply = params.get("reply_to_message_id")
        result: dict[str, Any] = {
            "message_id": message_id,
            "chat": {"id": int(params["chat_id"])},
            "date": 1767225600,
            "text": params["text"],
        }
        if reply:
            result["reply_to_message"] = {"message_id": int(reply)}
        return Response(200, {"ok": True, "result": result})
