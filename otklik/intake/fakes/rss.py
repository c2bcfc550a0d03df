"""A fake news site serving a comments feed as RSS 2.0 (``/comments.rss``) or Atom (``/comments.atom``),
with ``ETag`` and ``304 Not Modified`` like a real web server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from .server import FakeServer, Request, Response


@dataclass
class Comment:
    guid: str
    text: str
    published: datetime | None
    author: str = ""
    link: str = ""


class FakeNewsSite(FakeServer):
    name = "fake-news"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.comments: list[Comment] = []
        self.raw_body: bytes | None = None  # serve this instead (a broken feed)

    def add_comment(self, guid: str, text: str, published: datetime | None, **extra: Any) -> None:
        self.comments.append(Comment(guid, text, published, **extra))

    def rss(self) -> bytes:
        items = []
        for c in self.comments:
            parts = [f'<guid isPermaLink="false">{escape(c.guid)}</guid>'] if c.guid else []
            if c.link:
                parts.append(f"<link>{escape(c.link)}</link>")
            parts.append(f"<title>{escape(c.author or 'Комментарий')}</title>")
            if c.text:
                parts.append(f"<description>{escape(c.text)}</description>")
            if c.published:
                parts.append(
                    f"<pubDate>{format_datetime(c.published.astimezone(UTC), usegmt=True)}</pubDate>"
                )
            if c.author:
                parts.append(f"<dc:creator>{escape(c.author)}</dc:creator>")
            items.append("<item>" + "".join(parts) + "</item>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Комментарии</title>'
            "<link>http://news.example/</link><description>Комментарии читателей</description>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def atom(self) -> bytes:
        entries = []
        for c in self.comments:
            updated = (c.published or datetime(2026, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat()
            entries.append(
                f"<entry><id>{escape(c.guid)}</id><title>{escape(c.author or 'Комментарий')}</title>"
                f'<link href="{escape(c.link)}"/><updated>{updated}</updated>'
                f"<author><name>{escape(c.author)}</name></author>"
                f'<content type="html">{escape(c.text)}</content></entry>'
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Комментарии</title><id>urn:news:comments</id><updated>2026-01-01T00:00:00Z</updated>"
            + "".join(entries)
            + "</feed>"
        ).encode()

    def handle(self, request: Request) -> Response:
        if request.path == "/comments.rss":
            body, kind = self.raw_body or self.rss(), "application/rss+xml; charset=utf-8"
        elif request.path == "/comments.atom":
            body, kind = self.raw_body or self.atom(), "application/atom+xml; charset=utf-8"
        else:
            return Response(404, b"not found", content_type="text/plain")
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(304, b"", headers={"ETag": etag}, content_type=kind)
        return Response(200, body, headers={"ETag": etag}, content_type=kind)
