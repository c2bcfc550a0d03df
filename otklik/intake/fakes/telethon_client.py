"""A fake of Telethon's client interface for the public-chats connector (no network, no MTProto).

:class:`FakeTelegramWorld` holds public chats and channels (real ``telethon.tl.types`` entities),
their messages and the comments under channel posts; :meth:`FakeTelegramWorld.factory` is what the
connector's ``client_factory`` is set to. The client answers ``connect``, ``is_user_authorized``
(only the world's session string is authorized; any when it is None), ``get_entity`` (a username;
unknown ones raise Telethon's ``UsernameNotOccupiedError``, private ones ``ChannelPrivateError``),
``iter_messages``
(``limit``, ``min_id``, ``reverse``, ``reply_to``, newest first by default, as Telethon),
``send_message`` (``reply_to``, ``comment_to``), ``get_me`` and ``disconnect``. :meth:`flood` makes
the next calls raise ``FloodWaitError`` as Telegram's FLOOD_WAIT_X does.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from telethon import errors
from telethon.tl import types


class FakeTelegramWorld:
    def __init__(self, *, session: str | None = "fake-session-string") -> None:
        self.session = session
        self.chats: dict[str, Any] = {}
        self.private: set[str] = set()
        self.messages: dict[str, list[SimpleNamespace]] = {}
        self.comments: dict[tuple[str, int], list[SimpleNamespace]] = {}
        self.users: dict[int, Any] = {}
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._faults: deque[Exception] = deque()
        self._ids = 10_000
        self.clients = 0

    # --- seeding --------------------------------------------------------------------------------
    def add_channel(self, username: str, title: str, *, channel_id: int, broadcast: bool = True) -> Any:
        entity = types.Channel(
            id=channel_id,
            title=title,
            photo=types.ChatPhotoEmpty(),
            date=datetime(2024, 1, 1, tzinfo=UTC),
            broadcast=broadcast,
            megagroup=not broadcast,
            username=username,
        )
        self.chats[username] = entity
        self.messages.setdefault(username, [])
        return entity

    def add_user(
        self, user_id: int, first: str, last: str = "", *, username: str | None = None, bot: bool = False
    ) -> Any:
        user = types.User(id=user_id, first_name=first, last_name=last or None, username=username, bot=bot)
        self.users[user_id] = user
        return user

    def _message(
        self, chat: str, message_id: int, text: Any, date: Any, sender: Any, **extra: Any
    ) -> SimpleNamespace:
        return SimpleNamespace(
            id=message_id,
            date=date,
            message=text,
            sender=sender,
            sender_id=getattr(sender, "id", None),
            post=extra.pop("post", False),
            reply_to=SimpleNamespace(reply_to_msg_id=extra.pop("reply_to"))
            if extra.get("reply_to")
            else None,
            replies=extra.pop("replies", None),
            **{k: v for k, v in extra.items() if k != "reply_to"},
        )

    def post(
        self,
        chat: str,
        message_id: int,
        text: Any,
        *,
        date: Any,
        user: int | None = None,
        comments: bool = False,
        **extra: Any,
    ) -> SimpleNamespace:
        """A chat message (``user``) or a channel post (no ``user``; ``comments``: it has a discussion)."""
        sender = self.users[user] if user is not None else self.chats[chat]
        replies = SimpleNamespace(replies=0, comments=True) if comments else None
        message = self._message(
            chat, message_id, text, date, sender, post=user is None, replies=replies, **extra
        )
        self.messages[chat].append(message)
        return message

    def comment(
        self,
        chat: str,
        post_id: int,
        comment_id: int,
        text: Any,
        *,
        date: Any,
        user: int | None,
        reply_to_comment: int | None = None,
    ) -> SimpleNamespace:
        """A comment under a channel post (``user`` None: the channel's own), replying to the post or
        to another comment (``reply_to_comment``)."""
        sender = self.users[user] if user is not None else self.chats[chat]
        message = self._message(chat, comment_id, text, date, sender, reply_to=reply_to_comment or post_id)
        self.comments.setdefault((chat, post_id), []).append(message)
        for post in self.messages[chat]:
            if post.id == post_id and post.replies is not None:
                post.replies.replies += 1
        return message

    def flood(self, seconds: int, times: int = 1) -> None:
        self._faults.extend([errors.FloodWaitError(request=None, capture=seconds)] * times)

    def fail(self, exc: Exception) -> None:
        self._faults.append(exc)

    def factory(self, session: str, api_id: int, api_hash: str) -> FakeTelethonClient:
        self.clients += 1
        return FakeTelethonClient(self, session)

    def check(self, call: str, **kw: Any) -> None:
        self.calls.append((call, kw))
        if self._faults:
            raise self._faults.popleft()


class FakeTelethonClient:
    def __init__(self, world: FakeTelegramWorld, session: str) -> None:
        self.world = world
        self.session = session
        self.connected = False

    async def connect(self) -> None:
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False

    async def is_user_authorized(self) -> bool:
        return self.world.session is None or self.session == self.world.session

    async def get_me(self) -> Any:
        self.world.check("get_me")
        return types.User(id=1, first_name="ЦУР", username="cur_monitoring")

    async def get_entity(self, name: str) -> Any:
        self.world.check("get_entity", chat=name)
        if name in self.world.private:
            raise errors.ChannelPrivateError(request=None)
        if name not in self.world.chats:
            raise errors.UsernameNotOccupiedError(request=None)
        return self.world.chats[name]

    async def iter_messages(
        self,
        entity: Any,
        limit: int | None = None,
        *,
        min_id: int = 0,
        reverse: bool = False,
        reply_to: int | None = None,
    ) -> Any:
        self.world.check(
            "iter_messages", chat=entity.username, min_id=min_id, reverse=reverse, reply_to=reply_to
        )
        if reply_to is not None:
            if not any(m.id == reply_to for m in self.world.messages[entity.username]):
                raise errors.MsgIdInvalidError(request=None)
            source = self.world.comments.get((entity.username, reply_to), [])
        else:
            source = self.world.messages[entity.username]
        found = sorted((m for m in source if m.id > (min_id or 0)), key=lambda m: m.id, reverse=not reverse)
        for message in found[:limit] if limit is not None else found:
            yield message

    async def send_message(
        self, entity: Any, text: str, *, reply_to: int | None = None, comment_to: int | None = None
    ) -> Any:
        self.world.check("send_message", chat=entity.username)
        self.world._ids += 1
        self.world.sent.append(
            {"chat": entity.username, "text": text, "reply_to": reply_to, "comment_to": comment_to}
        )
        return SimpleNamespace(id=self.world._ids)
