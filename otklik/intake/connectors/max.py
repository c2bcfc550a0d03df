"""MAX (the national messenger) through its Bot API: chats and channels where the center's bot is a
member or administrator; replies in the thread.

Official channels of governors, regional governments and over 4,000 bodies are in MAX since 2025,
and management companies keep house chats there. Source settings (the token from the environment)::

    {"token_env": "MAX_BOT_TOKEN",            # the bot's token (business.max.ru → Chat bots → Integration)
     "chat_ids": [-70000000001],             # optional: only these chats and channels (default: all)
     "limit": 100,                           # updates per call (1–1000)
     "include_channel_posts": false,         # a channel's own posts are its announcements
     "api_url": "https://platform-api.max.ru", "min_interval_seconds": 0.05}

**Reading.** ``GET /updates`` with ``marker`` = the cursor, ``types`` message_created,
message_edited and message_removed, ``timeout`` 0 (short polling: the scheduler calls again) and
``limit``; the answer's ``marker`` is the next cursor. MAX forgets the updates before a marker once
it is asked with it, so the marker is sent only after the batch is committed (a crash re-delivers the
same updates, which the pipeline drops as duplicates). ``has_more`` while a full page came.

A resident's message in a chat, or a comment in a channel's discussion, becomes a message; an edit is
a new message (``…_e<timestamp>``, the address a resident adds is not lost); a removed message, a bot's
message, a message without text and a channel's own post are skipped. A message that replies to
another (``link.type`` "reply") keeps the id of the message it answers: an official page's reply to a
resident is how :mod:`otklik.intake.pages` counts answers.

**Replies.** ``POST /messages?chat_id=…`` with ``{"text", "link": {"type": "reply", "mid"}}``: the answer
goes into the thread of the resident's message.

**Webhook mode** (what MAX recommends for production; long polling stops while a subscription is
active). Settings ``"mode": "webhook"`` and ``"webhook_secret_env"`` (the secret, 5–256 characters of
``A-Z a-z 0-9 _ -``, from the environment); ``otklik max_webhook <source> --url https://…/intake/max/<source>/``
calls ``POST /subscriptions`` with the url, the update types and the secret (``--delete`` calls
``DELETE /subscriptions``). MAX then POSTs each ``Update`` to :func:`otklik.intake.max_webhook.receive`
with the secret in the ``X-Max-Bot-Api-Secret`` header; the same :meth:`MaxConnector.normalize` and
pipeline apply. In this mode :meth:`fetch` does not poll.

**Channel.** Items carry ``Channel.MAX`` («MAX»).

**Errors.** The token goes in the ``Authorization`` header (never in a URL). HTTP 401/403
(``verify.token``, ``access.denied``) and 400 are permanent, 429 (``too.many.requests``) and 5xx are
retriable (``Retry-After`` honoured, a minute at least for 429). 30 requests a second at most.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from otklik.directory.choices import Channel

from .base import (
    Connector,
    ConnectorError,
    FetchResult,
    Health,
    NormalizeError,
    OwnReply,
    ReplyResult,
    SkipPayload,
    read_cursor,
    register,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

DEFAULT_API_URL = "https://platform-api.max.ru"
UPDATE_TYPES = ("message_created", "message_edited", "message_removed")
MESSAGE_LIMIT = 4000
RATE_LIMIT_WAIT = 60.0
SECRET_HEADER = "X-Max-Bot-Api-Secret"  # dev.max.ru: POST /subscriptions, "secret"


class MaxSecretError(Exception):
    """A webhook call without the subscription's secret: HTTP 403."""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_millis(value: Any) -> str:
    from datetime import UTC, datetime

    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizeError(f"the time is not unix milliseconds: {value!r}")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError) as exc:
        raise NormalizeError(f"the time is out of range: {value!r}") from exc


@register
class MaxConnector(Connector):
    kind: ClassVar[str] = "max"
    label: ClassVar[str] = "MAX"

    def _token(self) -> str:
        return self.secrets("MAX bot token is", "token")[0]

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        token = self._token()
        self.pace(0.05)
        what = f"MAX {method} {path}"
        url = f"{str(self.setting('api_url', DEFAULT_API_URL)).rstrip('/')}{path}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.request(
            method, url, what=what, params=query, json=body, headers={"Authorization": token}
        )
        if response.status_code >= 400:
            raise self._error(response, what)
        data = self.json_body(response, what=what)
        if not isinstance(data, dict):
            raise ConnectorError(f"{what}: the answer is not an object", retriable=False)
        return data

    @staticmethod
    def _error(response: httpx.Response, what: str) -> ConnectorError:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        code, message = "", response.text[:200].strip()
        if isinstance(data, dict):
            code, message = str(data.get("code", "")), str(data.get("message", message))
        retriable = status == 429 or status >= 500
        retry_after = retry_after_seconds(response.headers)
        if status == 429:
            retry_after = max(retry_after or 0.0, RATE_LIMIT_WAIT)
        return ConnectorError(
            f"{what}: HTTP {status} {code}: {message}".strip(), retriable=retriable, retry_after=retry_after
        )

    # --- fetch ----------------------------------------------------------------------------------
    def fetch(self, cursor: str) -> FetchResult:
        if self.setting("mode", "polling") == "webhook":  # MAX pushes; GET /updates is off for it
            return FetchResult(cursor=cursor, notes=["webhook mode: MAX pushes the updates"])
        limit = max(1, min(int(self.setting("limit", 100)), 1000))
        stored = read_cursor(cursor)
        marker = stored if type(stored) is int and stored >= 0 else None
        data = self.call(
            "GET",
            "/updates",
            params={"limit": limit, "timeout": 0, "marker": marker, "types": ",".join(UPDATE_TYPES)},
        )
        updates = data.get("updates")
        if not isinstance(updates, list):
            raise ConnectorError("MAX /updates: no “updates” list in the answer", retriable=False)
        next_marker = data.get("marker")
        new_cursor = (
            str(next_marker) if isinstance(next_marker, int) and not isinstance(next_marker, bool) else cursor
        )
        return FetchResult(
            payloads=[u if isinstance(u, dict) else {"update": u} for u in updates],
            cursor=new_cursor,
            has_more=len(updates) >= limit and new_cursor != cursor,
        )

    # --- normalize ------------------------------------------------------------------------------
    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        update_type = payload.get("update_type")
        if not isinstance(update_type, str):
            raise NormalizeError("not a MAX update: no “update_type”")
        if update_type == "message_removed":
            raise SkipPayload("a removed message")
        if update_type not in ("message_created", "message_edited"):
            raise SkipPayload(f"an update of another kind ({update_type})")
        message = payload.get("message")
        if not isinstance(message, dict):
            raise NormalizeError(f"a MAX {update_type} has no “message” object")
        body, recipient = message.get("body"), message.get("recipient")
        if not isinstance(body, dict) or not isinstance(recipient, dict):
            raise NormalizeError("a MAX message needs “body” and “recipient” objects")
        mid, chat_id = body.get("mid"), recipient.get("chat_id")
        if not isinstance(mid, str) or not mid or not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise NormalizeError(
                f"a MAX message needs “body.mid” and “recipient.chat_id”: {mid!r}, {chat_id!r}"
            )
        wanted = {int(c) for c in self.setting("chat_ids", [])}
        if wanted and chat_id not in wanted:
            raise SkipPayload("a chat this source does not watch")
        sender = message.get("sender") if isinstance(message.get("sender"), dict) else None
        chat_type = str(recipient.get("chat_type") or "")
        link = _obj(message.get("link"))
        replied = _obj(link.get("message"))
        reply_to = replied.get("mid") if link.get("type") == "reply" else None
        if sender is None and reply_to:  # the channel answers a comment: its answer, not a message
            raise OwnReply(
                str(chat_id),
                from_millis(message.get("timestamp", payload.get("timestamp"))),
                replied_to=f"{chat_id}_{reply_to}",
                external_id=f"{chat_id}_{mid}",
            )
        if sender is None and chat_type == "channel" and not self.setting("include_channel_posts", False):
            raise SkipPayload("the channel's own post")
        if sender is not None and sender.get("is_bot"):
            raise SkipPayload("a bot's message")
        text = body.get("text")
        if text is None:
            raise SkipPayload("no text (a sticker, a photo)")
        if not isinstance(text, str):
            raise NormalizeError("“body.text” is not a string")
        if not text.strip():
            raise SkipPayload("no text")
        timestamp = message.get("timestamp", payload.get("timestamp"))
        external_id = f"{chat_id}_{mid}"
        if update_type == "message_edited":
            external_id += f"_e{payload.get('timestamp', '')}"
        if sender is not None:
            author_id = str(sender.get("user_id", ""))
            author_name = str(
                sender.get("name")
                or " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
            )
        else:
            author_id, author_name = str(chat_id), str(recipient.get("title") or "")
        url = message.get("url")
        return {
            "external_id": external_id[:200],
            "channel": Channel.MAX,
            "text": text,
            "posted_at": from_millis(timestamp),
            "author_id": author_id,
            "author_name": author_name,
            "url": url if isinstance(url, str) and url.startswith("https://") else "",
            "max": {
                "chat_id": chat_id,
                "mid": mid,
                "chat_type": chat_type,
                "reply_to": reply_to,
            },
        }

    # --- webhook ------------------------------------------------------------------------------
    def authenticate(self, headers: Mapping[str, str]) -> None:
        """The ``X-Max-Bot-Api-Secret`` header must equal the subscription's secret."""
        secret = self.secret("webhook_secret")
        if not secret:
            raise MaxSecretError("this MAX source has no webhook secret configured (“webhook_secret_env”)")
        given = headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), secret.encode()):
            raise MaxSecretError(f"the {SECRET_HEADER} header does not match the source's secret")

    def subscribe(self, url: str) -> dict[str, Any]:
        """``POST /subscriptions``: MAX pushes the updates to ``url`` with the source's secret."""
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise ConnectorError("MAX delivers webhooks over HTTPS only", retriable=False)
        secret = self.secret("webhook_secret")
        if not secret:
            raise ConnectorError(
                "set “webhook_secret_env” and that environment variable first", retriable=False
            )
        body = {"url": url, "update_types": list(UPDATE_TYPES), "secret": secret}
        data = self.call("POST", "/subscriptions", body=body)
        if data.get("success") is not True:
            raise ConnectorError(f"MAX POST /subscriptions: {data.get('message') or data}", retriable=False)
        return data

    def unsubscribe(self, url: str) -> dict[str, Any]:
        """``DELETE /subscriptions?url=``: back to long polling."""
        data = self.call("DELETE", "/subscriptions", params={"url": url})
        if data.get("success") is not True:
            raise ConnectorError(f"MAX DELETE /subscriptions: {data.get('message') or data}", retriable=False)
        return data

    # --- reply and health -----------------------------------------------------------------------
    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        ref = (message.raw or {}).get("max") or {}
        if not ref.get("chat_id") or not ref.get("mid"):
            return ReplyResult(sent=False, detail="the message has no MAX chat to answer in")
        data = self.call(
            "POST",
            "/messages",
            params={"chat_id": ref["chat_id"]},
            body={"text": answer.text[:MESSAGE_LIMIT], "link": {"type": "reply", "mid": ref["mid"]}},
        )
        sent = _obj(data.get("message"))
        body = _obj(sent.get("body"))
        if not body.get("mid"):
            raise ConnectorError("MAX POST /messages: no “message.body.mid” in the answer", retriable=False)
        return ReplyResult(
            sent=True, external_id=f"{ref['chat_id']}_{body['mid']}", detail=str(sent.get("url") or "")
        )

    def health(self) -> Health:
        try:
            me = self.call("GET", "/me")
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        name = str(me.get("username") or me.get("name") or "")
        return Health(ok=True, detail=f"bot {name}", checked={"bot": name, "user_id": me.get("user_id")})
