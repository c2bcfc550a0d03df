"""A fake of the VK API 5.199 methods the VK connector calls (https://dev.vk.com/method).

``GET|POST /method/<name>`` with ``access_token`` and ``v``: ``wall.get`` (offset paging, newest
first, the pinned post on top), ``wall.getComments`` (oldest or newest first; ``offset`` counted from
the start, or from ``start_comment_id``: that comment's place, or the nearest earlier one's, and then
``offset`` may be negative), ``newsfeed.search`` (``next_from``/``start_from`` paging,
``start_time``), ``utils.getServerTime``, ``groups.getById`` and ``wall.createComment``. Answers are
``{"response": …}`` or VK's error object ``{"error": {"error_code", "error_msg", "request_params"}}``
with HTTP 200, as VK does. ``count`` is capped at 100 (wall.get, wall.getComments); a post's
``comments.count`` counts its comments that are not deleted.

The fake's clock (``server_time``, unix seconds; default the real time) is what
``utils.getServerTime`` answers. :meth:`FakeVK.fail_method` makes the n-th next call of one method
answer with an error (a rate limit in the middle of a fetch).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .server import FakeServer, Request, Response

VK_ERRORS = {
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    9: "Flood control",
    29: "Rate limit reached",
    15: "Access denied: post was deleted",
    18: "User was deleted or banned",
    100: "One of the parameters specified was missing or invalid",
}


def vk_error(code: int, method: str = "", message: str = "") -> Response:
    return Response(
        200,
        {
            "error": {
                "error_code": code,
                "error_msg": message or VK_ERRORS.get(code, "Unknown error occurred"),
                "request_params": [{"key": "method", "value": method}, {"key": "v", "value": "5.199"}],
            }
        },
    )


class FakeVK(FakeServer):
    name = "fake-vk"

    def __init__(self, *, token: str | None = "vk-test-token", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.groups: dict[int, str] = {}
        self.posts: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.blocked_posts: dict[tuple[int, int], int] = {}  # (owner, post) → error code 15 or 18
        self.search_items: list[dict[str, Any]] = []
        self.users: dict[int, tuple[str, str]] = {}
        self.created_comments: list[dict[str, Any]] = []
        self._comment_ids = itertools.count(9000)
        self.server_time: int | None = None  # None: the real time

    # --- seeding --------------------------------------------------------------------------------
    def add_group(self, group_id: int, name: str) -> None:
        self.groups[group_id] = name
        self.posts.setdefault(-group_id, [])

    def add_user(self, user_id: int, first: str, last: str) -> None:
        self.users[user_id] = (first, last)

    def add_post(
        self, owner_id: int, post_id: int, *, from_id: int, date: int, text: Any, **extra: Any
    ) -> dict:
        post = {
            "id": post_id,
            "owner_id": owner_id,
            "from_id": from_id,
            "date": date,
            "post_type": "post",
            "text": text,
            "comments": {"count": 0, "can_post": 1},
            "marked_as_ads": 0,
            **extra,
        }
        self.posts.setdefault(owner_id, []).append(post)
        return post

    def add_comment(
        self,
        owner_id: int,
        post_id: int,
        comment_id: int,
        *,
        from_id: int,
        date: int,
        text: str,
        **extra: Any,
    ) -> dict:
        comment = {
            "id": comment_id,
            "from_id": from_id,
            "date": date,
            "text": text,
            "post_id": post_id,
            "owner_id": owner_id,
            "parents_stack": [],
            **extra,
        }
        self.comments.setdefault((owner_id, post_id), []).append(comment)
        for post in self.posts.get(owner_id, []):
            if post["id"] == post_id:
                post["comments"]["count"] += 1
        return comment

    def add_deleted_comment(self, owner_id: int, post_id: int, comment_id: int, *, date: int) -> None:
        self.comments.setdefault((owner_id, post_id), []).append(
            {
                "id": comment_id,
                "from_id": 0,
                "date": date,
                "text": "",
                "post_id": post_id,
                "owner_id": owner_id,
                "deleted": True,
            }
        )

    def delete_comment(
        self, owner_id: int, post_id: int, comment_id: int, *, placeholder: bool = False
    ) -> None:
        """The author or a moderator deletes a comment: it leaves the list, or (``placeholder``, as when
        it has replies) stays in it as ``deleted`` without its text."""
        comments = self.comments.get((owner_id, post_id), [])
        for comment in list(comments):
            if comment["id"] == comment_id and not comment.get("deleted"):
                if placeholder:
                    comment.update(deleted=True, text="", from_id=0)
                else:
                    comments.remove(comment)
                for post in self.posts.get(owner_id, []):
                    if post["id"] == post_id:
                        post["comments"]["count"] -= 1

    def add_search_item(self, post: dict[str, Any]) -> None:
        self.search_items.append(post)

    # --- the API --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if not request.path.startswith("/method/"):
            return Response(404, {"error": "not found"})
        method = request.path.removeprefix("/method/")
        params = request.form
        if self.token is not None and params.get("access_token") != self.token:
            return vk_error(5, method)
        if params.get("v") != "5.199":
            return vk_error(100, method, "One of the parameters specified was missing or invalid: v")
        fault = self.method_fault(method)
        if fault is not None:
            return fault
        handler = {
            "utils.getServerTime": self._server_time,
            "wall.get": self._wall_get,
            "wall.getComments": self._wall_get_comments,
            "newsfeed.search": self._newsfeed_search,
            "groups.getById": self._groups_get_by_id,
            "wall.createComment": self._create_comment,
        }.get(method)
        if handler is None:
            return vk_error(3, method, "Unknown method passed")
        return handler(params)

    def _extended(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        ids: set[int] = {
            i["from_id"] for i in items if isinstance(i, dict) and isinstance(i.get("from_id"), int)
        }
        profiles = [
            {"id": uid, "first_name": self.users[uid][0], "last_name": self.users[uid][1]}
            for uid in sorted(i for i in ids if i > 0 and i in self.users)
        ]
        groups = [
            {"id": -gid, "name": self.groups[-gid], "screen_name": f"club{-gid}"}
            for gid in sorted(i for i in ids if i < 0 and -i in self.groups)
        ]
        return {"profiles": profiles, "groups": groups}

    def _wall_get(self, params: dict[str, str]) -> Response:
        owner_id = int(params["owner_id"])
        offset, count = int(params.get("offset", 0)), min(int(params.get("count", 20)), 100)
        posts = sorted(self.posts.get(owner_id, []), key=lambda p: (not p.get("is_pinned"), -p["id"]))
        page = posts[offset : offset + count]
        body: dict[str, Any] = {"count": len(posts), "items": page}
        if params.get("extended") == "1":
            body.update(self._extended(page))
        return Response(200, {"response": body})

    def _wall_get_comments(self, params: dict[str, str]) -> Response:
        key = (int(params["owner_id"]), int(params["post_id"]))
        if key in self.blocked_posts:
            return vk_error(self.blocked_posts[key], "wall.getComments")
        offset, count = int(params.get("offset", 0) or 0), min(int(params.get("count", 10)), 100)
        comments = sorted(self.comments.get(key, []), key=lambda c: c["id"])
        if params.get("sort") == "desc":
            comments.reverse()
        start = 0
        if params.get("start_comment_id"):
            # The comment's place, or the nearest earlier comment's (VK's documented behaviour).
            wanted = int(params["start_comment_id"])
            places = [i for i, c in enumerate(comments) if c["id"] <= wanted]
            if params.get("sort") == "desc":
                start = places[0] if places else len(comments)
            else:
                start = places[-1] if places else 0
        elif offset < 0:
            return vk_error(
                100, "wall.getComments", "One of the parameters specified was missing or invalid: offset"
            )
        begin = max(start + offset, 0)
        page = comments[begin : begin + count]
        body: dict[str, Any] = {
            "count": sum(1 for c in comments if not c.get("deleted")),
            "current_level_count": len(comments),
            "can_post": 1,
            "show_reply_button": 1,
            "groups_can_post": True,
            "items": page,
        }
        if params.get("extended") == "1":
            body.update(self._extended(page))
        return Response(200, {"response": body})

    def _server_time(self, params: dict[str, str]) -> Response:
        now = self.server_time if self.server_time is not None else int(time.time())
        return Response(200, {"response": now})

    def _newsfeed_search(self, params: dict[str, str]) -> Response:
        query = params.get("q", "").lower()
        start_time = int(params.get("start_time", 0) or 0)
        count = min(int(params.get("count", 30)), 200)
        offset = int(params.get("start_from", 0) or 0)
        found = sorted(
            (
                p
                for p in self.search_items
                if p.get("date", 0) >= start_time
                and all(w in str(p.get("text", "")).lower() for w in query.split())
            ),
            key=lambda p: -p.get("date", 0),
        )
        page = found[offset : offset + count]
        body: dict[str, Any] = {"items": page, "count": len(page), "total_count": len(found)}
        if offset + count < len(found):
            body["next_from"] = str(offset + count)
        if params.get("extended") == "1":
            body.update(self._extended(page))
        return Response(200, {"response": body})

    def _groups_get_by_id(self, params: dict[str, str]) -> Response:
        ids = [int(x) for x in params.get("group_ids", "").split(",") if x.strip()]
        missing = [i for i in ids if i not in self.groups]
        if missing:
            return vk_error(100, "groups.getById", f"Invalid group id: {missing[0]}")
        groups = [{"id": i, "name": self.groups[i], "screen_name": f"club{i}", "type": "group"} for i in ids]
        return Response(200, {"response": {"groups": groups, "profiles": []}})

    def _create_comment(self, params: dict[str, str]) -> Response:
        owner_id, post_id = int(params["owner_id"]), int(params["post_id"])
        if (owner_id, post_id) in self.blocked_posts:
            return vk_error(self.blocked_posts[(owner_id, post_id)], "wall.createComment")
        if not params.get("message"):
            return vk_error(
                100, "wall.createComment", "One of the parameters specified was missing or invalid: message"
            )
        comment_id = next(self._comment_ids)
        self.created_comments.append({**params, "comment_id": comment_id})
        return Response(200, {"response": {"comment_id": comment_id, "parents_stack": []}})
