"""Telegram public chats and channels over MTProto (Telethon), with a user session the center supplies.

A bot sees only the chats it was added to; residents discuss their town in public city chats and in
the comments of public channels. This connector reads them as a user account would. Settings::

    {"api_id_env": "TG_API_ID", "api_hash_env": "TG_API_HASH",   # the center's application (my.telegram.org)
     "session_env": "TG_SESSION",          # a Telethon StringSession of the center's account: from the
                                           # environment only, never stored in the database
     "chats": ["engels_city", "https://t.me/saratov_chat"],       # public chats and channels, by link
     "comments": true,                     # channels: read the comments in their discussion groups
     "comment_posts": 20,                  # ... under the newest N posts that have comments
     "limit": 100,                         # messages per chat and fetch
     "backfill": 50,                       # the first run reads the last N messages of a chat
     "reply": false}                       # replies are published only when the center allows it

**Reading.** For each chat, ``iter_messages(min_id=the last id read, reverse=True)`` (oldest first,
at most ``limit``); the first run reads the last ``backfill`` messages. A channel's posts are the
channel's own (not residents') unless ``include_channel_posts``; under each of the newest
``comment_posts`` posts with comments, the comments whose count changed since the last read are read
with ``iter_messages(reply_to=post, min_id=the last comment read)``. Messages are turned into plain
JSON payloads at once (the raw payload of a dead letter). The pipeline's monitoring queries apply to
them as to any source; ``only_matching`` keeps only messages matched by an active monitoring query
(a busy city chat is mostly chatter).

**Limits.** ``FLOOD_WAIT_X`` (``FloodWaitError``) stops the fetch as a retriable error that waits at
least X seconds; a slow-mode or a private, renamed or banned chat is noted and skipped; a revoked or
unauthorized session is permanent. Calls are paced at ``min_interval_seconds`` (1 s by default).

**Tests** use a fake at the library's client interface (:mod:`otklik.intake.fakes.telethon_client`):
``client_factory`` builds the client; no network. **The demo** (``otklik fake-sources``) serves that
fake over HTTP on 127.0.0.1 and a source reaches it with ``"fake_url"`` (a loopback ``http://``
address only; :mod:`otklik.intake.fakes.telethon_http`; the session string never leaves the process).
``api_id`` (the application's id, not a secret) may also be a plain setting.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

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
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

LINK_RE = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z0-9_]{4,64})/?$")
USERNAME_RE = re.compile(r"^@?([A-Za-z0-9_]{4,64})$")
MESSAGE_LIMIT = 4096


def chat_name(value: Any) -> str:
    """``"https://t.me/engels_city"``, ``"@engels_city"`` or ``"engels_city"`` → ``"engels_city"``."""
    text = str(value).strip()
    for pattern in (LINK_RE, USERNAME_RE):
        match = pattern.match(text)
        if match:
            return match.group(1).lower()
    raise ConnectorError(f"not a public Telegram chat link or username: {text!r}", retriable=False)


def default_client_factory(session: str, api_id: int, api_hash: str) -> Any:
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    return TelegramClient(StringSession(session), api_id, api_hash, receive_updates=False)


def _sender(message: Any) -> dict[str, Any] | None:
    sender = getattr(message, "sender", None)
    if sender is None:
        return None
    name = " ".join(str(getattr(sender, k, "") or "") for k in ("first_name", "last_name")).strip()
    return {
        "id": getattr(sender, "id", None),
        "name": name or str(getattr(sender, "title", "") or ""),
        "username": getattr(sender, "username", None),
        "bot": bool(getattr(sender, "bot", False)),
        "channel": sender.__class__.__name__ == "Channel",
    }


def as_payload(message: Any, chat: str, kind: str, post_id: int | None = None) -> dict[str, Any]:
    """A Telethon message as a plain JSON payload (what normalize reads and a dead letter keeps)."""
    date = getattr(message, "date", None)
    replies = getattr(message, "replies", None)
    reply_to = getattr(message, "reply_to", None)
    return {
        "kind": kind,
        "chat": chat,
        "post_id": post_id,
        "id": getattr(message, "id", None),
        "date": date.isoformat() if isinstance(date, datetime) else date,
        "text": getattr(message, "message", None),
        "post": bool(getattr(message, "post", False)),
        "sender": _sender(message),
        "sender_id": getattr(message, "sender_id", None),
        "reply_to": getattr(reply_to, "reply_to_msg_id", None),
        "replies": getattr(replies, "replies", None) if replies is not None else None,
        "comments": bool(getattr(replies, "comments", False)) if replies is not None else False,
    }


@register
class TelegramPublicConnector(Connector):
    kind: ClassVar[str] = "telegram_public"
    label: ClassVar[str] = "Telegram public chats (MTProto)"

    client_factory: ClassVar[Callable[[str, int, str], Any]] = staticmethod(default_client_factory)

    # --- the client -----------------------------------------------------------------------------
    def _credentials(self) -> tuple[str, int, str]:
        session, api_hash = self.secret("session"), self.secret("api_hash")
        api_id = self.secret("api_id") or str(self.setting("api_id", ""))  # an app's id is not a secret
        if not session or not api_id or not api_hash:
            raise ConnectorError(
                "Telegram user session is not configured: set settings “session_env”, “api_id_env”, "
                "“api_hash_env” and those environment variables",
                retriable=False,
            )
        if not api_id.isdigit():
            raise ConnectorError("Telegram api_id must be a number", retriable=False)
        return session, int(api_id), api_hash

    def _run(self, work: Callable[[Any], Any]) -> Any:
        """Connect, check the session, run ``work(client)`` (a coroutine function), disconnect."""
        session, api_id, api_hash = self._credentials()

        async def main() -> Any:
            client = self._telegram_client(session, api_id, api_hash)
            try:
                await client.connect()
                if not await client.is_user_authorized():
                    raise ConnectorError(
                        "Telegram session is not authorized (revoked or logged out): make a new one",
                        retriable=False,
                    )
                return await work(client)
            finally:
                await client.disconnect()

        try:
            return asyncio.run(main())
        except ConnectorError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc

    def _telegram_client(self, session: str, api_id: int, api_hash: str) -> Any:
        fake_url = self.setting("fake_url")
        if fake_url:  # the demo: the fake Telegram of ``otklik fake-sources``, on this machine only
            from otklik.intake.fakes.telethon_http import HttpTelethonClient

            return HttpTelethonClient(str(fake_url), session)
        return type(self).client_factory(session, api_id, api_hash)

    @staticmethod
    def _error(exc: Exception) -> ConnectorError:
        from telethon import errors

        if isinstance(exc, errors.FloodWaitError):
            return ConnectorError(f"Telegram: FLOOD_WAIT {exc.seconds} s", retry_after=float(exc.seconds))
        if isinstance(
            exc, errors.FloodError | errors.ServerError | errors.TimedOutError | ConnectionError | OSError
        ):
            return ConnectorError(f"Telegram: {type(exc).__name__}: {exc}")
        if isinstance(exc, errors.UnauthorizedError | errors.AuthKeyError):
            return ConnectorError(
                f"Telegram: the session is not valid: {type(exc).__name__}", retriable=False
            )
        return ConnectorError(f"Telegram: {type(exc).__name__}: {exc}", retriable=False)

    # --- fetch ----------------------------------------------------------------------------------
    def fetch(self, cursor: str) -> FetchResult:
        stored = read_cursor(cursor)
        state: dict[str, Any] = stored if isinstance(stored, dict) else {}
        chats = [chat_name(c) for c in self.setting("chats", [])]
        last: dict[str, int] = {k: v for k, v in (state.get("chats") or {}).items() if type(v) is int}
        watch: dict[str, dict[str, list[int]]] = {
            k: v for k, v in (state.get("watch") or {}).items() if isinstance(v, dict)
        }
        result = FetchResult()

        async def work(client: Any) -> None:
            for chat in chats:
                self.pace(1.0)
                try:
                    entity = await client.get_entity(chat)
                except Exception as exc:
                    if self._chat_gone(exc):
                        result.skipped += 1
                        result.notes.append(f"{chat}: skipped: {type(exc).__name__}")
                        continue
                    raise
                last[chat] = await self._read_chat(client, entity, chat, last.get(chat), result)
                if self.setting("comments", True) and getattr(entity, "broadcast", False):
                    watch[chat] = await self._read_comments(client, entity, chat, watch.get(chat, {}), result)

        self._run(work)
        result.cursor = json.dumps(
            {"chats": last, "watch": {c: w for c, w in watch.items() if c in chats}},
            sort_keys=True,
            separators=(",", ":"),
        )
        return result

    @staticmethod
    def _chat_gone(exc: Exception) -> bool:
        from telethon import errors

        gone = (
            errors.ChannelPrivateError,
            errors.UsernameNotOccupiedError,
            errors.UsernameInvalidError,
            errors.ChannelInvalidError,
            errors.ChatForbiddenError,
            ValueError,  # Telethon: "No user has … as username"
        )
        return isinstance(exc, gone)

    async def _read_chat(
        self, client: Any, entity: Any, chat: str, after: int | None, result: FetchResult
    ) -> int:
        limit = max(1, min(int(self.setting("limit", 100)), 1000))
        newest = after or 0
        if after is None:  # the first run: the last ``backfill`` messages, newest first, then in order
            batch = [m async for m in client.iter_messages(entity, limit=int(self.setting("backfill", 50)))]
            batch.reverse()
        else:
            batch = [m async for m in client.iter_messages(entity, min_id=after, reverse=True, limit=limit)]
        for message in batch:
            newest = max(newest, int(getattr(message, "id", 0) or 0))
            result.payloads.append(as_payload(message, chat, "message"))
        if after is not None and len(batch) >= limit:
            result.has_more = True  # a backlog: the next page goes on from ``newest``
        return newest

    async def _read_comments(
        self, client: Any, entity: Any, chat: str, watched: dict[str, list[int]], result: FetchResult
    ) -> dict[str, list[int]]:
        """Comments under the newest posts with comments whose count changed."""
        from telethon import errors

        cap = int(self.setting("comment_posts", 20))
        posts = [
            m
            async for m in client.iter_messages(entity, limit=cap * 2)
            if getattr(getattr(m, "replies", None), "comments", False)
        ][:cap]
        now: dict[str, list[int]] = {}
        for post in posts:
            count = int(getattr(post.replies, "replies", 0) or 0)
            entry = list(watched.get(str(post.id), [0, 0]))
            if count and count != entry[1]:
                self.pace(1.0)
                try:
                    comments = [
                        m
                        async for m in client.iter_messages(
                            entity, reply_to=post.id, min_id=entry[0], reverse=True, limit=100
                        )
                    ]
                except errors.MsgIdInvalidError:
                    result.skipped += 1
                    result.notes.append(f"{chat}/{post.id}: the post is gone")
                    continue
                for comment in comments:
                    entry[0] = max(entry[0], int(comment.id))
                    result.payloads.append(as_payload(comment, chat, "comment", post_id=post.id))
                entry[1] = count if len(comments) < 100 else entry[1]
            now[str(post.id)] = entry
        return now

    # --- normalize ------------------------------------------------------------------------------
    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        chat, message_id, kind = payload.get("chat"), payload.get("id"), payload.get("kind")
        if not isinstance(chat, str) or not isinstance(message_id, int) or isinstance(message_id, bool):
            raise NormalizeError(
                f"a Telegram message needs “chat” and an integer “id”: {chat!r}, {message_id!r}"
            )
        text = payload.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            raise SkipPayload("no text (a photo, a sticker, a service message)")
        if not isinstance(text, str):
            raise NormalizeError("“text” is not a string")
        sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else None
        if sender and sender.get("bot"):
            raise SkipPayload("a bot's message")
        if kind == "message" and payload.get("post") and not self.setting("include_channel_posts", False):
            raise SkipPayload("the channel's own post")
        try:
            posted = datetime.fromisoformat(str(payload.get("date")))
        except ValueError as exc:
            raise NormalizeError(f"the date is not ISO 8601: {payload.get('date')!r}") from exc
        if posted.tzinfo is None:
            posted = posted.replace(tzinfo=UTC)
        post_id = payload.get("post_id")
        if kind == "comment" and sender and sender.get("channel") and isinstance(post_id, int):
            thread, reply_to = f"{chat}_{post_id}", payload.get("reply_to")
            raise OwnReply(  # the channel answers in its comments: its answer, not a message
                chat,
                posted.isoformat(),
                replied_to=f"{thread}_c{reply_to}" if isinstance(reply_to, int) else "",
                thread=thread,
                thread_sep="_c",
                external_id=f"{thread}_c{message_id}",
            )
        if self.setting("only_matching", False) and not self._matches(text):
            raise SkipPayload("no monitoring query matches")
        if kind == "comment":
            if not isinstance(post_id, int):
                raise NormalizeError("a comment needs the integer “post_id” it is under")
            external_id, url = (
                f"{chat}_{post_id}_c{message_id}",
                f"https://t.me/{chat}/{post_id}?comment={message_id}",
            )
        else:
            external_id, url = f"{chat}_{message_id}", f"https://t.me/{chat}/{message_id}"
        author_name = str((sender or {}).get("name") or "")
        if sender and sender.get("username"):
            author_name = f"{author_name} (@{sender['username']})".strip()
        return {
            "external_id": external_id,
            "channel": Channel.TELEGRAM,
            "text": text,
            "posted_at": posted.isoformat(),
            "author_id": str(payload.get("sender_id") or (sender or {}).get("id") or ""),
            "author_name": author_name,
            "url": url,
            "telegram_public": {
                "chat": chat,
                "message_id": message_id,
                "post_id": post_id if kind == "comment" else None,
                "reply_to": payload.get("reply_to"),
            },
        }

    @staticmethod
    def _matches(text: str) -> bool:
        from otklik.intake.monitoring import active_scanner

        return bool(active_scanner().scan(text))

    # --- reply and health -----------------------------------------------------------------------
    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        ref = (message.raw or {}).get("telegram_public") or {}
        if not self.setting("reply", False):
            return ReplyResult(
                sent=False, detail="replies from the center's account are off (settings “reply”)"
            )
        if not ref.get("chat") or not ref.get("message_id"):
            return ReplyResult(sent=False, detail="the message has no Telegram chat to answer in")

        async def work(client: Any) -> Any:
            entity = await client.get_entity(ref["chat"])
            if ref.get("post_id"):  # a comment: the answer goes into the post's comment thread
                return await client.send_message(
                    entity, answer.text[:MESSAGE_LIMIT], comment_to=ref["post_id"]
                )
            return await client.send_message(entity, answer.text[:MESSAGE_LIMIT], reply_to=ref["message_id"])

        sent = self._run(work)
        sent_id = getattr(sent, "id", None)
        if not isinstance(sent_id, int):
            raise ConnectorError("Telegram send_message: no message id in the answer", retriable=False)
        return ReplyResult(
            sent=True, external_id=f"{ref['chat']}_{sent_id}", detail=f"https://t.me/{ref['chat']}/{sent_id}"
        )

    def health(self) -> Health:
        async def work(client: Any) -> Any:
            return await client.get_me()

        try:
            me = self._run(work)
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        username = str(getattr(me, "username", "") or "")
        return Health(ok=True, detail=f"account @{username}", checked={"account": username})
