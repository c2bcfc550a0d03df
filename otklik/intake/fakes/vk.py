"""A fake of the VK API 5.199 methods the VK connector calls (https://dev.vk.com/method).

``GET|POST /method/<name>`` with ``access_token`` and ``v``: ``wall.get`` (offset paging, newest
first, the pinned post on top), ``wall.getComments`` (offset paging, oldest first), ``newsfeed.search``
(``next_from``/``start_from`` paging, ``start_time``), ``groups.getById`` and ``wall.createComment``.
Answers are ``{"response": …}`` or VK's error object ``{"error": {"error_code", "error_msg",
"request_params"}}`` with HTTP 200, as VK does.
"""

from __future__ import annotations

import itertools
from typing import Any

from .server import FakeServer, Request, Response

VK_ERRORS = {
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
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
        handler = {
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
        offset, count = int(params.get("offset", 0)), min(int(params.get("count", 10)), 100)
        comments = sorted(self.comments.get(key, []), key=lambda c: c["id"])
        page = comments[offset : offset + count]
        body: dict[str, Any] = {"count": len(comments), "current_level_count": len(comments), "items": page}
        if params.get("extended") == "1":
            body.update(self._extended(page))
        return Response(200, {"response": body})

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
