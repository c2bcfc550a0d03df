"""Telegram Bot API: updates from the chats and channels the bot is in; replies in the chat.

Source settings::

    {"token_env": "TELEGRAM_BOT_TOKEN",   # the bot's token from @BotFather
     "limit": 100,                        # updates per call (1–100)
     "api_url": "https://api.telegram.org"}

``getUpdates`` with ``offset`` = the cursor (the last update id + 1), short polling. Telegram forgets
the updates before ``offset`` once asked with it, so the cursor is sent only after the batch is
committed: a crash before that re-delivers the same updates, which the pipeline drops as duplicates.
``message``, ``channel_post`` and their edits are read (an edit is a new message, ``…_e<edit_date>``,
so a resident's added address is not lost); a message without text (a sticker) is skipped.
``ok: false`` answers: 429 with ``parameters.retry_after`` and 5xx are retriable, 401/404/409 not.
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
    from_unix,
    register,
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

DEFAULT_API_URL = "https://api.telegram.org"
UPDATE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
MESSAGE_LIMIT = 4096


@register
class TelegramConnector(Connector):
    kind: ClassVar[str] = "telegram"
    label: ClassVar[str] = "Telegram"

    def call(self, method: str, **params: Any) -> Any:
        (token,) = self.secrets("Telegram bot token is", "token")
        self.pace()
        url = f"{str(self.setting('api_url', DEFAULT_API_URL)).rstrip('/')}/bot{token}/{method}"
        data = {k: v for k, v in params.items() if v is not None}
        what = f"Telegram {method}"
        response = self.request("POST", url, json=data, what=what)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            self.check_status(response, what=what)  # a proxy's error page: the status decides
            raise ConnectorError(f"{what}: the answer is not a Bot API object", retriable=False)
        if body.get("ok") is True:
            return body.get("result")
        code = int(body.get("error_code") or response.status_code)
        parameters: dict[str, Any] = body["parameters"] if isinstance(body.get("parameters"), dict) else {}
        retry_after = parameters.get("retry_after")
        raise ConnectorError(
            f"{what}: error {code}: {body.get('description', '')}",
            retriable=code == 429 or code >= 500,
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
        )

    # --- fetch ----------------------------------------------------------------------------------
    def fetch(self, cursor: str) -> FetchResult:
        limit = max(1, min(int(self.setting("limit", 100)), 100))
        offset = int(cursor) if cursor.strip().lstrip("-").isdigit() else None
        updates = self.call(
            "getUpdates", offset=offset, limit=limit, timeout=0, allowed_updates=list(UPDATE_KINDS)
        )
        if not isinstance(updates, list):
            raise ConnectorError("Telegram getUpdates: “result” is not a list", retriable=False)
        last = offset - 1 if offset else None
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(update_id, int):
                last = max(last or update_id, update_id)
        return FetchResult(
            payloads=[u if isinstance(u, dict) else {"update": u} for u in updates],
            cursor=str(last + 1) if last is not None else cursor,
            has_more=len(updates) >= limit,
        )

    # --- normalize ------------------------------------------------------------------------------
    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        kind = next((k for k in UPDATE_KINDS if k in payload), None)
        if kind is None:
            if isinstance(payload.get("update_id"), int):
                raise SkipPayload("an update of another kind")
            raise NormalizeError("not a Telegram update: no “update_id” and no message")
        message = payload[kind]
        if not isinstance(message, dict):
            raise NormalizeError(f"“{kind}” is not an object")
        chat, message_id = message.get("chat"), message.get("message_id")
        if (
            not isinstance(chat, dict)
            or not isinstance(chat.get("id"), int)
            or not isinstance(message_id, int)
        ):
            raise NormalizeError(f"“{kind}” needs “chat.id” and “message_id”")
        sender = message.get("from") if isinstance(message.get("from"), dict) else None
        if sender and sender.get("is_bot"):
            raise SkipPayload("a bot's message")
        text = message.get("text", message.get("caption"))
        if text is None:
            raise SkipPayload("no text (a sticker, a photo without caption, a service message)")
        if not isinstance(text, str):
            raise NormalizeError("“text” is not a string")
        external_id = f"{chat['id']}_{message_id}"
        if kind.startswith("edited_"):
            external_id += f"_e{message.get('edit_date', '')}"
        if sender:
            author_id = str(sender.get("id", ""))
            author_name = " ".join(str(sender.get(k, "")) for k in ("first_name", "last_name")).strip()
            if sender.get("username"):
                author_name = f"{author_name} (@{sender['username']})".strip()
        else:
            sender_chat: dict[str, Any] = (
                message["sender_chat"] if isinstance(message.get("sender_chat"), dict) else chat
            )
            author_id, author_name = str(sender_chat.get("id", "")), str(sender_chat.get("title", ""))
        username = chat.get("username")
        item: dict[str, Any] = {
            "external_id": external_id,
            "channel": Channel.TELEGRAM,
            "text": text,
            "posted_at": from_unix(message.get("date")),
            "author_id": author_id,
            "author_name": author_name,
            "url": f"https://t.me/{username}/{message_id}" if username else "",
            "telegram": {
                "chat_id": chat["id"],
                "message_id": message_id,
                "chat_title": chat.get("title", ""),
            },
        }
        location = message.get("location")
        if isinstance(location, dict):
            item["lat"], item["lon"] = location.get("latitude"), location.get("longitude")
        return item

    # --- reply and health -----------------------------------------------------------------------
    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        ref = (message.raw or {}).get("telegram") or {}
        if not ref.get("chat_id"):
            return ReplyResult(sent=False, detail="the message has no Telegram chat to answer in")
        result = self.call(
            "sendMessage",
            chat_id=ref["chat_id"],
            text=answer.text[:MESSAGE_LIMIT],
            reply_to_message_id=ref.get("message_id"),
            allow_sending_without_reply=True,
        )
        sent_id = result.get("message_id") if isinstance(result, dict) else None
        if sent_id is None:
            raise ConnectorError("Telegram sendMessage: no “message_id” in the answer", retriable=False)
        return ReplyResult(sent=True, external_id=f"{ref['chat_id']}_{sent_id}")

    def health(self) -> Health:
        try:
            me = self.call("getMe")
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        username = me.get("username", "") if isinstance(me, dict) else ""
        return Health(ok=True, detail=f"bot @{username}", checked={"bot": username})
