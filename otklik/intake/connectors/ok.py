"""Odnoklassniki (OK REST API, ``fb.do``): official groups' topics and comments; replies as the group.

Since 1 December 2022 every state body and municipality keeps an official page in OK (270-FZ); the
residents' comments under its topics are what this connector reads. Source settings (the admin edits
them; the keys and the token are read from the environment)::

    {"application_key_env": "OK_APP_KEY",             # the application's public key
     "application_secret_key_env": "OK_APP_SECRET",   # the application's secret key
     "access_token_env": "OK_ACCESS_TOKEN",           # an administrator's token of the groups
     "group_ids": ["70000001234567"],                 # groups (official pages) to read
     "reply_as_admin": true,                          # replies are published on the group's behalf
     "comments": true,                                # watch comments under the groups' topics
     "comment_days": 30,                              # ... of topics up to N days older than the newest
     "comment_topics": 50,                            # ... but at most this many topics per group
     "comment_topics_per_fetch": 20,                  # topics whose comments one connector page reads
     "comment_recheck_rounds": 12,                    # an unchanged comment count is trusted this long
     "include_own_topics": false,                     # the group's own topics are announcements
     "page_size": 50, "max_pages": 5, "backfill_pages": 1,
     "api_url": "https://api.ok.ru/fb.do", "min_interval_seconds": 0.2}

**Requests.** Every call is ``POST fb.do`` with ``method``, ``application_key``, ``format=json`` and
the method's parameters, signed as OK documents: ``sig = md5(the parameters but access_token and sig,
sorted by name, as "name=value" joined without separator + md5(access_token +
application_secret_key))``, hex lower case, and ``access_token`` sent beside them (OK's rules for a
call with a session: https://apiok.ru/dev/methods/ ; the same in the public clients that call
``mediatopic.post``).

**Topics.** ``mediatopic.getTopics`` (``gid``, ``count`` ≤ 100, ``anchor``/``direction`` paging,
newest first, ``fields`` for the authors' names) is read until the newest topic of the cursor (its
``created_ms``; at most ``max_pages`` pages, ``backfill_pages`` on the first run). A topic a resident
posted in the group (``author_ref`` a user) is a message; the group's own topics are not, unless
``include_own_topics``.

**Comments.** The newest ``comment_topics`` topics no more than ``comment_days`` older than the newest
one, and the pinned ones, are WATCHED: each keeps ``[anchor, comment count, round]`` in the cursor.
A topic's comments are read again when its ``discussion_summary.comments_count`` changed, when it was
never read, or after ``comment_recheck_rounds`` rounds with the same count. ``discussions.getComments``
(``discussionId`` = the topic, ``discussionType`` GROUP_TOPIC, ``direction`` FORWARD from the stored
``anchor``, oldest first, ``count`` ≤ 100) pages on while ``has_more`` (at most ``max_pages`` pages
per topic and round; the rest is read the next round). Deleted comments and topics (``deleted``) are
skipped and counted; a topic gone since (error 300 NOT_FOUND) stops being watched. The group's own
comments are not messages but its answers (:class:`~.base.OwnReply`).

**Cursor and paging**, as the VK connector: one connector page reads the groups' topics and the
comments of ``comment_topics_per_fetch`` topics, the rest come in further pages (``has_more``), each
committed with its cursor.

**Replies.** ``discussions.addDiscussionComment`` (OK's documented method for a comment in a
discussion: https://apiok.ru/dev/methods/rest/discussions/discussions.addDiscussionComment, source
``docs/method/ru/discussions/discussions.addDiscussionComment.md`` of github.com/apiok/documentation)
with ``entityId`` = the topic, ``entityType`` GROUP_TOPIC, ``comment`` = the answer's text,
``reply_to_comment_id`` = the resident's comment (none for a resident's topic) and ``as_admin=true``,
"the official answer of the group's administrator" — the comment appears on the group's behalf
(``reply_as_admin``, true by default). The call is signed like every other. The documentation does
not describe the answer; the new comment's id is taken from a bare string or an object's ``id`` /
``comment_id``. The token needs the GROUP_CONTENT permission.

**Errors.** OK answers an error as ``{"error_code", "error_msg", "error_data"}`` (HTTP 200): 1 UNKNOWN,
2 SERVICE, 8 FLOOD_BLOCKED, 11 LIMIT_REACHED and 5000 are retriable with a minimum wait; 100–105
(bad parameter, application key, expired or bad session, bad signature), 10 PERMISSION_DENIED and
the rest permanent. Calls are paced at ``min_interval_seconds``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

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
    register,
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

DEFAULT_API_URL = "https://api.ok.ru/fb.do"
# code → seconds to wait at least: UNKNOWN, SERVICE, FLOOD_BLOCKED, LIMIT_REACHED, SYSTEM
RETRIABLE_CODES = {1: 5.0, 2: 5.0, 8: 60.0, 11: 3600.0, 5000: 5.0}
TOPIC_GONE_CODES = {300}  # NOT_FOUND: the topic was deleted
MAX_COUNT = 100
DAY_MS = 86_400_000
OK_TIME_ZONE = ZoneInfo("Europe/Moscow")  # the zone of OK's "date" strings
# OK's documented method for a comment in a discussion (see the module doc: "Replies").
REPLY_METHOD = "discussions.addDiscussionComment"
TOPIC_FIELDS = "media_topic.*,user.first_name,user.last_name,user.name,group.name"


class OKError(ConnectorError):
    def __init__(self, code: int, message: str, method: str) -> None:
        super().__init__(
            f"OK {method}: error {code}: {message}",
            retriable=code in RETRIABLE_CODES,
            retry_after=RETRIABLE_CODES.get(code),
        )
        self.code = code


def signature(params: dict[str, str], access_token: str, secret_key: str) -> str:
    """OK's request signature (see the module doc)."""
    session_secret = hashlib.md5(f"{access_token}{secret_key}".encode()).hexdigest().lower()
    signed = "".join(
        f"{name}={params[name]}" for name in sorted(params) if name not in ("sig", "access_token")
    )
    return hashlib.md5(f"{signed}{session_secret}".encode()).hexdigest().lower()


def topic_url(group_id: str, topic_id: str) -> str:
    return f"https://ok.ru/group/{group_id}/topic/{topic_id}"


def _ref_id(ref: Any, kind: str) -> str | None:
    """``"user:123"`` → ``"123"`` when the ref is of ``kind``."""
    if isinstance(ref, str) and ref.startswith(f"{kind}:"):
        return ref.split(":", 1)[1]
    return None


def topic_text(topic: dict[str, Any]) -> str | None:
    """The text parts of a media topic joined (None when ``media`` is not a list)."""
    media = topic.get("media")
    if not isinstance(media, list):
        return None
    parts = [str(m.get("text") or "") for m in media if isinstance(m, dict) and m.get("type") == "text"]
    return "\n".join(p for p in parts if p)


def comments_count(topic: dict[str, Any]) -> int | None:
    summary = topic.get("discussion_summary")
    count = summary.get("comments_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def comment_time(comment: dict[str, Any]) -> str:
    """An OK comment's time as ISO 8601: ``date_ms`` (unix ms) or ``date`` ("YYYY-MM-DD HH:MM:SS", Moscow)."""
    millis = comment.get("date_ms")
    if isinstance(millis, int) and not isinstance(millis, bool):
        return datetime.fromtimestamp(millis / 1000, tz=OK_TIME_ZONE).isoformat()
    value = comment.get("date")
    if isinstance(value, str):
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=OK_TIME_ZONE).isoformat()
        except ValueError:
            pass
    raise NormalizeError(f"an OK comment's date is neither “date_ms” nor “YYYY-MM-DD HH:MM:SS”: {value!r}")


@dataclass
class _State(WatchCursor):
    """The cursor, parsed: ``pages`` are the groups (group → the newest topic's created_ms), a watched
    topic's entry is [anchor after the last comment read, comment count then, round], a pending one
    [group, topic, count]."""

    PAGES_KEY: ClassVar[str] = "groups"
    WATCH_ENTRY: ClassVar[tuple[type, ...]] = (str, int, int)
    PENDING_ENTRY: ClassVar[tuple[type, ...]] = (str, str, int)


@register
class OKConnector(Connector):
    kind: ClassVar[str] = "ok"
    label: ClassVar[str] = "Odnoklassniki"

    # --- the API --------------------------------------------------------------------------------
    def _keys(self) -> tuple[str, ...]:
        return self.secrets("OK keys are", "application_key", "application_secret_key", "access_token")

    def call(self, method: str, **params: Any) -> Any:
        application_key, secret_key, access_token = self._keys()
        self.pace(0.2)
        data = {k: str(v) for k, v in params.items() if v is not None}
        data.update(method=method, application_key=application_key, format="json")
        data["sig"] = signature(data, access_token, secret_key)
        data["access_token"] = access_token
        url = str(self.setting("api_url", DEFAULT_API_URL))
        response = self.request("POST", url, data=data, what=f"OK {method}")
        self.check_status(response, what=f"OK {method}")
        body = self.json_body(response, what=f"OK {method}")
        if isinstance(body, dict) and "error_code" in body:
            try:
                code = int(body.get("error_code") or 0)
            except (TypeError, ValueError):
                code = 0
            raise OKError(code, str(body.get("error_msg", "")), method)
        return body

    # --- fetch ----------------------------------------------------------------------------------
    def _int_setting(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        value = max(int(self.setting(name, default)), low)
        return min(value, high) if high is not None else value

    def fetch(self, cursor: str) -> FetchResult:
        state = _State.parse(cursor)
        result = FetchResult()
        groups = [str(g) for g in self.setting("group_ids", [])]
        watching = bool(self.setting("comments", True))
        state.watch = {g: state.watch.get(g, {}) for g in groups} if watching else {}
        state.pending = [p for p in state.pending if p[0] in state.watch]
        if not state.pending:
            state.round += 1
            for group_id in groups:
                state.pages[group_id] = self._fetch_topics(group_id, state, result, watching)
        per_fetch = self._int_setting("comment_topics_per_fetch", 20, low=1)
        chunk, state.pending = state.pending[:per_fetch], state.pending[per_fetch:]
        for group_id, topic_id, count in chunk:
            self._read_comments(group_id, topic_id, count, state, result)
        result.has_more = bool(state.pending)
        result.cursor = state.dump()
        return result

    @staticmethod
    def _names(body: dict[str, Any]) -> dict[str, str]:
        """``entities`` of a topics page → ``{"user:1": "Ирина Петрова", "group:7": "Администрация"}``."""
        names: dict[str, str] = {}
        entities: dict[str, Any] = body["entities"] if isinstance(body.get("entities"), dict) else {}
        for user in entities.get("users") or []:
            if isinstance(user, dict) and user.get("uid") is not None:
                name = user.get("name") or f"{user.get('first_name', '')} {user.get('last_name', '')}"
                names[f"user:{user['uid']}"] = str(name).strip()
        for group in entities.get("groups") or []:
            if isinstance(group, dict) and group.get("uid") is not None:
                names[f"group:{group['uid']}"] = str(group.get("name", ""))
        return names

    def _fetch_topics(self, group_id: str, state: _State, result: FetchResult, watching: bool) -> int:
        """New topics since the cursor and the topics to watch; returns the newest topic's created_ms."""
        last = state.pages.get(group_id, 0)
        page_size = self._int_setting("page_size", 50, low=1, high=MAX_COUNT)
        new_pages = self._int_setting("max_pages" if last else "backfill_pages", 5 if last else 1, low=1)
        cap = self._int_setting("comment_topics", 50) if watching else 0
        window = int(float(self.setting("comment_days", 30)) * DAY_MS)
        watched: dict[str, dict[str, Any]] = {}
        newest, anchor, pages, reached, window_done = last, None, 0, False, cap == 0
        top: int | None = None
        most_pages = new_pages + cap // page_size + 2
        while pages < most_pages:
            body = self.call(
                "mediatopic.getTopics",
                gid=group_id,
                count=page_size,
                anchor=anchor,
                direction="FORWARD" if anchor else None,
                fields=TOPIC_FIELDS,
            )
            pages += 1
            topics = body.get("media_topics") if isinstance(body, dict) else None
            if not isinstance(topics, list):
                raise ConnectorError("OK mediatopic.getTopics: no “media_topics” list", retriable=False)
            names = self._names(body)
            for topic in topics:
                created = topic.get("created_ms") if isinstance(topic, dict) else None
                topic_id = topic.get("id") if isinstance(topic, dict) else None
                if isinstance(created, int) and isinstance(topic_id, str | int):
                    pinned = bool(topic.get("is_pinned") or topic.get("pinned"))
                    if not pinned:
                        top = created if top is None else max(top, created)
                    newest = max(newest, created)
                    if not window_done:
                        if not pinned and top is not None and created < top - window:
                            window_done = True
                        elif topic.get("deleted") or str(topic_id) in watched:
                            pass
                        elif len(watched) < cap:
                            watched[str(topic_id)] = topic
                        else:
                            window_done = True
                            result.notes.append(
                                f"group {group_id}: comments are watched under the newest {cap} topics only"
                            )
                    if created <= last:
                        reached = reached or not pinned
                        continue
                author = names.get(str(topic.get("author_ref")), "") if isinstance(topic, dict) else ""
                result.payloads.append(
                    {"kind": "topic", "group_id": group_id, "author": author, "item": topic}
                )
            anchor = body.get("anchor")
            if not topics or not body.get("has_more") or not anchor:
                break
            if (reached or pages >= new_pages) and window_done:
                break
        self._plan_comments(group_id, watched, state)
        return newest

    def _plan_comments(self, group_id: str, watched: dict[str, dict[str, Any]], state: _State) -> None:
        recheck = self._int_setting("comment_recheck_rounds", 12, low=1)
        before = state.watch.get(group_id, {})
        now: dict[str, list[Any]] = {}
        for topic_id, topic in watched.items():
            count = comments_count(topic)
            entry = before.get(topic_id) or ["", -1, state.round]
            now[topic_id] = entry
            if count == 0:
                continue
            if count is None or count != entry[1] or state.round - entry[2] >= recheck:
                state.pending.append([group_id, topic_id, -1 if count is None else count])
        state.watch[group_id] = now

    def _read_comments(
        self, group_id: str, topic_id: str, count: int, state: _State, result: FetchResult
    ) -> None:
        entry = state.watch.get(group_id, {}).get(topic_id)
        if entry is None:
            return
        try:
            anchor, complete = self._fetch_comments(group_id, topic_id, entry[0], result)
        except OKError as exc:
            if exc.code not in TOPIC_GONE_CODES:
                raise
            result.skipped += 1
            result.notes.append(f"topic {group_id}/{topic_id} skipped: {exc}")
            del state.watch[group_id][topic_id]
            return
        entry[:] = [anchor, count if complete else entry[1], state.round]

    def _fetch_comments(
        self, group_id: str, topic_id: str, anchor: str, result: FetchResult
    ) -> tuple[str, bool]:
        page_size = self._int_setting("page_size", 50, low=1, high=MAX_COUNT)
        for _page in range(self._int_setting("max_pages", 5, low=1)):
            body = self.call(
                "discussions.getComments",
                discussionId=topic_id,
                discussionType="GROUP_TOPIC",
                count=page_size,
                anchor=anchor or None,
                direction="FORWARD",
            )
            comments = body.get("comments") if isinstance(body, dict) else None
            if not isinstance(comments, list):
                raise ConnectorError("OK discussions.getComments: no “comments” list", retriable=False)
            for comment in comments:
                result.payloads.append(
                    {"kind": "comment", "group_id": group_id, "topic_id": topic_id, "item": comment}
                )
            if isinstance(body.get("anchor"), str) and body["anchor"]:
                anchor = body["anchor"]
            if not body.get("has_more") or not comments:
                return anchor, True
        return anchor, False

    # --- normalize ------------------------------------------------------------------------------
    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        item, kind = payload.get("item"), payload.get("kind")
        group_id = payload.get("group_id")
        if not isinstance(item, dict):
            raise NormalizeError(f"an OK {kind or 'item'} must be an object, got {type(item).__name__}")
        if not isinstance(group_id, str) or not group_id:
            raise NormalizeError("an OK payload needs its “group_id”")
        if item.get("deleted") or item.get("is_deleted"):
            raise SkipPayload("deleted")
        item_id = item.get("id")
        if not isinstance(item_id, str | int) or isinstance(item_id, bool) or not str(item_id):
            raise NormalizeError(f"an OK {kind} needs an “id”: {item_id!r}")
        if kind == "comment":
            return self._normalize_comment(item, group_id, str(payload.get("topic_id") or ""))
        return self._normalize_topic(item, group_id, str(payload.get("author") or ""))

    def _normalize_topic(self, topic: dict[str, Any], group_id: str, author: str) -> dict[str, Any]:
        text = topic_text(topic)
        if text is None:
            raise NormalizeError("an OK topic has no “media” list")
        created = topic.get("created_ms")
        if not isinstance(created, int) or isinstance(created, bool):
            raise NormalizeError(f"an OK topic's “created_ms” is not unix milliseconds: {created!r}")
        user_id = _ref_id(topic.get("author_ref"), "user")
        if user_id is None and not self.setting("include_own_topics", False):
            raise SkipPayload("the group's own topic")
        if not text.strip():
            raise SkipPayload("no text (photos only)")
        topic_id = str(topic["id"])
        return {
            "external_id": f"ok{group_id}_t{topic_id}",
            "channel": Channel.OK,
            "text": text,
            "posted_at": datetime.fromtimestamp(created / 1000, tz=OK_TIME_ZONE).isoformat(),
            "author_id": user_id or "",
            "author_name": author,
            "url": topic_url(group_id, topic_id),
            "ok": {"group_id": group_id, "topic_id": topic_id, "comment_id": None},
        }

    def _normalize_comment(self, comment: dict[str, Any], group_id: str, topic_id: str) -> dict[str, Any]:
        if not topic_id:
            raise NormalizeError("an OK comment needs its “topic_id”")
        text = comment.get("text")
        if not isinstance(text, str):
            raise NormalizeError("an OK comment has no “text” string")
        author_id = comment.get("author_id")
        author_type = str(comment.get("author_type") or "USER").upper()
        if author_type == "GROUP" or str(author_id) == group_id:
            thread, reply_to = f"ok{group_id}_t{topic_id}", comment.get("reply_to_comment_id")
            raise OwnReply(
                group_id,
                comment_time(comment),
                replied_to=f"{thread}_c{reply_to}" if reply_to else "",
                thread=thread,
                thread_sep="_c",
                external_id=f"{thread}_c{comment['id']}",
            )
        if not text.strip():
            raise SkipPayload("no text (a sticker or a photo)")
        comment_id = str(comment["id"])
        return {
            "external_id": f"ok{group_id}_t{topic_id}_c{comment_id}",
            "channel": Channel.OK,
            "text": text,
            "posted_at": comment_time(comment),
            "author_id": str(author_id) if author_id is not None else "",
            "author_name": str(comment.get("author_name") or ""),
            "url": topic_url(group_id, topic_id),
            "ok": {"group_id": group_id, "topic_id": topic_id, "comment_id": comment_id},
        }

    # --- reply and health -----------------------------------------------------------------------
    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        ref = (message.raw or {}).get("ok") or {}
        if not ref.get("group_id") or not ref.get("topic_id"):
            return ReplyResult(sent=False, detail="the message has no OK topic to answer under")
        body = self.call(
            REPLY_METHOD,
            entityId=ref["topic_id"],
            entityType="GROUP_TOPIC",
            comment=answer.text,
            reply_to_comment_id=ref.get("comment_id"),
            as_admin="true" if self.setting("reply_as_admin", True) else None,
        )
        comment_id = body.get("comment_id") or body.get("id") if isinstance(body, dict) else body
        if not isinstance(comment_id, str | int) or isinstance(comment_id, bool) or not str(comment_id):
            raise ConnectorError("OK: no comment id in the answer to the reply", retriable=False)
        return ReplyResult(
            sent=True,
            external_id=f"ok{ref['group_id']}_t{ref['topic_id']}_c{comment_id}",
            detail=topic_url(str(ref["group_id"]), str(ref["topic_id"])),
        )

    def health(self) -> Health:
        groups = [str(g) for g in self.setting("group_ids", [])]
        if not groups:
            return Health(ok=False, detail="no group in “group_ids” to check")
        try:
            body = self.call("group.getInfo", uids=",".join(groups), fields="uid,name")
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        names = (
            [str(g.get("name", "")) for g in body if isinstance(g, dict)] if isinstance(body, list) else []
        )
        if len(names) < len(groups):
            return Health(
                ok=False, detail=f"{len(names)} of {len(groups)} groups reachable", checked={"groups": names}
            )
        return Health(ok=True, detail=f"{len(names)} groups reachable", checked={"groups": names})
