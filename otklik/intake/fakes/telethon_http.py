"""The fake Telegram world (:mod:`.telethon_client`) over HTTP on 127.0.0.1, for the demo.

Tests drive the public-chats connector with the in-process :class:`~.telethon_client.FakeTelegramWorld`.
The demo runs the fakes in one process (``otklik fake-sources``) and reads them from another
(``otklik fetch``, the runner of ``otklik serve``), so :class:`FakeTelegramPublic` serves the world at
``POST /rpc`` (``{"session": sha256 of the session string, "call", "args"}`` → ``{"result"}`` or
``{"error": Telethon's error class, "seconds"}``) and :class:`HttpTelethonClient` is a client with
Telethon's interface (the subset the connector calls) that asks it. A source uses it with the setting
``"fake_url"``, refused unless it is a loopback ``http://`` address; the session string never leaves
the process, only its hash. Telethon's errors (FLOOD_WAIT, a private chat, a gone post) travel as
their class names and are raised again as the same classes, so the connector sees what it would see.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
from telethon import errors
from telethon.tl import types

from otklik.intake.connectors.base import ConnectorError

from .server import FakeServer, Request, Response
from .telethon_client import FakeTelegramWorld, FakeTelethonClient

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def session_hash(session: str | None) -> str:
    return hashlib.sha256((session or "").encode()).hexdigest()


def loopback_url(url: str) -> str:
    """``url`` without a trailing slash if it is ``http://`` on this machine, else a permanent error."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise ConnectorError(
            f"“fake_url” must be a local http:// address (a demo fake), not {url!r}", retriable=False
        )
    return url.rstrip("/")


def peer_data(peer: Any) -> dict[str, Any] | None:
    if isinstance(peer, types.Channel):
        return {
            "type": "channel",
            "id": peer.id,
            "title": peer.title,
            "username": peer.username,
            "broadcast": bool(peer.broadcast),
        }
    if isinstance(peer, types.User):
        return {
            "type": "user",
            "id": peer.id,
            "first_name": peer.first_name,
            "last_name": peer.last_name,
            "username": peer.username,
            "bot": bool(peer.bot),
        }
    return None


def peer_object(data: Any) -> Any:
    if not isinstance(data, dict):
        return None
    if data.get("type") == "channel":
        return types.Channel(
            id=data["id"],
            title=data.get("title") or "",
            photo=types.ChatPhotoEmpty(),
            date=None,
            broadcast=bool(data.get("broadcast")),
            megagroup=not data.get("broadcast"),
            username=data.get("username"),
        )
    return types.User(
        id=data["id"],
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        username=data.get("username"),
        bot=bool(data.get("bot")),
    )


def message_data(message: Any) -> dict[str, Any]:
    date, replies, reply_to = message.date, message.replies, message.reply_to
    return {
        "id": message.id,
        "date": date.isoformat() if isinstance(date, datetime) else date,
        "message": message.message,
        "post": bool(message.post),
        "sender": peer_data(message.sender),
        "sender_id": message.sender_id,
        "reply_to": reply_to.reply_to_msg_id if reply_to is not None else None,
        "replies": {"replies": replies.replies, "comments": replies.comments}
        if replies is not None
        else None,
    }


def message_object(data: dict[str, Any]) -> SimpleNamespace:
    date = data.get("date")
    replies, reply_to = data.get("replies"), data.get("reply_to")
    return SimpleNamespace(
        id=data.get("id"),
        date=datetime.fromisoformat(date) if isinstance(date, str) else date,
        message=data.get("message"),
        post=bool(data.get("post")),
        sender=peer_object(data.get("sender")),
        sender_id=data.get("sender_id"),
        reply_to=SimpleNamespace(reply_to_msg_id=reply_to) if reply_to is not None else None,
        replies=SimpleNamespace(**replies) if isinstance(replies, dict) else None,
    )


def telethon_error(name: str, seconds: Any) -> Exception:
    """Telethon's error of that class name again (a FLOOD_WAIT with its seconds)."""
    if name == "FloodWaitError":
        return errors.FloodWaitError(request=None, capture=int(seconds or 0))
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.RPCError):
        try:
            return cls(request=None)
        except TypeError:
            pass
    return errors.RPCError(request=None, message=name)


class FakeTelegramPublic(FakeServer):
    """The world of :class:`FakeTelegramWorld` at ``POST /rpc`` (see the module doc)."""

    name = "fake-telegram-public"

    def __init__(self, world: FakeTelegramWorld | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.world = world or FakeTelegramWorld(session=None)

    def handle(self, request: Request) -> Response:
        if request.path != "/rpc" or request.method != "POST":
            return Response(404, {"error": "not found"})
        data = request.json()
        if not isinstance(data, dict):
            return Response(400, {"error": "a JSON object please"})
        call, args = str(data.get("call") or ""), data.get("args") or {}
        session = self.world.session
        authorized = session is None or data.get("session") == session_hash(session)
        if call == "is_user_authorized":
            return Response(200, {"result": authorized})
        if not authorized:
            return Response(200, {"error": "AuthKeyUnregisteredError"})
        client = FakeTelethonClient(self.world, session or "")
        try:
            result = asyncio.run(self._call(client, call, args))
        except errors.RPCError as exc:
            return Response(200, {"error": type(exc).__name__, "seconds": getattr(exc, "seconds", None)})
        except (KeyError, TypeError) as exc:
            return Response(400, {"error": f"bad call {call!r}: {exc}"})
        return Response(200, {"result": result})

    async def _call(self, client: FakeTelethonClient, call: str, args: dict[str, Any]) -> Any:
        if call == "get_me":
            return peer_data(await client.get_me())
        if call == "get_entity":
            return peer_data(await client.get_entity(str(args["chat"])))
        entity = self.world.chats[str(args["chat"])]
        if call == "iter_messages":
            found = client.iter_messages(
                entity,
                args.get("limit"),
                min_id=int(args.get("min_id") or 0),
                reverse=bool(args.get("reverse")),
                reply_to=args.get("reply_to"),
            )
            return [message_data(m) async for m in found]
        if call == "send_message":
            sent = await client.send_message(
                entity, str(args["text"]), reply_to=args.get("reply_to"), comment_to=args.get("comment_to")
            )
            return {"id": sent.id}
        raise KeyError(call)


class HttpTelethonClient:
    """Telethon's client interface (what the connector calls) over :class:`FakeTelegramPublic`."""

    def __init__(self, url: str, session: str) -> None:
        self.url = loopback_url(url)
        self.session = session_hash(session)
        self._http: httpx.AsyncClient | None = None

    async def connect(self) -> None:
        self._http = httpx.AsyncClient(timeout=10.0)

    async def disconnect(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _rpc(self, call: str, **args: Any) -> Any:
        if self._http is None:
            raise ConnectionError("not connected")
        try:
            response = await self._http.post(
                f"{self.url}/rpc", json={"session": self.session, "call": call, "args": args}
            )
        except httpx.HTTPError as exc:
            raise ConnectionError(f"the fake Telegram at {self.url}: {type(exc).__name__}") from exc
        body = response.json() if response.status_code == 200 else {"error": f"HTTP {response.status_code}"}
        if body.get("error"):
            raise telethon_error(str(body["error"]), body.get("seconds"))
        return body.get("result")

    async def is_user_authorized(self) -> bool:
        return bool(await self._rpc("is_user_authorized"))

    async def get_me(self) -> Any:
        return peer_object(await self._rpc("get_me"))

    async def get_entity(self, name: str) -> Any:
        return peer_object(await self._rpc("get_entity", chat=name))

    async def iter_messages(
        self,
        entity: Any,
        limit: int | None = None,
        *,
        min_id: int = 0,
        reverse: bool = False,
        reply_to: int | None = None,
    ) -> AsyncIterator[Any]:
        found = await self._rpc(
            "iter_messages",
            chat=entity.username,
            limit=limit,
            min_id=min_id,
            reverse=reverse,
            reply_to=reply_to,
        )
        for data in found or []:
            yield message_object(data)

    async def send_message(
        self, entity: Any, text: str, *, reply_to: int | None = None, comment_to: int | None = None
    ) -> Any:
        sent = await self._rpc(
            "send_message", chat=entity.username, text=text, reply_to=reply_to, comment_to=comment_to
        )
        return SimpleNamespace(id=sent["id"])
