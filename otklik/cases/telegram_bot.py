"""The staff notification bot: linking chats (:mod:`otklik.accounts.telegram`) and the messages of
linked users that other apps answer.

:func:`process_updates` reads the bot's pending updates (``getUpdates``, no long polling) and answers
private chats:

* ``/start <code>`` — binds the chat to the account the code was made for and says so;
* ``/start`` without a code, or with a bad or expired one — explains where to get a link;
* ``/stop`` — unbinds every account from this chat;
* anything else from a linked chat goes to the handlers other apps register with
  :func:`register_handler` (the elections app takes observers' reports this way); from a chat no
  account is linked to, the bot explains how to connect.

Group chats are told to write to the bot privately. Then it confirms what it read (``offset``), so
Telegram keeps nothing for the next run; a run that fails before confirming reads the same updates
again, which is harmless: linking is idempotent and handlers key what they make by the message.
Called by the in-process runner's tick and by Celery beat. Without ``OTKLIK_TELEGRAM_BOT_TOKEN`` it
does nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings

from otklik.accounts.models import User
from otklik.accounts.telegram import user_for_code

from .notifications import send_telegram

log = logging.getLogger("otklik.cases.telegram_bot")

LINKED = "Готово, {name}: уведомления «Отклика» будут приходить в этот чат. Отключить — /stop."
BAD_CODE = (
    "Ссылка устарела или неверна. Откройте свой профиль в «Отклике» и нажмите «Подключить Telegram» ещё раз."
)
NO_CODE = (
    "Чтобы получать уведомления «Отклика», откройте свой профиль в системе и нажмите «Подключить Telegram»."
)
STOPPED = "Уведомления «Отклика» в этот чат отключены."
PRIVATE_ONLY = "Подключите уведомления в личном чате с ботом."


def _api() -> tuple[str, str]:
    token = str(getattr(settings, "OTKLIK_TELEGRAM_BOT_TOKEN", "") or "")
    api = str(getattr(settings, "OTKLIK_TELEGRAM_API_URL", "") or "https://api.telegram.org").rstrip("/")
    return token, api


# A handler gets the linked user and the Telegram message; it returns the reply, or None when the
# message is not its business.
Handler = Callable[[User, dict[str, Any]], "str | None"]
_handlers: list[Handler] = []


def register_handler(handler: Handler) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def answer(message: dict[str, Any]) -> str | None:
    """What the bot says to one message (and what it changes), or None to stay silent."""
    text = str(message.get("text") or message.get("caption") or "").strip()
    chat = message.get("chat") or {}
    if "id" not in chat:
        return None
    command, _, argument = text.partition(" ")
    command = command.split("@", 1)[0].lower() if text.startswith("/") else ""  # "/start@cur_bot"
    private = chat.get("type", "private") == "private"
    if command in ("/start", "/stop") and not private:
        return PRIVATE_ONLY
    if not private:
        return None
    chat_id = str(chat["id"])
    users = User.objects
    if command not in ("/start", "/stop"):
        linked = users.filter(telegram_chat_id=chat_id, is_active=True).first()
        if linked is None:
            return NO_CODE
        for handler in _handlers:
            reply = handler(linked, message)
            if reply is not None:
                return reply
        return None
    if command == "/stop":
        users.filter(telegram_chat_id=chat_id).update(telegram_chat_id="")
        return STOPPED
    if not argument.strip():
        return NO_CODE
    user = user_for_code(argument)
    if user is None:
        return BAD_CODE
    user.telegram_chat_id = chat_id
    user.save(update_fields=["telegram_chat_id"])
    log.info("telegram chat linked to user %s", user.pk)
    return LINKED.format(name=user.get_full_name() or user.username)


def download_file(file_id: str) -> bytes | None:
    """A file a user sent the bot (a photo), or None when Telegram does not give it."""
    token, api = _api()
    if not token:
        return None
    try:
        with httpx.Client(timeout=30) as client:
            found = client.get(f"{api}/bot{token}/getFile", params={"file_id": file_id}).json()
            path = (found.get("result") or {}).get("file_path") if found.get("ok") else None
            if not path:
                return None
            response = client.get(f"{api}/file/bot{token}/{path}")
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("telegram file %s could not be read: %s", file_id, exc)
        return None
    return response.content if response.status_code == 200 else None


def process_updates() -> int:
    """Answer the pending updates; return how many messages were answered."""
    token, api = _api()
    if not token:
        return 0
    params = {"timeout": "0", "allowed_updates": json.dumps(["message"])}
    try:
        with httpx.Client(timeout=10) as client:
            response = client.get(f"{api}/bot{token}/getUpdates", params=params)
            body = response.json()
            if response.status_code != 200 or not body.get("ok"):
                refused = body.get("description", "")
                log.warning("telegram getUpdates refused: %s %s", response.status_code, refused)
                return 0
            updates = body.get("result") or []
            answered = 0
            for update in updates:
                message = update.get("message")
                reply = answer(message) if isinstance(message, dict) else None
                if reply is not None:
                    answered += send_telegram([str(message["chat"]["id"])], reply)  # type: ignore[index]
            if updates:  # confirm: Telegram forgets what was read
                last = max(int(u.get("update_id", 0)) for u in updates)
                confirm = {"offset": str(last + 1), "limit": "1", "timeout": "0"}
                client.get(f"{api}/bot{token}/getUpdates", params=confirm)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("telegram bot updates failed: %s", exc)
        return 0
    return answered
