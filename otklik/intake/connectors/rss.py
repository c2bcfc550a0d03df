"""RSS 2.0 / Atom news comments: a news site's comments feed (WordPress ``/comments/feed``, Atom …).

Source settings::

    {"url": "https://news.example/comments/feed", "max_bytes": 5000000}

Parsing is feedparser's: it reads RSS 0.9x/1.0/2.0 and Atom 0.3/1.0, the many date formats feeds
use, encodings, and sanitizes the HTML of summaries. It parses with the standard library's expat
with external entities switched off (and expat ≥ 2.4 refuses entity expansion bombs), and we hand
it bytes we fetched ourselves (size-capped by ``max_bytes``) — it never opens a URL. That is why
feedparser rather than our own ``xml.etree`` + defusedxml code: the parsing of real feeds' quirks
is the hard part, and it is maintained there.

The cursor keeps ``ETag``/``Last-Modified`` (a ``304`` costs nothing) and the newest entry date;
older entries are not handed on. News comments cannot be answered through a feed: a reply is
recorded as not sent, for the press office to answer on the site.
"""

from __future__ import annotations

import calendar
import html
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import feedparser
from django.utils.html import strip_tags

from otklik.directory.choices import Channel

from .base import Connector, ConnectorError, FetchResult, Health, NormalizeError, ReplyResult, register

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

DEFAULT_MAX_BYTES = 5_000_000


def _iso(parsed: Any) -> str:
    """feedparser's UTC ``struct_time`` → ISO 8601."""
    if not parsed:
        return ""
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()


def entry_payload(entry: Any) -> dict[str, Any]:
    """A feedparser entry → a plain JSON-able dict (what is kept as the raw payload)."""
    content = entry.get("content") or []
    return {
        "id": entry.get("id") or "",
        "link": entry.get("link") or "",
        "title": entry.get("title") or "",
        "summary": entry.get("summary") or "",
        "content": content[0].get("value", "") if content else "",
        "published": _iso(entry.get("published_parsed") or entry.get("updated_parsed")),
        "author": entry.get("author") or "",
    }


def plain_text(markup: str) -> str:
    return " ".join(html.unescape(strip_tags(markup)).split())


@register
class RSSConnector(Connector):
    kind: ClassVar[str] = "rss"
    label: ClassVar[str] = "RSS / Atom news comments"

    def _get(self, headers: dict[str, str] | None = None) -> Any:
        url = str(self.setting("url", ""))
        if not url:
            raise ConnectorError("the source has no “url” setting", retriable=False)
        self.pace()
        return self.request("GET", url, headers=headers or {}, what="feed")

    def fetch(self, cursor: str) -> FetchResult:
        try:
            state = json.loads(cursor) if cursor else {}
        except ValueError:
            state = {}
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = self._get(headers)
        if response.status_code == 304:
            return FetchResult(cursor=cursor)
        self.check_status(response, what="feed")
        body = response.content
        if len(body) > int(self.setting("max_bytes", DEFAULT_MAX_BYTES)):
            raise ConnectorError(f"feed: {len(body)} bytes is over “max_bytes”", retriable=False)
        parsed = feedparser.parse(
            body, response_headers={"content-type": response.headers.get("content-type", "")}
        )
        if parsed.bozo and not parsed.entries:
            raise ConnectorError(
                f"feed: not a readable RSS/Atom feed: {parsed.get('bozo_exception')}", retriable=False
            )
        latest = str(state.get("latest") or "")
        payloads = []
        newest = latest
        for entry in parsed.entries:
            payload = entry_payload(entry)
            published = payload["published"]
            if published and latest and published < latest:
                continue  # read before
            newest = max(newest, published)
            payloads.append(payload)
        new_state = {
            "etag": response.headers.get("etag", ""),
            "modified": response.headers.get("last-modified", ""),
            "latest": newest,
        }
        return FetchResult(payloads=payloads, cursor=json.dumps(new_state, sort_keys=True))

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        external_id = str(payload.get("id") or payload.get("link") or "")
        if not external_id:
            raise NormalizeError("a feed entry needs a guid/id or a link")
        # The title of a comment is "Comment by X on Y": the text is the description or the content.
        text = plain_text(str(payload.get("content") or payload.get("summary") or ""))
        if not text:
            raise NormalizeError(f"feed entry {external_id[:80]}: no text (description or content)")
        if not payload.get("published"):
            raise NormalizeError(f"feed entry {external_id[:80]}: no publication date")
        link = str(payload.get("link") or "")
        return {
            "external_id": external_id[-200:],
            "channel": Channel.NEWS,
            "text": text,
            "posted_at": payload["published"],
            "author_name": str(payload.get("author") or ""),
            "url": link if link.startswith(("http://", "https://")) else "",
        }

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        return ReplyResult(
            sent=False, detail="news comments cannot be answered through a feed: answer on the site"
        )

    def health(self) -> Health:
        try:
            response = self._get()
            self.check_status(response, what="feed")
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        return Health(ok=True, detail=f"HTTP {response.status_code}, {len(response.content)} bytes")
