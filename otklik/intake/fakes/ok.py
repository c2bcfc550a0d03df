"""A fake of the OK REST API methods the OK connector calls (``fb.do``).

``POST|GET /fb.do`` with ``method``, ``application_key``, ``format=json``, ``access_token`` and
``sig``: the signature is checked as OK documents (md5 of the sorted parameters but ``sig`` and
``access_token`` + md5(access_token + application secret key)); a wrong key, token or signature is
OK's error 101/102/104. Methods: ``mediatopic.getTopics`` (newest first, ``anchor`` = the offset of
the next page as OK's opaque string, ``has_more``, ``entities`` with the authors),
``discussions.getComments`` (oldest first, ``direction`` FORWARD from ``anchor``, ``has_more``;
error 300 for a deleted topic), ``group.getInfo`` and ``discussions.addDiscussionComment``
(``entityId``, ``entityType``, ``comment``, ``reply_to_comment_id``, ``as_admin``: a comment, on the
topic's group's behalf with ``as_admin=true``; OK's documented parameters, see the connector).
Errors are ``{"error_code", "error_msg", "error_data"}`` with HTTP 200, as OK answers.
:meth:`FakeOK.fail_method` makes a later call of one method answer with an error.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from typing import Any

from .server import FakeServer, Request, Response

OK_ERRORS = {
    2: "SERVICE : Service is temporary unavailable",
    8: "FLOOD_BLOCKED : Too many requests",
    11: "LIMIT_REACHED : Method call limit reached",
    100: "PARAM : Missing required parameter",
    101: "PARAM_API_KEY : Application key is invalid",
    102: "PARAM_SESSION_EXPIRED : Session expired",
    104: "PARAM_SIGNATURE : Invalid signature",
    160: "PARAM_GROUP_ID : Invalid group id",
    300: "NOT_FOUND : Requested resource not found",
}


def ok_error(code: int, message: str = "") -> Response:
    return Response(
        200, {"error_code": code, "error_msg": message or OK_ERRORS.get(code, "UNKNOWN"), "error_data": None}
    )


def _anchor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{offset}".encode()).decode()


def _offset(anchor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(anchor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return 0


def _comment_key(comment: dict[str, Any]) -> tuple[int, str]:
    date_ms = comment.get("date_ms")
    return (date_ms if isinstance(date_ms, int) else 0, str(comment["id"]))


def _comment_anchor(comment: dict[str, Any]) -> str:
    date_ms, comment_id = _comment_key(comment)
    return base64.urlsafe_b64encode(f"c:{date_ms}:{comment_id}".encode()).decode()


def _comment_anchor_key(anchor: str) -> tuple[int, str]:
    try:
        _, date_ms, comment_id = base64.urlsafe_b64decode(anchor.encode()).decode().split(":", 2)
        return int(date_ms), comment_id
    except ValueError:
        return (0, "")


class FakeOK(FakeServer):
    name = "fake-ok"

    def __init__(
        self,
        *,
        application_key: str | None = "CBAFAKEOKAPPKEY",
        secret_key: str = "fake-ok-secret",
        access_token: str = "ok-test-token",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.application_key = application_key  # None: any key, token and signature (the demo)
        self.secret_key = secret_key
        self.access_token = access_token
        self.groups: dict[str, str] = {}
        self.users: dict[str, tuple[str, str]] = {}
        self.topics: dict[str, list[dict[str, Any]]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.gone_topics: set[str] = set()
        self.created_comments: list[dict[str, Any]] = []
        self._comment_ids = itertools.count(1)

    # --- seeding --------------------------------------------------------------------------------
    def add_group(self, group_id: str, name: str) -> None:
        self.groups[group_id] = name
        self.topics.setdefault(group_id, [])

    def add_user(self, user_id: str, first: str, last: str) -> None:
        self.users[user_id] = (first, last)

    def add_topic(
        self, group_id: str, topic_id: str, *, author: str, created_ms: int, text: Any, **extra: Any
    ) -> dict[str, Any]:
        """``author`` is a ref: ``"user:1"`` or ``"group:<id>"``."""
        topic = {
            "id": topic_id,
            "created_ms": created_ms,
            "author_ref": author,
            "owner_ref": f"group:{group_id}",
            "media": [{"type": "text", "text": text}],
            "discussion_summary": {"comments_count": 0},
            **extra,
        }
        self.topics.setdefault(group_id, []).append(topic)
        return topic

    def add_comment(
        self, topic_id: str, comment_id: str, *, author_id: str, date_ms: int, text: Any, **extra: Any
    ) -> dict[str, Any]:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        first, last = self.users.get(author_id, ("", ""))
        name = f"{first} {last}".strip() or self.groups.get(author_id, "")
        date = (
            datetime.fromtimestamp(date_ms / 1000, tz=ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%d %H:%M:%S")
            if isinstance(date_ms, int)
            else date_ms
        )
        comment = {
            "id": comment_id,
            "text": text,
            "date": date,
            "date_ms": date_ms,
            "author_id": author_id,
            "author_name": name,
            "author_type": "GROUP" if author_id in self.groups else "USER",
            **extra,
        }
        self.comments.setdefault(topic_id, []).append(comment)
        self._count(topic_id, +1)
        return comment

    def delete_comment(self, topic_id: str, comment_id: str) -> None:
        comments = self.comments.get(topic_id, [])
        for comment in list(comments):
            if comment["id"] == comment_id:
                comments.remove(comment)
                self._count(topic_id, -1)

    def _count(self, topic_id: str, delta: int) -> None:
        for topics in self.topics.values():
            for topic in topics:
                if topic["id"] == topic_id:
                    topic["discussion_summary"]["comments_count"] += delta

    # --- the API --------------------------------------------------------------------------------
    def expected_sig(self, params: dict[str, str]) -> str:
        secret = hashlib.md5(f"{self.access_token}{self.secret_key}".encode()).hexdigest()
        signed = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sig", "access_token"))
        return hashlib.md5(f"{signed}{secret}".encode()).hexdigest()

    def handle(self, request: Request) -> Response:
        if request.path != "/fb.do":
            return Response(404, {"error": "not found"})
        params = request.form
        method = params.get("method", "")
        if self.application_key is not None:
            if params.get("application_key") != self.application_key:
                return ok_error(101)
            if params.get("access_token") != self.access_token:
                return ok_error(102)
            if params.get("sig") != self.expected_sig(params):
                return ok_error(104)
        fault = self.method_fault(method)
        if fault is not None:
            return fault
        handler = {
            "mediatopic.getTopics": self._get_topics,
            "discussions.getComments": self._get_comments,
            "group.getInfo": self._group_info,
            "discussions.addDiscussionComment": self._comment,
        }.get(method)
        if handler is None:
            return ok_error(3, "METHOD : Method not found")
        return handler(params)

    def _entities(self, topics: list[dict[str, Any]]) -> dict[str, Any]:
        refs = {str(t.get("author_ref")) for t in topics}
        users = [
            {"uid": uid, "first_name": first, "last_name": last, "ref": f"user:{uid}"}
            for uid, (first, last) in sorted(self.users.items())
            if f"user:{uid}" in refs
        ]
        groups = [
            {"uid": gid, "name": name, "ref": f"group:{gid}"}
            for gid, name in sorted(self.groups.items())
            if f"group:{gid}" in refs
        ]
        return {"users": users, "groups": groups}

    def _get_topics(self, params: dict[str, str]) -> Response:
        group_id = params.get("gid", "")
        if group_id not in self.groups:
            return ok_error(160)
        count = min(int(params.get("count") or 20), 100)
        offset = _offset(params["anchor"]) if params.get("anchor") else 0
        topics = sorted(
            self.topics.get(group_id, []), key=lambda t: (not t.get("is_pinned"), -t["created_ms"])
        )
        page = topics[offset : offset + count]
        more = offset + count < len(topics)
        body: dict[str, Any] = {"media_topics": page, "has_more": more, "anchor": _anchor(offset + len(page))}
        body["entities"] = self._entities(page)
        return Response(200, body)

    def _get_comments(self, params: dict[str, str]) -> Response:
        topic_id = params.get("discussionId", "")
        if topic_id in self.gone_topics:
            return ok_error(300)
        if params.get("discussionType") != "GROUP_TOPIC":
            return ok_error(100, "PARAM : discussionType")
        count = min(int(params.get("count") or 20), 100)
        comments = sorted(self.comments.get(topic_id, []), key=_comment_key)
        if params.get("anchor"):
            # The anchor is a position: after the comment it names, deleted or not since.
            after = _comment_anchor_key(params["anchor"])
            comments = [c for c in comments if _comment_key(c) > after]
        page = comments[:count]
        anchor = _comment_anchor(page[-1]) if page else params.get("anchor", "")
        return Response(200, {"comments": page, "has_more": len(comments) > count, "anchor": anchor})

    def _group_info(self, params: dict[str, str]) -> Response:
        ids = [x for x in params.get("uids", "").split(",") if x]
        return Response(200, [{"uid": i, "name": self.groups[i]} for i in ids if i in self.groups])

    def _topic_group(self, topic_id: str) -> str:
        return next((g for g, topics in self.topics.items() if any(t["id"] == topic_id for t in topics)), "")

    def _comment(self, params: dict[str, str]) -> Response:
        topic_id = params.get("entityId", "")
        if topic_id in self.gone_topics:
            return ok_error(300)
        if params.get("entityType") != "GROUP_TOPIC" or not self._topic_group(topic_id):
            return ok_error(100, "PARAM : entityId / entityType")
        if not params.get("comment"):
            return ok_error(100, "PARAM : comment")
        comment_id = f"r{next(self._comment_ids)}"
        self.created_comments.append({**params, "comment_id": comment_id})
        author = self._topic_group(topic_id) if params.get("as_admin") == "true" else self.access_token
        latest = max(
            (c["date_ms"] for c in self.comments.get(topic_id, []) if isinstance(c.get("date_ms"), int)),
            default=0,
        )
        self.add_comment(
            topic_id,
            comment_id,
            author_id=author,
            date_ms=latest + 1000,
            text=params["comment"],
            reply_to_comment_id=params.get("reply_to_comment_id"),
        )
        return Response(200, {"id": comment_id})
