"""VK (API 5.199): community walls and their comments, newsfeed search by query; replies as comments.

Source settings (the admin edits them; the token is read from the environment)::

    {"token_env": "VK_TOKEN",            # an access token of the center's community or a service key
     "owner_ids": [-123456, -654321],    # walls to read: official community pages (negative ids)
     "group_id": 123456,                 # our community: replies are posted on its behalf
     "query": "нет воды",                # optional newsfeed.search query
     "comments": true,                   # watch comments under the wall's posts (default true)
     "comment_days": 30,                 # ... under posts of the last N days (and the pinned post)
     "comment_posts": 100,               # ... but at most this many posts per wall, the newest first
     "comment_posts_per_fetch": 20,      # posts whose comments one connector page reads
     "comment_recheck_rounds": 12,       # an unchanged comment count is trusted this many rounds
     "include_own_posts": false,         # the community's own posts are announcements, not appeals
     "page_size": 100, "max_pages": 5, "backfill_pages": 1,
     "api_url": "https://api.vk.com/method", "min_interval_seconds": 0.34}

**Posts.** Walls are read newest first with ``wall.get`` (``offset``/``count`` paging) until the
cursor's post (at most ``max_pages`` pages; ``backfill_pages`` on the first run).

**Comments.** Residents keep commenting under older posts for weeks, so every post of the last
``comment_days`` days (by VK's own clock, ``utils.getServerTime``), and the pinned post, is WATCHED:
``wall.get`` pages on until a post older than the window or ``comment_posts`` watched posts. Each
watched post keeps ``[last comment id, comment count, round]`` in the cursor. A post's comments are
read again when its ``comments.count`` in ``wall.get`` differs from the count last read, when it has
never been read, or after ``comment_recheck_rounds`` rounds even with the same count (a comment
deleted and another written in between leave the count unchanged). ``wall.getComments`` reads oldest
first from ``start_comment_id`` = the last comment read (VK starts at that comment, or the nearest
earlier one; comments up to it are dropped here), ``count`` ≤ 100 per page, at most ``max_pages``
pages per post and round (the rest is read the next round). Deleted comments (``deleted: true``) and
posts (``is_deleted``) are skipped and counted; a post gone since (error 15/18/30/212) stops being
watched. Replies inside comment threads are not read.

**Cursor and paging.** The cursor is a small JSON: the newest post per wall, the watched posts, the
newest search date and the posts still to read in this round. One connector page (one
:meth:`VKConnector.fetch`) reads the walls, the search and the comments of the first
``comment_posts_per_fetch`` posts to read; the rest come in further pages (``has_more``), each
committed with its cursor (:mod:`otklik.intake.fetching`), so an error stops at most one page and the
next fetch goes on from the posts still to read. Already stored posts and comments are no-ops in the
pipeline, so reading something twice is safe.

**Errors.** VK's error object maps to :class:`ConnectorError`: 1/6/9/10/29 (unknown, too many
requests per second, flood control, internal, rate limit of the method) are retriable with a
minimum wait, 5 (authorization) and the rest permanent; 15/18/30/212 on one post skip that post.
Calls are paced at ``min_interval_seconds`` (3 per second by default).
"""

from __future__ import annotations

from dataclasses import dataclass
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
    WatchCursor,
    from_unix,
    register,
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

API_VERSION = "5.199"
DEFAULT_API_URL = "https://api.vk.com/method"
RETRIABLE_CODES = {1: 5.0, 6: 1.0, 9: 60.0, 10: 5.0, 29: 3600.0}  # code → seconds to wait at least
# access denied (deleted/closed), author deleted or banned, private, post denied, its comments closed
POST_GONE_CODES = {15, 18, 30, 210, 212}
MAX_COUNT = 100  # wall.get and wall.getComments return at most 100 items a page
DAY = 86400


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


def comment_count(post: dict[str, Any]) -> int | None:
    """The post's ``comments.count`` (None when VK did not say)."""
    comments = post.get("comments")
    count = comments.get("count") if isinstance(comments, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _watchable(post: dict[str, Any]) -> bool:
    """A post that has comments or may get some (comments not closed)."""
    comments = post.get("comments")
    if not isinstance(comments, dict):
        return True
    return bool(comments.get("count")) or bool(comments.get("can_post", 1))


@dataclass
class _State(WatchCursor):
    """The cursor, parsed (see the module doc): ``pages`` are the walls (owner → the newest post id
    seen), a watched post's entry is [the last comment id read, the comment count then, the round it
    was read in], a pending one [owner, post, count]; ``search_time`` is where newsfeed search is."""

    PAGES_KEY: ClassVar[str] = "walls"
    search_time: int | None = None

    def load(self, data: dict[str, Any]) -> None:
        super().load(data)
        search_time = data.get("search_time")
        self.search_time = search_time if type(search_time) is int else None

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "search_time": self.search_time}


@register
class VKConnector(Connector):
    kind: ClassVar[str] = "vk"
    label: ClassVar[str] = "VK"

    # --- the API --------------------------------------------------------------------------------
    def _token(self) -> str:
        return self.secrets("VK token is", "token")[0]

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
    def _int_setting(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        value = max(int(self.setting(name, default)), low)
        return min(value, high) if high is not None else value

    def fetch(self, cursor: str) -> FetchResult:
        """One page: a new round (walls, search) when no post is left to read, then the comments of
        the next ``comment_posts_per_fetch`` posts to read; ``has_more`` while some are left."""
        state = _State.parse(cursor)
        result = FetchResult()
        owners = [int(x) for x in self.setting("owner_ids", [])]
        watching = bool(self.setting("comments", True))
        state.watch = {str(o): state.watch.get(str(o), {}) for o in owners} if watching else {}
        state.pending = [p for p in state.pending if str(p[0]) in state.watch]
        if not state.pending:
            state.round += 1
            since = None
            if watching and owners:
                days = float(self.setting("comment_days", 30))
                since = self._server_time() - int(days * DAY)
            for owner_id in owners:
                key = str(owner_id)
                state.pages[key] = self._fetch_wall(owner_id, state, since, result)
            if self.setting("query"):
                state.search_time = self._fetch_search(str(self.setting("query")), state.search_time, result)
        per_fetch = self._int_setting("comment_posts_per_fetch", 20, low=1)
        chunk, state.pending = state.pending[:per_fetch], state.pending[per_fetch:]
        for owner_id, post_id, count in chunk:
            self._read_comments(owner_id, post_id, count, state, result)
        result.has_more = bool(state.pending)
        result.cursor = state.dump()
        return result

    def _server_time(self) -> int:
        response = self.call("utils.getServerTime")
        if not isinstance(response, int) or isinstance(response, bool):
            raise ConnectorError(f"VK utils.getServerTime: not a unix time: {response!r}", retriable=False)
        return response

    def _fetch_wall(self, owner_id: int, state: _State, since: int | None, result: FetchResult) -> int:
        """New posts since the cursor, and the posts to watch (``since`` None: comments are off).

        Returns the newest post id; the watched posts and those to read go into ``state``."""
        last_id = state.pages.get(str(owner_id), 0)
        page_size = self._int_setting("page_size", MAX_COUNT, low=1, high=MAX_COUNT)
        new_pages = self._int_setting(
            "max_pages" if last_id else "backfill_pages", 5 if last_id else 1, low=1
        )
        cap = self._int_setting("comment_posts", 100) if since is not None else 0
        watched: dict[int, dict[str, Any]] = {}
        window_done = cap == 0
        newest, offset, pages, reached, exhausted, left_out = last_id, 0, 0, False, False, False
        most_pages = new_pages + cap // page_size + 2  # posts with closed comments do not count
        while pages < most_pages:
            response = self.call("wall.get", owner_id=owner_id, offset=offset, count=page_size, extended=1)
            pages += 1
            items, names = self._page(response, "wall.get")
            for post in items:
                post_id = post.get("id") if isinstance(post, dict) else None
                if isinstance(post_id, int):
                    newest = max(newest, post_id)
                    pinned = bool(post.get("is_pinned"))
                    if not window_done:
                        date = post.get("date")
                        if not pinned and isinstance(date, int) and since is not None and date < since:
                            window_done = True  # older than the window, and so is the rest of the wall
                        elif post_id in watched or not _watchable(post) or post.get("is_deleted"):
                            pass
                        elif len(watched) < cap:
                            watched[post_id] = post
                        else:
                            window_done = left_out = True
                    if post_id <= last_id:  # already read: only its comments matter
                        reached = reached or not pinned
                        continue
                author = names.get(int(post.get("from_id") or 0), "") if isinstance(post, dict) else ""
                result.payloads.append({"kind": "post", "owner_id": owner_id, "author": author, "item": post})
            offset += len(items)
            if not items or offset >= int(response.get("count", 0)):
                exhausted = True
                break
            if (reached or pages >= new_pages) and window_done:
                break
        if last_id and not reached and not exhausted:
            result.notes.append(
                f"wall {owner_id}: over {offset} new posts since the cursor; older ones were not read"
            )
        if left_out:
            result.notes.append(f"wall {owner_id}: comments are watched under the newest {cap} posts only")
        self._plan_comments(owner_id, watched, state)
        return newest

    def _plan_comments(self, owner_id: int, watched: dict[int, dict[str, Any]], state: _State) -> None:
        """Keep the watched posts in the cursor and queue those whose comments must be read."""
        recheck = self._int_setting("comment_recheck_rounds", 12, low=1)
        before = state.watch.get(str(owner_id), {})
        now: dict[str, list[int]] = {}
        for post_id, post in watched.items():
            count = comment_count(post)
            entry = before.get(str(post_id))
            if entry is None:
                entry = [0, -1, state.round]  # never read
            now[str(post_id)] = entry
            if count == 0:
                continue
            if count is None or count != entry[1] or state.round - entry[2] >= recheck:
                state.pending.append([owner_id, post_id, -1 if count is None else count])
        state.watch[str(owner_id)] = now

    def _read_comments(
        self, owner_id: int, post_id: int, count: int, state: _State, result: FetchResult
    ) -> None:
        entry = state.watch.get(str(owner_id), {}).get(str(post_id))
        if entry is None:
            return
        try:
            last, complete = self._fetch_comments(owner_id, post_id, entry[0], result)
        except VKError as exc:
            if exc.code not in POST_GONE_CODES:
                raise
            # The post was deleted or its comments closed since: nothing to read, stop watching it.
            result.skipped += 1
            result.notes.append(f"post {owner_id}_{post_id} skipped: {exc}")
            del state.watch[str(owner_id)][str(post_id)]
            return
        # An unfinished read keeps the old count, so the next round reads on from ``last``.
        entry[:] = [last, count if complete else entry[1], state.round]

    def _fetch_comments(
        self, owner_id: int, post_id: int, after: int, result: FetchResult
    ) -> tuple[int, bool]:
        """Comments newer than ``after``, oldest first; returns the last id read and whether all were."""
        page_size = self._int_setting("page_size", MAX_COUNT, low=1, high=MAX_COUNT)
        last = after
        for _page in range(self._int_setting("max_pages", 5, low=1)):
            start = {"start_comment_id": last} if last else {"offset": 0}
            response = self.call(
                "wall.getComments",
                owner_id=owner_id,
                post_id=post_id,
                count=page_size,
                sort="asc",
                extended=1,
                **start,
            )
            items, names = self._page(response, "wall.getComments")
            fresh = [
                c
                for c in items
                if not (isinstance(c, dict) and isinstance(c.get("id"), int) and c["id"] <= last)
            ]
            for comment in fresh:
                if isinstance(comment, dict) and isinstance(comment.get("id"), int):
                    last = max(last, comment["id"])
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
            if len(items) < page_size or not fresh:
                return last, True
        return last, False

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
        if kind == "comment" and owner_id < 0 and from_id == owner_id:
            raise self._own_reply(item, payload, owner_id)
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

    @staticmethod
    def _own_reply(item: dict[str, Any], payload: dict[str, Any], owner_id: int) -> OwnReply:
        """The community's comment on its own wall: its answer (official pages' responsiveness)."""
        post_id = item.get("post_id", payload.get("post_id"))
        if not isinstance(post_id, int):
            raise NormalizeError("a VK comment needs an integer “post_id”")
        reply_to = item.get("reply_to_comment")
        thread = f"wall{owner_id}_{post_id}"
        return OwnReply(
            str(owner_id),
            from_unix(item.get("date")),
            replied_to=f"{thread}_r{reply_to}" if isinstance(reply_to, int) else "",
            thread=thread,
            thread_sep="_r",
            external_id=f"{thread}_r{item.get('id')}",
        )

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
