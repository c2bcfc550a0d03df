"""VK (API 5.199): community walls and their comments, newsfeed search by query; replies as comments.

Source settings (the admin edits them; the token is read from the environment)::

    {"token_env": "VK_TOKEN",            # an access token of the center's community or a service key
     "owner_ids": [-123456, -654321],    # walls to read: official community pages (negative ids)
     "group_id": 123456,                 # our community: replies are posted on its behalf
     "query": "нет воды",                # optional newsfeed.search query
     "comments": true,                   # read comments under the newest posts (default true)
     "comment_posts": 20,                # how many of the newest posts of a wall to read comments of
     "include_own_posts": false,         # the community's own posts are announcements, not appeals
     "page_size": 100, "max_pages": 5, "backfill_pages": 1,
     "api_url": "https://api.vk.com/method", "min_interval_seconds": 0.34}

The cursor is a small JSON: the newest post id seen per wall and the newest search date. Walls are
read newest first (``offset`` paging) until the cursor's post; comments oldest first; search with
``next_from``. Already stored posts and comments are no-ops in the pipeline, so re-reading is safe.
VK's error object maps to :class:`ConnectorError`: 6/9/10 (too many requests, flood, internal) are
retriable, 5 (authorization) and the rest permanent; 15/18 on one post (deleted or blocked) skip that
post. Deleted comments (``deleted: true``) and posts (``is_deleted``) are skipped and counted.
"""

from __future__ import annotations

import json
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

API_VERSION = "5.199"
DEFAULT_API_URL = "https://api.vk.com/method"
RETRIABLE_CODES = {1: 5.0, 6: 1.0, 9: 60.0, 10: 5.0, 29: 3600.0}  # code → seconds to wait at least
POST_GONE_CODES = {15, 18, 30}  # access denied (deleted/closed), author deleted or banned, private


class VKError(ConnectorError):
    def __init__(self, code: int, message: str, method: str) -> None:
        retriable = code in RETRIABLE_CODES
        super().__init__(
            f"VK {method}: error {code}: {message}",
            retriable=retriable,
            retry_after=RETRIABLE_CODES.get(code),
        )
        self.code = code


def post_url(owner_id: int, post_id: int, comment_id: int | None = None) -> str:
    url = f"https://vk.com/wall{owner_id}_{post_id}"
    return f"{url}?reply={comment_id}" if comment_id else url


def _has_comments(post: dict[str, Any]) -> bool:
    comments = post.get("comments")
    return not isinstance(comments, dict) or bool(comments.get("count", 1))


@register
class VKConnector(Connector):
    kind: ClassVar[str] = "vk"
    label: ClassVar[str] = "VK"

    # --- the API --------------------------------------------------------------------------------
    def _token(self) -> str:
        token = self.secret("token")
        if not token:
            raise ConnectorError(
                "VK token is not configured: set settings “token_env” and that environment variable",
                retriable=False,
            )
        return token

    def call(self, method: str, **params: Any) -> Any:
        self.pace(0.34)  # VK allows 3 requests per second with a user token
        url = f"{str(self.setting('api_url', DEFAULT_API_URL)).rstrip('/')}/{method}"
        data = {k: str(v) for k, v in params.items() if v is not None}
        data.update(access_token=self._token(), v=API_VERSION)
        response = self.request("POST", url, data=data, what=f"VK {method}")
        self.check_status(response, what=f"VK {method}")
        body = self.json_body(response, what=f"VK {method}")
        if not isinstance(body, dict):
            raise ConnectorError(f"VK {method}: unexpected answer {str(body)[:200]!r}", retriable=False)
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            raise VKError(int(error.get("error_code") or 0), str(error.get("error_msg", "")), method)
        if "response" not in body:
            raise ConnectorError(f"VK {method}: no “response” in {str(body)[:200]!r}", retriable=False)
        return body["response"]

    @staticmethod
    def _page(response: Any, method: str) -> tuple[list[Any], dict[int, str]]:
        if not isinstance(response, dict) or not isinstance(response.get("items"), list):
            raise ConnectorError(f"VK {method}: no “items” list in the answer", retriable=False)
        names: dict[int, str] = {}
        for profile in response.get("profiles") or []:
            if isinstance(profile, dict) and isinstance(profile.get("id"), int):
                names[profile["id"]] = (
                    f"{profile.get('first_name', '')} {profile.get('last_name', '')}".strip()
                )
        for group in response.get("groups") or []:
            if isinstance(group, dict) and isinstance(group.get("id"), int):
                names[-abs(group["id"])] = str(group.get("name", ""))
        return response["items"], names

    # --- fetch ----------------------------------------------------------------------------------
    def fetch(self, cursor: str) -> FetchResult:
        try:
            state = json.loads(cursor) if cursor else {}
        except ValueError:
            state = {}
        if not isinstance(state, dict):
            state = {}
        walls: dict[str, int] = dict(state.get("walls") or {})
        result = FetchResult()
        for owner_id in [int(x) for x in self.setting("owner_ids", [])]:
            walls[str(owner_id)] = self._fetch_wall(owner_id, int(walls.get(str(owner_id), 0)), result)
        search_time = state.get("search_time")
        if self.setting("query"):
            search_time = self._fetch_search(str(self.setting("query")), search_time, result)
        result.cursor = json.dumps({"walls": walls, "search_time": search_time}, sort_keys=True)
        return result

    def _fetch_wall(self, owner_id: int, last_id: int, result: FetchResult) -> int:
        page_size = int(self.setting("page_size", 100))
        max_pages = int(self.setting("max_pages", 5)) if last_id else int(self.setting("backfill_pages", 1))
        newest, offset, reached = last_id, 0, False
        recent: list[int] = []
        comment_posts = int(self.setting("comment_posts", 20))
        for _page in range(max(max_pages, 1)):
            response = self.call("wall.get", owner_id=owner_id, offset=offset, count=page_size, extended=1)
            items, names = self._page(response, "wall.get")
            for post in items:
                post_id = post.get("id") if isinstance(post, dict) else None
                if isinstance(post_id, int):
                    newest = max(newest, post_id)
                    if len(recent) < comment_posts and _has_comments(post):
                        recent.append(post_id)
                    if post_id <= last_id:  # already read: only its new comments matter
                        reached = reached or not post.get("is_pinned")
                        continue
                author = names.get(int(post.get("from_id") or 0), "") if isinstance(post, dict) else ""
                result.payloads.append({"kind": "post", "owner_id": owner_id, "author": author, "item": post})
            offset += len(items)
            if not items or reached or offset >= int(response.get("count", 0)):
                break
        else:
            if last_id and not reached:
                result.notes.append(
                    f"wall {owner_id}: over {offset} new posts since the cursor; older ones were not read"
                )
        if self.setting("comments", True):
            for post_id in recent:
                self._fetch_comments(owner_id, post_id, result)
        return newest

    def _fetch_comments(self, owner_id: int, post_id: int, result: FetchResult) -> None:
        page_size = int(self.setting("page_size", 100))
        offset = 0
        for _page in range(int(self.setting("max_pages", 5))):
            try:
                response = self.call(
                    "wall.getComments",
                    owner_id=owner_id,
                    post_id=post_id,
                    offset=offset,
                    count=page_size,
                    sort="asc",
                    extended=1,
                )
            except VKError as exc:
                if exc.code in POST_GONE_CODES:  # the post was deleted or closed since: nothing to read
                    result.skipped += 1
                    result.notes.append(f"post {owner_id}_{post_id} skipped: {exc}")
                    return
                raise
            items, names = self._page(response, "wall.getComments")
            for comment in items:
                author = names.get(int(comment.get("from_id") or 0), "") if isinstance(comment, dict) else ""
                result.payloads.append(
                    {
                        "kind": "comment",
                        "owner_id": owner_id,
                        "post_id": post_id,
                        "author": author,
                        "item": comment,
                    }
                )
            offset += len(items)
            if not items or offset >= int(response.get("count", 0)):
                return

    def _fetch_search(self, query: str, since: Any, result: FetchResult) -> int | None:
        newest = int(since) if isinstance(since, int) else None
        start_from: str | None = None
        for _page in range(int(self.setting("max_pages", 5))):
            response = self.call(
                "newsfeed.search",
                q=query,
                count=min(int(self.setting("page_size", 100)), 200),
                start_time=since if isinstance(since, int) else None,
                start_from=start_from,
                extended=1,
            )
            items, names = self._page(response, "newsfeed.search")
            for post in items:
                if isinstance(post, dict) and isinstance(post.get("date"), int):
                    newest = max(newest or 0, post["date"])
                author = names.get(int(post.get("from_id") or 0), "") if isinstance(post, dict) else ""
                result.payloads.append({"kind": "search", "author": author, "item": post})
            start_from = response.get("next_from")
            if not items or not start_from:
                break
        return newest

    # --- normalize ------------------------------------------------------------------------------
    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        item = payload.get("item")
        kind = payload.get("kind")
        if not isinstance(item, dict):
            raise NormalizeError(f"a VK {kind or 'item'} must be an object, got {type(item).__name__}")
        if item.get("deleted") or item.get("is_deleted"):
            raise SkipPayload("deleted")
        item_id, from_id = item.get("id"), item.get("from_id")
        owner_id = item.get("owner_id", payload.get("owner_id"))
        if not isinstance(item_id, int) or not isinstance(owner_id, int):
            raise NormalizeError(f"a VK {kind} needs integer “id” and “owner_id”: {item_id!r}, {owner_id!r}")
        text = item.get("text")
        if not isinstance(text, str):
            raise NormalizeError(f"a VK {kind} has no “text” string")
        if not text.strip():
            raise SkipPayload("no text (attachments only)")
        group_id = self.setting("group_id")
        if group_id and from_id == -abs(int(group_id)):
            raise SkipPayload("our own community's post or reply")
        if kind == "post" and from_id == owner_id < 0 and not self.setting("include_own_posts", False):
            raise SkipPayload("the community's own post")
        posted_at = from_unix(item.get("date"))
        if kind == "comment":
            post_id = item.get("post_id", payload.get("post_id"))
            if not isinstance(post_id, int):
                raise NormalizeError("a VK comment needs an integer “post_id”")
            external_id = f"wall{owner_id}_{post_id}_r{item_id}"
            url = post_url(owner_id, post_id, item_id)
            ref: dict[str, int | None] = {"owner_id": owner_id, "post_id": post_id, "comment_id": item_id}
        else:
            external_id = f"wall{owner_id}_{item_id}"
            url = post_url(owner_id, item_id)
            ref = {"owner_id": owner_id, "post_id": item_id, "comment_id": None}
        normalized: dict[str, Any] = {
            "external_id": external_id,
            "channel": Channel.VK,
            "text": text,
            "posted_at": posted_at,
            "author_id": str(from_id) if from_id is not None else "",
            "author_name": str(payload.get("author") or ""),
            "url": url,
            "vk": ref,
        }
        coordinates = (
            (item.get("geo") or {}).get("coordinates") if isinstance(item.get("geo"), dict) else None
        )
        if isinstance(coordinates, str) and len(coordinates.split()) == 2:
            normalized["lat"], normalized["lon"] = coordinates.split()
        return normalized

    # --- reply and health -----------------------------------------------------------------------
    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        ref = (message.raw or {}).get("vk") or {}
        if not ref.get("owner_id") or not ref.get("post_id"):
            return ReplyResult(sent=False, detail="the message has no VK post to answer under")
        group_id = self.setting("group_id")
        response = self.call(
            "wall.createComment",
            owner_id=ref["owner_id"],
            post_id=ref["post_id"],
            reply_to_comment=ref.get("comment_id"),
            from_group=abs(int(group_id)) if group_id else None,
            message=answer.text,
        )
        comment_id = response.get("comment_id") if isinstance(response, dict) else None
        if comment_id is None:
            raise ConnectorError("VK wall.createComment: no “comment_id” in the answer", retriable=False)
        return ReplyResult(
            sent=True,
            external_id=f"wall{ref['owner_id']}_{ref['post_id']}_r{comment_id}",
            detail=post_url(int(ref["owner_id"]), int(ref["post_id"]), int(comment_id)),
        )

    def health(self) -> Health:
        ids = sorted({abs(int(x)) for x in self.setting("owner_ids", []) if int(x) < 0})
        if self.setting("group_id"):
            ids = sorted({*ids, abs(int(self.setting("group_id")))})
        if not ids:
            return Health(ok=False, detail="no community in “owner_ids” or “group_id” to check")
        try:
            response = self.call("groups.getById", group_ids=",".join(map(str, ids)))
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        groups = response.get("groups", []) if isinstance(response, dict) else response
        names = [g.get("name", "") for g in groups if isinstance(g, dict)]
        return Health(ok=True, detail=f"{len(names)} communities reachable", checked={"groups": names})
